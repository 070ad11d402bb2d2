/* server_tool.c -- drives http/server through its shutdown (integration)
 *
 *   server_tool cycles N [probes]
 *
 * Runs N times, in one process: start the server on 127.0.0.1, let 8
 * keep-alive clients send requests (half of them S3-bound, to an endpoint
 * that refuses connections, so they run on the worker pool; with "probes",
 * only /healthz, so the epoll threads turn fastest), quiesce, stop while
 * the clients keep sending. libmicrohttpd aborts the process when a
 * shutdown step races its threads (a suspended connection left at
 * MHD_stop_daemon, the listening socket removed from an epoll set twice),
 * so the test is that every cycle ends and the tool exits 0. A connection
 * that ends with no reply between the quiesce and the stop is "lost" (see
 * lost()): the drain cut a client it had served, or reset one it told to
 * close that reconnected into the queue of a socket about to close. Prints one
 * JSON object: cycles, replies by status class, lost, connections made. Exit
 * status: 0 when every cycle ended, 1 when a reply was malformed or a request
 * lost, 2 on a usage or setup error.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/credentials.h"
#include "health.h"
#include "http/routes.h"
#include "http/server.h"
#include "log.h"
#include "s3/client.h"
#include "settings.h"
#include "store/cache.h"
#include "store/store.h"

#define CLIENTS 8
#define CYCLES_MAX 10000

static char port_s[16], endpoint_s[64];

static atomic_int running;
static atomic_int stopping; /* http_server_stop has begun */
static int probes_only;     /* only /healthz */
static atomic_long n_2xx, n_5xx, n_other, n_conns, n_bad, n_lost;

static const char *tool_env(const char *name)
{
  static const char *const kv[][2] = {
      {"S3JSON_BUCKET", "docs"},
      {"S3JSON_BIND", "127.0.0.1"},
      {"S3JSON_THREADS", "2"},
      {"S3JSON_S3_WORKERS", "2"},
      {"S3JSON_CACHE_TTL_SECONDS", "0"},
      {"S3JSON_S3_TIMEOUT_MS", "500"},
      {"S3JSON_S3_MAX_ATTEMPTS", "1"},
      {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
      {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
      {"AWS_EC2_METADATA_DISABLED", "true"},
      {"S3JSON_LOG_LEVEL", "error"},
  };

  if (!strcmp(name, "S3JSON_PORT"))
    return port_s;
  if (!strcmp(name, "AWS_ENDPOINT_URL_S3"))
    return endpoint_s;
  for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
    if (!strcmp(kv[i][0], name))
      return kv[i][1];
  return NULL;
}

/* A port nothing listens on (bound, then closed), as the tool's port or
 * as an S3 endpoint that refuses connections at once. */
static unsigned free_port(void)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  unsigned port = 0;

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
      getsockname(fd, (struct sockaddr *)&a, &len) == 0)
    port = ntohs(a.sin_port);
  if (fd >= 0)
    close(fd);
  return port;
}

static int connect_to(unsigned port)
{
  struct sockaddr_in a;
  struct timeval tv = {2, 0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  if (fd < 0)
    return -1;
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
    close(fd);
    return -1;
  }
  atomic_fetch_add(&n_conns, 1);
  return fd;
}

/* Reads one reply; returns its status, 0 when the connection ended first,
 * -1 when it is not HTTP. '*close' is set when the server said so. */
static int read_reply(int fd, int *close_after)
{
  char buf[8192], *end, *cl;
  size_t have = 0, want;
  ssize_t n;
  int status;

  for (;;) {
    n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
    if (n <= 0)
      return 0;
    have += (size_t)n;
    buf[have] = '\0';
    end = strstr(buf, "\r\n\r\n");
    if (end)
      break;
    if (have == sizeof(buf) - 1)
      return -1;
  }
  if (sscanf(buf, "HTTP/1.1 %d ", &status) != 1)
    return -1;
  *close_after = strcasestr(buf, "\r\nConnection: close") != NULL;
  cl = strcasestr(buf, "\r\nContent-Length:");
  want = (size_t)(end + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
  while (have < want) {
    n = recv(fd, buf,
             sizeof(buf) - 1 < want - have ? sizeof(buf) - 1 : want - have, 0);
    if (n <= 0)
      return 0;
    have += (size_t)n;
  }
  return status;
}

static void count(int status)
{
  if (status >= 200 && status < 300)
    atomic_fetch_add(&n_2xx, 1);
  else if (status >= 500)
    atomic_fetch_add(&n_5xx, 1);
  else
    atomic_fetch_add(&n_other, 1);
}

/* Whether a request that got no reply counts as lost: not once the stop
 * has begun (it closes every connection), and not on a client's first
 * connection of the cycle before any reply: one that connects at the very
 * instant the listening socket closes is reset by the kernel, as with any
 * server that stops listening. A connection that was served, or a
 * reconnect after the server said "Connection: close", is the drain's. */
static int lost(int served, int reconnect)
{
  return !atomic_load(&stopping) && (served || reconnect);
}

static void *client_main(void *arg)
{
  unsigned port = *(unsigned *)arg;
  char req[128];
  int fd = -1, i = 0, status, close_after, served = 0, told_close = 0;

  while (atomic_load(&running)) {
    if (fd < 0 && (fd = connect_to(port)) < 0) {
      usleep(200);
      continue;
    }
    /* Every other request needs S3 (a cache miss: the TTL is 0). */
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n",
             probes_only || i++ % 2 ? "/healthz" : "/api/doc");
    close_after = 0;
    status = send(fd, req, strlen(req), MSG_NOSIGNAL) < 0
                 ? 0
                 : read_reply(fd, &close_after);
    if (status < 0)
      atomic_fetch_add(&n_bad, 1);
    else if (status > 0)
      count(status);
    else if (lost(served, told_close))
      atomic_fetch_add(&n_lost, 1);
    served = status > 0;
    if (status <= 0 || close_after) {
      told_close = close_after;
      served = 0;
      close(fd);
      fd = -1;
    }
  }
  if (fd >= 0)
    close(fd);
  return NULL;
}

