/* credentials.c -- the AWS credential chain: choice of source and refresh
 *
 * The provider holds the current keys under a mutex. aws_cred_get() hands
 * out copies; when the keys are due for refresh, the first caller to notice
 * sets 'refreshing' and fetches without the lock, while the others keep
 * copying the current keys (or, when there are none left, wait on 'done'
 * for that one fetch). See credentials.h for the policy.
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "../log.h"
#include "../settings.h"
#include "../util/clock.h"
#include "aws_internal.h"

#define DEFAULT_TIMEOUT_MS 1000L
#define ECS_HOST "169.254.170.2"
#define IMDS_ENDPOINT "http://169.254.169.254"
/* Keys living less than this are refreshed at 80% of their life instead of
 * AWS_CRED_REFRESH_LEAD before Expiration; the two rules meet here. */
#define SHORT_LIFETIME (5 * AWS_CRED_REFRESH_LEAD)
#define ERR_LEN 192

struct aws_cred_provider {
  enum aws_cred_source source;
  long timeout_ms;         /* per ECS call */
  struct aws_ecs_cfg ecs;  /* source ecs */
  char *imds_base;         /* source imds, no trailing slash */
  aws_cred_clock_fn clock; /* wall clock, ms, unless a test replaces it */
  void *clock_ctx;
  aws_cred_fetch_fn fetch; /* HTTP fetch unless a test replaces it */
  void *fetch_ctx;
  atomic_ulong fetches; /* successful fetches */
  atomic_ulong failed;  /* failed fetches, in all */

  pthread_mutex_t lock; /* guards everything below */
  pthread_cond_t done;  /* a fetch finished (refreshing went to 0) */
  struct aws_credentials cur;
  int have;               /* 'cur' holds keys (maybe expired) */
  int refreshing;         /* a thread is fetching */
  long long refresh_at;   /* next fetch due, ms; 0 = never */
  long long retry_at;     /* no fetch before this, ms (back-off) */
  unsigned failures;      /* failed fetches in a row */
  char last_err[ERR_LEN]; /* why the last fetch failed, no secrets */
};

static int is_set(const char *s)
{
  return s && s[0]; /* empty counts as unset, as in the SDKs */
}

