/* main.c -- s3json: serve JSON documents kept in S3 over HTTP
 *
 * Start-up reads and validates the environment (settings.c), builds the
 * credential chain (aws/credentials.c), the S3 client (s3/client.c), the
 * readiness probe (health.c) and the routes (http/routes.c), then listens
 * (http/server.c). The main thread then only waits for SIGTERM/SIGINT and
 * runs the drain: stop accepting, /readyz 503, let requests in flight
 * finish within S3JSON_DRAIN_SECONDS, exit 0.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "health.h"
#include "http/routes.h"
#include "http/server.h"
#include "log.h"
#include "s3/client.h"
#include "settings.h"
#include "store/cache.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/harden.h"

#ifndef S3JSON_VERSION
#define S3JSON_VERSION "0.0.0"
#endif
#ifndef S3JSON_GIT_REV
#define S3JSON_GIT_REV "unknown"
#endif

static void usage(FILE *f)
{
  fprintf(f,
          "Usage: s3json [--help | --version | healthcheck]\n"
          "\n"
          "Serves the JSON documents of an S3 bucket or a DynamoDB table "
          "over HTTP:\n"
          "  GET /api/NAME   object PREFIX + NAME + .json (S3), item PREFIX + "
          "NAME (DynamoDB)\n"
          "  GET /api        document names (?limit=1..1000, ?cursor=)\n"
          "  GET /healthz    liveness;  GET /readyz  readiness\n"
          "\n"
          "  healthcheck     GET http://127.0.0.1:$S3JSON_PORT/healthz, exit 0 "
          "if 200\n"
          "                  (container health check; needs no shell)\n"
          "\n");
  settings_print_help(f);
}

/* `s3json healthcheck`: the container's health probe, so the image needs
 * no shell or curl. */
static int healthcheck(const struct settings *s)
{
  char url[64];
  long code = 0;
  CURL *h;
  CURLcode rc;

  snprintf(url, sizeof(url), "http://127.0.0.1:%u/healthz", s->port);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  h = curl_easy_init();
  if (!h)
    return 1;
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 2000L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  rc = curl_easy_perform(h);
  if (rc == CURLE_OK)
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(h);
  curl_global_cleanup();
  if (code != 200) {
    fprintf(stderr, "s3json healthcheck: %s -> %s%ld\n", url,
            rc == CURLE_OK ? "HTTP " : curl_easy_strerror(rc),
            rc == CURLE_OK ? code : 0L);
    return 1;
  }
  return 0;
}

/* 404s and invalid documents are remembered this long at most (and never
 * longer than the TTL), so a document created after a 404 shows up soon. */
#define NEGATIVE_TTL_S 2

/* A keep-alive connection that has carried no request for this long is
 * taken as idle (a load balancer's pool, a client that is done): closing it
 * then is the ordinary keep-alive close. One that still carries requests
 * gets "Connection: close" on its next reply and goes by itself. */
#define DRAIN_QUIET_MS 1000

/* Waits, at most 'seconds', until no request is in flight and every client
 * has gone or gone quiet. Closing connections earlier would cut requests
 * that clients are sending on them right now. Returns how many requests
 * were still running when time ran out. */
static unsigned drain(struct http_server *srv, unsigned seconds)
{
  int64_t t0, quiet_since;
  struct timespec tick = {0, 10 * 1000 * 1000};
  unsigned long seen = http_server_requests_since_quiesce(srv);

  t0 = clock_now_ns();
  quiet_since = t0;
  while (clock_elapsed_ms(t0) < seconds * 1e3) {
    unsigned long now = http_server_requests_since_quiesce(srv);
    if (now != seen) {
      seen = now;
      quiet_since = clock_now_ns();
    }
    if (http_server_inflight(srv) == 0 &&
        (http_server_connections(srv) == 0 ||
         clock_elapsed_ms(quiet_since) >= DRAIN_QUIET_MS))
      break;
    nanosleep(&tick, NULL);
  }
  return http_server_inflight(srv);
}

static void log_start(const struct settings *s,
                      const struct aws_cred_provider *cr, double ms)
{
  log_event(LOG_INFO, "start",
            json_pack("{s:s,s:s,s:s,s:i,s:s,s:s?,s:s?,s:s,s:s,s:s?,s:s,s:i,"
                      "s:i,s:f}",
                      "version", S3JSON_VERSION, "revision", S3JSON_GIT_REV,
                      "bind", s->bind, "port", (int)s->port, "store",
                      s->store == SETTINGS_STORE_S3 ? "s3" : "dynamodb",
                      "bucket", s->bucket, "table", s->table, "prefix",
                      s->prefix, "region", s->region, "endpoint",
                      s->store == SETTINGS_STORE_S3 ? s->endpoint_url
                                                    : s->endpoint_url_dynamodb,
                      "credentials", aws_cred_source_name(aws_cred_source(cr)),
                      "threads", (int)s->threads, "max_connections",
                      (int)s->max_connections, "startup_ms", ms));
  log_event(LOG_INFO, "cache",
            json_pack("{s:i,s:I,s:i,s:i}", "ttl_s", (int)s->cache_ttl_s,
                      "max_bytes", (json_int_t)s->cache_max_bytes,
                      "stale_if_error_s", (int)s->stale_if_error_s,
                      "client_max_age_s", (int)s->client_max_age_s));
}

