/* test_fields.c -- S3's ETag and Last-Modified before they reach clients */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "s3/fields.h"

struct etag_case {
  const char *v;
  size_t n; /* 0 = strlen */
  int valid;
};

static const struct etag_case etag_cases[] = {
    {"\"68024467bef1c64cb7ac21f5dcf9c498\"", 0, 1},
    {"\"d41d8cd98f00b204e9800998ecf8427e-2\"", 0, 1}, /* multipart */
    {"W/\"weak\"", 0, 1},
    {"\"\"", 0, 1},
    {"\"!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\"", 0, 1},
    {"\"caf\xc3\xa9\"", 0, 1}, /* obs-text */
    {"", 0, 0},
    {"\"", 0, 0},
    {"abc", 0, 0},
    {"\"abc", 0, 0},
    {"abc\"", 0, 0},
    {"w/\"abc\"", 0, 0},
    {"W/abc", 0, 0},
    {"\"a b\"", 0, 0},
    {"\"a\"b\"", 0, 0},
    {"\"a\tb\"", 0, 0},
    {"\"a\x01"
     "b\"",
     0, 0},
    {"\"a\x7f"
     "b\"",
     0, 0},
    {"\"a\r\nX-Injected: 1\"", 0, 0},
    {"\"a\0b\"", 5, 0},
    {" \"abc\"", 0, 0},
};

static void test_etag_grammar(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(etag_cases) / sizeof(etag_cases[0]); i++) {
    const struct etag_case *c = &etag_cases[i];
    size_t n = c->n ? c->n : strlen(c->v);

    if (s3_etag_valid(c->v, n) != c->valid)
      fail_msg("case %zu: \"%s\" should be %s", i, c->v,
               c->valid ? "valid" : "invalid");
  }
  assert_int_equal(s3_etag_valid(NULL, 0), 0);
}

static void test_http_date_rewritten(void **state)
{
  char out[S3_HTTP_DATE_LEN];
  time_t t = 0;

  assert_int_equal(s3_http_date("Thu, 03 Dec 2026 11:50:07 GMT", out, &t), 0);
  assert_string_equal(out, "Thu, 03 Dec 2026 11:50:07 GMT");
  assert_int_equal((long long)t, 1796298607LL);
  /* The two obsolete forms come out as IMF-fixdate. */
  assert_int_equal(s3_http_date("Thursday, 03-Dec-26 11:50:07 GMT", out, NULL),
                   0);
  assert_string_equal(out, "Thu, 03 Dec 2026 11:50:07 GMT");
  assert_int_equal(s3_http_date("Thu Dec  3 11:50:07 2026", out, NULL), 0);
  assert_string_equal(out, "Thu, 03 Dec 2026 11:50:07 GMT");
  assert_int_equal(s3_http_date("Thu, 01 Jan 1970 00:00:00 GMT", out, NULL), 0);
  assert_string_equal(out, "Thu, 01 Jan 1970 00:00:00 GMT");
}

static void test_http_date_refused(void **state)
{
  static const char *const bad[] = {
      "",
      "yesterday",
      "Thu, 03 Dec 2026 11:50:07 GMT\x01",
      "Thu, 03 Dec 2026 11:50:07 GMT\r\nX-Injected: 1",
      "Thu, 03 Dec 2026 11:50:07 GMT\xc3\xa9",
  };
  char out[S3_HTTP_DATE_LEN];
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    strcpy(out, "junk");
    if (s3_http_date(bad[i], out, NULL) != -1)
      fail_msg("case %zu accepted: %s", i, out);
    assert_string_equal(out, "");
  }
  assert_int_equal(s3_http_date(NULL, out, NULL), -1);
}

static void test_http_date_format_range(void **state)
{
  char out[S3_HTTP_DATE_LEN];

  assert_int_equal(s3_http_date_format((time_t)253402300799LL, out), 0);
  assert_string_equal(out, "Fri, 31 Dec 9999 23:59:59 GMT");
  assert_int_equal(s3_http_date_format((time_t)253402300800LL, out), -1);
  assert_int_equal(s3_http_date_format((time_t)-1, out), -1);
}

/* One rule for S3JSON_BUCKET (settings.c) and s3_client_new. */
static void test_bucket_names(void **state)
{
  static const char *const ok[] = {
      "abc", "docs-bucket", "my.docs.2026", "0ab",
      "a23456789012345678901234567890123456789012345678901234567890123"};
  static const char *const bad[] = {
      "",
      "ab",
      "Docs",
      "docs_bucket",
      "-abc",
      "abc-",
      ".abc",
      "abc.",
      "a b c",
      "abc/d",
      "a234567890123456789012345678901234567890123456789012"
      "345678901234"};
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    assert_int_equal(s3_bucket_name_ok(ok[i]), 1);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_int_equal(s3_bucket_name_ok(bad[i]), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_etag_grammar),
      cmocka_unit_test(test_http_date_rewritten),
      cmocka_unit_test(test_http_date_refused),
      cmocka_unit_test(test_http_date_format_range),
      cmocka_unit_test(test_bucket_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
