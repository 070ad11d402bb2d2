/* cache.h -- the document cache between routes and S3
 *
 * Every GET /api/{name} goes through cache_get(), which answers from memory
 * while an entry is fresh (S3JSON_CACHE_TTL_SECONDS) and otherwise makes
 * exactly one S3 call per name at a time (single-flight: concurrent misses
 * wait for the leader's answer). A stale entry is revalidated with
 * If-None-Match, so an unchanged document costs S3 a 304 and no body.
 * When S3 fails, the last good copy is served for up to
 * S3JSON_STALE_IF_ERROR_SECONDS past its freshness. 404s and invalid
 * documents are remembered briefly too, so a hot missing name cannot turn
 * into an S3 request storm. Memory is bounded (S3JSON_CACHE_MAX_BYTES, LRU).
 *
 * Bodies are validated as JSON and gzip-compressed once per version, when
 * they enter the cache. A version (struct doc) is immutable and reference
 * counted: a reply being sent keeps its version alive after eviction or
 * replacement.
 *
 * TTL 0 turns storing off: every request fetches (and validates) again.
 */
#ifndef HEADER_S3JSON_CACHE_H
#define HEADER_S3JSON_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <time.h>

#include "../s3/client.h"

/* Bodies up to this size are not compressed: gzip's header and the CPU
 * cost are not worth it. */
#define CACHE_GZIP_MIN 1024

/* One version of one document. Immutable once published. */
struct doc {
  atomic_int refs;
  char *body; /* the object's bytes, unchanged */
  size_t len;
  char *gz; /* gzip of body, NULL when not worth it */
  size_t gz_len;
  char etag[128];         /* S3's ETag, quotes included */
  char last_modified[64]; /* S3's Last-Modified, HTTP date */
  time_t mtime;           /* Last-Modified parsed; -1 when unknown */
};

void doc_retain(struct doc *d);
void doc_release(struct doc *d); /* accepts NULL */

enum cache_source {
  CACHE_HIT = 0,     /* fresh entry, no S3 call */
  CACHE_MISS,        /* fetched from S3 (or waited for the fetch) */
  CACHE_REVALIDATED, /* S3 said 304: the entry is fresh again */
  CACHE_STALE        /* S3 failed: the last good copy, past freshness */
};

const char *cache_source_name(enum cache_source s); /* "HIT", ... */

struct cache_result {
  enum s3_code code;    /* S3_OK with 'doc', or the error to answer */
  int invalid_document; /* code S3_BAD_RESPONSE: the object is not JSON */
  struct doc *doc;      /* a reference: cache_result_release() it */
  enum cache_source source;
  int s3_called; /* 'diag' describes this request's S3 call */
  struct s3_diag diag;
};

void cache_result_release(struct cache_result *r);

struct cache_config {
  unsigned ttl_s;   /* 0 = do not store */
  size_t max_bytes; /* bodies + gzip copies + bookkeeping */
  unsigned stale_if_error_s;
  unsigned negative_ttl_s; /* for 404 and invalid documents */
  long s3_budget_ms;       /* S3JSON_S3_TIMEOUT_MS: while another request
                              revalidates, a copy less than this past its TTL
                              is served as HIT; an older one waits for S3 */
};

/* How the cache fetches: s3_get_object's contract. Tests pass a fake. */
typedef enum s3_code (*cache_fetch_fn)(void *arg, const char *key,
                                       const struct s3_conditions *cond,
                                       struct s3_object *out,
                                       struct s3_diag *diag);
/* Milliseconds on a monotonic clock. Tests pass a fake; NULL = real. */
typedef long long (*cache_clock_fn)(void);

struct cache; /* opaque, thread-safe */

struct cache *cache_new(const struct cache_config *c, cache_fetch_fn fetch,
                        void *fetch_arg, cache_clock_fn clock);
void cache_free(struct cache *c); /* accepts NULL */

/*
 * The document at 'key'. 'want_gzip' only matters with TTL 0 (a cached
 * version is always compressed on entry). Never fails to fill 'out'.
 */
void cache_get(struct cache *c, const char *key, int want_gzip,
               struct cache_result *out);

/*
 * The document at 'key' if memory can answer now (fresh, or being
 * revalidated by another request and less than s3_budget_ms past its
 * TTL): returns 1 with 'out' filled as by
 * cache_get. Returns 0 without touching S3 when cache_get would have to
 * fetch or wait; the caller then calls cache_get where blocking is fine.
 */
int cache_peek(struct cache *c, const char *key, struct cache_result *out);

void cache_stats(struct cache *c, size_t *bytes, size_t *entries);

/* Pure helpers, exposed for unit tests. */
int cache_gzip(const char *in, size_t n, char **out, size_t *out_len);

#endif /* HEADER_S3JSON_CACHE_H */
