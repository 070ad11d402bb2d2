/* h2o_cached.c -- s3json's cached GET on h2o's library, for the bench
 *
 * A bench contender (tests/bench/bench.py: h2o-cached, h2o-cached-nolog),
 * never part of the product: it answers GET /api/foo exactly as s3json
 * answers a cache hit (same status, same headers in kind and size, same
 * body, a fresh X-Request-Id each time) and writes the same access line
 * with the same code (app/src/http/access_log.c and log.c, linked from
 * build/libs3json.a: same fields, same escaping, same per-thread 16 KiB
 * buffer flushed within LOG_FLUSH_MS), so that the bench shows what the
 * HTTP engine alone would change (issue 11).
 *
 *   h2o_cached PORT BODY_FILE ACCESS_LOG_FILE THREADS
 *
 * BODY_FILE is read once at start (the cache hit). ACCESS_LOG_FILE is
 * opened O_APPEND; "-" turns the access log off as S3JSON_LOG_LEVEL=warn
 * does in s3json (the level check, no formatting, no write). THREADS h2o
 * evloops, one per thread, HTTP/1.1 with keep-alive. Anything but
 * GET/HEAD /api/foo gets s3json's 404 JSON. SIGTERM or SIGINT: the loops
 * stop, the access log is flushed, exit 0.
 *
 * Built by `make build/bench/h2o_cached` (the bench only) against Debian
 * 12's libh2o-evloop-dev 2.2.5.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

/* h2o 2.2.5's headers are clean under the product's warnings (WARN in
 * the Makefile, -Werror): nothing is switched off for them. The evloop
 * flavour is chosen with -DH2O_USE_EPOLL=1 (libh2o-evloop.pc says nothing). */
#include <h2o.h>

#include "http/access_log.h"
#include "http/peer.h"
#include "log.h"
#include "metrics.h"
#include "util/clock.h"
#include "util/rand.h"

#define MAX_THREADS 64
#define MAX_BODY (64 * 1024 * 1024) /* s3json's default cache size */
#define REQUEST_ID_MAX 128          /* as in app/src/http/server.c */
#define TRACE_MAX 256 /* an X-Amzn-Trace-Id longer than this is not one */
#define XFF_MAX 1024

static const char DOC_PATH[] = "/api/foo";
static const char CONTENT_TYPE[] = "application/json; charset=utf-8";
static const char NOT_FOUND[] =
    "{\"error\":\"not_found\",\"message\":\"no such route\"}";
/* The header's name: its pointer identifies the entry in the logger. */
static const char X_REQUEST_ID[] = "X-Request-Id";

static char *body;              /* the document: the cache hit, never freed */
static size_t blen;             /* its length */
static char etag[35];           /* "<md5 hex>", as S3 gives it */
static char last_modified[30];  /* IMF-fixdate of the file's mtime */
static h2o_globalconf_t config; /* shared by every loop, read-only */
static atomic_int stopping;     /* 1: every loop returns */

/* What the logger needs that h2o does not keep: in the request's pool, its
 * id being the X-Request-Id header's value (so the logger finds it). */
struct request {
  char id[REQUEST_ID_MAX];
  int64_t start_ns; /* monotonic, when the handler got the request */
};

/* One HTTP thread: its loop, its context and its listener. */
struct worker {
  pthread_t tid;
  int fd;
  h2o_evloop_t *loop;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept;
};

/* A request header's value as a C string in 'out' (cut to 'cap' - 1), or
 * NULL when absent: s3json looks up the same headers per request. */
static const char *header(h2o_req_t *req, const h2o_token_t *token,
                          const char *name, size_t name_len, char *out,
                          size_t cap)
{
  ssize_t i = token ? h2o_find_header(&req->headers, token, -1)
                    : h2o_find_header_by_str(&req->headers, name, name_len, -1);
  h2o_iovec_t v;

  if (i < 0)
    return NULL;
  v = req->headers.entries[i].value;
  if (v.len >= cap)
    v.len = cap - 1;
  memcpy(out, v.base, v.len);
  out[v.len] = '\0';
  return out;
}

