/* test_clock.c -- util/clock.h: units agree, time only moves forward,
 * deadlines count down to 0 and never below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "util/clock.h"

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Each unit is the ns reading scaled: read in order, each later reading is
 * at least the earlier one in the same unit. */
static void test_units_agree(void **state)
{
  int64_t ns = clock_now_ns();
  int64_t us = clock_now_us();
  int64_t ms = clock_now_ms();
  int64_t s = clock_now_s();

  (void)state;
  assert_true(ns > 0);
  assert_true(us >= ns / 1000);
  assert_true(ms >= ns / 1000000);
  assert_true(s >= ns / 1000000000);
  /* ...and not far ahead: the four reads take far less than a second. */
  assert_true(ms - ns / 1000000 < 1000);
  assert_true(s - ns / 1000000000 <= 1);
}

static void test_monotonic(void **state)
{
  int64_t prev = clock_now_ns(), now;
  int i;

  (void)state;
  for (i = 0; i < 100000; i++) {
    now = clock_now_ns();
    assert_true(now >= prev);
    prev = now;
  }
}

static void test_elapsed_measures_a_sleep(void **state)
{
  int64_t t0 = clock_now_ns();
  double ms;

  (void)state;
  sleep_ms(20);
  ms = clock_elapsed_ms(t0);
  assert_true(ms >= 20.0);
  /* Fractional: a sub-millisecond interval is not rounded to 0 or 1. */
  t0 = clock_now_ns();
  ms = clock_elapsed_ms(t0);
  assert_true(ms >= 0.0 && ms < 1.0);
}

static void test_deadline_counts_down(void **state)
{
  int64_t d = clock_deadline_ms(30);

  (void)state;
  assert_true(clock_left_ms(d) <= 30);
  assert_true(clock_left_ms(d) > 0);
  sleep_ms(40);
  assert_int_equal(clock_left_ms(d), 0);
  /* Long past: still 0, never negative. */
  assert_int_equal(clock_left_ms(clock_now_ms() - 100000), 0);
}

/* The coarse clock is the same clock read at tick resolution: it never runs
 * ahead of the precise one by more than a tick, nor behind by more than a
 * few (HZ=100 is 10 ms a tick). */
static void test_coarse_tracks_precise(void **state)
{
  struct timespec res;
  int64_t tick_ms, coarse, precise;

  (void)state;
  clock_getres(CLOCK_MONOTONIC_COARSE, &res);
  tick_ms = (int64_t)res.tv_sec * 1000 + res.tv_nsec / 1000000 + 1;
  coarse = clock_coarse_ms();
  precise = clock_now_ms();
  assert_true(coarse <= precise + tick_ms);
  assert_true(precise - coarse <= 2 * tick_ms);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_units_agree),
      cmocka_unit_test(test_monotonic),
      cmocka_unit_test(test_elapsed_measures_a_sleep),
      cmocka_unit_test(test_deadline_counts_down),
      cmocka_unit_test(test_coarse_tracks_precise),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
