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
#include <stdarg.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "../log.h"
#include "../metrics.h"
#include "../settings.h"
#include "../util/clock.h"
#include "../util/rand.h"
#include "../util/str.h"
#include "loop.h"
#include "peer.h"
#include "access_log.h"
#include "routes.h"
#include "server.h"

/* libmicrohttpd keeps a connection's request head (line and headers, plus
 * 64 bytes of bookkeeping per header, query argument and cookie) and the
 * head of its reply in one pool of this size, allocated and cleared per
 * connection. A head that leaves too little room for the reply used to get
 * no answer at all (issue 9): so a request is answered only while its head
 * costs at most HEAD_BUDGET, which leaves REPLY_ROOM for our largest reply
 * head (HTTP_REPLY_MAX_HEADERS values); a larger head that still fits gets
 * our JSON 431, written without the pool (reply_direct); one that does not
 * fit gets libmicrohttpd's own 431 (or 414 for the request line alone).
 * 8 KiB of head is nginx's default and ample for this API (a name is at
 * most 512 bytes, 1.5 KiB escaped). 12 KiB per connection cost 1 MiB more
 * RSS than 8 KiB at 256 keep-alive connections (docs/benchmarks.md); at
 * 32 KiB the clearing showed in profiles (docs/benchmarks.md). */
#define CONN_MEMORY_LIMIT (12 * 1024)
#define HEAD_BUDGET (8 * 1024)
#define HEAD_ENTRY_COST 64 /* libmicrohttpd's struct per value, aligned */
#define REPLY_ROOM (CONN_MEMORY_LIMIT - HEAD_BUDGET)
_Static_assert(REPLY_ROOM >= HTTP_REPLY_MAX_HEADERS * 200 + 1024,
               "the pool must leave room for the largest reply head");
#define REQUEST_ID_MAX 128
_Static_assert(REQUEST_ID_MAX > RAND_ID_LEN, "a request id must fit");

/* Connections the kernel queues before the HTTP threads accept them. */
#define LISTEN_BACKLOG 1024

/* Requests waiting for a worker at most; past it: 503 at once. */
#define QUEUE_MAX 4096

static const char *const snap_headers[] = ROUTES_HEADERS;
static const char *const snap_query[] = ROUTES_QUERY;
#define NSNAP_H (sizeof(snap_headers) / sizeof(snap_headers[0]))
#define NSNAP_Q (sizeof(snap_query) / sizeof(snap_query[0]))

struct request;

struct http_server {
  int listen_fd;
  struct http_loops *loops; /* the HTTP threads and their daemons */
  struct routes *routes;
  atomic_uint inflight;
  atomic_int quiesced;
  atomic_ulong after_quiesce; /* requests begun since quiesce */
  long queue_timeout_ms;      /* a job older than this is answered 503 */
  unsigned trusted_proxies;   /* S3JSON_TRUSTED_PROXIES */

  /* Workers: requests that may wait for S3 run here, with their
   * connection suspended, so the epoll threads never block. */
  pthread_mutex_t qlock;
  pthread_cond_t qcond;
  struct request *qhead, *qtail;
  unsigned qlen;
  int qstop;              /* under qlock: no new jobs (shutting down) */
  atomic_int refuse_jobs; /* the same, read without the lock */
  pthread_t *workers;
  unsigned nworkers;
};

/* One per request, from the first byte of the request line to the last
 * byte of the reply; freed in on_completed. */
struct request {
  int64_t start_ns;
  int seen;       /* on_request has been called for it */
  int must_close; /* a framing error: close after the reply */
  int direct;     /* answered by reply_direct, not libmicrohttpd */
  int status;
  size_t bytes;
  const char *error;      /* static string */
  const char *cache;      /* static string */
  const char *auth;       /* static string: auth_result_name, or NULL */
  char sub[AUTH_SUB_MAX]; /* verified token's sub, for the log */
  enum metrics_route route;
  int s3_called;
  int s3_status;
  long s3_ms;
  char method[16];
  char request_id[REQUEST_ID_MAX];
  char client[PEER_TEXT_MAX];
  char *uri; /* raw request target, for the log */
  struct http_server *srv;

