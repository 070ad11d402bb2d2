/* test_routes.c -- http/routes.c alone: request -> reply, no sockets.
 *
 * Documents come from the real cache over a fake fetch (as test_cache.c);
 * the listing comes from the real S3 client talking to a one-shot HTTP
 * server on 127.0.0.1 that answers a canned ListObjectsV2 page and keeps
 * the request line, so the query routes sent can be checked too. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "aws/credentials.h"
#include "fake_objects.h"
#include "health.h"
#include "http/routes.h"
#include "settings.h"
#include "store/cache.h"
#include "store/store.h"

/*************************************************************************
 * The fake fetch behind the cache (fake_objects.h)
 *************************************************************************/

static enum s3_code forced = S3_OK; /* S3_OK = behave normally */
static int fetches;

static enum s3_code fake_fetch(void *arg, const char *key,
                               const struct s3_conditions *cond,
                               struct s3_object *out, struct s3_diag *diag)
{
  (void)arg;
  fetches++;
  diag->attempts = 1;
  if (forced != S3_OK)
    return forced;
  return fake_objects_get(key, cond, out);
}

static long long fake_now = 1000000;

static long long fake_clock(void)
{
  return fake_now;
}

/*************************************************************************
 * The fake S3 for ListObjectsV2: one connection at a time, then close
 *************************************************************************/

static int listen_fd = -1, srv_port, srv_stop;
static pthread_t srv_thread;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static char srv_request_line[2048]; /* the last one received */
static int srv_requests;
static int srv_status = 200;
static const char *srv_body = "";

static void serve_one(int fd)
{
  char req[8192], head[256];
  size_t n = 0;
  ssize_t r;
  int status;
  const char *body;

  while (n < sizeof(req) - 1 &&
         (r = read(fd, req + n, sizeof(req) - 1 - n)) > 0) {
    n += (size_t)r;
    req[n] = '\0';
    if (strstr(req, "\r\n\r\n"))
      break;
  }
  req[n] = '\0';
  pthread_mutex_lock(&srv_lock);
  snprintf(srv_request_line, sizeof(srv_request_line), "%.*s",
           (int)strcspn(req, "\r\n"), req);
  srv_requests++;
  status = srv_status;
  body = srv_body;
  pthread_mutex_unlock(&srv_lock);
  snprintf(head, sizeof(head),
           "HTTP/1.1 %d X\r\nContent-Type: application/xml\r\n"
           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
           status, strlen(body));
  if (write(fd, head, strlen(head)) < 0 || write(fd, body, strlen(body)) < 0)
    fprintf(stderr, "fake S3: write failed\n");
}

static void *serve(void *arg)
{
  (void)arg;
  while (!__atomic_load_n(&srv_stop, __ATOMIC_SEQ_CST)) {
    struct pollfd p = {listen_fd, POLLIN, 0};
    int fd;

    if (poll(&p, 1, 50) <= 0)
      continue;
    fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    serve_one(fd);
    close(fd);
  }
  return NULL;
}

static int server_start(void)
{
  struct sockaddr_in a;
  socklen_t alen = sizeof(a);

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
      listen(listen_fd, 8) ||
      getsockname(listen_fd, (struct sockaddr *)&a, &alen))
    return -1;
  srv_port = ntohs(a.sin_port);
  return pthread_create(&srv_thread, NULL, serve, NULL);
}

static void server_stop(void)
{
  __atomic_store_n(&srv_stop, 1, __ATOMIC_SEQ_CST);
  pthread_join(srv_thread, NULL);
  close(listen_fd);
}

static void s3_answers(int status, const char *body)
{
  pthread_mutex_lock(&srv_lock);
  srv_status = status;
  srv_body = body;
  pthread_mutex_unlock(&srv_lock);
}

static int s3_requests(char *line, size_t cap)
{
  int n;

  pthread_mutex_lock(&srv_lock);
  n = srv_requests;
  if (line)
    snprintf(line, cap, "%s", srv_request_line);
  pthread_mutex_unlock(&srv_lock);
  return n;
}

/*************************************************************************
 * The routes under test, and requests to them
 *************************************************************************/

static struct settings settings;
static struct aws_cred_provider *creds;
static struct s3_client *s3;
static struct store store;
static struct health *health;
static struct cache *cache;
static struct routes *routes;

