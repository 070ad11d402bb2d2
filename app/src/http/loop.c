/* loop.c -- the HTTP threads (see loop.h for why they are ours) */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../log.h"
#include "../metrics.h"
#include "../util/clock.h"
#include "loop.h"

/* Connections accepted per wake-up of the listening socket at most, so a
 * connection storm cannot starve the requests of open connections. */
#define ACCEPT_BURST 16
/* Accepted connections waiting for their thread; past it, the accepting
 * thread keeps the connection itself. 256: a burst of 256 new connections
 * hands its peer 128, which must fit while the peer is off its CPU (64
 * overflowed under ASan in CI, 140/116); 35 KiB a thread. */
#define HANDOFF_MAX 256

struct handoff {
  int fd;
  socklen_t len;
  struct sockaddr_storage addr;
};

struct http_loop {
  struct http_loops *set;
  struct MHD_Daemon *mhd;
  int epoll_fd; /* the daemon's */
  int wake_fd;  /* eventfd: hand-offs, resumed connections, stop */
  pthread_t thread;
  int started;
  int deaf; /* no longer polls or accepts from the listening socket */
  /* Open connections + hand-offs queued for it; the loops' sum is every
   * connection accepted and not yet closed. */
  atomic_uint load;
  pthread_mutex_t qlock;
  struct handoff queue[HANDOFF_MAX];
  unsigned qhead, qlen;
};

struct http_loops {
  int listen_fd;
  unsigned n;
  unsigned max_connections;
  int64_t yield_ns;            /* S3JSON_HTTP_YIELD_US; 0 = never */
  atomic_llong refused_log_ms; /* when the limit was last logged */
  atomic_int stop;
  atomic_int deaf;          /* set: stop accepting (the drain) */
  atomic_uint deaf_threads; /* threads that have stopped accepting */
  struct http_loop *loops;
};

/* The loop of the calling thread, for http_loops_connection. */
static _Thread_local struct http_loop *current;

struct http_loop *http_loop_current(void)
{
  return current;
}

void http_loop_wake(struct http_loop *l)
{
  uint64_t one = 1;

  /* A full counter (never, in practice) is as good as a wake-up. */
  (void)!write(l->wake_fd, &one, sizeof(one));
}

struct http_loops *http_loops_new(int listen_fd, unsigned n,
                                  unsigned max_connections, unsigned yield_us)
{
  struct http_loops *ls = calloc(1, sizeof(*ls));
  unsigned i;

  if (!ls)
    return NULL;
  ls->loops = calloc(n ? n : 1, sizeof(*ls->loops));
  if (!ls->loops) {
    free(ls);
    return NULL;
  }
  ls->listen_fd = listen_fd;
  ls->n = n ? n : 1;
  ls->max_connections = max_connections;
  ls->yield_ns = (int64_t)yield_us * 1000;
  atomic_init(&ls->stop, 0);
  atomic_init(&ls->deaf, 0);
  atomic_init(&ls->deaf_threads, 0);
  atomic_init(&ls->refused_log_ms, 0);
  for (i = 0; i < ls->n; i++) {
    struct http_loop *l = &ls->loops[i];
    l->set = ls;
    l->epoll_fd = -1;
    atomic_init(&l->load, 0);
    pthread_mutex_init(&l->qlock, NULL);
    l->wake_fd = -1;
  }
  for (i = 0; i < ls->n; i++) {
    ls->loops[i].wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ls->loops[i].wake_fd < 0) {
      http_loops_free(ls);
      return NULL;
    }
  }
  return ls;
}

void http_loops_set_daemon(struct http_loops *ls, unsigned i,
                           struct MHD_Daemon *d)
{
  const union MHD_DaemonInfo *di =
      MHD_get_daemon_info(d, MHD_DAEMON_INFO_EPOLL_FD);

  ls->loops[i].mhd = d; /* owned from now on */
  ls->loops[i].epoll_fd = di ? di->epoll_fd : -1;
}

/*************************************************************************
 * Dealing connections
 *************************************************************************/

/* The thread with the fewest connections; 'self' on a tie, so a balanced
 * server hands nothing off. '*count' is its count as read. */
static struct http_loop *least_loaded(struct http_loop *self, unsigned *count)
{
  struct http_loops *ls = self->set;
  struct http_loop *best = self;
  unsigned min = atomic_load_explicit(&self->load, memory_order_relaxed);
  unsigned i;

  for (i = 0; i < ls->n; i++) {
    unsigned v = atomic_load_explicit(&ls->loops[i].load, memory_order_relaxed);
    if (v < min) {
      min = v;
      best = &ls->loops[i];
    }
  }
  *count = min;
  return best;
}

/* Gives an accepted socket to this thread's daemon, which takes it over
 * (and closes it itself if it cannot). */