  /* The slow path: copied out of the connection before a worker runs it,
   * so the worker never touches MHD state. */
  struct MHD_Connection *conn;
  struct http_loop *loop; /* the HTTP thread to wake when resumed */
  char *path;
  char *hdr[NSNAP_H];
  char *qry[NSNAP_Q];
  int64_t queued_ns;
  int done; /* 'reply' is ready: queue it */
  /* The worker's answer; allocated by snapshot(), for S3-bound requests
   * only: a cached GET never pays for clearing its 2.7 KiB (it showed in
   * instruction counts, docs/benchmarks.md). */
  struct http_reply *reply;
  struct request *qnext;
};

/*************************************************************************
 * Helpers
 *************************************************************************/

/* The Root of a well-formed X-Amzn-Trace-Id (the ALB's), else a new id:
 * the header is the client's to write, and an id in the log must not be
 * forged into another request's. */
static void request_id_from(struct MHD_Connection *c, char *out)
{
  const char *t =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amzn-Trace-Id");

  if (peer_trace_root(t, out, REQUEST_ID_MAX))
    rand_hex_id(out);
}

/* The TCP peer's address. */
static void format_peer(struct MHD_Connection *c, char *out, size_t cap)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

  out[0] = '\0';
  if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
    inet_ntop(
        AF_INET,
        &((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr,
        out, (socklen_t)cap);
}

/* The TCP peer's address, as on_connection formatted it once for the
 * connection (inet_ntop per request showed in instruction counts,
 * docs/benchmarks.md); formatted now if that failed. */
static void peer_address(struct MHD_Connection *c, char *out, size_t cap)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

  if (ci && ci->socket_context) {
    size_t n = strnlen(ci->socket_context, cap - 1);
    memcpy(out, ci->socket_context, n);
    out[n] = '\0';
  } else
    format_peer(c, out, cap);
}

/* The client as our outermost trusted proxy saw it: the address it
 * appended to X-Forwarded-For (S3JSON_TRUSTED_PROXIES from the right);
 * without a valid one, the TCP peer. */
static void client_from(const struct http_server *srv, struct MHD_Connection *c,
                        char *out, size_t cap)
{
  const char *xff =
      MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Forwarded-For");

  if (peer_client_from_xff(xff, srv->trusted_proxies, out, cap))
    peer_address(c, out, cap);
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

static int snapshot(struct request *rq, struct MHD_Connection *c,
                    const char *url)
{
  size_t i;

  rq->conn = c;
  rq->path = strdup(url);
  rq->reply = malloc(sizeof(*rq->reply));
  if (!rq->path || !rq->reply)
    return -1;
  http_reply_init(rq->reply);
  for (i = 0; i < NSNAP_H; i++)
    rq->hdr[i] = str_dup_or_null(
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, snap_headers[i]));
  for (i = 0; i < NSNAP_Q; i++)
    rq->qry[i] = str_dup_or_null(
        MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, snap_query[i]));
  return 0;
}