static void free_secret(char *s)
{
  if (s) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

const char *aws_cred_source_name(enum aws_cred_source s)
{
  switch (s) {
  case AWS_CRED_NONE:
    return "none";
  case AWS_CRED_ENV:
    return "env";
  case AWS_CRED_PROFILE:
    return "profile";
  case AWS_CRED_ECS:
    return "ecs";
  case AWS_CRED_IMDS:
    return "imds";
  }
  return "none";
}

time_t aws_cred_refresh_time(time_t now, time_t expiration)
{
  time_t life;

  if (expiration == 0)
    return 0;
  life = expiration - now;
  if (life >= SHORT_LIFETIME)
    return expiration - AWS_CRED_REFRESH_LEAD;
  return expiration - (life > 0 ? life / 5 : 0);
}

unsigned aws_cred_retry_delay(unsigned failures)
{
  if (failures == 0)
    return 0;
  if (failures > 5)
    return AWS_CRED_RETRY_MAX;
  return (1u << (failures - 1)) < AWS_CRED_RETRY_MAX ? 1u << (failures - 1)
                                                     : AWS_CRED_RETRY_MAX;
}

/* ---- choosing the source --------------------------------------------- */

/* 1. env. Returns OK with '*chosen' set or not, or BAD_CONFIG. */
static enum aws_cred_code from_env(struct aws_cred_provider *p,
                                   const struct aws_env *env, int *chosen,
                                   char *err, size_t errlen)
{
  struct aws_credentials *c = &p->cur;
  int id = is_set(env->access_key_id), sec = is_set(env->secret_access_key);
  enum aws_cred_code rc;

  if (!id && !sec)
    return AWS_CRED_OK;
  if (!id || !sec) {
    aws_set_err(err, errlen, "%s is set but %s is not",
                id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
    return AWS_CRED_BAD_CONFIG;
  }
  if ((rc = aws_cred_copy_field(c->access_key_id, sizeof(c->access_key_id),
                                env->access_key_id, strlen(env->access_key_id),
                                "AWS_ACCESS_KEY_ID", err, errlen)) ||
      (rc = aws_cred_copy_field(
           c->secret_access_key, sizeof(c->secret_access_key),
           env->secret_access_key, strlen(env->secret_access_key),
           "AWS_SECRET_ACCESS_KEY", err, errlen)))
    return rc;
  if (is_set(env->session_token) &&
      (rc = aws_cred_copy_field(c->session_token, sizeof(c->session_token),
                                env->session_token, strlen(env->session_token),
                                "AWS_SESSION_TOKEN", err, errlen)))
    return rc;
  *chosen = 1;
  return AWS_CRED_OK;
}

/* 2. profile. A profile named by AWS_PROFILE must exist and hold keys; the
 * implicit "default" may be absent or keyless (then ecs/imds are tried). */
static enum aws_cred_code from_profile(struct aws_cred_provider *p,
                                       const struct aws_env *env, int *chosen,
                                       char *err, size_t errlen)
{
  const char *name = is_set(env->profile) ? env->profile : "default";
  enum aws_profile_state st;
  enum aws_cred_code rc;

  rc = aws_profile_resolve(env, &p->cur, &st, err, errlen);
  if (rc != AWS_CRED_OK)
    return rc;
  switch (st) {
  case AWS_PROFILE_KEYS:
    *chosen = 1;
    return AWS_CRED_OK;
  case AWS_PROFILE_ABSENT:
  case AWS_PROFILE_NO_KEYS:
    if (!is_set(env->profile))
      return AWS_CRED_OK;
    aws_set_err(
        err, errlen,
        "AWS_PROFILE: profile \"%.64s\" %s in the shared credentials or "
        "config file",
        name, st == AWS_PROFILE_ABSENT ? "not found" : "has no keys");
    return AWS_CRED_BAD_CONFIG;
  case AWS_PROFILE_UNSUPPORTED:
    aws_set_err(err, errlen,
                "profile \"%.64s\" uses role_arn, sso or credential_process, "
                "which s3json does not support; give it static keys or use the "
                "ECS task role",
                name);
    return AWS_CRED_BAD_CONFIG;
  }
  return AWS_CRED_BAD_CONFIG;
}

/* May credentials be fetched over plain http from 'host' (as libcurl's URL
 * API returns it: IPv6 in brackets)? Loopback, or the ECS / EKS Pod
 * Identity link-local addresses, as in the SDKs. No DNS lookup. */
static int http_host_allowed(const char *host)
{
  char v6[64];
  unsigned char a[16];
  size_t n = strlen(host);

  if (!strcasecmp(host, "localhost") || !strcmp(host, ECS_HOST) ||
      !strcmp(host, "169.254.170.23"))
    return 1;
  if (inet_pton(AF_INET, host, a) == 1)
    return a[0] == 127;
  if (n < 3 || n - 2 >= sizeof(v6) || host[0] != '[' || host[n - 1] != ']')
    return 0;
  memcpy(v6, host + 1, n - 2);
  v6[n - 2] = '\0';
  if (inet_pton(AF_INET6, v6, a) != 1)
    return 0;
  {
    static const unsigned char lo[16] = {[15] = 1};
    static const unsigned char eks[16] = {0xfd, 0x00, 0x0e, 0xc2, [15] = 0x23};
    return !memcmp(a, lo, 16) || !memcmp(a, eks, 16);
  }
}

/* Checks 'url' parses as http(s); '*https' says which. -1 if not. When
 * 'host' is non-NULL the host is copied there (at most 'hostlen'). */
static int check_url(const char *url, int *https, char *host, size_t hostlen)
{
  CURLU *u = curl_url();
  char *scheme = NULL, *h = NULL;
  int ok = 0;

  if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
      !curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) &&
      !curl_url_get(u, CURLUPART_HOST, &h, 0) && h[0]) {
    *https = !strcasecmp(scheme, "https");
    ok = *https || !strcasecmp(scheme, "http");
    if (host)
      snprintf(host, hostlen, "%s", h);
  }
  curl_free(scheme);
  curl_free(h);
  curl_url_cleanup(u);
  return ok ? 0 : -1;
}

