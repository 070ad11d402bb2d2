/* creds_tool.c -- drives aws/credentials from a test script
 *
 * Builds a provider from the environment (through settings_load, as s3json
 * does), then calls aws_cred_get COUNT times, INTERVAL_MS apart, and prints
 * one line per call:
 *   call=3 now=1795551587.250 rc=ok source=ecs akid=ASIA... \
 *     secret_sha256=0123abcd4567 token_sha256=89ab... exp=1795551593 \
 *     refreshes=1 agree=1
 *   call=4 now=... rc=unavailable source=ecs err="ecs: HTTP 503" ...
 * Secrets are never printed: only the first 12 hex digits of their SHA-256,
 * so a test can tell keys apart and compare them with what it served.
 * With -p N, each call is made by N threads at once (agree=1 when they all
 * got the same answer); the line shows thread 0's.
 *
 * Usage: creds_tool [-n COUNT] [-i INTERVAL_MS] [-t TIMEOUT_MS] [-p N]
 * Exit: 0 after the calls, 2 when the provider cannot be built (the reason
 * on stderr, as s3json would log it).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/sha.h>

#include "aws/credentials.h"
#include "log.h"
#include "settings.h"
#include "util/clock.h"

#define MAX_THREADS 64

struct opts {
  long count;
  long interval_ms;
  long timeout_ms;
  long threads;
};

struct result {
  enum aws_cred_code rc;
  struct aws_credentials c;
  char err[256];
};

struct job {
  struct aws_cred_provider *p;
  struct result r;
};

/* settings_load wants a bucket; this tool does not talk to S3. */
static const char *tool_getenv(const char *name)
{
  const char *v = getenv(name);

  if (!v && !strcmp(name, "S3JSON_BUCKET"))
    return "creds-tool";
  return v;
}

static long arg_long(const char *s, long min, long max)
{
  char *end;
  long v = strtol(s, &end, 10);

  if (*end || v < min || v > max) {
    fprintf(stderr, "creds_tool: bad number \"%s\"\n", s);
    exit(2);
  }
  return v;
}

static void parse_args(int argc, char **argv, struct opts *o)
{
  int c;

  o->count = 1;
  o->interval_ms = 1000;
  o->timeout_ms = 1000;
  o->threads = 1;
  while ((c = getopt(argc, argv, "n:i:t:p:")) != -1) {
    switch (c) {
    case 'n':
      o->count = arg_long(optarg, 1, 100000);
      break;
    case 'i':
      o->interval_ms = arg_long(optarg, 0, 600000);
      break;
    case 't':
      o->timeout_ms = arg_long(optarg, 1, 600000);
      break;
    case 'p':
      o->threads = arg_long(optarg, 1, MAX_THREADS);
      break;
    default:
      fprintf(stderr, "usage: creds_tool [-n COUNT] [-i INTERVAL_MS] "
                      "[-t TIMEOUT_MS] [-p THREADS]\n");
      exit(2);
    }
  }
}

/* First 12 hex digits of SHA-256('s'), or "-" for an empty string. */
static void digest(const char *s, char out[13])
{
  unsigned char md[SHA256_DIGEST_LENGTH];
  int i;

  if (!s[0]) {
    snprintf(out, 13, "-");
    return;
  }
  SHA256((const unsigned char *)s, strlen(s), md);
  for (i = 0; i < 6; i++)
    snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static void *get_main(void *arg)
{
  struct job *j = arg;

  j->r.rc = aws_cred_get(j->p, &j->r.c, j->r.err, sizeof(j->r.err));
  return NULL;
}

static int same(const struct result *a, const struct result *b)
{
  if (a->rc != b->rc)
    return 0;
  return a->rc != AWS_CRED_OK ||
         (!strcmp(a->c.access_key_id, b->c.access_key_id) &&
          !strcmp(a->c.secret_access_key, b->c.secret_access_key));
}

/* One call by 'n' threads; returns whether they all agree. */
static int call(struct aws_cred_provider *p, long n, struct job *jobs)
{
  pthread_t t[MAX_THREADS];
  long i;
  int agree = 1;

  for (i = 0; i < n; i++) {
    memset(&jobs[i].r, 0, sizeof(jobs[i].r));
    jobs[i].p = p;
    if (pthread_create(&t[i], NULL, get_main, &jobs[i])) {
      fprintf(stderr, "creds_tool: pthread_create failed\n");
      exit(2);
    }
  }
  for (i = 0; i < n; i++)
    pthread_join(t[i], NULL);
  for (i = 1; i < n; i++)
    agree &= same(&jobs[0].r, &jobs[i].r);
  return agree;
}

static void print_line(long k, long long t, const struct aws_cred_provider *p,
                       const struct result *r, int agree)
{
  char sec[13], tok[13];

  printf("call=%ld now=%lld.%03lld rc=%s source=%s", k, t / 1000, t % 1000,
         r->rc == AWS_CRED_OK ? "ok" : "unavailable",
         aws_cred_source_name(aws_cred_source(p)));
  if (r->rc == AWS_CRED_OK) {
    digest(r->c.secret_access_key, sec);
    digest(r->c.session_token, tok);
    printf(" akid=%s secret_sha256=%s token_sha256=%s exp=%lld",
           r->c.access_key_id, sec, tok, (long long)r->c.expiration);
  } else {
    printf(" code=%d err=\"%s\"", (int)r->rc, r->err);
  }
  printf(" refreshes=%lu agree=%d\n", aws_cred_refresh_count(p), agree);
  fflush(stdout);
}

int main(int argc, char **argv)
{
  static struct job jobs[MAX_THREADS];
  struct aws_cred_provider *p;
  struct settings s;
  struct opts o;
  char err[512];
  long k;

  parse_args(argc, argv, &o);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  log_init(LOG_WARN, 2); /* the provider's warnings go to stderr */
  if (settings_load(&s, tool_getenv, err, sizeof(err))) {
    fprintf(stderr, "creds_tool: %s\n", err);
    return 2;
  }
  /* The test-only ECS host, in case settings.c does not read it yet. */
  if (!s.aws.container_host)
    s.aws.container_host = getenv("S3JSON_ECS_CREDENTIALS_HOST");
  p = aws_cred_provider_new(&s.aws, o.timeout_ms, err, sizeof(err));
  if (!p) {
    fprintf(stderr, "creds_tool: %s\n", err);
    return 2;
  }
  for (k = 1; k <= o.count; k++) {
    /* The provider's own clock (clock_wall_ms), read before the call: a
     * line with keys that expire at E shows a time below E. Rounding (as
     * %.3f of a double did) could print 2.9996 s as the expiry second. */
    long long t = clock_wall_ms();
    int agree = call(p, o.threads, jobs);
    print_line(k, t, p, &jobs[0].r, agree);
    if (k < o.count && o.interval_ms)
      usleep((useconds_t)o.interval_ms * 1000);
  }
  for (k = 0; k < MAX_THREADS; k++)
    aws_cred_wipe(&jobs[k].r.c);
  aws_cred_provider_free(p);
  curl_global_cleanup();
  return 0;
}