static void free_snapshot(struct request *rq)
{
  size_t i;

  free(rq->path);
  if (rq->reply) {
    http_reply_free(rq->reply);
    free(rq->reply);
  }
  for (i = 0; i < NSNAP_H; i++) {
    /* Authorization holds a bearer token: no copy outlives the request. */
    if (rq->hdr[i])
      explicit_bzero(rq->hdr[i], strlen(rq->hdr[i]));
    free(rq->hdr[i]);
  }
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
  rq->start_ns = clock_now_ns();
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

/* The body reader of a 304, which has none: never called. */
static ssize_t no_body(void *cls, uint64_t pos, char *buf, size_t max)
{
  return MHD_CONTENT_READER_END_WITH_ERROR;
}

static enum MHD_Result queue_reply(struct http_server *srv,
                                   struct MHD_Connection *c, struct request *rq,
                                   struct http_reply *rep)
{
  struct MHD_Response *resp;
  enum MHD_Result ret;
  int i;

  if (rep->status == 304)
    /* libmicrohttpd 0.9.75 writes Content-Length on every 304 (the
     * response's size) and never its body: sized as the selected
     * representation, that header is the one RFC 9110 8.6 allows. */
    resp =
        MHD_create_response_from_callback(rep->len, 1024, no_body, NULL, NULL);
  else if (rep->release)
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
  if (rq->must_close || atomic_load(&srv->quiesced) ||
      atomic_load(&srv->refuse_jobs))
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
  ret = MHD_queue_response(c, (unsigned)rep->status, resp);
  MHD_destroy_response(resp);
  rq->status = rep->status;
  rq->bytes = rep->status == 304 ? 0 : rep->len;
  rq->error = rep->error;
  rq->s3_called = rep->s3_called;
  rq->s3_status = rep->s3.http_status;
  rq->s3_ms = rep->s3.elapsed_ms;
  rq->route = rep->route;
  rq->cache = rep->cache;
  rq->auth = rep->auth;
  memcpy(rq->sub, rep->sub, sizeof(rq->sub));
  return ret;
}

/*************************************************************************
 * Workers
 *************************************************************************/

static void run_job(struct http_server *srv, struct request *rq)
{
  struct http_request req;

  if (clock_elapsed_ms(rq->queued_ns) > (double)srv->queue_timeout_ms) {
    /* Waited in the queue as long as an S3 call may take: the client has
     * likely given up, and S3 must not see a backlog of stale work. */
    http_reply_header(rq->reply, "Retry-After", "1");
    routes_error(rq->reply, 503, "overloaded",
                 "too many requests are waiting for the document store");
    return;
  }
  req.method = rq->method;
  req.path = rq->path;
  req.header = snap_header;
  req.query = snap_query_arg;
  req.conn = rq;
  routes_handle(srv->routes, &req, rq->reply);
}

static void *worker_main(void *arg)
{
  struct http_server *srv = arg;
  struct request *rq;
  struct http_loop *loop;

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
     * reply, once its HTTP thread wakes. From the resume on, 'rq' is the
     * HTTP thread's: it may be answered and freed before the wake-up
     * (its thread was running for another connection), so the loop is
     * read first (ASan caught the use after free in server_tool). */
    loop = rq->loop;
    MHD_resume_connection(rq->conn);
    http_loop_wake(loop);
  }
}

/* Hands 'rq' to the workers. Returns -1 when the queue is full, -2 when
 * the server is stopping (the workers may be gone: a job queued now could
 * never be answered, and its suspended connection would make
 * MHD_stop_daemon abort). */
static int enqueue(struct http_server *srv, struct request *rq)
{
  pthread_mutex_lock(&srv->qlock);
  if (srv->qstop || srv->qlen >= QUEUE_MAX) {
    int rc = srv->qstop ? -2 : -1;
    pthread_mutex_unlock(&srv->qlock);
    return rc;
  }
  rq->queued_ns = clock_now_ns();
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

/* Needs S3: suspends the connection, queues the request for a worker and
 * returns 1; or fills 'rep' with a 503 when the queue is full or the server
 * is stopping, and returns 0. Suspends first, so a fast worker cannot
 * resume the connection before it is suspended. */
static int hand_to_worker(struct http_server *srv, struct request *rq,
                          struct MHD_Connection *c, const char *url,
                          struct http_reply *rep)
{
  int rc = -2;

  if (!atomic_load(&srv->refuse_jobs)) {
    rc = snapshot(rq, c, url);
    if (rc == 0) {
      rq->loop = http_loop_current();
      MHD_suspend_connection(c);
      rc = enqueue(srv, rq);
      if (rc == 0)
        return 1;
      MHD_resume_connection(c);
    }
  }
  http_reply_header(rep, "Retry-After", "1");
  if (rc == -2) {
    /* Stopping: no worker will take it. queue_reply adds the close,
     * which sends the client to another task at once. */
    routes_error(rep, 503, "shutting_down",
                 "the server is shutting down; retry on a new connection");
  } else {
    routes_error(rep, 503, "overloaded",
                 "too many requests are waiting for the document store");
  }
  return 0;
}

/* Set on an epoll thread while it closes a connection reply_direct
 * answered, so the libmicrohttpd message that follows is not logged as an
 * error. */
static _Thread_local int direct_close;

/* What one pass over a request's head finds (scan_head): its cost in
 * the connection's pool (see CONN_MEMORY_LIMIT) and its body framing.
 * One pass, as every lookup walks the whole list again. */
struct head_scan {
  size_t values;       /* headers, cookies and query arguments */
  size_t cookie_len;   /* the first Cookie header, which MHD copies */
  int cookie_seen;     /* a Cookie header was found */
  const char *length;  /* first Content-Length */
  int length_conflict; /* a second Content-Length with another value */
  int transfer_coding; /* a Transfer-Encoding header */
};

static enum MHD_Result scan_value(void *cls, enum MHD_ValueKind kind,
                                  const char *key, const char *value)
{
  struct head_scan *h = cls;

  h->values++;
  if (kind != MHD_HEADER_KIND || !key)
    return MHD_YES;
  if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
    if (!h->length)
      h->length = value ? value : "";
    else if (strcmp(h->length, value ? value : ""))
      h->length_conflict = 1;
  } else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
    h->transfer_coding = 1;
  } else if (!h->cookie_seen && !strcasecmp(key, MHD_HTTP_HEADER_COOKIE)) {
    h->cookie_seen = 1;
    h->cookie_len = value ? strlen(value) : 0;
  }
  return MHD_YES;
}

