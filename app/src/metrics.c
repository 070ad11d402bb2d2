/* metrics.c -- counters and histograms, rendered as Prometheus text */
#include <stdatomic.h>
#include <string.h>

#include "auth/verify.h"
#include "metrics.h"
#include "s3/client.h"
#include "util/buf.h"

/* Statuses we answer with; anything else is counted as "other". */
static const int statuses[] = {200, 304, 400, 401, 403, 404, 405,
                               414, 505, 431, 500, 502, 503, 504};
#define NSTATUS (sizeof(statuses) / sizeof(statuses[0]) + 1)

/* Latency buckets in seconds: from a cache hit (sub-millisecond) to an S3
 * call at its timeout. */
static const double bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                0.1,    0.25,  0.5,    1,     2.5,  5};
#define NBUCKET (sizeof(bounds) / sizeof(bounds[0]) + 1) /* + "+Inf" */

#define NOUTCOME (S3_NO_MEMORY + 1)

struct histogram {
  atomic_ulong buckets[NBUCKET]; /* not cumulative; summed when rendered */
  atomic_ulong count;
  atomic_ullong sum_us; /* microseconds, to stay integral */
};

static atomic_ulong requests[METRICS_ROUTE_COUNT][NSTATUS];
static struct histogram request_seconds[METRICS_ROUTE_COUNT];
static atomic_long inflight;
static atomic_ulong http_yields;
static atomic_ulong cache_events[METRICS_CACHE_COUNT];
static atomic_ulong auth_results[AUTH_RESULT_COUNT];
static atomic_ulong s3_calls[METRICS_S3_OP_COUNT][NOUTCOME];
static atomic_ulong s3_retries[METRICS_S3_OP_COUNT];
static struct histogram s3_seconds[METRICS_S3_OP_COUNT];

static const char *route_names[METRICS_ROUTE_COUNT] = {
    "document", "list", "healthz", "readyz", "metrics", "other"};
static const char *cache_names[METRICS_CACHE_COUNT] = {
    "hits", "misses", "revalidations", "stale", "evictions", "coalesced"};
static const char *op_names[METRICS_S3_OP_COUNT] = {"GetObject",
                                                    "ListObjectsV2"};