/* The one handler: s3json's cached GET of /api/foo, else its 404. */
static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
  static h2o_generator_t generator = {NULL, NULL};
  struct request *rq = h2o_mem_alloc_pool(&req->pool, sizeof(*rq));
  char trace[TRACE_MAX], inm[64];
  const char *t, *m;
  int is_get, is_head, hit;
  h2o_iovec_t buf;

  rq->start_ns = clock_now_ns();
  metrics_inflight(1);
  t = header(req, NULL, H2O_STRLIT("x-amzn-trace-id"), trace, sizeof(trace));
  if (peer_trace_root(t, rq->id, sizeof(rq->id)))
    rand_hex_id(rq->id); /* as s3json makes its ids */
  is_get = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET"));
  is_head = h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
  hit = (is_get || is_head) && req->query_at == SIZE_MAX &&
        h2o_memis(req->path_normalized.base, req->path_normalized.len, DOC_PATH,
                  sizeof(DOC_PATH) - 1);
  if (hit) {
    m = header(req, H2O_TOKEN_IF_NONE_MATCH, NULL, 0, inm, sizeof(inm));
    req->res.status = m && !strcmp(m, etag) ? 304 : 200;
    req->res.reason = req->res.status == 304 ? "Not Modified" : "OK";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   "Content-Type", H2O_STRLIT(CONTENT_TYPE));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_ETAG, "ETag", etag,
                   strlen(etag));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_LAST_MODIFIED,
                   "Last-Modified", last_modified, strlen(last_modified));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL,
                   "Cache-Control", H2O_STRLIT("max-age=0"));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_VARY, "Vary",
                   H2O_STRLIT("Accept-Encoding"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-cache"),
                          0, "X-Cache", H2O_STRLIT("HIT"));
    /* The cached body is sent from where it lies, as s3json sends a
     * cached version by reference (h2o_send_inline would copy it). */
    buf = h2o_iovec_init(body, blen);
  } else {
    req->res.status = 404;
    req->res.reason = "Not Found";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                   "Content-Type", H2O_STRLIT(CONTENT_TYPE));
    buf = h2o_iovec_init(NOT_FOUND, sizeof(NOT_FOUND) - 1);
  }
  /* Last, so that the logger finds it at the end. */
  h2o_add_header_by_str(&req->pool, &req->res.headers, X_REQUEST_ID,
                        sizeof(X_REQUEST_ID) - 1, 0, X_REQUEST_ID, rq->id,
                        strlen(rq->id));
  /* s3json (libmicrohttpd) sends the selected representation's size with
   * a 304 too, and the body's size with HEAD. */
  req->res.content_length = buf.len;
  h2o_start_response(req, &generator);
  if (is_head || req->res.status == 304)
    h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
  else
    h2o_send(req, &buf, 1, H2O_SEND_STATE_FINAL);
  return 0;
}

/* The request of this reply (on_req put its id last), or NULL. */
static struct request *request_of(h2o_req_t *req)
{
  size_t i = req->res.headers.size;

  while (i-- > 0)
    if (req->res.headers.entries[i].name->base == X_REQUEST_ID)
      return (struct request *)(void *)req->res.headers.entries[i].value.base;
  return NULL;
}

/* The TCP peer's address as text (s3json formats it once per connection;
 * h2o keeps no per-connection slot for us, so here it is per request). */
static void peer_text(h2o_req_t *req, char *out, size_t cap)
{
  struct sockaddr_storage ss;
  socklen_t n = req->conn->callbacks->get_peername(req->conn, (void *)&ss);

  out[0] = '\0';
  if (n && ss.ss_family == AF_INET)
    inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)&ss)->sin_addr, out,
              (socklen_t)cap);
}

/* Called by h2o when a request is done (its reply sent or the client
 * gone): s3json's on_completed + log_access. */
