/* test_str.c -- util/str: str_copy cuts, terminates and reports like
 * strlcpy (the reply headers and the store key rely on it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "util/str.h"

static void test_fits(void **state)
{
  char out[8];

  (void)state;
  memset(out, 'x', sizeof(out));
  assert_int_equal(str_copy(out, sizeof(out), "abc"), 3);
  assert_string_equal(out, "abc");
  assert_int_equal(str_copy(out, sizeof(out), "1234567"), 7); /* exactly */
  assert_string_equal(out, "1234567");
  assert_int_equal(str_copy(out, sizeof(out), ""), 0);
  assert_string_equal(out, "");
}

/* Too long: cut to cap - 1, terminated, and the result says so. */
static void test_cut(void **state)
{
  char out[8];

  (void)state;
  memset(out, 'x', sizeof(out));
  assert_int_equal(str_copy(out, sizeof(out), "12345678"), 8);
  assert_string_equal(out, "1234567");
  assert_int_equal(str_copy(out, 1, "abc"), 3);
  assert_string_equal(out, "");
}

/* Appending by offset, as the store key is built: each piece starts where
 * the last ended, and an overflow anywhere shows in the total. */
static void test_append(void **state)
{
  char key[10];
  size_t n;

  (void)state;
  n = str_copy(key, sizeof(key), "docs/");
  n += str_copy(key + n, sizeof(key) - n, "foo");
  assert_true(n < sizeof(key));
  assert_string_equal(key, "docs/foo");
  n += str_copy(key + n, sizeof(key) - n, ".json");
  assert_int_equal(n, 13);
  assert_true(n >= sizeof(key));
  assert_string_equal(key, "docs/foo.");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fits),
      cmocka_unit_test(test_cut),
      cmocka_unit_test(test_append),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
