/* server.c -- the HTTP front door (libmicrohttpd) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../log.h"
#include "access_log.h"
#include "server.h"

/* Request line plus headers must fit in this much per connection; more is
 * refused by libmicrohttpd with 414 (URI) or 431 (headers). 8 KiB is
 * nginx's default line limit and ample for this API (a name is at most
 * 512 bytes, 1.5 KiB escaped). libmicrohttpd allocates and clears this pool
 * per connection: at 32 KiB, 256 keep-alive connections cost ~9 MiB of RSS
 * and the clearing showed in profiles (docs/benchmarks.md). */
#define CONN_MEMORY_LIMIT (8 * 1024)
#define REQUEST_ID_MAX 128

/* Requests waiting for a worker at most; past it: 503 at once. */
#define QUEUE_MAX 4096

static const char *const snap_headers[] = ROUTES_HEADERS;
static const char *const snap_query[] = ROUTES_QUERY;
#define NSNAP_H (sizeof(snap_headers) / sizeof(snap_headers[0]))
#define NSNAP_Q (sizeof(snap_query) / sizeof(snap_query[0]))

struct request;

struct http_server {
  struct MHD_Daemon *mhd;
  struct routes *routes;
  atomic_uint inflight;
  atomic_uint connections; /* open client connections */
  atomic_int quiesced;
  atomic_ulong after_quiesce; /* requests begun since quiesce */
  long queue_timeout_ms;      /* a job older than this is answered 503 */

  /* Workers: requests that may wait for S3 run here, with their
   * connection suspended, so the epoll threads never block. */
  pthread_mutex_t qlock;
  pthread_cond_t qcond;
  struct request *qhead, *qtail;
  unsigned qlen;
  int qstop;
  pthread_t *workers;
  unsigned nworkers;
};

/* One per request, from the first byte of the request line to the last
 * byte of the reply; freed in on_completed. */
struct request {
  struct timespec start;
  int answered_once; /* see on_request: answer on the 2nd call */
  int status;
  size_t bytes;
  const char *error; /* static string */
  const char *cache; /* static string */
  enum metrics_route route;
  int s3_called;
  int s3_status;
  long s3_ms;
  char method[16];
  char request_id[REQUEST_ID_MAX];
  char client[64];
  char *uri; /* raw request target, for the log */
  struct http_server *srv;

  /* The slow path: copied out of the connection before a worker runs it,
   * so the worker never touches MHD state. */
  struct MHD_Connection *conn;
  char *path;
  char *hdr[NSNAP_H];
  char *qry[NSNAP_Q];
  struct timespec queued_at;
  int done; /* 'reply' is ready: queue it */
  struct http_reply reply;
  struct request *qnext;
};

/*************************************************************************
 * Helpers
 *************************************************************************/

static double elapsed_ms(const struct timespec *since)
{
  struct timespec now;

  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)(now.tv_sec - since->tv_sec) * 1e3 +
         (double)(now.tv_nsec - since->tv_nsec) / 1e6;
}

/* A fresh random id: 32 hex digits. An id only has to be unique, not
 * secret: a per-thread xorshift generator seeded once from getrandom()
 * keeps the system call off the request path (it showed in profiles). */
static uint64_t next_random(void)
{
  static _Thread_local uint64_t state[2];
  uint64_t a, b;

  if (!state[0] && !state[1]) {
    if (getrandom(state, sizeof(state), 0) != (ssize_t)sizeof(state) ||
        (!state[0] && !state[1])) {
      struct timespec ts;
      clock_gettime(CLOCK_MONOTONIC, &ts);
      state[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)(uintptr_t)&ts << 16);
      state[1] = 0x9e3779b97f4a7c15ULL ^ (uint64_t)ts.tv_sec;
    }
  }
  /* xorshift128+ (Vigna): fast, 128 bits of state, good enough for ids. */
  a = state[0];
  b = state[1];
  state[0] = b;
  a ^= a << 23;
  state[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
  return state[1] + b;
}

