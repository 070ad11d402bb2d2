/* metrics.h -- counters and histograms, rendered as Prometheus text
 *
 * Process-wide (one service per process), lock-free: every update is one
 * relaxed atomic add, so the request path pays a few nanoseconds. Called
 * from the edges (server, cache); GET /metrics renders them.
 */
#ifndef HEADER_S3JSON_METRICS_H
#define HEADER_S3JSON_METRICS_H

#include <stddef.h>

struct buf; /* util/buf.h */

enum metrics_route {
  METRICS_ROUTE_DOCUMENT = 0, /* /api/{name} */
  METRICS_ROUTE_LIST,         /* /api */
  METRICS_ROUTE_HEALTHZ,
  METRICS_ROUTE_READYZ,
  METRICS_ROUTE_METRICS,
  METRICS_ROUTE_OTHER, /* unknown paths, refused requests */
  METRICS_ROUTE_COUNT
};

enum metrics_cache_event {
  METRICS_CACHE_HIT = 0,
  METRICS_CACHE_MISS,
  METRICS_CACHE_REVALIDATED,
  METRICS_CACHE_STALE,
  METRICS_CACHE_EVICTION,
  METRICS_CACHE_COALESCED, /* waited for another request's S3 call */
  METRICS_CACHE_COUNT
};

enum metrics_s3_op { METRICS_S3_GET = 0, METRICS_S3_LIST, METRICS_S3_OP_COUNT };

void metrics_request(enum metrics_route route, int status, double seconds);
void metrics_inflight(int delta);
void metrics_cache(enum metrics_cache_event e);
/* One S3 call (all its attempts): 'outcome' is an s3_code name
 * ("ok", "not_found", ...), 'attempts' >= 1. */
void metrics_s3(enum metrics_s3_op op, int outcome, int attempts,
                double seconds);

/* One authentication decision (S3JSON_AUTH=jwt): 'result' is an
 * enum auth_result (auth/verify.h), counted by its name. */
void metrics_auth(int result);

/* An HTTP thread gave up its CPU after a busy stretch (http/loop.c). */
void metrics_http_yield(void);

/* Values owned by other modules, read when rendering. */
struct metrics_gauges {
  size_t cache_bytes;
  size_t cache_entries;
  unsigned long credential_refreshes;
  int ready;
};

/* Appends the Prometheus text exposition (version 0.0.4) to 'out'. */
int metrics_render(struct buf *out, const struct metrics_gauges *g);

/* Test hook: zeroes every counter. */
void metrics_reset(void);

#endif /* HEADER_S3JSON_METRICS_H */