static void observe(struct histogram *h, double seconds)
{
  size_t i = 0;

  while (i < NBUCKET - 1 && seconds > bounds[i])
    i++;
  atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
  if (seconds > 0)
    atomic_fetch_add_explicit(&h->sum_us, (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

void metrics_request(enum metrics_route route, int status, double seconds)
{
  size_t i = 0;

  if ((unsigned)route >= METRICS_ROUTE_COUNT)
    route = METRICS_ROUTE_OTHER;
  while (i < NSTATUS - 1 && statuses[i] != status)
    i++;
  atomic_fetch_add_explicit(&requests[route][i], 1, memory_order_relaxed);
  observe(&request_seconds[route], seconds);
}

void metrics_http_yield(void)
{
  atomic_fetch_add_explicit(&http_yields, 1, memory_order_relaxed);
}

void metrics_inflight(int delta)
{
  atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

void metrics_cache(enum metrics_cache_event e)
{
  if ((unsigned)e < METRICS_CACHE_COUNT)
    atomic_fetch_add_explicit(&cache_events[e], 1, memory_order_relaxed);
}

void metrics_s3(enum metrics_s3_op op, int outcome, int attempts,
                double seconds)
{
  if ((unsigned)op >= METRICS_S3_OP_COUNT)
    return;
  if (outcome < 0 || outcome >= (int)NOUTCOME)
    outcome = S3_BAD_RESPONSE;
  atomic_fetch_add_explicit(&s3_calls[op][outcome], 1, memory_order_relaxed);
  if (attempts > 1)
    atomic_fetch_add_explicit(&s3_retries[op], (unsigned long)attempts - 1,
                              memory_order_relaxed);
  observe(&s3_seconds[op], seconds);
}

void metrics_auth(int result)
{
  if (result >= 0 && result < AUTH_RESULT_COUNT)
    atomic_fetch_add_explicit(&auth_results[result], 1, memory_order_relaxed);
}

/* Only the outcomes seen: with S3JSON_AUTH=none there is no such line. */
static int render_auth(struct buf *out)
{
  int rc = 0, head = 0;

  for (int i = 0; i < AUTH_RESULT_COUNT; i++) {
    unsigned long n =
        atomic_load_explicit(&auth_results[i], memory_order_relaxed);
    if (!n)
      continue;
    if (!head++)
      rc |=
          buf_append_str(out, "# HELP s3json_auth_total Bearer-token decisions "
                              "by result.\n# TYPE s3json_auth_total counter\n");
    rc |= buf_printf(out, "s3json_auth_total{result=\"%s\"} %lu\n",
                     auth_result_name((enum auth_result)i), n);
  }
  return rc;
}

static int render_histogram(struct buf *out, const char *name,
                            const char *label, const char *value,
                            struct histogram *h)
{
  unsigned long cum = 0;
  size_t i;
  int rc = 0;

  for (i = 0; i < NBUCKET; i++) {
    cum += atomic_load_explicit(&h->buckets[i], memory_order_relaxed);
    if (i < NBUCKET - 1)
      rc |= buf_printf(out, "%s_bucket{%s=\"%s\",le=\"%g\"} %lu\n", name, label,
                       value, bounds[i], cum);
    else
      rc |= buf_printf(out, "%s_bucket{%s=\"%s\",le=\"+Inf\"} %lu\n", name,
                       label, value, cum);
  }
  rc |= buf_printf(
      out, "%s_sum{%s=\"%s\"} %.6f\n%s_count{%s=\"%s\"} %lu\n", name, label,
      value,
      (double)atomic_load_explicit(&h->sum_us, memory_order_relaxed) / 1e6,
      name, label, value,
      atomic_load_explicit(&h->count, memory_order_relaxed));
  return rc;
}

static int render_requests(struct buf *out)
{
  int rc = buf_append_str(
      out, "# HELP s3json_http_requests_total HTTP requests answered.\n"
           "# TYPE s3json_http_requests_total counter\n");
  for (size_t r = 0; r < METRICS_ROUTE_COUNT; r++)
    for (size_t s = 0; s < NSTATUS; s++) {
      unsigned long n =
          atomic_load_explicit(&requests[r][s], memory_order_relaxed);
      if (!n)
        continue;
      if (s < NSTATUS - 1)
        rc |= buf_printf(out,
                         "s3json_http_requests_total{route=\"%s\","
                         "status=\"%d\"} %lu\n",
                         route_names[r], statuses[s], n);
      else
        rc |= buf_printf(out,
                         "s3json_http_requests_total{route=\"%s\","
                         "status=\"other\"} %lu\n",
                         route_names[r], n);
    }
  rc |= buf_append_str(
      out, "# HELP s3json_http_request_duration_seconds Time from request "
           "line to reply queued.\n"
           "# TYPE s3json_http_request_duration_seconds histogram\n");
  for (size_t r = 0; r < METRICS_ROUTE_COUNT; r++)
    rc |= render_histogram(out, "s3json_http_request_duration_seconds", "route",
                           route_names[r], &request_seconds[r]);
  rc |= buf_printf(out,
                   "# HELP s3json_http_requests_in_flight Requests being "
                   "served.\n# TYPE s3json_http_requests_in_flight gauge\n"
                   "s3json_http_requests_in_flight %ld\n",
                   atomic_load_explicit(&inflight, memory_order_relaxed));
  return rc;
}

static int render_cache(struct buf *out, const struct metrics_gauges *g)
{
  int rc = 0;

  for (size_t i = 0; i < METRICS_CACHE_COUNT; i++)
    rc |= buf_printf(
        out,
        "# TYPE s3json_cache_%s_total counter\n"
        "s3json_cache_%s_total %lu\n",
        cache_names[i], cache_names[i],
        atomic_load_explicit(&cache_events[i], memory_order_relaxed));
  rc |= buf_printf(out,
                   "# HELP s3json_cache_bytes Bytes held by the document "
                   "cache.\n# TYPE s3json_cache_bytes gauge\n"
                   "s3json_cache_bytes %zu\n"
                   "# TYPE s3json_cache_entries gauge\n"
                   "s3json_cache_entries %zu\n",
                   g->cache_bytes, g->cache_entries);
  return rc;
}

static int render_s3(struct buf *out)
{
  int rc = buf_append_str(
      out, "# HELP s3json_s3_requests_total S3 calls by outcome (retries "
           "included in one call).\n"
           "# TYPE s3json_s3_requests_total counter\n");
  for (size_t op = 0; op < METRICS_S3_OP_COUNT; op++)
    for (int o = 0; o < (int)NOUTCOME; o++) {
      unsigned long n =
          atomic_load_explicit(&s3_calls[op][o], memory_order_relaxed);
      if (n)
        rc |= buf_printf(out,
                         "s3json_s3_requests_total{operation=\"%s\","
                         "outcome=\"%s\"} %lu\n",
                         op_names[op], s3_code_name((enum s3_code)o), n);
    }
  rc |= buf_append_str(out, "# TYPE s3json_s3_retries_total counter\n");
  for (size_t op = 0; op < METRICS_S3_OP_COUNT; op++)
    rc |= buf_printf(
        out, "s3json_s3_retries_total{operation=\"%s\"} %lu\n", op_names[op],
        atomic_load_explicit(&s3_retries[op], memory_order_relaxed));
  rc |= buf_append_str(
      out, "# HELP s3json_s3_request_duration_seconds S3 call latency, "
           "retries included.\n"
           "# TYPE s3json_s3_request_duration_seconds histogram\n");
  for (size_t op = 0; op < METRICS_S3_OP_COUNT; op++)
    rc |= render_histogram(out, "s3json_s3_request_duration_seconds",
                           "operation", op_names[op], &s3_seconds[op]);
  return rc;
}

int metrics_render(struct buf *out, const struct metrics_gauges *g)
{
  int rc = render_requests(out);

  rc |= render_cache(out, g);
  rc |= render_s3(out);
  rc |= render_auth(out);
  rc |= buf_printf(out,
                   "# HELP s3json_credential_refreshes_total Temporary "
                   "credentials fetched again before expiry.\n"
                   "# TYPE s3json_credential_refreshes_total counter\n"
                   "s3json_credential_refreshes_total %lu\n"
                   "# HELP s3json_http_yields_total Times an HTTP thread, "
                   "busy for S3JSON_HTTP_YIELD_US without waiting for the "
                   "network, let other threads have its CPU.\n"
                   "# TYPE s3json_http_yields_total counter\n"
                   "s3json_http_yields_total %lu\n"
                   "# TYPE s3json_ready gauge\ns3json_ready %d\n",
                   g->credential_refreshes,
                   atomic_load_explicit(&http_yields, memory_order_relaxed),
                   g->ready);
  return rc ? -1 : 0;
}

void metrics_reset(void)
{
  memset((void *)requests, 0, sizeof(requests));
  memset((void *)request_seconds, 0, sizeof(request_seconds));
  memset((void *)cache_events, 0, sizeof(cache_events));
  memset((void *)s3_calls, 0, sizeof(s3_calls));
  memset((void *)auth_results, 0, sizeof(auth_results));
  memset((void *)s3_retries, 0, sizeof(s3_retries));
  memset((void *)s3_seconds, 0, sizeof(s3_seconds));
  atomic_store(&inflight, 0);
  atomic_store(&http_yields, 0);
}
