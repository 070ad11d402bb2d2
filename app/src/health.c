/* health.c -- liveness, readiness and draining */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "health.h"
#include "aws/credentials.h"
#include "log.h"
#include "s3/client.h"
#include "store/store.h"
#include "util/clock.h"

struct health {
  const struct store *store; /* not owned */
  struct aws_cred_provider *creds;
  const char *prefix;
  unsigned interval_s;

  pthread_mutex_t lock;
  pthread_cond_t wake; /* signalled to stop the probe thread */
  pthread_t thread;
  int running;  /* thread started */
  int stopping; /* under lock */

  atomic_int draining;
  atomic_llong ok_until; /* monotonic seconds; ready while now < this */
  atomic_int last_why;   /* index into reasons[] */
};

static const char *reasons[] = {"no_probe_yet", "credentials",
                                "s3_probe_failed", "ok",
                                "dynamodb_probe_failed"};
enum { WHY_NONE, WHY_CREDS, WHY_S3, WHY_OK, WHY_DDB };

struct health *health_new(const struct store *st, struct aws_cred_provider *cr,
                          const char *prefix, unsigned interval_s)
{
  struct health *h = calloc(1, sizeof(*h));

  if (!h)
    return NULL;
  h->store = st;
  h->creds = cr;
  h->prefix = prefix;
  h->interval_s = interval_s ? interval_s : 10;
  pthread_mutex_init(&h->lock, NULL);
  pthread_cond_init(&h->wake, NULL);
  atomic_init(&h->draining, 0);
  atomic_init(&h->ok_until, 0);
  atomic_init(&h->last_why, WHY_NONE);
  return h;
}

/* One probe: credentials, then the cheapest store call the task role
 * allows. */
static void probe(struct health *h)
{
  struct aws_credentials cred;
  char err[256];
  struct s3_diag diag;
  enum s3_code rc;
  int why;

  if (aws_cred_get(h->creds, &cred, err, sizeof(err)) != AWS_CRED_OK) {
    why = WHY_CREDS;
    log_msg(LOG_WARN, "ready_probe", "credentials: %s", err);
  } else {
    memset(&diag, 0, sizeof(diag));
    rc = h->store->probe(h->store->impl, h->prefix, &diag);
    why = rc == S3_OK                          ? WHY_OK
          : strcmp(h->store->name, "dynamodb") ? WHY_S3
                                               : WHY_DDB;
    if (rc != S3_OK)
      log_event(LOG_WARN, "ready_probe",
                json_pack("{s:s,s:i,s:s,s:s}", "outcome", s3_code_name(rc),
                          "s3_status", diag.http_status, "s3_code",
                          diag.error.code, "detail", diag.detail));
  }
  aws_cred_wipe(&cred);
  if (why == WHY_OK)
    /* Ready for three intervals: one failed probe is not enough to take
     * the task out of service, three in a row are. */
    atomic_store(&h->ok_until, clock_now_s() + 3 * (long long)h->interval_s);
  else
    atomic_store(&h->ok_until, 0);
  atomic_store(&h->last_why, why);
}

static void *probe_loop(void *arg)
{
  struct health *h = arg;
  struct timespec until;

  probe(h);
  pthread_mutex_lock(&h->lock);
  while (!h->stopping) {
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += h->interval_s;
    while (!h->stopping &&
           pthread_cond_timedwait(&h->wake, &h->lock, &until) != ETIMEDOUT)
      ;
    if (h->stopping)
      break;
    pthread_mutex_unlock(&h->lock);
    probe(h);
    pthread_mutex_lock(&h->lock);
  }
  pthread_mutex_unlock(&h->lock);
  return NULL;
}

int health_start(struct health *h)
{
  if (pthread_create(&h->thread, NULL, probe_loop, h))
    return -1;
  h->running = 1;
  return 0;
}

void health_free(struct health *h)
{
  if (!h)
    return;
  if (h->running) {
    pthread_mutex_lock(&h->lock);
    h->stopping = 1;
    pthread_cond_signal(&h->wake);
    pthread_mutex_unlock(&h->lock);
    pthread_join(h->thread, NULL);
  }
  pthread_cond_destroy(&h->wake);
  pthread_mutex_destroy(&h->lock);
  free(h);
}

void health_set_draining(struct health *h)
{
  atomic_store(&h->draining, 1);
}

int health_draining(const struct health *h)
{
  return atomic_load(&((struct health *)h)->draining);
}

int health_ready(struct health *h, const char **why)
{
  if (atomic_load(&h->draining)) {
    *why = "draining";
    return 0;
  }
  if (clock_now_s() < atomic_load(&h->ok_until))
    return 1;
  int w = atomic_load(&h->last_why);
  if (w == WHY_OK) /* the probe is overdue: treat it as failed */
    w = strcmp(h->store->name, "dynamodb") ? WHY_S3 : WHY_DDB;
  *why = reasons[w];
  return 0;
}
