/* cache.c -- the document cache between routes and S3
 *
 * One mutex guards the table, the LRU list and the flights. It is held for
 * a hash lookup and a few pointer moves, never across an S3 call, JSON
 * validation or compression.
 */
#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define ZLIB_CONST /* next_in is const: no cast away of const */
#include <zlib.h>

#include "../log.h"
#include "../metrics.h"
#include "../util/clock.h"
#include "cache.h"

/* Table and list bookkeeping per entry, charged against max_bytes. */
#define ENTRY_OVERHEAD 256

enum entry_kind {
  ENTRY_EMPTY = 0, /* created for its first fetch */
  ENTRY_DOC,       /* a valid document */
  ENTRY_MISSING,   /* S3 said 404 */
  ENTRY_INVALID    /* S3 has it, but it is not JSON */
};

/* A fetch in progress: the leader fills 'result'; waiters copy it. */
struct flight {
  int refs; /* leader + waiters; under the cache lock */
  int done;
  pthread_cond_t cond;
  struct cache_result result;
};

struct entry {
  char *key;
  uint64_t hash;
  struct entry *hnext;       /* hash chain */
  struct entry *prev, *next; /* LRU, head = most recent */
  enum entry_kind kind;
  struct doc *doc;       /* ENTRY_DOC */
  char etag[128];        /* ENTRY_INVALID: the bad version */
  long long fresh_until; /* ms */
  struct flight *flight;
  size_t charge;
};

struct cache {
  struct cache_config cfg;
  cache_fetch_fn fetch;
  void *fetch_arg;
  cache_clock_fn clock;
  pthread_mutex_t lock;
  struct entry **buckets;
  size_t nbuckets; /* power of two */
  size_t nentries;
  size_t bytes;
  struct entry *head, *tail;
};

/*************************************************************************
 * Versions
 *************************************************************************/

void doc_retain(struct doc *d)
{
  atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
}

void doc_release(struct doc *d)
{
  if (!d)
    return;
  if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) != 1)
    return;
  free(d->body);
  free(d->gz);
  free(d);
}

const char *cache_source_name(enum cache_source s)
{
  switch (s) {
  case CACHE_HIT:
    return "HIT";
  case CACHE_MISS:
    return "MISS";
  case CACHE_REVALIDATED:
    return "REVALIDATED";
  case CACHE_STALE:
    return "STALE";
  }
  return "MISS";
}

void cache_result_release(struct cache_result *r)
{
  doc_release(r->doc);
  r->doc = NULL;
}

int cache_gzip(const char *in, size_t n, char **out, size_t *out_len)
{
  z_stream z;
  uLong cap;
  char *buf;
  int rc;

  memset(&z, 0, sizeof(z));
  /* 15 + 16: a gzip wrapper, which every HTTP client understands. */
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return -1;
  cap = deflateBound(&z, (uLong)n);
  buf = malloc(cap);
  if (!buf) {
    deflateEnd(&z);
    return -1;
  }
  z.next_in = (const Bytef *)in;
  z.avail_in = (uInt)n;
  z.next_out = (Bytef *)buf;
  z.avail_out = (uInt)cap;
  rc = deflate(&z, Z_FINISH);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) {
    free(buf);
    return -1;
  }
  *out = buf;
  *out_len = z.total_out;
  return 0;
}

/* Builds a version from a fetched object (takes its body). NULL when out of
 * memory. The body was validated by the caller. */
static struct doc *doc_new(struct s3_object *obj, int compress)
{
  struct doc *d = calloc(1, sizeof(*d));