static void adopt(struct http_loop *l, const struct handoff *h)
{
  /* Counted when the connection was dealt; the daemon's notification
   * counts it again as opened, so take the first count back. */
  atomic_fetch_sub_explicit(&l->load, 1, memory_order_relaxed);
  if (MHD_add_connection(l->mhd, h->fd, (const struct sockaddr *)&h->addr,
                         h->len) != MHD_YES)
    log_msg(LOG_WARN, "http_error", "cannot take a new connection");
}

/* Queues 'h' for 'to'; 0, or -1 when its queue is full. */
static int hand_off(struct http_loop *to, const struct handoff *h)
{
  pthread_mutex_lock(&to->qlock);
  if (to->qlen == HANDOFF_MAX) {
    pthread_mutex_unlock(&to->qlock);
    return -1;
  }
  to->queue[(to->qhead + to->qlen++) % HANDOFF_MAX] = *h;
  pthread_mutex_unlock(&to->qlock);
  http_loop_wake(to);
  return 0;
}

/* Adopts what other threads handed to this one. */
static void take_handoffs(struct http_loop *l)
{
  struct handoff h;

  for (;;) {
    pthread_mutex_lock(&l->qlock);
    if (!l->qlen) {
      pthread_mutex_unlock(&l->qlock);
      return;
    }
    h = l->queue[l->qhead];
    l->qhead = (l->qhead + 1) % HANDOFF_MAX;
    l->qlen--;
    pthread_mutex_unlock(&l->qlock);
    adopt(l, &h);
  }
}

/* Past S3JSON_MAX_CONNECTIONS a new connection is closed at once: a
 * load balancer then tries another target at once, where one left in the
 * kernel's queue would wait for an idle connection to time out. Logged at
 * most once a second. */
static void refuse(struct http_loops *ls, int fd)
{
  long long now = clock_coarse_ms();
  long long last =
      atomic_load_explicit(&ls->refused_log_ms, memory_order_relaxed);

  close(fd);
  if (now - last >= 1000 &&
      atomic_compare_exchange_strong(&ls->refused_log_ms, &last, now))
    log_msg(LOG_WARN, "http_error",
            "connection limit reached (S3JSON_MAX_CONNECTIONS): closing new "
            "connections");
}

unsigned http_loops_connections(const struct http_loops *ls)
{
  unsigned i, n = 0;

  for (i = 0; i < ls->n; i++)
    n += atomic_load_explicit(&ls->loops[i].load, memory_order_relaxed);
  return n;
}

/* Gives 'h', just accepted on 'l', to the thread with the fewest
 * connections; 'l' keeps it when that is itself or when the other's queue
 * is full. */
static void deal(struct http_loop *l, const struct handoff *h)
{
  struct http_loop *to;
  unsigned seen;

  /* The place is claimed only if the chosen count is still the one read:
   * two threads dealing at once read the same counts, and would otherwise
   * both give their connection to the same thread (a burst of 64 went
   * 33/31 in CI). On a change, choose again. */
  do
    to = least_loaded(l, &seen);
  while (!atomic_compare_exchange_weak_explicit(
      &to->load, &seen, seen + 1, memory_order_relaxed, memory_order_relaxed));
  if (to != l) {
    if (hand_off(to, h) == 0)
      return;
    atomic_fetch_sub_explicit(&to->load, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&l->load, 1, memory_order_relaxed);
  }
  adopt(l, h);
}

/* Accepts what is waiting (up to ACCEPT_BURST) and deals it out. 1 when
 * it stopped at ACCEPT_BURST (more may wait), else 0. */
