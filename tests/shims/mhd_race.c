/* mhd_race.c -- an LD_PRELOAD shim that widens libmicrohttpd's shutdown
 * windows, so integration tests hit in a few runs the races that real load
 * hits once in tens (issue 10). Test code only: never linked into s3json.
 *
 *   MHD_RACE_STOP_DELAY_MS   sleep this long before MHD_stop_daemon():
 *                            requests keep arriving on open keep-alive
 *                            connections between the server's last step
 *                            before the stop and the stop itself.
 *   MHD_RACE_EPOLL_DEL_US    sleep this long before an EPOLL_CTL_DEL made
 *                            by a thread that is not one of libmicrohttpd's
 *                            own ("MHD-..."): the application's thread then
 *                            loses a race against the epoll threads. Since
 *                            issue 11 the HTTP threads are s3json's own
 *                            ("http", http/loop.c) and no daemon has a
 *                            thread or a listening socket, so every DEL is
 *                            delayed: quiesce and stop must still hold.
 *   MHD_RACE_RESUME_US       sleep this long after MHD_resume_connection():
 *                            the connection's HTTP thread, running for
 *                            other connections meanwhile, answers the
 *                            resumed request and frees it while the
 *                            resuming worker still sleeps here, so a
 *                            worker that touches the request after the
 *                            resume is caught (ASan: use after free).
 *
 * Unset or 0: the call goes straight through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

struct MHD_Daemon;
struct MHD_Connection;

/* The functions this shim replaces (libmicrohttpd's and libc's). */
void MHD_stop_daemon(struct MHD_Daemon *d);
void MHD_resume_connection(struct MHD_Connection *c);
int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev);

static long env_long(const char *name)
{
  const char *v = getenv(name);

  return v ? strtol(v, NULL, 10) : 0;
}

static void sleep_us(long us)
{
  struct timespec ts = {us / 1000000, (us % 1000000) * 1000};

  nanosleep(&ts, NULL);
}

void MHD_stop_daemon(struct MHD_Daemon *d)
{
  void (*real)(struct MHD_Daemon *) =
      (void (*)(struct MHD_Daemon *))dlsym(RTLD_NEXT, "MHD_stop_daemon");
  long ms = env_long("MHD_RACE_STOP_DELAY_MS");

  if (ms > 0)
    sleep_us(ms * 1000);
  real(d);
}

void MHD_resume_connection(struct MHD_Connection *c)
{
  void (*real)(struct MHD_Connection *) =
      (void (*)(struct MHD_Connection *))dlsym(RTLD_NEXT,
                                               "MHD_resume_connection");
  long us = env_long("MHD_RACE_RESUME_US");

  real(c);
  if (us > 0)
    sleep_us(us);
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
  int (*real)(int, int, int, struct epoll_event *) =
      (int (*)(int, int, int, struct epoll_event *))dlsym(RTLD_NEXT,
                                                          "epoll_ctl");
  long us = env_long("MHD_RACE_EPOLL_DEL_US");
  char name[16] = "";

  if (us > 0 && op == EPOLL_CTL_DEL &&
      (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0 ||
       strncmp(name, "MHD-", 4) != 0))
    sleep_us(us);
  return real(epfd, op, fd, ev);
}