int main(int argc, char **argv)
{
  static struct settings s;
  int64_t t0;
  char err[512];
  struct aws_cred_provider *creds = NULL;
  struct store st;
  struct health *health = NULL;
  struct routes *routes = NULL;
  struct cache *cache = NULL;
  struct cache_config cachecfg;
  struct http_server *srv = NULL;
  sigset_t sigs;
  int sig = 0, rc = 1;

  t0 = clock_now_ns();
  memset(&st, 0, sizeof(st));
  if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    usage(stdout);
    return 0;
  }
  if (argc > 1 && !strcmp(argv[1], "--version")) {
    printf("s3json %s (%s)\n", S3JSON_VERSION, S3JSON_GIT_REV);
    return 0;
  }
  if (argc > 1 && strcmp(argv[1], "healthcheck")) {
    fprintf(stderr, "s3json: unknown argument \"%s\" (try --help)\n", argv[1]);
    return 2;
  }
  if (argc > 1) {
    if (settings_load_probe(&s, NULL, err, sizeof(err))) {
      fprintf(stderr, "s3json: %s\n", err);
      return 2;
    }
    return healthcheck(&s);
  }
  if (harden_process(err, sizeof(err))) { /* before any secret is read */
    fprintf(stderr, "s3json: %s\n", err);
    return 1;
  }
  if (settings_load(&s, NULL, err, sizeof(err))) {
    fprintf(stderr, "s3json: %s\n", err);
    return 2;
  }
  log_init(s.log_level, STDOUT_FILENO);

  /* Signals are taken synchronously by this thread alone (sigwait below),
   * so every thread started from here on must have them blocked. */
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGTERM);
  sigaddset(&sigs, SIGINT);
  pthread_sigmask(SIG_BLOCK, &sigs, NULL);
  signal(SIGPIPE, SIG_IGN);

  if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
    fprintf(stderr, "s3json: libcurl initialisation failed\n");
    return 1;
  }
  creds = aws_cred_provider_new(&s.aws, s.s3_timeout_ms, err, sizeof(err));
  if (!creds)
    goto fail;
  if (store_open(&st, &s, creds, err, sizeof(err)))
    goto fail;
  cachecfg.ttl_s = s.cache_ttl_s;
  cachecfg.max_bytes = s.cache_max_bytes;
  cachecfg.stale_if_error_s = s.stale_if_error_s;
  cachecfg.negative_ttl_s = NEGATIVE_TTL_S;
  cachecfg.s3_budget_ms = s.s3_timeout_ms;
  cache = cache_new(&cachecfg, st.get, st.impl, NULL);
  health = health_new(&st, creds, s.prefix, s.ready_probe_s);
  routes = health && cache ? routes_new(&s, &st, cache, health, creds) : NULL;
  if (!routes) {
    snprintf(err, sizeof(err), "out of memory");
    goto fail;
  }
  srv = http_server_start(&s, routes, err, sizeof(err));
  if (!srv)
    goto fail;
  if (health_start(health)) {
    snprintf(err, sizeof(err), "cannot start the readiness probe thread");
    goto fail;
  }
  log_start(&s, creds, clock_elapsed_ms(t0));
  if (aws_cred_source(creds) == AWS_CRED_NONE)
    log_msg(LOG_WARN, "no_credentials",
            "no credential source is configured (env, profile, ECS, IMDS): "
            "every S3 call will fail with 503 no_credentials");

  while (sigwait(&sigs, &sig) != 0)
    ;
  log_event(LOG_INFO, "drain",
            json_pack("{s:s,s:i,s:i}", "signal",
                      sig == SIGTERM ? "SIGTERM" : "SIGINT", "inflight",
                      (int)http_server_inflight(srv), "drain_seconds",
                      (int)s.drain_seconds));
  t0 = clock_now_ns();
  health_set_draining(health);
  http_server_quiesce(srv);
  unsigned left = drain(srv, s.drain_seconds);
  if (left > 0) {
    /* Requests still stuck (in an S3 call) at the deadline: stopping the
     * server would wait for their threads. The deadline wins: exit now and
     * let the kernel close their sockets. log_event flushes the buffered
     * access lines before "stop", so nothing is lost; cleanup is skipped
     * on purpose. */
    log_event(LOG_WARN, "stop",
              json_pack("{s:i,s:f}", "abandoned", (int)left, "drain_ms",
                        clock_elapsed_ms(t0)));
    _exit(0);
  }
  http_server_stop(srv);
  log_event(
      LOG_INFO, "stop",
      json_pack("{s:i,s:f}", "abandoned", 0, "drain_ms", clock_elapsed_ms(t0)));
  rc = 0;
  srv = NULL;
  goto out;

fail:
  fprintf(stderr, "s3json: %s\n", err);
  log_event(LOG_ERROR, "start_failed", json_pack("{s:s}", "message", err));
out:
  http_server_stop(srv);
  health_free(health);
  routes_free(routes);
  cache_free(cache);
  store_close(&st);
  aws_cred_provider_free(creds);
  curl_global_cleanup();
  return rc;
}
