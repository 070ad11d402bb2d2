/* routes.h -- what each URL does, and the one place errors become HTTP
 *
 *   GET|HEAD /api/{name}  the document {prefix}{name}.json from S3
 *   GET|HEAD /api         list of document names, paged (?limit=, ?cursor=)
 *   GET|HEAD /healthz     200 while the process runs (ALB health check)
 *   GET|HEAD /readyz      200 when credentials and S3 work, 503 otherwise
 *   GET|HEAD /metrics     Prometheus text
 *
 * Routes know nothing about sockets: http/server.c turns a connection into
 * a struct http_request and a struct http_reply back into bytes, so this
 * file can be read (and tested) as plain request -> reply logic.
 */
#ifndef HEADER_S3JSON_ROUTES_H
#define HEADER_S3JSON_ROUTES_H

#include <stddef.h>

#include "../metrics.h"   /* enum metrics_route */
#include "../s3/client.h" /* struct s3_diag */

struct aws_cred_provider;
struct cache;
struct health;
struct settings;
struct store;

/* Looks up a request header or query argument; NULL when absent. */
typedef const char *(*http_lookup_fn)(void *conn, const char *name);

struct http_request {
  const char *method; /* as received */
  const char *path;   /* raw (still percent-encoded), no query */
  http_lookup_fn header;
  http_lookup_fn query; /* values raw, still percent-encoded */
  void *conn;           /* passed to the lookups */
};

#define HTTP_REPLY_MAX_HEADERS 12

struct http_header {
  const char *name; /* static string */
  char value[160];
};

struct http_reply {
  int status;
  char *body; /* malloc'd, or owned by 'release_arg' */
  size_t len; /* of 'body'; for a 304, of the selected representation */
  void (*release)(void *arg); /* NULL: body is malloc'd; else called once
                                 the body has been sent */
  void *release_arg;
  enum metrics_route route;
  struct http_header headers[HTTP_REPLY_MAX_HEADERS];
  int nheaders;
  /* For the access log. */
  const char *error; /* our error code ("not_found", ...) or NULL */
  const char *cache; /* X-Cache value, or NULL when not a document */
  struct s3_diag s3; /* http_status 0 when S3 was not called */
  int s3_called;
};

void http_reply_init(struct http_reply *r);
void http_reply_free(struct http_reply *r);
/* Adds a header (value cut to fit); silently ignored past the maximum. */
void http_reply_header(struct http_reply *r, const char *name,
                       const char *value);

struct routes; /* opaque, thread-safe */

struct routes *routes_new(const struct settings *s, const struct store *st,
                          struct cache *cache, struct health *health,
                          struct aws_cred_provider *creds);
void routes_free(struct routes *r);

/* The request headers and query arguments routes read: the server copies
 * them before handing a request to a worker thread. */
#define ROUTES_HEADERS                                                         \
  {                                                                            \
    "If-None-Match", "If-Modified-Since", "Accept-Encoding"                    \
  }
#define ROUTES_QUERY                                                           \
  {                                                                            \
    "limit", "cursor"                                                          \
  }

/*
 * Answers 'req' if that needs no S3 call (probes, bad requests, cache hits)
 * and returns 1. Returns 0, with 'rep' untouched, when only routes_handle
 * can answer it, because that may wait for S3: the server then runs it on
 * a worker thread, so its event loops never block.
 */
int routes_answer_now(struct routes *r, const struct http_request *req,
                      struct http_reply *rep);

/* Fills 'rep' for 'req'. Never fails: every error becomes a JSON reply.
 * May block on S3 for up to the S3 timeout. */
void routes_handle(struct routes *r, const struct http_request *req,
                   struct http_reply *rep);

/* A JSON error body {"error":code,"message":msg} with 'status'. Exposed
 * because the server answers some requests itself (limits, overload). */
void routes_error(struct http_reply *rep, int status, const char *code,
                  const char *message);

#endif /* HEADER_S3JSON_ROUTES_H */