static void scan_head(struct MHD_Connection *c, struct head_scan *h)
{
  memset(h, 0, sizeof(*h));
  MHD_get_connection_values(
      c, MHD_HEADER_KIND | MHD_COOKIE_KIND | MHD_GET_ARGUMENT_KIND, scan_value,
      h);
}

/* What the request head costs in the connection's pool: its bytes, a
 * struct per value, and the copy libmicrohttpd makes of a Cookie header
 * to parse it. */
static size_t head_cost(struct MHD_Connection *c, const struct head_scan *h)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);

  return (ci ? ci->header_size : CONN_MEMORY_LIMIT) +
         h->values * HEAD_ENTRY_COST + h->cookie_len;
}

/* Content-Length twice with different values, or with Transfer-Encoding:
 * the building blocks of request smuggling (RFC 9112 6.3). */
static int framing_error(const struct head_scan *h)
{
  return h->length_conflict || (h->length && h->transfer_coding);
}

/* Writes 'rep' straight to the socket with "Connection: close", for a
 * request whose head left too little of the pool for libmicrohttpd to
 * build any reply. The socket's send buffer is empty here (a reply is
 * sent whole before the next request is read), so one send() takes a
 * reply this small; the caller then returns MHD_NO, which closes. */
static void reply_direct(struct MHD_Connection *c, struct request *rq,
                         struct http_reply *rep)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  char head[512], date[64];
  time_t now = time(NULL);
  struct tm tm;
  int n, body = strcmp(rq->method, "HEAD") != 0;

  strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT",
           gmtime_r(&now, &tm));
  n = snprintf(head, sizeof(head),
               "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\n"
               "Content-Length: %zu\r\n",
               rep->status, MHD_get_reason_phrase_for((unsigned)rep->status),
               date, rep->len);
  for (int i = 0; i < rep->nheaders && n > 0 && (size_t)n < sizeof(head); i++)
    n += snprintf(head + n, sizeof(head) - (size_t)n, "%s: %s\r\n",
                  rep->headers[i].name, rep->headers[i].value);
  if (n > 0 && (size_t)n < sizeof(head))
    n += snprintf(head + n, sizeof(head) - (size_t)n,
                  "X-Request-Id: %s\r\n\r\n", rq->request_id);
  if (ci && n > 0 && (size_t)n < sizeof(head)) {
    struct iovec iov[2] = {{head, (size_t)n}, {rep->body, body ? rep->len : 0}};
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
    sendmsg(ci->connect_fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  rq->direct = 1;
  rq->status = rep->status;
  rq->bytes = rep->status == 304 ? 0 : rep->len;
  rq->error = rep->error;
  direct_close = 1;
}

/* First call for a request (its head is complete): notes who sent it, and
 * refuses at once a head too large to answer normally (431) or a body
 * framing that could smuggle a second request (400, then close: RFC 9112
 * 6.3). Returns 1 with '*ret' set when it answered. Builds a reply only
 * then: clearing one costs more than the checks (docs/benchmarks.md). */
static int first_call(struct http_server *srv, struct request *rq,
                      struct MHD_Connection *c, const char *method,
                      enum MHD_Result *ret)
{
  struct http_reply rep;
  struct head_scan h;
  int too_large;

  rq->seen = 1;
  str_copy(rq->method, sizeof(rq->method), method);
  request_id_from(c, rq->request_id);
  client_from(srv, c, rq->client, sizeof(rq->client));
  scan_head(c, &h);
  too_large = head_cost(c, &h) > HEAD_BUDGET;
  if (!too_large && !framing_error(&h))
    return 0;
  http_reply_init(&rep);
  if (too_large) {
    routes_error(&rep, 431, "headers_too_large",
                 "the request line and headers must fit in 8 KiB");
    reply_direct(c, rq, &rep);
    *ret = MHD_NO;
  } else {
    rq->must_close = 1;
    routes_error(&rep, 400, "bad_request",
                 "conflicting Content-Length, or Content-Length with "
                 "Transfer-Encoding");
    *ret = queue_reply(srv, c, rq, &rep);
  }
  http_reply_free(&rep);
  return 1;
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

  if (!rq)
    return MHD_NO; /* on_uri could not allocate: drop the connection */
  /* libmicrohttpd sends "Connection: close" when a reply is queued on the
   * first call for a request (it has not read the whole request yet), so
   * GET and HEAD answer on the second call. Other methods are refused
   * at once and their body is never read. */
  if (!rq->seen) {
    if (first_call(srv, rq, c, method, &ret))
      return ret;
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
      return MHD_YES;
  }
  if (*upload_data_size) {
    *upload_data_size = 0; /* a GET body: read and ignored */
    return MHD_YES;
  }
  if (rq->done) { /* a worker answered: send it */
    ret = queue_reply(srv, c, rq, rq->reply);
    http_reply_free(rq->reply);
    return ret;
  }
  req.method = method;
  req.path = url;
  req.header = lookup_header;
  req.query = lookup_query;
  req.conn = c;
  http_reply_init(&rep);
  if (!routes_answer_now(srv->routes, &req, &rep) &&
      hand_to_worker(srv, rq, c, url, &rep))
    return MHD_YES; /* suspended: a worker answers */
  ret = queue_reply(srv, c, rq, &rep);
  http_reply_free(&rep);
  return ret;
}

/* The access log line of one request. */
static void log_access(const struct request *rq, double ms, int aborted)
{
  if (!log_enabled(LOG_INFO))
    return;
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
      .auth = rq->auth,
      .sub = rq->sub[0] ? rq->sub : NULL,
      .aborted = aborted,
  };
  access_log_write(&e);
}