static int group_setup(void **state)
{
  struct aws_env env;
  struct s3_client_config cfg;
  static char endpoint[64];
  char err[256];

  (void)state;
  if (server_start())
    return -1;
  memset(&env, 0, sizeof(env));
  env.access_key_id = "AKIDTEST";
  env.secret_access_key = "secret";
  env.imds_disabled = 1;
  creds = aws_cred_provider_new(&env, 1000, err, sizeof(err));
  snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", srv_port);
  memset(&cfg, 0, sizeof(cfg));
  cfg.bucket = "docs";
  cfg.region = "us-east-1";
  cfg.endpoint_url = endpoint;
  cfg.timeout_ms = 2000;
  cfg.max_attempts = 1; /* a 5xx answer is final: no backoff in tests */
  cfg.max_object_bytes = 1 << 20;
  cfg.creds = creds;
  s3 = creds ? s3_client_new(&cfg, err, sizeof(err)) : NULL;
  settings.prefix = "p/";
  settings.client_max_age_s = 30;
  store_s3(&store, s3);
  health = health_new(&store, creds, settings.prefix, 10);
  return s3 && health ? 0 : -1;
}

static int group_teardown(void **state)
{
  (void)state;
  health_free(health);
  s3_client_free(s3);
  aws_cred_provider_free(creds);
  server_stop();
  return 0;
}

/* A fresh cache and routes for each test. */
static int setup(void **state)
{
  struct cache_config cfg = {60, 1 << 20, 0, 2, 2000};

  (void)state;
  nobjects = 0;
  forced = S3_OK;
  fetches = 0;
  cache = cache_new(&cfg, fake_fetch, NULL, fake_clock);
  routes = cache ? routes_new(&settings, &store, cache, health, creds) : NULL;
  return routes ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  routes_free(routes);
  cache_free(cache);
  return 0;
}

/* Request headers and query arguments: NULL-terminated name/value pairs. */
struct conn {
  const char *hdr[8];
  const char *qry[8];
};

static const char *find(const char *const *kv, const char *name)
{
  for (; kv[0]; kv += 2)
    if (!strcasecmp(kv[0], name))
      return kv[1];
  return NULL;
}

static const char *header_fn(void *c, const char *name)
{
  return find(((struct conn *)c)->hdr, name);
}

static const char *query_fn(void *c, const char *name)
{
  return find(((struct conn *)c)->qry, name);
}

static int answered_now; /* the last request: by routes_answer_now */

/* Runs a request as server.c does: answer_now, else handle. */
static int run(const char *method, const char *path, struct conn *c,
               struct http_reply *rep)
{
  static struct conn none;
  struct http_request req = {method, path, header_fn, query_fn, c ? c : &none};

  http_reply_init(rep);
  answered_now = routes_answer_now(routes, &req, rep);
  if (!answered_now) {
    /* The contract: 'rep' untouched when it cannot answer now. */
    assert_int_equal(rep->status, 0);
    assert_null(rep->body);
    routes_handle(routes, &req, rep);
  }
  return rep->status;
}

static const char *header(const struct http_reply *rep, const char *name)
{
  int i;

  for (i = 0; i < rep->nheaders; i++)
    if (!strcasecmp(rep->headers[i].name, name))
      return rep->headers[i].value;
  return NULL;
}

/* The reply body parsed; fails the test unless it is a JSON object. */
static json_t *body_json(const struct http_reply *rep)
{
  json_error_t err;
  json_t *v;

  assert_non_null(rep->body);
  v = json_loadb(rep->body, rep->len, 0, &err);
  assert_non_null(v);
  assert_true(json_is_object(v));
  return v;
}

/* A JSON error reply with 'status' and "error": 'code'. */
static void expect_error(const char *method, const char *path, struct conn *c,
                         int status, const char *code)
{
  struct http_reply rep;
  json_t *v;

  assert_int_equal(run(method, path, c, &rep), status);
  assert_string_equal(header(&rep, "Content-Type"),
                      "application/json; charset=utf-8");
  v = body_json(&rep);
  assert_string_equal(json_string_value(json_object_get(v, "error")), code);
  assert_non_null(json_string_value(json_object_get(v, "message")));
  assert_string_equal(rep.error, code);
  json_decref(v);
  http_reply_free(&rep);
}

/*************************************************************************
 * /api/{name}
 *************************************************************************/