static void new_request_id(char out[REQUEST_ID_MAX])
{
  static const char hex[] = "0123456789abcdef";
  uint64_t r = next_random();
  int i;

  for (i = 0; i < 32; i++) {
    if (i == 16)
      r = next_random();
    out[i] = hex[r & 15];
    r >>= 4;
  }
  out[32] = '\0';
}

/* Keeps printable ASCII without quotes or backslashes, cut to 'cap'. */
static void copy_token(char *out, size_t cap, const char *in, size_t n)
{
  size_t o = 0, i;

  for (i = 0; i < n && o + 1 < cap; i++)
    if (in[i] > 0x20 && in[i] < 0x7f && in[i] != '"' && in[i] != '\\')
      out[o++] = in[i];
  out[o] = '\0';
}

/* X-Amzn-Trace-Id "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=..."
 * gives its Root; a header without Root is used whole; none: a new id. */
static void request_id_from(struct MHD_Connection *c, char *out)
{
  const char *t =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amzn-Trace-Id");
  const char *root, *end;

  if (!t || !t[0]) {
    new_request_id(out);
    return;
  }
  root = strstr(t, "Root=");
  if (root) {
    root += 5;
    end = strchr(root, ';');
    copy_token(out, REQUEST_ID_MAX, root,
               end ? (size_t)(end - root) : strlen(root));
  } else {
    copy_token(out, REQUEST_ID_MAX, t, strlen(t));
  }
  if (!out[0])
    new_request_id(out);
}

/* The client as the load balancer saw it: the left-most X-Forwarded-For
 * entry; without the header, the peer address. */
static void client_from(struct MHD_Connection *c, char *out, size_t cap)
{
  const char *xff =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");
  const union MHD_ConnectionInfo *ci;

  if (xff && xff[0]) {
    const char *comma = strchr(xff, ',');
    copy_token(out, cap, xff, comma ? (size_t)(comma - xff) : strlen(xff));
    if (out[0])
      return;
  }
  out[0] = '\0';
  ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
    inet_ntop(
        AF_INET,
        &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
        out, (socklen_t)cap);
}

/* Lookups over a request's copied headers and query (worker threads). */
static const char *snap_lookup(char *const *vals, const char *const *names,
                               size_t n, const char *name)
{
  for (size_t i = 0; i < n; i++)
    if (!strcasecmp(names[i], name))
      return vals[i];
  return NULL;
}

static const char *snap_header(void *rq, const char *name)
{
  return snap_lookup(((struct request *)rq)->hdr, snap_headers, NSNAP_H, name);
}

static const char *snap_query_arg(void *rq, const char *name)
{
  struct request *r = rq;

  for (size_t i = 0; i < NSNAP_Q; i++)
    if (!strcmp(snap_query[i], name))
      return r->qry[i];
  return NULL;
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

static int snapshot(struct request *rq, struct MHD_Connection *c,
                    const char *url)
{
  size_t i;

  rq->conn = c;
  rq->path = strdup(url);
  if (!rq->path)
    return -1;
  for (i = 0; i < NSNAP_H; i++)
    rq->hdr[i] = dup_or_null(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, snap_headers[i]));
  for (i = 0; i < NSNAP_Q; i++)
    rq->qry[i] = dup_or_null(
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, snap_query[i]));
  return 0;
}

static void free_snapshot(struct request *rq)
{
  size_t i;

  free(rq->path);
  for (i = 0; i < NSNAP_H; i++)
    free(rq->hdr[i]);
  for (i = 0; i < NSNAP_Q; i++)
    free(rq->qry[i]);
}

