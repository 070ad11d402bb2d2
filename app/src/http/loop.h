/* loop.h -- the HTTP threads: one libmicrohttpd daemon each, run by our
 * own poll loop, with new connections dealt out evenly
 *
 * Why not libmicrohttpd's thread pool (issue 11, docs/benchmarks.md):
 * - its threads share one listening socket and each accepts up to ten
 *   connections per wake-up, so a burst of connections lands on one
 *   thread (64/0 measured) while the other idles;
 * - its internal epoll loop (0.9.75, daemon.c MHD_epoll) calls epoll_wait
 *   again, with the blocking timeout, whenever one call returned exactly
 *   128 events, and only then serves them: a thread with exactly 128
 *   ready connections sleeps while they wait (an even split of 256
 *   clients stalled that way).
 * Here each thread polls its daemon's epoll descriptor, a wake-up eventfd
 * and the shared listening socket, then calls MHD_run(), which never
 * blocks (so the 128-event loop cannot sleep). A thread that accepts a
 * connection gives it to the thread with the fewest (its own first on a
 * tie), through that thread's hand-off queue; each daemon is only ever
 * touched by its own thread. */
#ifndef HEADER_S3JSON_LOOP_H
#define HEADER_S3JSON_LOOP_H

#include <microhttpd.h>

struct http_loops;
struct http_loop;

/* 'n' threads (at least 1) accepting from 'listen_fd' (non-blocking,
 * listening; not owned). At most 'max_connections' are open: past it a new
 * connection is closed at once (and logged at most once a second). A
 * thread that has worked for 'yield_us' without once waiting (for work or
 * for its CPU) calls sched_yield(), counted in s3json_http_yields_total;
 * 0 = never. NULL when out of memory or descriptors. */
struct http_loops *http_loops_new(int listen_fd, unsigned n,
                                  unsigned max_connections, unsigned yield_us);

/* Gives thread 'i' its daemon, started with MHD_USE_EPOLL (no internal
 * thread) and MHD_USE_NO_LISTEN_SOCKET; the loops own it from then on.
 * Before http_loops_start. */
void http_loops_set_daemon(struct http_loops *ls, unsigned i,
                           struct MHD_Daemon *d);

/* Starts the threads. 0, or -1 when a thread could not start (those that
 * did are stopped again). */
int http_loops_start(struct http_loops *ls);

/* Connections accepted and not yet closed, in all threads: what the
 * connection limit counts (two threads accepting at the same instant may
 * each let one more in) and what the drain waits for. */
unsigned http_loops_connections(const struct http_loops *ls);

/* Called from libmicrohttpd's connection notification (MHD_CONNECTION_
 * NOTIFY_STARTED / _CLOSED), which runs on the daemon's own thread: keeps
 * each thread's count, which the dealing uses. A no-op on other threads
 * (MHD_stop_daemon closing connections after the threads stopped). */
void http_loops_connection(int opened);

/* The HTTP thread calling, or NULL on any other thread. */
struct http_loop *http_loop_current(void);

/* Makes thread 'l' run its daemon soon. Call it after MHD_resume_connection
 * from another thread: without an internal thread, libmicrohttpd drops
 * MHD_USE_ITC and has no wake-up of its own (daemon.c, 0.9.75). Safe from
 * any thread. */
void http_loop_wake(struct http_loop *l);

/* The drain's first step: every thread accepts what the kernel has queued
 * and stops polling the listening socket. Returns once all have (0), or
 * after 'timeout_ms' (-1). Then the socket can be closed without resetting
 * a connection a client already sent a request on: it is no longer held
 * by a poll() (which keeps it listening) and its queue is empty but for
 * what arrived in the last microseconds. */
int http_loops_stop_accepting(struct http_loops *ls, unsigned timeout_ms);

/* Stops and joins the threads, then stops their daemons (which close
 * every connection) and closes connections accepted but not yet handed
 * over. Accepts NULL. */
void http_loops_free(struct http_loops *ls);

#endif /* HEADER_S3JSON_LOOP_H */
