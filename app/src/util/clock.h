/* clock.h -- the monotonic clock, in one place
 *
 * Every duration and deadline in s3json (timeouts, backoff, log flush,
 * request latency, readiness) is measured on CLOCK_MONOTONIC: it never
 * jumps when the wall clock is set. Times are plain integers (ns, us, ms or
 * s since an unspecified start), so they are copied, compared and stored in
 * atomics like any number. Header-only, as redis's monotonic.h: each call is
 * one vDSO read, inlined.
 *
 * clock_coarse_ms reads CLOCK_MONOTONIC_COARSE (the last tick, ~1-4 ms
 * resolution, a few ns to read): for hot paths that only need ms-ish
 * deadlines (the log flush). Everything else uses the precise clock.
 * Wall-clock time (timestamps, SigV4 dates) is not here, but for
 * clock_wall_ms: the one reading that credential expiry is compared with.
 */
#ifndef HEADER_S3JSON_CLOCK_H
#define HEADER_S3JSON_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_ts_ns(clockid_t id)
{
  struct timespec ts;

  clock_gettime(id, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Monotonic now. */
static inline int64_t clock_now_ns(void)
{
  return clock_ts_ns(CLOCK_MONOTONIC);
}

static inline int64_t clock_now_us(void)
{
  return clock_now_ns() / 1000;
}

static inline int64_t clock_now_ms(void)
{
  return clock_now_ns() / 1000000;
}

static inline int64_t clock_now_s(void)
{
  return clock_now_ns() / 1000000000;
}

/* Wall-clock now in milliseconds, truncated: what the credential provider
 * compares with an Expiration (whole seconds since the epoch), and what
 * its test tool prints, so both read the same instant the same way. */
static inline int64_t clock_wall_ms(void)
{
  return clock_ts_ns(CLOCK_REALTIME) / 1000000;
}

/* Monotonic now, coarse (see above): never mix with clock_now_ms values,
 * which can be a tick ahead. */
static inline int64_t clock_coarse_ms(void)
{
  return clock_ts_ns(CLOCK_MONOTONIC_COARSE) / 1000000;
}

/* Milliseconds (fractional) since 'start_ns', a clock_now_ns value. */
static inline double clock_elapsed_ms(int64_t start_ns)
{
  return (double)(clock_now_ns() - start_ns) / 1e6;
}

/* A deadline 'ms' from now, as a clock_now_ms value. */
static inline int64_t clock_deadline_ms(int64_t ms)
{
  return clock_now_ms() + ms;
}

/* Milliseconds left until 'deadline' (a clock_now_ms value); 0 once it has
 * passed, never negative. */
static inline int64_t clock_left_ms(int64_t deadline)
{
  int64_t left = deadline - clock_now_ms();

  return left > 0 ? left : 0;
}

#endif