static void sleep_us(long us)
{
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

  nanosleep(&ts, NULL);
}

/* One cycle: start, load, quiesce, stop under load. */
static int cycle(const struct settings *s, struct routes *routes, unsigned port)
{
  pthread_t t[CLIENTS];
  char err[256];
  struct http_server *srv = http_server_start(s, routes, err, sizeof(err));
  int i;

  if (!srv) {
    fprintf(stderr, "server_tool: %s\n", err);
    return -1;
  }
  atomic_store(&running, 1);
  atomic_store(&stopping, 0);
  for (i = 0; i < CLIENTS; i++)
    pthread_create(&t[i], NULL, client_main, &port);
  sleep_us(3000 + rand() % 5000);
  http_server_quiesce(srv);
  sleep_us(rand() % 2000);
  atomic_store(&stopping, 1);
  http_server_stop(srv);
  atomic_store(&running, 0);
  for (i = 0; i < CLIENTS; i++)
    pthread_join(t[i], NULL);
  return 0;
}

int main(int argc, char **argv)
{
  static struct settings s;
  static unsigned port;
  char err[512];
  struct cache_config cc = {0, 1 << 20, 0, 0, 2000};
  struct aws_cred_provider *creds;
  struct store st;
  int opened;
  struct cache *cache;
  struct health *health;
  struct routes *routes;
  long n, i;

  if (argc < 3 || argc > 4 || strcmp(argv[1], "cycles") ||
      (n = strtol(argv[2], NULL, 10)) < 1 || n > CYCLES_MAX ||
      (argc == 4 && strcmp(argv[3], "probes"))) {
    fprintf(stderr, "usage: server_tool cycles N [probes] (N 1..%d)\n",
            CYCLES_MAX);
    return 2;
  }
  probes_only = argc == 4;
  port = free_port();
  snprintf(port_s, sizeof(port_s), "%u", port);
  snprintf(endpoint_s, sizeof(endpoint_s), "http://127.0.0.1:%u", free_port());
  if (!port || settings_load(&s, tool_env, err, sizeof(err))) {
    fprintf(stderr, "server_tool: %s\n", port ? err : "no free port");
    return 2;
  }
  log_init(s.log_level, STDERR_FILENO);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  srand((unsigned)time(NULL));
  creds = aws_cred_provider_new(&s.aws, s.s3_timeout_ms, err, sizeof(err));
  memset(&st, 0, sizeof(st));
  opened = creds && store_open(&st, &s, creds, err, sizeof(err)) == 0;
  cache = opened ? cache_new(&cc, st.get, st.impl, NULL) : NULL;
  health = opened ? health_new(&st, creds, s.prefix, s.ready_probe_s) : NULL;
  routes = cache && health ? routes_new(&s, &st, cache, health, creds) : NULL;
  if (!routes) {
    fprintf(stderr, "server_tool: setup failed: %s\n", err);
    return 2;
  }
  for (i = 0; i < n; i++)
    if (cycle(&s, routes, port))
      return 2;
  printf("{\"cycles\":%ld,\"2xx\":%ld,\"5xx\":%ld,\"other\":%ld,"
         "\"malformed\":%ld,\"lost\":%ld,\"connections\":%ld}\n",
         n, atomic_load(&n_2xx), atomic_load(&n_5xx), atomic_load(&n_other),
         atomic_load(&n_bad), atomic_load(&n_lost), atomic_load(&n_conns));
  routes_free(routes);
  health_free(health);
  cache_free(cache);
  store_close(&st);
  aws_cred_provider_free(creds);
  curl_global_cleanup();
  return atomic_load(&n_bad) || atomic_load(&n_lost) ? 1 : 0;
}