static void test_document(void **state)
{
  struct http_reply rep;

  (void)state;
  put("p/a.json", "{\"x\":1}", "\"e1\"");
  assert_int_equal(run("GET", "/api/a", NULL, &rep), 200);
  assert_false(answered_now); /* a miss waits for S3: not on the loop */
  assert_int_equal(rep.route, METRICS_ROUTE_DOCUMENT);
  assert_int_equal(rep.len, 7);
  assert_memory_equal(rep.body, "{\"x\":1}", 7);
  assert_string_equal(header(&rep, "Content-Type"),
                      "application/json; charset=utf-8");
  assert_string_equal(header(&rep, "ETag"), "\"e1\"");
  assert_string_equal(header(&rep, "Last-Modified"),
                      "Tue, 24 Nov 2026 20:00:00 GMT");
  assert_string_equal(header(&rep, "Cache-Control"), "max-age=30");
  assert_string_equal(header(&rep, "Vary"), "Accept-Encoding");
  assert_string_equal(header(&rep, "X-Cache"), "MISS");
  assert_null(header(&rep, "Content-Encoding"));
  http_reply_free(&rep);

  /* Cached now: answered on the event loop, no second fetch. */
  assert_int_equal(run("HEAD", "/api/a", NULL, &rep), 200);
  assert_true(answered_now);
  assert_string_equal(header(&rep, "X-Cache"), "HIT");
  assert_int_equal(rep.len, 7);
  assert_int_equal(fetches, 1);
  http_reply_free(&rep);
}

static void test_document_errors(void **state)
{
  struct http_reply rep;

  (void)state;
  put("p/bad.json", "{\"x\":", "\"e9\"");
  expect_error("GET", "/api/missing", NULL, 404, "not_found");
  expect_error("GET", "/api/bad", NULL, 502, "invalid_document");

  /* Names are refused before any fetch. */
  fetches = 0;
  expect_error("GET", "/api/", NULL, 400, "bad_name");
  expect_error("GET", "/api/a/../b", NULL, 400, "bad_name");
  expect_error("GET", "/api/a%2", NULL, 400, "bad_name");
  expect_error("GET", "/api/a%20b", NULL, 400, "bad_name");
  assert_int_equal(fetches, 0);

  /* The one table from S3 outcomes to HTTP. */
  forced = S3_FORBIDDEN;
  expect_error("GET", "/api/f", NULL, 502, "upstream_forbidden");
  forced = S3_TIMEOUT;
  expect_error("GET", "/api/t", NULL, 504, "upstream_timeout");
  forced = S3_BAD_RESPONSE;
  expect_error("GET", "/api/r", NULL, 502, "bad_upstream_response");
  forced = S3_UNAVAILABLE;
  expect_error("GET", "/api/u", NULL, 503, "upstream_unavailable");
  assert_int_equal(run("GET", "/api/u2", NULL, &rep), 503);
  assert_string_equal(header(&rep, "Retry-After"), "1");
  http_reply_free(&rep);
  forced = S3_NO_CREDENTIALS;
  assert_int_equal(run("GET", "/api/c", NULL, &rep), 503);
  assert_string_equal(header(&rep, "Retry-After"), "1");
  assert_string_equal(rep.error, "no_credentials");
  http_reply_free(&rep);
}

/* If-None-Match (weak comparison, lists, "*") and If-Modified-Since; the
 * first wins when both are sent. A 304 has no body but the length of what
 * a 200 would send. */
static void test_conditionals(void **state)
{
  static const struct {
    const char *inm, *ims;
    int status;
  } cases[] = {
      {"\"e1\"", NULL, 304},
      {"W/\"e1\"", NULL, 304},
      {"\"zz\", \"e1\"", NULL, 304},
      {"*", NULL, 304},
      {"\"zz\"", NULL, 200},
      {NULL, "Wed, 25 Nov 2026 00:00:00 GMT", 304},
      {NULL, "Tue, 24 Nov 2026 20:00:00 GMT", 304},
      {NULL, "Mon, 23 Nov 2026 00:00:00 GMT", 200},
      {NULL, "not a date", 200},
      {"\"zz\"", "Wed, 25 Nov 2026 00:00:00 GMT", 200},
  };
  struct http_reply rep;
  size_t i;

  (void)state;
  put("p/a.json", "{\"x\":1}", "\"e1\"");
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct conn c = {{NULL}, {NULL}};
    int k = 0;

    if (cases[i].inm) {
      c.hdr[k++] = "If-None-Match";
      c.hdr[k++] = cases[i].inm;
    }
    if (cases[i].ims) {
      c.hdr[k++] = "If-Modified-Since";
      c.hdr[k++] = cases[i].ims;
    }
    assert_int_equal(run("GET", "/api/a", &c, &rep), cases[i].status);
    assert_int_equal(rep.len, 7);
    assert_string_equal(header(&rep, "ETag"), "\"e1\"");
    if (cases[i].status == 304)
      assert_null(rep.body);
    http_reply_free(&rep);
  }
}