static enum aws_cred_code ecs_url(struct aws_cred_provider *p,
                                  const struct aws_env *env, char *err,
                                  size_t errlen)
{
  const char *host =
      is_set(env->container_host) ? env->container_host : ECS_HOST;
  const char *rel = env->container_relative_uri;
  char hostname[256];
  size_t n;
  int https;

  if (is_set(rel)) {
    n = strlen("http://") + strlen(host) + strlen(rel) + 1;
    if (rel[0] != '/')
      goto bad_rel;
    if (!(p->ecs.url = malloc(n)))
      return AWS_CRED_NO_MEMORY;
    snprintf(p->ecs.url, n, "http://%s%s", host, rel);
    if (check_url(p->ecs.url, &https, NULL, 0))
      goto bad_rel;
    return AWS_CRED_OK;
  }
  if (check_url(env->container_full_uri, &https, hostname, sizeof(hostname)) ||
      (!https && !http_host_allowed(hostname))) {
    aws_set_err(err, errlen,
                "AWS_CONTAINER_CREDENTIALS_FULL_URI: expected an https URL, or "
                "http on a loopback, ECS or EKS address");
    return AWS_CRED_BAD_CONFIG;
  }
  if (!(p->ecs.url = strdup(env->container_full_uri)))
    return AWS_CRED_NO_MEMORY;
  return AWS_CRED_OK;
bad_rel:
  aws_set_err(err, errlen,
              "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: expected a path "
              "starting with /");
  return AWS_CRED_BAD_CONFIG;
}

/* 3. ecs: RELATIVE_URI wins over FULL_URI; the token file over the token. */
static enum aws_cred_code from_ecs(struct aws_cred_provider *p,
                                   const struct aws_env *env, int *chosen,
                                   char *err, size_t errlen)
{
  const char *tok = env->container_auth_token;
  enum aws_cred_code rc;

  if (!is_set(env->container_relative_uri) && !is_set(env->container_full_uri))
    return AWS_CRED_OK;
  if ((rc = ecs_url(p, env, err, errlen)) != AWS_CRED_OK)
    return rc;
  if (is_set(env->container_auth_token_file)) {
    if (!(p->ecs.token_file = strdup(env->container_auth_token_file)))
      return AWS_CRED_NO_MEMORY;
  } else if (is_set(tok)) {
    if (strcspn(tok, "\r\n") != strlen(tok)) {
      aws_set_err(err, errlen,
                  "AWS_CONTAINER_AUTHORIZATION_TOKEN: holds a "
                  "line break");
      return AWS_CRED_BAD_CONFIG;
    }
    if (!(p->ecs.token = strdup(tok)))
      return AWS_CRED_NO_MEMORY;
  }
  *chosen = 1;
  return AWS_CRED_OK;
}

/* 4. imds, unless disabled. */
static enum aws_cred_code from_imds(struct aws_cred_provider *p,
                                    const struct aws_env *env, int *chosen,
                                    char *err, size_t errlen)
{
  const char *base =
      is_set(env->imds_endpoint) ? env->imds_endpoint : IMDS_ENDPOINT;
  size_t n;
  int https;

  if (env->imds_disabled)
    return AWS_CRED_OK;
  if (check_url(base, &https, NULL, 0)) {
    aws_set_err(err, errlen,
                "AWS_EC2_METADATA_SERVICE_ENDPOINT: expected an "
                "http:// or https:// URL");
    return AWS_CRED_BAD_CONFIG;
  }
  if (!(p->imds_base = strdup(base)))
    return AWS_CRED_NO_MEMORY;
  n = strlen(p->imds_base);
  while (n && p->imds_base[n - 1] == '/')
    p->imds_base[--n] = '\0';
  *chosen = 1;
  return AWS_CRED_OK;
}

static enum aws_cred_code choose(struct aws_cred_provider *p,
                                 const struct aws_env *env, char *err,
                                 size_t errlen)
{
  typedef enum aws_cred_code (*step_fn)(struct aws_cred_provider *,
                                        const struct aws_env *, int *, char *,
                                        size_t);
  static const struct {
    enum aws_cred_source source;
    step_fn step;
  } chain[] = {{AWS_CRED_ENV, from_env},
               {AWS_CRED_PROFILE, from_profile},
               {AWS_CRED_ECS, from_ecs},
               {AWS_CRED_IMDS, from_imds}};
  size_t i;

  for (i = 0; i < sizeof(chain) / sizeof(chain[0]); i++) {
    int chosen = 0;
    enum aws_cred_code rc = chain[i].step(p, env, &chosen, err, errlen);
    if (rc != AWS_CRED_OK || chosen) {
      p->source = rc == AWS_CRED_OK ? chain[i].source : AWS_CRED_NONE;
      p->have = rc == AWS_CRED_OK &&
                (p->source == AWS_CRED_ENV || p->source == AWS_CRED_PROFILE);
      if (rc == AWS_CRED_NO_MEMORY)
        aws_set_err(err, errlen, "out of memory");
      return rc;
    }
  }
  p->source = AWS_CRED_NONE;
  return AWS_CRED_OK;
}

