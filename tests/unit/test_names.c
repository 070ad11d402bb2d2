/* test_names.c -- document names, query values, limits and cursors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/names.h"

struct name_case {
  const char *raw;
  enum names_code want;
  const char *decoded; /* when NAMES_OK */
};

static const struct name_case name_cases[] = {
    {"foo", NAMES_OK, "foo"},
    {"team/platform", NAMES_OK, "team/platform"},
    {"a.b_c-d/E9", NAMES_OK, "a.b_c-d/E9"},
    {"team%2Fplatform", NAMES_OK, "team/platform"},
    {"%66%6F%6f", NAMES_OK, "foo"},
    {"...", NAMES_OK, "..."},
    {".hidden", NAMES_OK, ".hidden"},
    {"", NAMES_EMPTY, NULL},
    {"..", NAMES_DOT_SEGMENT, NULL},
    {".", NAMES_DOT_SEGMENT, NULL},
    {"a/../b", NAMES_DOT_SEGMENT, NULL},
    {"a/./b", NAMES_DOT_SEGMENT, NULL},
    {"%2e%2e", NAMES_DOT_SEGMENT, NULL},
    {"%2E%2E/etc", NAMES_DOT_SEGMENT, NULL},
    {"a/%2e", NAMES_DOT_SEGMENT, NULL},
    {"a//b", NAMES_EMPTY_SEGMENT, NULL},
    {"/a", NAMES_EMPTY_SEGMENT, NULL},
    {"a/", NAMES_EMPTY_SEGMENT, NULL},
    {"a%2F", NAMES_EMPTY_SEGMENT, NULL},
    {"a b", NAMES_BAD_CHAR, NULL},
    {"a%20b", NAMES_BAD_CHAR, NULL},
    {"a+b", NAMES_BAD_CHAR, NULL},
    {"a%00b", NAMES_BAD_CHAR, NULL},
    {"caf\xc3\xa9", NAMES_BAD_CHAR, NULL},
    {"a\\b", NAMES_BAD_CHAR, NULL},
    {"a%5cb", NAMES_BAD_CHAR, NULL},
    {"%", NAMES_BAD_ESCAPE, NULL},
    {"%2", NAMES_BAD_ESCAPE, NULL},
    {"a%zz", NAMES_BAD_ESCAPE, NULL},
    {"a%2", NAMES_BAD_ESCAPE, NULL},
    {"%%41", NAMES_BAD_ESCAPE, NULL},
};

static void test_name_table(void **state)
{
  char out[NAMES_MAX + 1];
  size_t i;

  for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]); i++) {
    const struct name_case *c = &name_cases[i];
    enum names_code got = names_decode(c->raw, strlen(c->raw), out);
    if (got != c->want)
      fail_msg("case %zu \"%s\": got %d, want %d", i, c->raw, got, c->want);
    if (c->decoded)
      assert_string_equal(out, c->decoded);
    else
      assert_string_equal(out, "");
  }
}

static void test_name_length(void **state)
{
  char raw[3 * (NAMES_MAX + 2)], out[NAMES_MAX + 1];

  memset(raw, 'a', NAMES_MAX);
  assert_int_equal(names_decode(raw, NAMES_MAX, out), NAMES_OK);
  assert_int_equal(strlen(out), NAMES_MAX);
  assert_int_equal(names_decode(raw, NAMES_MAX + 1, out), NAMES_TOO_LONG);
  /* The limit applies after decoding: 512 escapes are 512 bytes. */
  for (size_t i = 0; i < NAMES_MAX; i++)
    memcpy(raw + 3 * i, "%61", 3);
  assert_int_equal(names_decode(raw, 3 * NAMES_MAX, out), NAMES_OK);
  memcpy(raw + 3 * NAMES_MAX, "%61", 3);
  assert_int_equal(names_decode(raw, 3 * NAMES_MAX + 3, out), NAMES_TOO_LONG);
}

static void test_strerror_names_every_code(void **state)
{
  for (int c = NAMES_OK; c <= NAMES_TOO_LONG; c++)
    assert_non_null(strstr(names_strerror((enum names_code)c), c ? "" : "ok"));
}

static void test_query_decode(void **state)
{
  char out[16];

  assert_int_equal(names_query_decode("a+b%2Bc", 7, out, sizeof(out)), 5);
  assert_string_equal(out, "a b+c");
  assert_int_equal(names_query_decode("", 0, out, sizeof(out)), 0);
  assert_int_equal(names_query_decode("%", 1, out, sizeof(out)), -1);
  assert_int_equal(names_query_decode("%4", 2, out, sizeof(out)), -1);
  assert_int_equal(names_query_decode("%00", 3, out, sizeof(out)), -1);
  assert_int_equal(names_query_decode("0123456789abcdef", 16, out, 16), -1);
  assert_int_equal(names_query_decode("0123456789abcde", 15, out, 16), 15);
}

static void test_limit(void **state)
{
  assert_int_equal(names_parse_limit(NULL, 1000, 1000), 1000);
  assert_int_equal(names_parse_limit("1", 1000, 1000), 1);
  assert_int_equal(names_parse_limit("1000", 1000, 1000), 1000);
  assert_int_equal(names_parse_limit("1001", 1000, 1000), -1);
  assert_int_equal(names_parse_limit("0", 1000, 1000), -1);
  assert_int_equal(names_parse_limit("-1", 1000, 1000), -1);
  assert_int_equal(names_parse_limit("", 1000, 1000), -1);
  assert_int_equal(names_parse_limit("12a", 1000, 1000), -1);
  assert_int_equal(names_parse_limit(" 5", 1000, 1000), -1);
  assert_int_equal(names_parse_limit("99999999999999999999", 1000, 1000), -1);
  assert_int_equal(names_parse_limit("%35", 1000, 1000), 5);
}

static void test_cursor_round_trip(void **state)
{
  static const char *tokens[] = {
      "a",
      "ab",
      "abc",
      "abcd",
      "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=",
      "++//==",
      "\xff\xfe\x01"};
  char enc[256], dec[256];
  size_t i;

  for (i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
    long n =
        names_cursor_encode(tokens[i], strlen(tokens[i]), enc, sizeof(enc));
    assert_true(n > 0);
    assert_null(strpbrk(enc, "+/=%"));
    long m = names_cursor_decode(enc, (size_t)n, dec, sizeof(dec));
    assert_int_equal(m, (long)strlen(tokens[i]));
    assert_string_equal(dec, tokens[i]);
  }
}

static void test_cursor_rejects(void **state)
{
  char out[64];

  assert_int_equal(names_cursor_decode("a", 1, out, sizeof(out)), -1);
  assert_int_equal(names_cursor_decode("ab+c", 4, out, sizeof(out)), -1);
  assert_int_equal(names_cursor_decode("ab=", 3, out, sizeof(out)), -1);
  /* "YQ" is "a"; "YR" has non-zero leftover bits: a second spelling. */
  assert_int_equal(names_cursor_decode("YQ", 2, out, sizeof(out)), 1);
  assert_int_equal(names_cursor_decode("YR", 2, out, sizeof(out)), -1);
  /* An encoded NUL byte is refused. */
  assert_int_equal(names_cursor_decode("AA", 2, out, sizeof(out)), -1);
  assert_int_equal(names_cursor_encode("abcdef", 6, out, 8), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_name_table),
      cmocka_unit_test(test_name_length),
      cmocka_unit_test(test_strerror_names_every_code),
      cmocka_unit_test(test_query_decode),
      cmocka_unit_test(test_limit),
      cmocka_unit_test(test_cursor_round_trip),
      cmocka_unit_test(test_cursor_rejects),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