/* Documents above CACHE_GZIP_MIN are kept gzipped too: sent to clients
 * that accept gzip, under their own ETag. */
static void test_gzip(void **state)
{
  static char big[4096];
  struct conn gz = {{"Accept-Encoding", "br, GZIP;q=0.5", NULL}, {NULL}};
  struct conn refuses = {{"Accept-Encoding", "gzip;Q=0", NULL}, {NULL}};
  struct conn gz_inm = {
      {"Accept-Encoding", "gzip", "If-None-Match", "\"e2-gz\"", NULL}, {NULL}};
  struct http_reply rep;

  (void)state;
  memset(big, ' ', sizeof(big) - 1);
  big[0] = '[';
  big[sizeof(big) - 2] = ']';
  put("p/big.json", big, "\"e2\"");

  assert_int_equal(run("GET", "/api/big", &gz, &rep), 200);
  assert_string_equal(header(&rep, "Content-Encoding"), "gzip");
  assert_string_equal(header(&rep, "ETag"), "\"e2-gz\"");
  assert_true(rep.len < sizeof(big) - 1);
  assert_memory_equal(rep.body, "\x1f\x8b", 2);
  http_reply_free(&rep);

  assert_int_equal(run("GET", "/api/big", &refuses, &rep), 200);
  assert_null(header(&rep, "Content-Encoding"));
  assert_string_equal(header(&rep, "ETag"), "\"e2\"");
  assert_int_equal(rep.len, sizeof(big) - 1);
  http_reply_free(&rep);

  assert_int_equal(run("GET", "/api/big", &gz_inm, &rep), 304);
  assert_null(rep.body);
  http_reply_free(&rep);
}

/*************************************************************************
 * /api
 *************************************************************************/

#define LIST_PAGE                                                              \
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                                 \
  "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"       \
  "<Name>docs</Name><Prefix>p/</Prefix><MaxKeys>3</MaxKeys>"                   \
  "<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"            \
  "<NextContinuationToken>tok123</NextContinuationToken>"                      \
  "<Contents><Key>p/a.json</Key></Contents>"                                   \
  "<Contents><Key>p/notes.txt</Key></Contents>"                                \
  "<Contents><Key>p/sub/b.json</Key></Contents>"                               \
  "</ListBucketResult>"

static void test_list(void **state)
{
  struct conn first = {{NULL}, {"limit", "3", NULL}};
  struct conn next = {{NULL}, {"cursor", NULL, NULL}};
  struct http_reply rep;
  char line[2048], cursor[256];
  json_t *v, *docs;

  (void)state;
  s3_answers(200, LIST_PAGE);
  assert_int_equal(run("GET", "/api", &first, &rep), 200);
  assert_false(answered_now); /* a listing always goes to S3 */
  assert_int_equal(rep.route, METRICS_ROUTE_LIST);
  assert_true(rep.s3_called);
  s3_requests(line, sizeof(line));
  assert_non_null(strstr(line, "prefix=p%2F"));
  assert_non_null(strstr(line, "max-keys=3"));
  assert_null(strstr(line, "continuation-token"));
  /* Only keys the API can serve, as names: no prefix, no ".json". */
  v = body_json(&rep);
  docs = json_object_get(v, "documents");
  assert_int_equal(json_array_size(docs), 2);
  assert_string_equal(json_string_value(json_array_get(docs, 0)), "a");
  assert_string_equal(json_string_value(json_array_get(docs, 1)), "sub/b");
  assert_non_null(json_string_value(json_object_get(v, "next_cursor")));
  snprintf(cursor, sizeof(cursor), "%s",
           json_string_value(json_object_get(v, "next_cursor")));
  json_decref(v);
  http_reply_free(&rep);

  /* The cursor carries S3's token back. */
  next.qry[1] = cursor;
  assert_int_equal(run("GET", "/api", &next, &rep), 200);
  s3_requests(line, sizeof(line));
  assert_non_null(strstr(line, "continuation-token=tok123"));
  assert_non_null(strstr(line, "max-keys=1000"));
  http_reply_free(&rep);
}