  if (!d)
    return NULL;
  atomic_init(&d->refs, 1);
  d->body = obj->body;
  d->len = obj->len;
  obj->body = NULL;
  memcpy(d->etag, obj->etag, sizeof(d->etag));
  memcpy(d->last_modified, obj->last_modified, sizeof(d->last_modified));
  d->mtime = d->last_modified[0] ? curl_getdate(d->last_modified, NULL) : -1;
  if (compress && d->len > CACHE_GZIP_MIN &&
      cache_gzip(d->body, d->len, &d->gz, &d->gz_len) == 0 &&
      d->gz_len >= d->len) {
    free(d->gz); /* incompressible: serve identity */
    d->gz = NULL;
    d->gz_len = 0;
  }
  return d;
}

/*************************************************************************
 * Table and LRU (all under c->lock)
 *************************************************************************/

static uint64_t hash_key(const char *s)
{
  uint64_t h = 1469598103934665603ULL; /* FNV-1a */

  while (*s)
    h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
  return h;
}

static struct entry *lookup(struct cache *c, const char *key, uint64_t h)
{
  struct entry *e = c->buckets[h & (c->nbuckets - 1)];

  while (e && (e->hash != h || strcmp(e->key, key)))
    e = e->hnext;
  return e;
}

static void lru_unlink(struct cache *c, struct entry *e)
{
  if (e->prev)
    e->prev->next = e->next;
  else
    c->head = e->next;
  if (e->next)
    e->next->prev = e->prev;
  else
    c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push(struct cache *c, struct entry *e)
{
  e->prev = NULL;
  e->next = c->head;
  if (c->head)
    c->head->prev = e;
  c->head = e;
  if (!c->tail)
    c->tail = e;
}

static void grow(struct cache *c)
{
  size_t n = c->nbuckets * 2, i;
  struct entry **b = calloc(n, sizeof(struct entry *));

  if (!b)
    return; /* longer chains, still correct */
  for (i = 0; i < c->nbuckets; i++) {
    struct entry *e = c->buckets[i], *next;
    for (; e; e = next) {
      next = e->hnext;
      e->hnext = b[e->hash & (n - 1)];
      b[e->hash & (n - 1)] = e;
    }
  }
  free(c->buckets);
  c->buckets = b;
  c->nbuckets = n;
}

static struct entry *insert(struct cache *c, const char *key, uint64_t h)
{
  struct entry *e = calloc(1, sizeof(*e));

  if (!e || !(e->key = strdup(key))) {
    free(e);
    return NULL;
  }
  if (c->nentries >= c->nbuckets)
    grow(c);
  e->hash = h;
  e->hnext = c->buckets[h & (c->nbuckets - 1)];
  c->buckets[h & (c->nbuckets - 1)] = e;
  e->charge = ENTRY_OVERHEAD + strlen(key);
  c->bytes += e->charge;
  c->nentries++;
  lru_push(c, e);
  return e;
}

static void remove_entry(struct cache *c, struct entry *e)
{
  struct entry **pp = &c->buckets[e->hash & (c->nbuckets - 1)];

  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  lru_unlink(c, e);
  c->bytes -= e->charge;
  c->nentries--;
  doc_release(e->doc);
  free(e->key);
  free(e);
}

/* Sets what 'e' holds and recharges it. */
static void set_doc(struct cache *c, struct entry *e, struct doc *d)
{
  c->bytes -= e->charge;
  doc_release(e->doc);
  e->doc = d;
  e->charge = ENTRY_OVERHEAD + strlen(e->key) + (d ? d->len + d->gz_len : 0);
  c->bytes += e->charge;
}

/* Least recently used first; entries being fetched stay. */
static void evict(struct cache *c)
{
  struct entry *e = c->tail, *prev;

  while (e && c->bytes > c->cfg.max_bytes) {
    prev = e->prev;
    if (!e->flight) {
      remove_entry(c, e);
      metrics_cache(METRICS_CACHE_EVICTION);
    }
    e = prev;
  }
}

/*************************************************************************
 * Fetching
 *************************************************************************/

static long long real_clock(void)
{
  return clock_now_ms();
}

/* Strict JSON: any value, nothing after it, valid UTF-8, no NUL escapes. */
static int valid_json(const char *key, const char *body, size_t len)
{
  json_error_t err;
  json_t *v = json_loadb(body, len, JSON_DECODE_ANY, &err);

  if (v) {
    json_decref(v);
    return 1;
  }
  log_event(LOG_WARN, "invalid_document",
            json_pack("{s:o,s:s,s:i,s:i}", "key",
                      log_string(key, strlen(key), 600), "reason", err.text,
                      "line", err.line, "column", err.column));
  return 0;
}

static int retryable(enum s3_code rc)
{
  /* What stale-if-error covers: S3 or the network failing, not S3 saying
   * no (403 means access was taken away on purpose). */
  return rc == S3_UNAVAILABLE || rc == S3_TIMEOUT || rc == S3_BAD_RESPONSE ||
         rc == S3_NO_CREDENTIALS || rc == S3_NO_MEMORY;
}

/*
 * One S3 call for 'key', conditional on 'prev_etag' when given. Fills 'out'
 * (doc referenced) and says what the entry should become in '*kind'.
 */
static void fetch(struct cache *c, const char *key, const char *prev_etag,
                  int compress, struct cache_result *out, enum entry_kind *kind,
                  char etag[128])
{
  struct s3_conditions cond = {prev_etag, NULL};
  struct s3_object obj;

  memset(&obj, 0, sizeof(obj));
  out->s3_called = 1;
  out->source = CACHE_MISS;
  out->code =
      c->fetch(c->fetch_arg, key, prev_etag ? &cond : NULL, &obj, &out->diag);
  metrics_s3(METRICS_S3_GET, (int)out->code,
             out->diag.attempts > 0 ? out->diag.attempts : 1,
             (double)out->diag.elapsed_ms / 1e3);
  *kind = ENTRY_EMPTY;
  if (out->code == S3_OK) {
    if (!valid_json(key, obj.body, obj.len)) {
      out->code = S3_BAD_RESPONSE;
      out->invalid_document = 1;
      *kind = ENTRY_INVALID;
    } else if (!(out->doc = doc_new(&obj, compress))) {
      out->code = S3_NO_MEMORY;
    } else {
      *kind = ENTRY_DOC;
    }
  } else if (out->code == S3_NOT_FOUND) {
    *kind = ENTRY_MISSING;
  }
  /* S3_NOT_MODIFIED is resolved by the caller, which has the entry. */
  memcpy(etag, obj.etag, sizeof(obj.etag));
  s3_object_free(&obj);
}

/* TTL 0: no table, no single-flight; still validated. */
static void get_uncached(struct cache *c, const char *key, int want_gzip,
                         struct cache_result *out)
{
  enum entry_kind kind;
  char etag[128];

  fetch(c, key, NULL, want_gzip, out, &kind, etag);
  metrics_cache(METRICS_CACHE_MISS);
}

/* Copies a finished flight's result for a waiter (under the lock). */
static void copy_flight(struct flight *f, struct cache_result *out)
{
  *out = f->result;
  out->s3_called = 0;
  if (out->doc)
    doc_retain(out->doc);
}

static void flight_put(struct flight *f)
{
  if (--f->refs == 0) {
    cache_result_release(&f->result);
    pthread_cond_destroy(&f->cond);
    free(f);
  }
}

/* A fresh entry answers at once. Under the lock. Returns 1 if answered. */
static int answer_fresh(struct cache *c, struct entry *e, long long now,
                        struct cache_result *out)
{
  if (e->kind == ENTRY_EMPTY || now >= e->fresh_until)
    return 0;
  out->source = CACHE_HIT;
  if (e->kind == ENTRY_DOC) {
    out->code = S3_OK;
    out->doc = e->doc;
    doc_retain(e->doc);
  } else if (e->kind == ENTRY_MISSING) {
    out->code = S3_NOT_FOUND;
  } else {
    out->code = S3_BAD_RESPONSE;
    out->invalid_document = 1;
  }
  lru_unlink(c, e);
  lru_push(c, e);
  metrics_cache(METRICS_CACHE_HIT);
  return 1;
}

/* What can be answered without waiting for S3: a fresh entry, or the
 * current version while another request revalidates it, as long as it is
 * less than one S3 time budget past its TTL: then the promise of
 * docs/operations.md (an update is served within TTL + one S3 round trip) holds
 * and HIT is true enough. An older copy is not served while a revalidation is
 * in flight: the request waits for that answer (bounded by the same budget) and
 * gets it with its own label (REVALIDATED, MISS or STALE + Warning). Under the
 * lock. */
static int answer_from_memory(struct cache *c, struct entry *e, long long now,
                              struct cache_result *out)
{
  if (answer_fresh(c, e, now, out))
    return 1;
  if (!e->flight || e->kind != ENTRY_DOC ||
      now >= e->fresh_until + (long long)c->cfg.s3_budget_ms)
    return 0;
  out->code = S3_OK;
  out->source = CACHE_HIT;
  out->doc = e->doc;
  doc_retain(e->doc);
  metrics_cache(METRICS_CACHE_HIT);
  return 1;
}

int cache_peek(struct cache *c, const char *key, struct cache_result *out)
{
  uint64_t h = hash_key(key);
  struct entry *e;
  int hit = 0;

  memset(out, 0, sizeof(*out));
  if (c->cfg.ttl_s == 0)
    return 0;
  pthread_mutex_lock(&c->lock);
  e = lookup(c, key, h);
  if (e)
    hit = answer_from_memory(c, e, c->clock(), out);
  pthread_mutex_unlock(&c->lock);
  return hit;
}

/* The leader's result becomes the entry's new state. Under the lock. */
static void publish(struct cache *c, struct entry *e, enum entry_kind kind,
                    const char *etag, long long now, struct cache_result *res)
{
  unsigned neg = c->cfg.negative_ttl_s < c->cfg.ttl_s ? c->cfg.negative_ttl_s
                                                      : c->cfg.ttl_s;

  if (res->code == S3_NOT_MODIFIED && e->kind == ENTRY_DOC) {
    res->code = S3_OK;
    res->source = CACHE_REVALIDATED;
    res->doc = e->doc;
    doc_retain(e->doc);
    e->fresh_until = now + (long long)c->cfg.ttl_s * 1000;
    metrics_cache(METRICS_CACHE_REVALIDATED);
  } else if (res->code == S3_NOT_MODIFIED) {
    /* Still the same invalid version. */
    res->code = S3_BAD_RESPONSE;
    res->invalid_document = 1;
    e->fresh_until = now + (long long)neg * 1000;
    metrics_cache(METRICS_CACHE_REVALIDATED);
  } else if (kind == ENTRY_DOC) {
    doc_retain(res->doc);
    set_doc(c, e, res->doc);
    e->kind = ENTRY_DOC;
    e->fresh_until = now + (long long)c->cfg.ttl_s * 1000;
    metrics_cache(METRICS_CACHE_MISS);
  } else if (kind == ENTRY_MISSING || kind == ENTRY_INVALID) {
    set_doc(c, e, NULL);
    e->kind = kind;
    snprintf(e->etag, sizeof(e->etag), "%s", kind == ENTRY_INVALID ? etag : "");
    e->fresh_until = now + (long long)neg * 1000;
    metrics_cache(METRICS_CACHE_MISS);
  } else if (e->kind == ENTRY_DOC && retryable(res->code) &&
             now < e->fresh_until + (long long)c->cfg.stale_if_error_s * 1000) {
    res->code = S3_OK;
    res->source = CACHE_STALE;
    res->doc = e->doc;
    doc_retain(e->doc);
    metrics_cache(METRICS_CACHE_STALE);
  } else {
    /* An error with nothing to fall back on: keep no state. */
    e->kind = ENTRY_EMPTY;
    set_doc(c, e, NULL);
    metrics_cache(METRICS_CACHE_MISS);
  }
}

void cache_get(struct cache *c, const char *key, int want_gzip,
               struct cache_result *out)
{
  uint64_t h = hash_key(key);
  struct entry *e;
  struct flight *f;
  enum entry_kind kind;
  char etag[128], new_etag[128];
  long long now = c->clock();

  memset(out, 0, sizeof(*out));
  if (c->cfg.ttl_s == 0) {
    get_uncached(c, key, want_gzip, out);
    return;
  }
  pthread_mutex_lock(&c->lock);
  e = lookup(c, key, h);
  if (e && answer_from_memory(c, e, now, out)) {
    pthread_mutex_unlock(&c->lock);
    return;
  }
  if (e && e->flight) { /* someone is fetching it: wait for that answer */
    f = e->flight;
    f->refs++;
    while (!f->done)
      pthread_cond_wait(&f->cond, &c->lock);
    copy_flight(f, out);
    flight_put(f);
    metrics_cache(METRICS_CACHE_COALESCED);
    pthread_mutex_unlock(&c->lock);
    return;
  }
  if (!e && !(e = insert(c, key, h))) {
    pthread_mutex_unlock(&c->lock);
    get_uncached(c, key, 1, out);
    return;
  }
  f = calloc(1, sizeof(*f));
  if (!f) {
    pthread_mutex_unlock(&c->lock);
    get_uncached(c, key, 1, out);
    return;
  }
  pthread_cond_init(&f->cond, NULL);
  f->refs = 1;
  e->flight = f;
  etag[0] = '\0';
  if (e->kind == ENTRY_DOC)
    snprintf(etag, sizeof(etag), "%s", e->doc->etag);
  else if (e->kind == ENTRY_INVALID)
    snprintf(etag, sizeof(etag), "%s", e->etag);
  pthread_mutex_unlock(&c->lock);

  fetch(c, key, etag[0] ? etag : NULL, 1, out, &kind, new_etag);

  pthread_mutex_lock(&c->lock);
  now = c->clock();
  publish(c, e, kind, new_etag, now, out);
  f->result = *out;
  f->result.s3_called = 0;
  if (f->result.doc)
    doc_retain(f->result.doc);
  f->done = 1;
  e->flight = NULL;
  pthread_cond_broadcast(&f->cond);
  flight_put(f);
  /* Nothing to keep, or larger than the whole cache (served, not kept). */
  if (e->kind == ENTRY_EMPTY || e->charge > c->cfg.max_bytes)
    remove_entry(c, e);
  evict(c);
  pthread_mutex_unlock(&c->lock);
}

/*************************************************************************
 * Life cycle
 *************************************************************************/

struct cache *cache_new(const struct cache_config *cfg, cache_fetch_fn fetch_fn,
                        void *fetch_arg, cache_clock_fn clock)
{
  struct cache *c = calloc(1, sizeof(*c));

  if (!c)
    return NULL;
  c->cfg = *cfg;
  c->fetch = fetch_fn;
  c->fetch_arg = fetch_arg;
  c->clock = clock ? clock : real_clock;
  c->nbuckets = 64;
  c->buckets = calloc(c->nbuckets, sizeof(struct entry *));
  if (!c->buckets) {
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->lock, NULL);
  return c;
}

void cache_free(struct cache *c)
{
  if (!c)
    return;
  for (struct entry *e = c->head, *next; e; e = next) {
    next = e->next;
    remove_entry(c, e);
  }
  free(c->buckets);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

void cache_stats(struct cache *c, size_t *bytes, size_t *entries)
{
  pthread_mutex_lock(&c->lock);
  *bytes = c->bytes;
  *entries = c->nentries;
  pthread_mutex_unlock(&c->lock);
}