/* A reply libmicrohttpd built itself (431 for a head past the pool, 400,
 * 505, ...) never passed through on_request: take its status from the
 * connection, and an id and address of our own. */
static void complete_library_reply(struct request *rq, struct MHD_Connection *c)
{
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS);

  rq->status = ci ? (int)ci->http_status : 0;
  rand_hex_id(rq->request_id);
  peer_address(c, rq->client, sizeof(rq->client));
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  struct http_server *srv = cls;
  struct request *rq = *con_cls;
  double ms;

  if (!rq)
    return;
  *con_cls = NULL;
  if (!rq->seen)
    complete_library_reply(rq, c);
  ms = clock_elapsed_ms(rq->start_ns);
  metrics_request(rq->route, rq->status, ms / 1e3);
  metrics_inflight(-1);
  log_access(rq, ms, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !rq->direct);
  free_snapshot(rq);
  free(rq->uri);
  free(rq);
  atomic_fetch_sub(&srv->inflight, 1);
}

/* Counts each thread's open connections (loop.h: the dealing, the limit
 * and the drain read them), and keeps the peer's address as text for the
 * connection's requests (its socket context: NULL when out of memory). */
static void on_connection(void *cls, struct MHD_Connection *c,
                          void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
  if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
    http_loops_connection(1);
    *socket_ctx = malloc(PEER_TEXT_MAX);
    if (*socket_ctx)
      format_peer(c, *socket_ctx, PEER_TEXT_MAX);
  } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
    http_loops_connection(0);
    free(*socket_ctx);
    *socket_ctx = NULL;
  }
}

