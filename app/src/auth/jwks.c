/* jwks.c -- the issuer's signing keys: parsed, fetched, refreshed */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../log.h"
#include "../util/clock.h"
#include "jwks.h"

struct auth_keyset {
  atomic_int refs;
  size_t n;
  struct auth_key keys[AUTH_JWKS_MAX_KEYS];
};

/*************************************************************************
 * Parsing
 *************************************************************************/

static const char *str_member(const json_t *o, const char *name)
{
  const json_t *v = json_object_get(o, name);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The algorithm 'k' (a JWK object) is used with, or -1 to skip the key. */
static int key_alg(const json_t *k)
{
  const char *kty = str_member(k, "kty"), *alg = str_member(k, "alg");
  const char *use = str_member(k, "use"), *crv = str_member(k, "crv");

  if (!kty || (json_object_get(k, "use") && (!use || strcmp(use, "sig"))))
    return -1;
  if (json_object_get(k, "alg") && !alg)
    return -1;
  if (!strcmp(kty, "RSA") && (!alg || !strcmp(alg, "RS256")))
    return AUTH_ALG_RS256;
  if (!strcmp(kty, "EC") && crv && !strcmp(crv, "P-256") &&
      (!alg || !strcmp(alg, "ES256")))
    return AUTH_ALG_ES256;
  return -1;
}

/* Is 's' unpadded base64url (RFC 7515 2) of a length that can decode?
 * cjose 0.6's decoder asserts (aborts the process) on some other inputs,
 * e.g. an '=' after 4n+1 characters (found by fuzz_jwks): a key set is
 * remote input, so cjose only ever sees what passes this. */
static int b64url_ok(const char *s)
{
  size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                       "0123456789-_");
  return s[n] == '\0' && n % 4 != 1;
}

/* Are the members cjose decodes base64url that it decodes safely? */
static int members_ok(const json_t *k)
{
  static const char *const b64[] = {"n", "e",  "x",  "y",  "d", "p",
                                    "q", "dp", "dq", "qi", "k"};
  size_t i;

  for (i = 0; i < sizeof(b64) / sizeof(b64[0]); i++) {
    const json_t *v = json_object_get(k, b64[i]);
    if (v && (!json_is_string(v) || !b64url_ok(json_string_value(v))))
      return 0;
  }
  return 1;
}

/* Does the imported 'jwk' really hold what 'alg' needs? cjose decides the
 * type from the same JSON, but checking its result keeps a bug there from
 * turning into a key we would misuse. */
static int jwk_fits(const cjose_jwk_t *jwk, int alg)
{
  cjose_err e;

  if (alg == AUTH_ALG_RS256)
    return cjose_jwk_get_kty(jwk, &e) == CJOSE_JWK_KTY_RSA &&
           cjose_jwk_get_keysize(jwk, &e) >= 2048;
  return cjose_jwk_get_kty(jwk, &e) == CJOSE_JWK_KTY_EC &&
         cjose_jwk_EC_get_curve(jwk, &e) == CJOSE_JWK_EC_P_256;
}

/* Adds key object 'k' to 'ks' if it qualifies. */
static void add_key(struct auth_keyset *ks, json_t *k)
{
  const char *kid = str_member(k, "kid");
  int alg = key_alg(k);
  cjose_jwk_t *jwk;
  cjose_err e;

  if (alg < 0 || !kid || !kid[0] || strlen(kid) >= AUTH_KID_MAX ||
      auth_keyset_find(ks, kid) || ks->n >= AUTH_JWKS_MAX_KEYS ||
      !members_ok(k))
    return;
  jwk = cjose_jwk_import_json((cjose_header_t *)k, &e);
  if (!jwk)
    return;
  if (!jwk_fits(jwk, alg)) {
    cjose_jwk_release(jwk);
    return;
  }
  snprintf(ks->keys[ks->n].kid, AUTH_KID_MAX, "%s", kid);
  ks->keys[ks->n].alg = (enum auth_alg)alg;
  ks->keys[ks->n].jwk = jwk;
  ks->n++;
}

struct auth_keyset *auth_keyset_parse(const char *json, size_t len)
{
  struct auth_keyset *ks;
  json_t *doc, *keys, *k;
  size_t i;

  if (!json || len > AUTH_JWKS_MAX_BYTES)
    return NULL;
  doc = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
  keys = json_object_get(doc, "keys");
  if (!json_is_object(doc) || !json_is_array(keys)) {
    json_decref(doc);
    return NULL;
  }
  ks = calloc(1, sizeof(*ks));
  if (ks) {
    atomic_init(&ks->refs, 1);
    json_array_foreach(keys, i, k)
    {
      if (json_is_object(k))
        add_key(ks, k);
    }
  }
  json_decref(doc);
  return ks;
}

size_t auth_keyset_count(const struct auth_keyset *ks)
{
  return ks ? ks->n : 0;
}

const struct auth_key *auth_keyset_key(const struct auth_keyset *ks, size_t i)
{
  return ks && i < ks->n ? &ks->keys[i] : NULL;
}