static const char *lookup_header(void *conn, const char *name)
{
  return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *lookup_query(void *conn, const char *name)
{
  return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

/*************************************************************************
 * libmicrohttpd callbacks
 *************************************************************************/

/* Called with the request target before anything else: the request is
 * born here, so its duration includes reading the headers. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
  struct http_server *srv = cls;
  struct request *rq = calloc(1, sizeof(*rq));

  if (!rq)
    return NULL;
  clock_gettime(CLOCK_MONOTONIC, &rq->start);
  rq->srv = srv;
  rq->uri = strdup(uri ? uri : "");
  rq->route = METRICS_ROUTE_OTHER;
  atomic_fetch_add(&srv->inflight, 1);
  /* Only counted while draining, so the hot path shares no cache line. */
  if (atomic_load_explicit(&srv->quiesced, memory_order_relaxed))
    atomic_fetch_add(&srv->after_quiesce, 1);
  metrics_inflight(1);
  return rq;
}

/* We decode paths ourselves (http/names.c), exactly once. Query values are
 * decoded by their consumers. Returning the length unchanged keeps MHD from
 * touching the bytes. */
static size_t no_unescape(void *cls, struct MHD_Connection *c, char *s)
{
  return strlen(s);
}

static enum MHD_Result queue_reply(struct http_server *srv,
                                   struct MHD_Connection *c, struct request *rq,
                                   struct http_reply *rep)
{
  struct MHD_Response *resp;
  enum MHD_Result ret;
  int i;

  if (rep->release)
    /* A cached version: its reference is dropped when MHD is done. */
    resp = MHD_create_response_from_buffer_with_free_callback_cls(
        rep->len, rep->body, rep->release, rep->release_arg);
  else
    resp = MHD_create_response_from_buffer(rep->len, rep->body,
                                           MHD_RESPMEM_MUST_FREE);
  if (!resp)
    return MHD_NO;
  rep->body = NULL; /* now owned by resp */
  rep->release = NULL;
  for (i = 0; i < rep->nheaders; i++)
    MHD_add_response_header(resp, rep->headers[i].name, rep->headers[i].value);
  MHD_add_response_header(resp, "X-Request-Id", rq->request_id);
  if (atomic_load(&srv->quiesced))
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  ret = MHD_queue_response(c, (unsigned)rep->status, resp);
  MHD_destroy_response(resp);
  rq->status = rep->status;
  rq->bytes = rep->len;
  rq->error = rep->error;
  rq->s3_called = rep->s3_called;
  rq->s3_status = rep->s3.http_status;
  rq->s3_ms = rep->s3.elapsed_ms;
  rq->route = rep->route;
  rq->cache = rep->cache;
  return ret;
}

/*************************************************************************
 * Workers
 *************************************************************************/

static void run_job(struct http_server *srv, struct request *rq)
{
  struct http_request req;

  http_reply_init(&rq->reply);
  if (elapsed_ms(&rq->queued_at) > (double)srv->queue_timeout_ms) {
    /* Waited in the queue as long as an S3 call may take: the client has
     * likely given up, and S3 must not see a backlog of stale work. */
    http_reply_header(&rq->reply, "Retry-After", "1");
    routes_error(&rq->reply, 503, "overloaded",
                 "too many requests are waiting for the document store");
    return;
  }
  req.method = rq->method;
  req.path = rq->path;
  req.header = snap_header;
  req.query = snap_query_arg;
  req.conn = rq;
  routes_handle(srv->routes, &req, &rq->reply);
}

static void *worker_main(void *arg)
{
  struct http_server *srv = arg;
  struct request *rq;

  for (;;) {
    pthread_mutex_lock(&srv->qlock);
    while (!srv->qhead && !srv->qstop)
      pthread_cond_wait(&srv->qcond, &srv->qlock);
    if (!srv->qhead) {
      pthread_mutex_unlock(&srv->qlock);
      return NULL;
    }
    rq = srv->qhead;
    srv->qhead = rq->qnext;
    if (!srv->qhead)
      srv->qtail = NULL;
    srv->qlen--;
    pthread_mutex_unlock(&srv->qlock);
    run_job(srv, rq);
    rq->done = 1;
    /* MHD calls on_request again for this connection, which queues the
     * reply; MHD_resume_connection wakes its thread through the ITC. */
    MHD_resume_connection(rq->conn);
  }
}

/* Hands 'rq' to the workers. Returns -1 when the queue is full. */
static int enqueue(struct http_server *srv, struct request *rq)
{
  pthread_mutex_lock(&srv->qlock);
  if (srv->qlen >= QUEUE_MAX) {
    pthread_mutex_unlock(&srv->qlock);
    return -1;
  }
  clock_gettime(CLOCK_MONOTONIC, &rq->queued_at);
  rq->qnext = NULL;
  if (srv->qtail)
    srv->qtail->qnext = rq;
  else
    srv->qhead = rq;
  srv->qtail = rq;
  srv->qlen++;
  pthread_cond_signal(&srv->qcond);
  pthread_mutex_unlock(&srv->qlock);
  return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
  struct http_server *srv = cls;
  struct request *rq = *con_cls;
  struct http_request req;
  struct http_reply rep;
  enum MHD_Result ret;
  int safe = !strcmp(method, "GET") || !strcmp(method, "HEAD");

  if (!rq)
    return MHD_NO; /* on_uri could not allocate: drop the connection */
  /* libmicrohttpd sends "Connection: close" when a reply is queued on the
   * first call for a request (it has not read the whole request yet), so
   * GET and HEAD answer on the second call. Other methods are refused
   * at once and their body is never read. */
  if (!rq->answered_once && safe) {
    rq->answered_once = 1;
    snprintf(rq->method, sizeof(rq->method), "%s", method);
    request_id_from(c, rq->request_id);
    client_from(c, rq->client, sizeof(rq->client));
    return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0; /* a GET body: read and ignored */
    return MHD_YES;
  }
  if (!rq->answered_once) {
    snprintf(rq->method, sizeof(rq->method), "%s", method);
    request_id_from(c, rq->request_id);
    client_from(c, rq->client, sizeof(rq->client));
  }
  if (rq->done) { /* a worker answered: send it */
    ret = queue_reply(srv, c, rq, &rq->reply);
    http_reply_free(&rq->reply);
    return ret;
  }
  req.method = method;
  req.path = url;
  req.header = lookup_header;
  req.query = lookup_query;
  req.conn = c;
  http_reply_init(&rep);
  if (!routes_answer_now(srv->routes, &req, &rep)) {
    /* Needs S3: suspend the connection and let a worker answer. Suspend
     * first, so a fast worker cannot resume it before it is suspended. */
    if (snapshot(rq, c, url) == 0) {
      MHD_suspend_connection(c);
      if (enqueue(srv, rq) == 0)
        return MHD_YES;
      MHD_resume_connection(c);
    }
    http_reply_header(&rep, "Retry-After", "1");
    routes_error(&rep, 503, "overloaded",
                 "too many requests are waiting for the document store");
  }
  ret = queue_reply(srv, c, rq, &rep);
  http_reply_free(&rep);
  return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  struct http_server *srv = cls;
  struct request *rq = *con_cls;

  if (!rq)
    return;
  *con_cls = NULL;
  double ms = elapsed_ms(&rq->start);
  metrics_request(rq->route, rq->status, ms / 1e3);
  metrics_inflight(-1);
  if (log_enabled(LOG_INFO)) {
    struct access_entry e = {
        .method = rq->method,
        .path = rq->uri,
        .status = rq->status,
        .bytes = rq->bytes,
        .duration_us = (long long)(ms * 1e3),
        .request_id = rq->request_id,
        .client = rq->client,
        .s3_called = rq->s3_called,
        .s3_status = rq->s3_status,
        .s3_ms = rq->s3_ms,
        .cache = rq->cache,
        .error = rq->error,
        .aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK,
    };
    access_log_write(&e);
  }
  free_snapshot(rq);
  http_reply_free(&rq->reply);
  free(rq->uri);
  free(rq);
  atomic_fetch_sub(&srv->inflight, 1);
}

/* Counts open connections, so the drain can tell when every client has
 * gone. */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
  struct http_server *srv = cls;

  (void)c;
  (void)socket_ctx;
  if (toe == MHD_CONNECTION_NOTIFY_STARTED)
    atomic_fetch_add(&srv->connections, 1);
  else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
    atomic_fetch_sub(&srv->connections, 1);
}