static int accept_burst(struct http_loop *l)
{
  struct http_loops *ls = l->set;
  struct handoff h;
  int k;

  for (k = 0; k < ACCEPT_BURST; k++) {
    h.len = sizeof(h.addr);
    h.fd = accept4(ls->listen_fd, (struct sockaddr *)&h.addr, &h.len,
                   SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (h.fd < 0) {
      if (errno == ECONNABORTED || errno == EINTR)
        continue;
      if (errno == EMFILE || errno == ENFILE)
        log_msg(LOG_WARN, "http_error",
                "out of file descriptors: new connections wait");
      return 0; /* EAGAIN: none left; the rest: retried on the next wake */
    }
    if (http_loops_connections(ls) >= ls->max_connections)
      refuse(ls, h.fd);
    else
      deal(l, &h);
  }
  return 1;
}

void http_loops_connection(int opened)
{
  if (current)
    atomic_fetch_add_explicit(&current->load, opened ? 1U : (unsigned)-1,
                              memory_order_relaxed);
}

static void wake_all(struct http_loops *ls)
{
  unsigned i;

  for (i = 0; i < ls->n; i++)
    if (ls->loops[i].wake_fd >= 0)
      http_loop_wake(&ls->loops[i]);
}

/* This thread's part of http_loops_stop_accepting: it takes what the
 * kernel has queued (a client sent its request on it already, and closing
 * the socket would reset it) and never polls the socket again. */
static void go_deaf(struct http_loop *l)
{
  while (accept_burst(l))
    ;
  l->deaf = 1;
  atomic_fetch_add(&l->set->deaf_threads, 1);
}

int http_loops_stop_accepting(struct http_loops *ls, unsigned timeout_ms)
{
  unsigned i, started = 0;
  int64_t t0 = clock_now_ns();
  struct timespec tick = {0, 1000 * 1000};

  for (i = 0; i < ls->n; i++)
    started += (unsigned)ls->loops[i].started;
  atomic_store(&ls->deaf, 1);
  wake_all(ls);
  while (atomic_load(&ls->deaf_threads) < started) {
    if (clock_elapsed_ms(t0) >= timeout_ms)
      return -1;
    nanosleep(&tick, NULL);
  }
  return 0;
}

/*************************************************************************
 * The loop
 *************************************************************************/

/* How long poll() may sleep: until the daemon's next idle-connection
 * timeout, 0 when it has work pending, forever without either. */
static int poll_timeout(struct MHD_Daemon *d)
{
  MHD_UNSIGNED_LONG_LONG ms;

  if (MHD_get_timeout(d, &ms) != MHD_YES)
    return -1;
  return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

/* A poll() that finds work ready returns in a few microseconds; one that
 * took longer slept (or the thread was preempted): either way the CPU was
 * free for others, and the busy stretch starts again. */
#define POLL_RESTED_NS 20000

/* Why yield at all (issue 11, docs/benchmarks.md): a thread that always
 * finds requests ready never sleeps, so a thread waiting for its CPU (the
 * other HTTP thread, an S3 worker with a reply, a sidecar, a load
 * generator on the same cores) waits for the kernel to take it away: a
 * scheduler tick, 4 ms at HZ=250, two when it is unlucky. That was the
 * 7.5-7.9 ms p99 measured at 16 and 64 connections; giving the CPU away
 * after 300 us of work makes it 0.7-1.5 ms, for some throughput when the
 * cores are saturated. With no one waiting, sched_yield returns at once. */
static void yield_if_busy(const struct http_loops *ls, int64_t now,
                          int64_t *busy_since)
{
  if (!ls->yield_ns || now - *busy_since < ls->yield_ns)
    return;
  sched_yield();
  metrics_http_yield();
  *busy_since = now;
}

static void *loop_main(void *arg)
{
  struct http_loop *l = arg;
  struct http_loops *ls = l->set;
  uint64_t count;
  /* When the thread last waited for its CPU or for work, and when it
   * last finished a round of work: two clock reads a round. */
  int64_t busy_since = clock_now_ns(), ran = busy_since, now;

  current = l;
  while (!atomic_load(&ls->stop)) {
    struct pollfd p[3] = {{l->epoll_fd, POLLIN, 0},
                          {l->wake_fd, POLLIN, 0},
                          {ls->listen_fd, POLLIN, 0}};

    if (!l->deaf && atomic_load_explicit(&ls->deaf, memory_order_relaxed))
      go_deaf(l);
    if (poll(p, l->deaf ? 2 : 3, poll_timeout(l->mhd)) < 0 && errno != EINTR)
      log_msg(LOG_ERROR, "http_error", "poll failed");
    now = clock_now_ns();
    if (now - ran >= POLL_RESTED_NS) /* it slept, or was made to wait */
      busy_since = now;
    if (p[1].revents & POLLIN) {
      (void)!read(l->wake_fd, &count, sizeof(count));
      take_handoffs(l);
    }
    if (p[2].revents & POLLIN)
      accept_burst(l);
    /* Never blocks: serves what is ready, adopted connections included,
     * and closes timed-out ones. */
    MHD_run(l->mhd);
    ran = clock_now_ns();
    yield_if_busy(ls, ran, &busy_since);
  }
  current = NULL;
  return NULL;
}

int http_loops_start(struct http_loops *ls)
{
  unsigned i;

  for (i = 0; i < ls->n; i++) {
    struct http_loop *l = &ls->loops[i];
    if (l->epoll_fd < 0 || pthread_create(&l->thread, NULL, loop_main, l))
      return -1; /* http_loops_free joins those started */
    l->started = 1;
    pthread_setname_np(l->thread, "http"); /* in top -H, /proc/PID/task */
  }
  return 0;
}

void http_loops_free(struct http_loops *ls)
{
  unsigned i;

  if (!ls)
    return;
  atomic_store(&ls->stop, 1);
  wake_all(ls);
  for (i = 0; i < ls->n; i++) {
    struct http_loop *l = &ls->loops[i];
    if (l->started)
      pthread_join(l->thread, NULL);
    if (l->mhd) /* closes its connections; its thread is gone */
      MHD_stop_daemon(l->mhd);
    while (l->qlen) {
      close(l->queue[l->qhead].fd);
      l->qhead = (l->qhead + 1) % HANDOFF_MAX;
      l->qlen--;
    }
    if (l->wake_fd >= 0)
      close(l->wake_fd);
    pthread_mutex_destroy(&l->qlock);
  }
  free(ls->loops);
  free(ls);
}