const struct auth_key *auth_keyset_find(const struct auth_keyset *ks,
                                        const char *kid)
{
  size_t i;

  for (i = 0; ks && kid && i < ks->n; i++)
    if (!strcmp(ks->keys[i].kid, kid))
      return &ks->keys[i];
  return NULL;
}

struct auth_keyset *auth_keyset_retain(struct auth_keyset *ks)
{
  if (ks)
    atomic_fetch_add(&ks->refs, 1);
  return ks;
}

void auth_keyset_release(struct auth_keyset *ks)
{
  size_t i;

  if (!ks || atomic_fetch_sub(&ks->refs, 1) != 1)
    return;
  for (i = 0; i < ks->n; i++)
    cjose_jwk_release(ks->keys[i].jwk);
  free(ks);
}

const char *auth_alg_name(enum auth_alg alg)
{
  switch (alg) {
  case AUTH_ALG_RS256:
    return "RS256";
  case AUTH_ALG_ES256:
    return "ES256";
  }
  return "?";
}

/*************************************************************************
 * Fetching over libcurl
 *************************************************************************/

struct body {
  char *p;
  size_t len;
  int too_big;
};

static size_t on_data(char *data, size_t size, size_t n, void *arg)
{
  struct body *b = arg;
  size_t add = size * n;
  char *p;

  if (b->len + add > AUTH_JWKS_MAX_BYTES) {
    b->too_big = 1;
    return 0;
  }
  p = realloc(b->p, b->len + add + 1);
  if (!p)
    return 0;
  memcpy(p + b->len, data, add);
  b->p = p;
  b->len += add;
  b->p[b->len] = '\0';
  return add;
}

struct curl_fetch {
  const char *ca_bundle;
  long timeout_ms;
};

static int curl_fetch(void *arg, const char *url, char **out, size_t *len,
                      char *err, size_t errlen)
{
  const struct curl_fetch *cf = arg;
  struct body b = {NULL, 0, 0};
  long code = 0;
  CURLcode rc;
  CURL *h = curl_easy_init();

  if (!h) {
    snprintf(err, errlen, "out of memory");
    return -1;
  }
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, cf->timeout_ms);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
  if (cf->ca_bundle)
    curl_easy_setopt(h, CURLOPT_CAINFO, cf->ca_bundle);
  rc = curl_easy_perform(h);
  if (rc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  if (rc != CURLE_OK || code != 200) {
    if (b.too_big)
      snprintf(err, errlen, "larger than %d bytes", AUTH_JWKS_MAX_BYTES);
    else if (rc != CURLE_OK)
      snprintf(err, errlen, "%s", curl_easy_strerror(rc));
    else
      snprintf(err, errlen, "HTTP %ld", code);
    free(b.p);
    return -1;
  }
  *out = b.p ? b.p : strdup("");
  *len = b.len;
  return *out ? 0 : -1;
}

/*************************************************************************
 * The current set
 *************************************************************************/

struct auth_jwks {
  char *url;
  unsigned refresh_s;
  auth_fetch_fn fetch;
  void *fetch_arg;
  struct curl_fetch cf;

  pthread_mutex_t lock; /* guards the fields below */
  struct auth_keyset *set;
  /* Changes with every new set. Written under 'lock'; atomic so that a
   * request's memo check reads it without the lock (auth_jwks_generation). */
  atomic_ulong gen;
  int64_t good_ms;          /* clock_now_ms of the last good fetch */
  int64_t attempt_ms;       /* of the last fetch begun; 0 = none */
  unsigned long fetches;    /* attempted */
  pthread_mutex_t fetching; /* one fetch at a time */

  pthread_cond_t wake;
  int stop;
  int started;
  pthread_t thread;
};

struct auth_jwks *auth_jwks_new(const struct auth_jwks_config *cfg)
{
  struct auth_jwks *j = calloc(1, sizeof(*j));

  if (!j)
    return NULL;
  j->url = strdup(cfg->url);
  if (!j->url) {
    free(j);
    return NULL;
  }
  j->refresh_s = cfg->refresh_s;
  j->cf.ca_bundle = cfg->ca_bundle;
  j->cf.timeout_ms = cfg->timeout_ms;
  j->fetch = cfg->fetch ? cfg->fetch : curl_fetch;
  j->fetch_arg = cfg->fetch ? cfg->fetch_arg : &j->cf;
  pthread_mutex_init(&j->lock, NULL);
  pthread_mutex_init(&j->fetching, NULL);
  pthread_cond_init(&j->wake, NULL);
  return j;
}

/* Fetches and, when the reply parses, installs the set. Caller holds
 * 'fetching'. Returns 0 on a new set. */
