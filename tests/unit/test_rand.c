/* test_rand.c -- util/rand: every thread its own stream, every bit used,
 * rand_below in range and unbiased. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/rand.h"

#define NDRAW 64

static void *draw(void *arg)
{
  uint64_t *out = arg;
  int i;

  for (i = 0; i < NDRAW; i++)
    out[i] = rand_u64();
  return NULL;
}

/* Two threads started together draw different values: each is seeded on
 * its own (a shared or clock-only seed would repeat request ids across
 * threads). */
static void test_threads_get_own_streams(void **state)
{
  uint64_t a[NDRAW], b[NDRAW];
  pthread_t ta, tb;
  int i, j;

  (void)state;
  assert_int_equal(pthread_create(&ta, NULL, draw, a), 0);
  assert_int_equal(pthread_create(&tb, NULL, draw, b), 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  for (i = 0; i < NDRAW; i++)
    for (j = 0; j < NDRAW; j++)
      assert_true(a[i] != b[j]);
}

/* 10000 draws: no repeats, and each of the 64 bits is both set and clear
 * (a request id is built from all of them). */
static void test_no_repeats_every_bit_used(void **state)
{
  enum { N = 10000 };
  uint64_t *v = calloc(N, sizeof(*v));
  uint64_t ever_set = 0, ever_clear = 0;
  int i, j;

  (void)state;
  assert_non_null(v);
  for (i = 0; i < N; i++) {
    v[i] = rand_u64();
    ever_set |= v[i];
    ever_clear |= ~v[i];
  }
  assert_true(ever_set == UINT64_MAX);
  assert_true(ever_clear == UINT64_MAX);
  for (i = 0; i < N; i++)
    for (j = i + 1; j < N; j++)
      assert_true(v[i] != v[j]);
  free(v);
}

static void test_below_range(void **state)
{
  static const uint64_t ns[] = {1, 2, 3, 7, 100, 1001, UINT64_MAX / 3 * 2};
  size_t k;
  int i;

  (void)state;
  assert_true(rand_below(0) == 0);
  for (k = 0; k < sizeof(ns) / sizeof(ns[0]); k++)
    for (i = 0; i < 1000; i++)
      assert_true(rand_below(ns[k]) < ns[k]);
}

/* 60000 draws of [0, 6): each face within 5 sigma of 10000 (sigma ~91);
 * a generator that never returns the top value (an off-by-one in the
 * jitter) or favours some gets far outside. */
static void test_below_uniform(void **state)
{
  long count[6] = {0};
  int i;

  (void)state;
  for (i = 0; i < 60000; i++)
    count[rand_below(6)]++;
  for (i = 0; i < 6; i++) {
    assert_true(count[i] > 10000 - 460);
    assert_true(count[i] < 10000 + 460);
  }
}

/* A request id: 32 lowercase hex digits, terminated, never twice. */
static void test_hex_id(void **state)
{
  char a[RAND_ID_LEN + 1], b[RAND_ID_LEN + 1];
  int i;

  (void)state;
  rand_hex_id(a);
  rand_hex_id(b);
  assert_int_equal(strlen(a), RAND_ID_LEN);
  for (i = 0; i < RAND_ID_LEN; i++)
    assert_non_null(strchr("0123456789abcdef", a[i]));
  assert_string_not_equal(a, b);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hex_id),
      cmocka_unit_test(test_threads_get_own_streams),
      cmocka_unit_test(test_no_repeats_every_bit_used),
      cmocka_unit_test(test_below_range),
      cmocka_unit_test(test_below_uniform),
  };

  return cmocka_run_group_tests(tests, NULL, NULL);
}