static void on_log(h2o_logger_t *self, h2o_req_t *req)
{
  struct request *rq = request_of(req);
  char method[16], path[ACCESS_LOG_PATH_MAX + 1], client[PEER_TEXT_MAX];
  char xff[XFF_MAX];
  const char *x;
  double ms = rq ? clock_elapsed_ms(rq->start_ns) : 0;
  size_t n;
  int ok = req->res.status == 200 || req->res.status == 304;

  /* What s3json does for every request, logged or not: its counters (the
   * real ones, from libs3json.a), a copy of the method and of the request
   * target, the client from X-Forwarded-For (no trusted proxy) or the TCP
   * peer. */
  metrics_request(ok ? METRICS_ROUTE_DOCUMENT : METRICS_ROUTE_OTHER,
                  req->res.status, ms / 1e3);
  if (rq)
    metrics_inflight(-1);
  n = req->method.len < sizeof(method) - 1 ? req->method.len
                                           : sizeof(method) - 1;
  memcpy(method, req->method.base, n);
  method[n] = '\0';
  n = req->path.len < sizeof(path) - 1 ? req->path.len : sizeof(path) - 1;
  memcpy(path, req->path.base, n);
  path[n] = '\0';
  x = header(req, H2O_TOKEN_X_FORWARDED_FOR, NULL, 0, xff, sizeof(xff));
  if (peer_client_from_xff(x, 0, client, sizeof(client)))
    peer_text(req, client, sizeof(client));
  if (!log_enabled(LOG_INFO))
    return;
  struct access_entry e = {
      .method = method,
      .path = path,
      .status = req->res.status,
      .bytes = req->res.status == 304 || req->res.content_length == SIZE_MAX
                   ? 0
                   : req->res.content_length,
      .duration_us = (long long)(ms * 1e3),
      .request_id = rq ? rq->id : "",
      .client = client,
      .cache = ok ? "HIT" : NULL,
      .error = req->res.status == 404 ? "not_found" : NULL,
  };
  access_log_write(&e);
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
  struct worker *w = listener->data;
  h2o_socket_t *sock;
  int i;

  if (err)
    return;
  /* Up to 16 per wake-up, as h2o's own server does in a loop. */
  for (i = 0; i < 16; i++) {
    sock = h2o_evloop_socket_accept(listener);
    if (!sock)
      return;
    h2o_accept(&w->accept, sock);
  }
}

/* A listening socket of its own per thread, SO_REUSEPORT: the kernel
 * spreads connections over the threads by a hash of the 4-tuple, with no
 * shared accept queue, no lock and no thundering herd. That is how h2o's
 * users run it multi-threaded, and the closest h2o gets to s3json's loops,
 * which deal new connections evenly from one listener (a hash is even on
 * average, not exactly: at 16 connections a 9/7 split is possible). */
static int listen_on(uint16_t port)
{
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

  if (fd < 0)
    return -1;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) ||
      bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 4096) ||
      fcntl(fd, F_SETFL, O_NONBLOCK)) {
    close(fd);
    return -1;
  }
  return fd;
}

static void *worker_main(void *arg)
{
  struct worker *w = arg;
  h2o_socket_t *listener;

  w->loop = h2o_evloop_create();
  h2o_context_init(&w->ctx, w->loop, &config);
  w->accept.ctx = &w->ctx;
  w->accept.hosts = config.hosts;
  listener =
      h2o_evloop_socket_create(w->loop, w->fd, H2O_SOCKET_FLAG_DONT_READ);
  listener->data = w;
  h2o_socket_read_start(listener, on_accept);
  /* Wakes at least every 100 ms to see 'stopping': 10 wake-ups a second
   * per thread, nothing next to the load. */
  while (!atomic_load(&stopping))
    h2o_evloop_run(w->loop, 100);
  log_flush();
  return NULL;
}

/* The body, its ETag (S3's: the MD5 of the bytes, quoted) and its
 * Last-Modified (the file's mtime, as s3json re-writes S3's). */