/* libmicrohttpd's error replies announce themselves with this message; the
 * status is its first argument. */
#define MHD_ERROR_REPLY "Error processing request (HTTP response code is %u"

/* A 414: libmicrohttpd answers it before it has a request target, so no
 * request callback ever runs for it; count and log it here, once. */
static void library_414(void)
{
  struct request rq;

  memset(&rq, 0, sizeof(rq));
  rq.status = 414;
  rq.uri = (char *)"-";
  rq.route = METRICS_ROUTE_OTHER;
  rand_hex_id(rq.request_id);
  metrics_request(rq.route, rq.status, 0);
  log_access(&rq, 0, 0);
}

/* libmicrohttpd's own complaints (bad requests, resource limits) as JSON
 * lines instead of free text on stderr. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
  char msg[512];
  size_t n;
  va_list copy;

  if (direct_close && !strcmp(fmt, "%s\n")) {
    /* "Application reported internal error": reply_direct's close. */
    direct_close = 0;
    return;
  }
  if (!strncmp(fmt, MHD_ERROR_REPLY, strlen(MHD_ERROR_REPLY))) {
    va_copy(copy, ap);
    if (va_arg(copy, unsigned) == 414)
      library_414();
    va_end(copy);
  }
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

/* Refuses new jobs, lets the workers finish every queued one (each resumes
 * its connection) and joins them. */
static void stop_workers(struct http_server *srv)
{
  atomic_store(&srv->refuse_jobs, 1);
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

/* The listening socket, non-blocking (the HTTP threads poll it), or -1
 * with 'err' set. */
static int listen_on(const struct settings *s, char *err, size_t errlen)
{
  struct sockaddr_in addr;
  int one = 1;
  int fd;

  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)s->port);
  if (inet_pton(AF_INET, s->bind, &addr.sin_addr) != 1) {
    snprintf(err, errlen, "S3JSON_BIND: expected an IPv4 address, got \"%s\"",
             s->bind);
    return -1;
  }
  fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
                  bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
                  listen(fd, LISTEN_BACKLOG))) {
    close(fd);
    fd = -1;
  }
  if (fd < 0)
    snprintf(err, errlen,
             "S3JSON_PORT: cannot listen on %s:%u (in use, or not allowed)",
             s->bind, s->port);
  return fd;
}

/* One HTTP thread's daemon: no thread and no listening socket of its own
 * (loop.h). TURBO: fewer per-call sanity checks. The connection limit is the
 * loops' (global); each daemon may hold all of it. */
static struct MHD_Daemon *start_daemon(struct http_server *srv,
                                       const struct settings *s)
{
  unsigned flags = MHD_USE_EPOLL | MHD_USE_NO_LISTEN_SOCKET |
                   MHD_USE_ERROR_LOG | MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME;

  return MHD_start_daemon(
      flags, 0, NULL, NULL, on_request, srv,
      /* First, so that every message of MHD's goes through it. */
      MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)s->max_connections, MHD_OPTION_CONNECTION_TIMEOUT,
      (unsigned)s->conn_timeout_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      (size_t)CONN_MEMORY_LIMIT, MHD_OPTION_URI_LOG_CALLBACK, on_uri, srv,
      MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
      MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
      MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL, MHD_OPTION_END);
}

/* Stops the HTTP threads, then their daemons (which close every
 * connection), then the listening socket. */
static void stop_http(struct http_server *srv)
{
  http_loops_free(srv->loops);
  srv->loops = NULL;
  if (srv->listen_fd >= 0)
    close(srv->listen_fd);
  srv->listen_fd = -1;
}

static int start_http(struct http_server *srv, const struct settings *s)
{
  unsigned i, n = s->threads ? s->threads : 1;

  srv->loops =
      http_loops_new(srv->listen_fd, n, s->max_connections, s->http_yield_us);
  if (!srv->loops)
    return -1;
  for (i = 0; i < n; i++) {
    struct MHD_Daemon *d = start_daemon(srv, s);
    if (!d)
      return -1;
    http_loops_set_daemon(srv->loops, i, d);
  }
  return http_loops_start(srv->loops);
}