/* libmicrohttpd's own complaints (bad requests, resource limits) as JSON
 * lines instead of free text on stderr. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
  char msg[512];
  size_t n;

  vsnprintf(msg, sizeof(msg), fmt, ap);
  n = strlen(msg);
  while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
    msg[--n] = '\0';
  log_event(LOG_WARN, "http_error",
            json_pack("{s:o}", "message", log_string(msg, n, 512)));
}

/*************************************************************************
 * Life cycle
 *************************************************************************/

static void stop_workers(struct http_server *srv)
{
  pthread_mutex_lock(&srv->qlock);
  srv->qstop = 1;
  pthread_cond_broadcast(&srv->qcond);
  pthread_mutex_unlock(&srv->qlock);
  for (unsigned i = 0; i < srv->nworkers; i++)
    pthread_join(srv->workers[i], NULL);
  free(srv->workers);
  srv->workers = NULL;
  srv->nworkers = 0;
  pthread_cond_destroy(&srv->qcond);
  pthread_mutex_destroy(&srv->qlock);
}

static int start_workers(struct http_server *srv, unsigned n)
{
  pthread_mutex_init(&srv->qlock, NULL);
  pthread_cond_init(&srv->qcond, NULL);
  srv->workers = calloc(n, sizeof(*srv->workers));
  if (!srv->workers) {
    stop_workers(srv);
    return -1;
  }
  for (srv->nworkers = 0; srv->nworkers < n; srv->nworkers++)
    if (pthread_create(&srv->workers[srv->nworkers], NULL, worker_main, srv)) {
      stop_workers(srv);
      return -1;
    }
  return 0;
}