/* ---- provider ---------------------------------------------------------- */

/* Milliseconds: a back-off step of 1 s measured in whole seconds could
 * last anything from 0 to 1 s. */
static long long real_clock(void *ctx)
{
  (void)ctx;
  return clock_wall_ms();
}

static long long ms(time_t t)
{
  return (long long)t * 1000;
}

static enum aws_cred_code http_fetch(void *ctx, long timeout_ms,
                                     struct aws_credentials *out, char *err,
                                     size_t errlen)
{
  struct aws_cred_provider *p = ctx;

  if (p->source == AWS_CRED_ECS)
    return aws_ecs_fetch(&p->ecs, timeout_ms, out, err, errlen);
  return aws_imds_fetch(p->imds_base, timeout_ms, out, err, errlen);
}

struct aws_cred_provider *aws_cred_provider_new(const struct aws_env *env,
                                                long timeout_ms, char *err,
                                                size_t errlen)
{
  struct aws_cred_provider *p;

  if (!env) {
    aws_set_err(err, errlen, "no environment");
    return NULL;
  }
  if (!(p = calloc(1, sizeof(*p)))) {
    aws_set_err(err, errlen, "out of memory");
    return NULL;
  }
  p->timeout_ms = timeout_ms > 0 ? timeout_ms : DEFAULT_TIMEOUT_MS;
  p->clock = real_clock;
  p->fetch = http_fetch;
  p->fetch_ctx = p;
  atomic_init(&p->fetches, 0);
  atomic_init(&p->failed, 0);
  if (pthread_mutex_init(&p->lock, NULL)) {
    free(p);
    aws_set_err(err, errlen, "pthread_mutex_init failed");
    return NULL;
  }
  if (pthread_cond_init(&p->done, NULL)) {
    pthread_mutex_destroy(&p->lock);
    free(p);
    aws_set_err(err, errlen, "pthread_cond_init failed");
    return NULL;
  }
  if (choose(p, env, err, errlen) != AWS_CRED_OK) {
    aws_cred_provider_free(p);
    return NULL;
  }
  return p;
}

void aws_cred_provider_free(struct aws_cred_provider *p)
{
  if (!p)
    return;
  pthread_cond_destroy(&p->done);
  pthread_mutex_destroy(&p->lock);
  free(p->ecs.url);
  free_secret(p->ecs.token);
  free(p->ecs.token_file);
  free(p->imds_base);
  OPENSSL_cleanse(p, sizeof(*p));
  free(p);
}

void aws_cred_provider_set_clock(struct aws_cred_provider *p,
                                 aws_cred_clock_fn fn, void *ctx)
{
  p->clock = fn ? fn : real_clock;
  p->clock_ctx = ctx;
}

void aws_cred_provider_set_fetch(struct aws_cred_provider *p,
                                 aws_cred_fetch_fn fn, void *ctx)
{
  p->fetch = fn ? fn : http_fetch;
  p->fetch_ctx = fn ? ctx : p;
}

enum aws_cred_source aws_cred_source(const struct aws_cred_provider *p)
{
  return p ? p->source : AWS_CRED_NONE;
}

unsigned long aws_cred_refresh_count(const struct aws_cred_provider *p)
{
  unsigned long n;

  if (!p)
    return 0;
  n = atomic_load(&((struct aws_cred_provider *)p)->fetches);
  return n ? n - 1 : 0;
}

unsigned long aws_cred_failure_count(const struct aws_cred_provider *p)
{
  return p ? atomic_load(&((struct aws_cred_provider *)p)->failed) : 0;
}

/* ---- refresh ----------------------------------------------------------- */