static void test_list_errors(void **state)
{
  struct conn zero = {{NULL}, {"limit", "0", NULL}};
  struct conn big = {{NULL}, {"limit", "1001", NULL}};
  struct conn word = {{NULL}, {"limit", "ten", NULL}};
  struct conn junk = {{NULL}, {"cursor", "!!", NULL}};
  struct conn stale = {{NULL}, {"cursor", "dG9rMTIz", NULL}};
  int before;

  (void)state;
  /* Refused before any S3 call. */
  before = s3_requests(NULL, 0);
  expect_error("GET", "/api", &zero, 400, "bad_limit");
  expect_error("GET", "/api", &big, 400, "bad_limit");
  expect_error("GET", "/api", &word, 400, "bad_limit");
  expect_error("GET", "/api", &junk, 400, "bad_cursor");
  assert_int_equal(s3_requests(NULL, 0), before);

  /* S3 refusing a token is the client's stale cursor; a 5xx is S3's. */
  s3_answers(400, "<Error><Code>InvalidArgument</Code></Error>");
  expect_error("GET", "/api", &stale, 400, "bad_cursor");
  s3_answers(500, "<Error><Code>InternalError</Code></Error>");
  expect_error("GET", "/api", NULL, 503, "upstream_unavailable");
  s3_answers(200, "<not-a-listing/>");
  expect_error("GET", "/api", NULL, 502, "bad_upstream_response");
  assert_int_equal(s3_requests(NULL, 0), before + 3);
}

/*************************************************************************
 * Probes, unknown routes, methods
 *************************************************************************/

static void test_probes(void **state)
{
  struct http_reply rep;
  json_t *v;

  (void)state;
  assert_int_equal(run("GET", "/healthz", NULL, &rep), 200);
  assert_true(answered_now);
  assert_int_equal(rep.route, METRICS_ROUTE_HEALTHZ);
  v = body_json(&rep);
  assert_string_equal(json_string_value(json_object_get(v, "status")), "ok");
  json_decref(v);
  http_reply_free(&rep);

  /* No probe has run (health_start was not called): not ready, and why. */
  assert_int_equal(run("GET", "/readyz", NULL, &rep), 503);
  assert_true(answered_now);
  v = body_json(&rep);
  assert_string_equal(json_string_value(json_object_get(v, "status")),
                      "not_ready");
  assert_string_equal(json_string_value(json_object_get(v, "reason")),
                      "no_probe_yet");
  json_decref(v);
  http_reply_free(&rep);

  assert_int_equal(run("GET", "/metrics", NULL, &rep), 200);
  assert_true(answered_now);
  assert_int_equal(rep.route, METRICS_ROUTE_METRICS);
  assert_string_equal(header(&rep, "Content-Type"),
                      "text/plain; version=0.0.4; charset=utf-8");
  assert_non_null(rep.body);
  assert_non_null(strstr(rep.body, "# TYPE s3json_http_requests_total"));
  http_reply_free(&rep);
}

/* Unknown paths are 404 whatever the method; known ones refuse anything
 * but GET and HEAD with 405 and Allow. */
static void test_routes_and_methods(void **state)
{
  static const char *const known[] = {"/healthz", "/readyz", "/metrics", "/api",
                                      "/api/a"};
  struct http_reply rep;
  size_t i;

  (void)state;
  expect_error("GET", "/", NULL, 404, "not_found");
  expect_error("GET", "/apix", NULL, 404, "not_found");
  expect_error("GET", "/healthz/", NULL, 404, "not_found");
  expect_error("POST", "/nowhere", NULL, 404, "not_found");
  for (i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
    assert_int_equal(run("POST", known[i], NULL, &rep), 405);
    assert_true(answered_now);
    assert_string_equal(header(&rep, "Allow"), "GET, HEAD");
    http_reply_free(&rep);
    expect_error("DELETE", known[i], NULL, 405, "method_not_allowed");
    /* Methods are case-sensitive (RFC 9110 9.1). */
    expect_error("get", known[i], NULL, 405, "method_not_allowed");
  }
  assert_int_equal(fetches, 0);
}

/* Last: draining is for good. */
static void test_readyz_draining(void **state)
{
  struct http_reply rep;
  json_t *v;

  (void)state;
  health_set_draining(health);
  assert_int_equal(run("HEAD", "/readyz", NULL, &rep), 503);
  v = body_json(&rep);
  assert_string_equal(json_string_value(json_object_get(v, "reason")),
                      "draining");
  json_decref(v);
  http_reply_free(&rep);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_document, setup, teardown),
      cmocka_unit_test_setup_teardown(test_document_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_conditionals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_gzip, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list, setup, teardown),
      cmocka_unit_test_setup_teardown(test_list_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_probes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_routes_and_methods, setup, teardown),
      cmocka_unit_test_setup_teardown(test_readyz_draining, setup, teardown),
  };

  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