static int fetch_now(struct auth_jwks *j)
{
  char err[160] = "", *body = NULL;
  size_t len = 0;
  struct auth_keyset *ks = NULL, *old;

  pthread_mutex_lock(&j->lock);
  j->attempt_ms = clock_now_ms();
  j->fetches++;
  pthread_mutex_unlock(&j->lock);
  if (j->fetch(j->fetch_arg, j->url, &body, &len, err, sizeof(err)) == 0) {
    ks = auth_keyset_parse(body, len);
    if (!ks)
      snprintf(err, sizeof(err), "not a JWKS document");
  }
  free(body);
  if (!ks) {
    log_event(LOG_WARN, "jwks_fetch_failed",
              json_pack("{s:s,s:s}", "url", j->url, "reason", err));
    return -1;
  }
  pthread_mutex_lock(&j->lock);
  old = j->set;
  j->set = ks;
  atomic_fetch_add_explicit(&j->gen, 1, memory_order_release);
  j->good_ms = clock_now_ms();
  pthread_mutex_unlock(&j->lock);
  auth_keyset_release(old);
  log_event(LOG_INFO, "jwks",
            json_pack("{s:s,s:i}", "url", j->url, "keys",
                      (int)auth_keyset_count(ks)));
  return 0;
}

/* Is the set usable? Caller holds 'lock'. */
static int fresh_locked(const struct auth_jwks *j)
{
  return j->set &&
         clock_now_ms() - j->good_ms <= (int64_t)AUTH_JWKS_MAX_STALE_S * 1000;
}

static void *poll_main(void *arg)
{
  struct auth_jwks *j = arg;
  struct timespec until;

  pthread_mutex_lock(&j->lock);
  while (!j->stop) {
    /* Without a set, retry at the unknown-kid pace; with one, hourly. */
    unsigned wait_s = fresh_locked(j) ? AUTH_JWKS_POLL_S : j->refresh_s;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_s;
    if (pthread_cond_timedwait(&j->wake, &j->lock, &until) == 0 || j->stop)
      continue;
    pthread_mutex_unlock(&j->lock);
    pthread_mutex_lock(&j->fetching);
    fetch_now(j);
    pthread_mutex_unlock(&j->fetching);
    pthread_mutex_lock(&j->lock);
  }
  pthread_mutex_unlock(&j->lock);
  return NULL;
}

int auth_jwks_start(struct auth_jwks *j)
{
  pthread_mutex_lock(&j->fetching);
  fetch_now(j);
  pthread_mutex_unlock(&j->fetching);
  if (pthread_create(&j->thread, NULL, poll_main, j))
    return -1;
  j->started = 1;
  return 0;
}

void auth_jwks_free(struct auth_jwks *j)
{
  if (!j)
    return;
  if (j->started) {
    pthread_mutex_lock(&j->lock);
    j->stop = 1;
    pthread_cond_signal(&j->wake);
    pthread_mutex_unlock(&j->lock);
    pthread_join(j->thread, NULL);
  }
  auth_keyset_release(j->set);
  pthread_cond_destroy(&j->wake);
  pthread_mutex_destroy(&j->fetching);
  pthread_mutex_destroy(&j->lock);
  free(j->url);
  free(j);
}

struct auth_keyset *auth_jwks_get(struct auth_jwks *j, unsigned long *gen)
{
  struct auth_keyset *ks = NULL;

  pthread_mutex_lock(&j->lock);
  if (fresh_locked(j))
    ks = auth_keyset_retain(j->set);
  if (gen)
    *gen = atomic_load_explicit(&j->gen, memory_order_relaxed);
  pthread_mutex_unlock(&j->lock);
  return ks;
}

unsigned long auth_jwks_generation(struct auth_jwks *j)
{
  return atomic_load_explicit(&j->gen, memory_order_acquire);
}

/* Has 'refresh_s' passed since the last fetch began? Caller holds 'lock'. */
static int may_refresh_locked(const struct auth_jwks *j)
{
  return j->attempt_ms == 0 ||
         clock_now_ms() - j->attempt_ms >= (int64_t)j->refresh_s * 1000;
}

int auth_jwks_may_refresh(struct auth_jwks *j)
{
  int ok;

  pthread_mutex_lock(&j->lock);
  ok = may_refresh_locked(j);
  pthread_mutex_unlock(&j->lock);
  return ok;
}

int auth_jwks_refresh_unknown(struct auth_jwks *j, unsigned long gen)
{
  int newer;

  /* Requests with unknown kids queue here; the first fetches, the others
   * then find either a newer set or the interval not yet passed. */
  pthread_mutex_lock(&j->fetching);
  pthread_mutex_lock(&j->lock);
  newer = atomic_load_explicit(&j->gen, memory_order_relaxed) != gen;
  int go = !newer && may_refresh_locked(j);
  pthread_mutex_unlock(&j->lock);
  if (go)
    newer = fetch_now(j) == 0;
  pthread_mutex_unlock(&j->fetching);
  return newer;
}

int auth_jwks_ready(struct auth_jwks *j, const char **why)
{
  int ok;

  pthread_mutex_lock(&j->lock);
  ok = fresh_locked(j);
  pthread_mutex_unlock(&j->lock);
  if (!ok && why)
    *why = "jwks_unavailable";
  return ok;
}

unsigned long auth_jwks_fetches(struct auth_jwks *j)
{
  unsigned long n;

  pthread_mutex_lock(&j->lock);
  n = j->fetches;
  pthread_mutex_unlock(&j->lock);
  return n;
}