static void log_time(char *out, size_t n, time_t t)
{
  struct tm tm;

  if (t == 0 || !gmtime_r(&t, &tm) ||
      !strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(out, n, "never");
}

/* Installs fresh keys. Called with the lock held. */
static void install(struct aws_cred_provider *p, struct aws_credentials *c,
                    long long now)
{
  time_t at;

  char exp[32];

  aws_cred_wipe(&p->cur);
  memcpy(&p->cur, c, sizeof(*c));
  p->have = 1;
  at = aws_cred_refresh_time((time_t)(now / 1000), c->expiration);
  p->refresh_at = at ? ms(at) : 0;
  p->failures = 0;
  p->retry_at = 0;
  p->last_err[0] = '\0';
  atomic_fetch_add(&p->fetches, 1);
  log_time(exp, sizeof(exp), c->expiration);
  log_event(LOG_INFO, "aws_credentials_fetched",
            json_pack("{s:s,s:s,s:I}", "source",
                      aws_cred_source_name(p->source), "expiration", exp,
                      "refreshes", (json_int_t)aws_cred_refresh_count(p)));
}

/* Records a failed fetch and schedules the next try. Lock held. */
static void failed(struct aws_cred_provider *p, const char *why, long long now)
{
  long long exp = ms(p->cur.expiration);
  long long left = p->have && exp > now ? exp - now : 0;

  p->failures++;
  atomic_fetch_add(&p->failed, 1);
  p->retry_at = now + 1000LL * aws_cred_retry_delay(p->failures);
  /* One more try right at expiry rather than a gap with no keys. */
  if (left && p->retry_at > exp)
    p->retry_at = exp;
  snprintf(p->last_err, sizeof(p->last_err), "%s", why);
  log_event(LOG_WARN, "aws_credentials_fetch_failed",
            json_pack("{s:s,s:s,s:i,s:I,s:I}", "source",
                      aws_cred_source_name(p->source), "reason", why,
                      "failures", (int)p->failures, "retry_in_s",
                      (json_int_t)((p->retry_at - now + 999) / 1000),
                      "keys_valid_for_s", (json_int_t)(left / 1000)));
}

/* Fetches with the lock released; 'refreshing' keeps other threads out.
 * The fetch gets at most 'timeout_ms'. Called and returns with the lock
 * held. */
static void refresh(struct aws_cred_provider *p, long timeout_ms)
{
  struct aws_credentials c;
  char why[ERR_LEN] = "";
  enum aws_cred_code rc;
  long long now;

  p->refreshing = 1;
  pthread_mutex_unlock(&p->lock);
  memset(&c, 0, sizeof(c));
  rc = p->fetch(p->fetch_ctx, timeout_ms, &c, why, sizeof(why));
  now = p->clock(p->clock_ctx);
  if (rc == AWS_CRED_OK && c.expiration && ms(c.expiration) <= now) {
    snprintf(why, sizeof(why), "%s: the keys received are already expired",
             aws_cred_source_name(p->source));
    rc = AWS_CRED_UNAVAILABLE;
  }
  pthread_mutex_lock(&p->lock);
  if (rc == AWS_CRED_OK)
    install(p, &c, now);
  else
    failed(p, why[0] ? why : "fetch failed", now);
  aws_cred_wipe(&c);
  p->refreshing = 0;
  pthread_cond_broadcast(&p->done);
}

/* Are the current keys usable at 'now'? Lock held. */
static int usable(const struct aws_cred_provider *p, long long now)
{
  return p->have && (p->cur.expiration == 0 || now < ms(p->cur.expiration));
}

/* What a caller should do now. Lock held. */
enum step { COPY, WAIT, FETCH, FAIL };

static enum step next_step(const struct aws_cred_provider *p, long long now,
                           int fetched)
{
  int ok = usable(p, now);

  if (ok && (p->refresh_at == 0 || now < p->refresh_at))
    return COPY;
  if (p->source == AWS_CRED_NONE)
    return FAIL;
  if (p->refreshing)
    return ok ? COPY : WAIT;
  /* This call already fetched: serve what there is, never loop. */
  if (fetched || now < p->retry_at)
    return ok ? COPY : FAIL;
  return FETCH;
}

/* Waits for another thread's fetch, until 'deadline' (monotonic ms; 0 =
 * no limit). Returns 0 when woken, -1 when the deadline passed. Lock
 * held. */
static int wait_fetch(struct aws_cred_provider *p, long long deadline)
{
  struct timespec ts;
  long long left;

  if (!deadline) {
    pthread_cond_wait(&p->done, &p->lock);
    return 0;
  }
  left = deadline - clock_now_ms();
  if (left <= 0)
    return -1;
  /* The condition variable waits on CLOCK_REALTIME: convert. */
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_sec += (time_t)(left / 1000);
  ts.tv_nsec += (long)(left % 1000) * 1000000L;
  if (ts.tv_nsec >= 1000000000L) {
    ts.tv_sec++;
    ts.tv_nsec -= 1000000000L;
  }
  return pthread_cond_timedwait(&p->done, &p->lock, &ts) == 0 ? 0 : -1;
}

/* The time a fetch may take now: the provider's per-call timeout, cut to
 * what is left before 'deadline' (0 = none), or to half of it when the
 * current keys are still valid ('ahead': a refresh before expiry), so the
 * caller keeps time to use them if the refresh is slow. <= 0: none left. */
static long fetch_budget(const struct aws_cred_provider *p, long long deadline,
                         int ahead)
{
  long long left;

  if (!deadline)
    return p->timeout_ms;
  left = deadline - clock_now_ms();
  if (ahead)
    left /= 2;
  return left < p->timeout_ms ? (long)left : p->timeout_ms;
}

static enum aws_cred_code fail_now(struct aws_cred_provider *p,
                                   long long deadline, char *err, size_t errlen)
{
  enum aws_cred_code rc = AWS_CRED_UNAVAILABLE;

  if (p->source == AWS_CRED_NONE) {
    aws_set_err(err, errlen, "no AWS credentials configured");
  } else if (deadline && clock_now_ms() >= deadline) {
    aws_set_err(err, errlen, "%s: no keys within the time budget%s%s",
                aws_cred_source_name(p->source), p->last_err[0] ? ": " : "",
                p->last_err);
    rc = AWS_CRED_TIMEOUT;
  } else {
    aws_set_err(err, errlen, "%s",
                p->last_err[0] ? p->last_err : "credentials expired");
  }
  pthread_mutex_unlock(&p->lock);
  return rc;
}

/* aws_cred_get and aws_cred_get_within: 'deadline' in monotonic ms, 0 =
 * none. */
static enum aws_cred_code get_until(struct aws_cred_provider *p,
                                    struct aws_credentials *out,
                                    long long deadline, char *err,
                                    size_t errlen)
{
  int fetched = 0;
  long budget = 0;

  if (!p || !out) {
    aws_set_err(err, errlen, "no credential provider");
    return AWS_CRED_UNAVAILABLE;
  }
  pthread_mutex_lock(&p->lock);
  for (;;) {
    long long now = p->clock(p->clock_ctx);
    enum step st = next_step(p, now, fetched);

    if (st == FETCH &&
        (budget = fetch_budget(p, deadline, usable(p, now))) <= 0)
      st = usable(p, now) ? COPY : FAIL;
    switch (st) {
    case COPY:
      memcpy(out, &p->cur, sizeof(*out));
      pthread_mutex_unlock(&p->lock);
      return AWS_CRED_OK;
    case WAIT:
      if (wait_fetch(p, deadline) != 0)
        return fail_now(p, deadline, err, errlen);
      fetched = 1; /* someone else's fetch is as good as ours */
      break;
    case FETCH:
      refresh(p, budget);
      fetched = 1;
      break;
    case FAIL:
      return fail_now(p, deadline, err, errlen);
    }
  }
}

enum aws_cred_code aws_cred_get(struct aws_cred_provider *p,
                                struct aws_credentials *out, char *err,
                                size_t errlen)
{
  return get_until(p, out, 0, err, errlen);
}

enum aws_cred_code aws_cred_get_within(struct aws_cred_provider *p,
                                       struct aws_credentials *out,
                                       long budget_ms, char *err, size_t errlen)
{
  if (budget_ms <= 0) {
    aws_set_err(err, errlen, "no time left to get credentials");
    return AWS_CRED_TIMEOUT;
  }
  return get_until(p, out, clock_now_ms() + budget_ms, err, errlen);
}