struct http_server *http_server_start(const struct settings *s,
                                      struct routes *routes, char *err,
                                      size_t errlen)
{
  struct http_server *srv = calloc(1, sizeof(*srv));

  if (!srv) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  srv->listen_fd = listen_on(s, err, errlen);
  if (srv->listen_fd < 0) {
    free(srv);
    return NULL;
  }
  srv->routes = routes;
  srv->queue_timeout_ms = s->s3_timeout_ms;
  srv->trusted_proxies = s->trusted_proxies;
  if (start_workers(srv, s->s3_workers)) {
    snprintf(err, errlen, "S3JSON_S3_WORKERS: cannot start %u threads",
             s->s3_workers);
    close(srv->listen_fd);
    free(srv);
    return NULL;
  }
  atomic_init(&srv->inflight, 0);
  atomic_init(&srv->quiesced, 0);
  atomic_init(&srv->after_quiesce, 0);
  atomic_init(&srv->refuse_jobs, 0);
  if (start_http(srv, s)) {
    snprintf(err, errlen, "S3JSON_THREADS: cannot start %u HTTP threads",
             s->threads);
    stop_workers(srv);
    stop_http(srv);
    free(srv);
    return NULL;
  }
  return srv;
}

/* How long the drain waits for every HTTP thread to stop accepting; one
 * busy with a long batch of requests answers within it. */
#define QUIESCE_WAIT_MS 1000

/* Stops accepting, in an order that resets no connection a client has
 * sent a request on:
 * 1. every HTTP thread accepts what the kernel has queued and stops
 *    polling the listening socket (a poll() holds it open, listening);
 * 2. dup2() puts an inert eventfd (never readable) in its place, so the
 *    socket is closed at once (new connections are refused) while the
 *    descriptor number stays valid until stop_http() closes it;
 * 3. only then do replies say "Connection: close". Before step 2, a
 *    client told to close would reconnect into the queue of a socket
 *    about to close, and be reset with its request sent (wrk counted
 *    these as read errors, test_shutdown). */
void http_server_quiesce(struct http_server *srv)
{
  int inert, all_deaf;

  if (atomic_load(&srv->quiesced))
    return;
  all_deaf = http_loops_stop_accepting(srv->loops, QUIESCE_WAIT_MS) == 0;
  if (!all_deaf)
    log_msg(LOG_WARN, "http_error",
            "an HTTP thread did not stop accepting in time; closing the "
            "listening socket anyway");
  inert = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (inert >= 0 && dup2(inert, srv->listen_fd) >= 0) {
    close(inert);
  } else if (all_deaf) {
    /* Out of descriptors for the eventfd: no thread uses the number any
     * more, so it can simply be closed. */
    if (inert >= 0)
      close(inert);
    close(srv->listen_fd);
    srv->listen_fd = -1;
  } else {
    log_msg(LOG_WARN, "http_error",
            "cannot close the listening socket while draining");
  }
  atomic_store(&srv->quiesced, 1);
}

unsigned http_server_inflight(const struct http_server *srv)
{
  return atomic_load(&((struct http_server *)srv)->inflight);
}

unsigned http_server_connections(const struct http_server *srv)
{
  return http_loops_connections(srv->loops);
}

unsigned long http_server_requests_since_quiesce(const struct http_server *srv)
{
  return atomic_load(&((struct http_server *)srv)->after_quiesce);
}

/* The order matters (issue 10): a request that needs S3 and arrives while
 * stopping must not be suspended with no worker left to resume it, or
 * MHD_stop_daemon() panics ("called while we have suspended
 * connections"). So: refuse new S3-bound work (503, Connection: close),
 * let the workers finish what is queued, each resuming its connection, and
 * join them; only then stop the daemon, which answers or closes those
 * resumed connections. Joining first also keeps a worker from resuming a
 * connection the daemon has already freed. */
void http_server_stop(struct http_server *srv)
{
  if (!srv)
    return;
  stop_workers(srv);
  stop_http(srv);
  free(srv);
}