static int load_body(const char *file)
{
  static const char hex[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0, i;
  struct stat st;
  struct tm tm;
  FILE *f = fopen(file, "rb");

  if (!f)
    return -1;
  if (fstat(fileno(f), &st) || st.st_size > MAX_BODY ||
      !(body = malloc((size_t)st.st_size + 1))) {
    fclose(f);
    return -1;
  }
  blen = fread(body, 1, (size_t)st.st_size, f);
  fclose(f);
  if (blen != (size_t)st.st_size ||
      !EVP_Digest(body, blen, md, &mdlen, EVP_md5(), NULL) || mdlen != 16)
    return -1;
  etag[0] = '"';
  for (i = 0; i < mdlen; i++) {
    etag[1 + 2 * i] = hex[md[i] >> 4];
    etag[2 + 2 * i] = hex[md[i] & 15];
  }
  etag[33] = '"';
  etag[34] = '\0';
  gmtime_r(&st.st_mtime, &tm);
  strftime(last_modified, sizeof(last_modified), "%a, %d %b %Y %H:%M:%S GMT",
           &tm);
  return 0;
}

int main(int argc, char **argv)
{
  static struct worker workers[MAX_THREADS];
  h2o_hostconf_t *host;
  h2o_pathconf_t *path;
  h2o_handler_t *handler;
  h2o_logger_t *logger;
  sigset_t sigs;
  char *end;
  long port, nthreads;
  int fd = -1, sig, i;

  if (argc != 5) {
    fprintf(stderr, "usage: %s PORT BODY_FILE ACCESS_LOG_FILE|- THREADS\n",
            argv[0]);
    return 2;
  }
  port = strtol(argv[1], &end, 10);
  if (*end || port < 1 || port > 65535) {
    fprintf(stderr, "h2o_cached: bad PORT %s\n", argv[1]);
    return 2;
  }
  nthreads = strtol(argv[4], &end, 10);
  if (*end || nthreads < 1 || nthreads > MAX_THREADS) {
    fprintf(stderr, "h2o_cached: THREADS must be 1..%d\n", MAX_THREADS);
    return 2;
  }
  if (load_body(argv[2])) {
    fprintf(stderr, "h2o_cached: %s: %s\n", argv[2], strerror(errno));
    return 1;
  }
  if (strcmp(argv[3], "-")) {
    fd = open(argv[3], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
      fprintf(stderr, "h2o_cached: %s: %s\n", argv[3], strerror(errno));
      return 1;
    }
  }
  /* Off: the level check fails first, as in s3json at
   * S3JSON_LOG_LEVEL=warn. */
  log_init(fd >= 0 ? LOG_INFO : LOG_WARN, fd >= 0 ? fd : 2);

  h2o_config_init(&config);
  /* No "Server:" header: s3json sends none. */
  config.server_name = h2o_iovec_init(H2O_STRLIT(""));
  host = h2o_config_register_host(&config,
                                  h2o_iovec_init(H2O_STRLIT("default")), 65535);
  path = h2o_config_register_path(host, "/", 0);
  handler = h2o_create_handler(path, sizeof(*handler));
  handler->on_req = on_req;
  logger = h2o_create_logger(path, sizeof(*logger));
  logger->log_access = on_log;

  /* The loops never see SIGTERM/SIGINT/SIGPIPE: main waits for them. */
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  for (i = 0; i < nthreads; i++) {
    workers[i].fd = listen_on((uint16_t)port);
    if (workers[i].fd < 0) {
      fprintf(stderr, "h2o_cached: 127.0.0.1:%ld: %s\n", port, strerror(errno));
      return 1;
    }
  }
  for (i = 0; i < nthreads; i++)
    if (pthread_create(&workers[i].tid, NULL, worker_main, &workers[i])) {
      fprintf(stderr, "h2o_cached: pthread_create failed\n");
      return 1;
    }
  sigdelset(&sigs, SIGPIPE);
  do
    sig = 0;
  while (sigwait(&sigs, &sig) != 0);
  atomic_store(&stopping, 1);
  for (i = 0; i < nthreads; i++)
    pthread_join(workers[i].tid, NULL);
  log_flush();
  return 0;
}