struct http_server *http_server_start(const struct settings *s,
                                      struct routes *routes, char *err,
                                      size_t errlen)
{
  struct http_server *srv = calloc(1, sizeof(*srv));
  struct sockaddr_in addr;
  /* ITC: to quiesce and to resume suspended connections from workers;
   * TURBO: accept4 and fewer per-call sanity checks. */
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC |
                   MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;

  if (!srv) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)s->port);
  if (inet_pton(AF_INET, s->bind, &addr.sin_addr) != 1) {
    snprintf(err, errlen, "S3JSON_BIND: expected an IPv4 address, got \"%s\"",
             s->bind);
    free(srv);
    return NULL;
  }
  srv->routes = routes;
  srv->queue_timeout_ms = s->s3_timeout_ms;
  if (start_workers(srv, s->s3_workers)) {
    snprintf(err, errlen, "S3JSON_S3_WORKERS: cannot start %u threads",
             s->s3_workers);
    free(srv);
    return NULL;
  }
  atomic_init(&srv->inflight, 0);
  atomic_init(&srv->connections, 0);
  atomic_init(&srv->quiesced, 0);
  atomic_init(&srv->after_quiesce, 0);
  srv->mhd = MHD_start_daemon(
      flags, (uint16_t)s->port, NULL, NULL, on_request, srv,
      /* First, so that every message of MHD's goes through it. */
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_SOCK_ADDR,
      (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
      (unsigned)s->threads, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)s->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)s->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)CONN_MEMORY_LIMIT, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
      MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv, MHD_OPTION_NOTIFY_COMPLETED,
      on_completed, srv, MHD_OPTION_NOTIFY_CONNECTION, on_connection, srv,
      MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
  if (!srv->mhd) {
    snprintf(err, errlen,
             "S3JSON_PORT: cannot listen on %s:%u (in use, or not allowed)",
             s->bind, s->port);
    stop_workers(srv);
    free(srv);
    return NULL;
  }
  return srv;
}

void http_server_quiesce(struct http_server *srv)
{
  MHD_socket fd;

  atomic_store(&srv->quiesced, 1);
  fd = MHD_quiesce_daemon(srv->mhd);
  if (fd != MHD_INVALID_SOCKET)
    close(fd);
}

unsigned http_server_inflight(const struct http_server *srv)
{
  return atomic_load(&((struct http_server *)srv)->inflight);
}

unsigned http_server_connections(const struct http_server *srv)
{
  return atomic_load(&((struct http_server *)srv)->connections);
}

unsigned long http_server_requests_since_quiesce(const struct http_server *srv)
{
  return atomic_load(&((struct http_server *)srv)->after_quiesce);
}

void http_server_stop(struct http_server *srv)
{
  if (!srv)
    return;
  /* Drained: no job is queued or running, so workers exit at once. */
  stop_workers(srv);
  MHD_stop_daemon(srv->mhd);
  free(srv);
}
