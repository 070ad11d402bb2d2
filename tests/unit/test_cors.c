/* test_cors.c -- CORS (issue 15): the origin allow-list, preflight
 * classification and the headers every reply gets */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "http/cors.h"
#include "http/routes.h"

struct parse_case {
  const char *list;
  int ok;          /* 1: accepted */
  unsigned n;      /* origins when accepted */
  const char *why; /* a part of the reason when refused */
};

static const struct parse_case parse_cases[] = {
    {NULL, 1, 0, NULL},
    {"", 1, 0, NULL},
    {"https://app.example", 1, 1, NULL},
    {"https://app.example, http://localhost:3000 ,http://127.0.0.1:8080", 1, 3,
     NULL},
    {"http://[::1]:5173", 1, 1, NULL},
    {"https://app.example:65535", 1, 1, NULL},
    {"*", 0, 0, "wildcard"},
    {"https://*.example", 0, 0, "wildcard"},
    {"https://app.example/", 0, 0, "has a path"},
    {"https://app.example/x", 0, 0, "has a path"},
    {"https://app.example?a", 0, 0, "has a path"},
    {"https://App.Example", 0, 0, "upper case"},
    {"app.example", 0, 0, "not http:// or https://"},
    {"ftp://app.example", 0, 0, "not http:// or https://"},
    {"null", 0, 0, "not http:// or https://"},
    {"https://", 0, 0, "no valid host"},
    {"https://.example", 0, 0, "no valid host"},
    {"https://user@app.example", 0, 0, "not scheme://host[:port]"},
    {"https://app.example:0", 0, 0, "not scheme://host[:port]"},
    {"https://app.example:65536", 0, 0, "not scheme://host[:port]"},
    {"https://app.example:08", 0, 0, "not scheme://host[:port]"},
    {"https://app.example:", 0, 0, "not scheme://host[:port]"},
    {"https://[::1", 0, 0, "no valid host"},
    {"https://a.example,", 0, 0, "empty entry"},
    {",https://a.example", 0, 0, "empty entry"},
};

static void test_parse_table(void **state)
{
  struct cors c;
  char why[160];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
    const struct parse_case *pc = &parse_cases[i];
    why[0] = '\0';
    int rc = cors_parse(&c, pc->list, why, sizeof(why));
    if (pc->ok) {
      if (rc)
        fail_msg("\"%s\" refused: %s", pc->list, why);
      assert_int_equal(c.n, pc->n);
      continue;
    }
    if (!rc)
      fail_msg("\"%s\" accepted", pc->list);
    assert_int_equal(c.n, 0); /* refused: off, nothing half-parsed */
    if (!strstr(why, pc->why))
      fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", pc->list, why, pc->why);
  }
}

static void test_parse_limits(void **state)
{
  char list[CORS_MAX_ORIGINS * 32 + 64], why[160];
  struct cors c;
  size_t len = 0;
  int i;

  (void)state;
  for (i = 0; i < CORS_MAX_ORIGINS; i++)
    len += (size_t)snprintf(list + len, sizeof(list) - len,
                            "%shttps://a%d.example", i ? "," : "", i);
  assert_int_equal(cors_parse(&c, list, why, sizeof(why)), 0);
  assert_int_equal(c.n, CORS_MAX_ORIGINS);
  snprintf(list + len, sizeof(list) - len, ",https://one-more.example");
  assert_int_equal(cors_parse(&c, list, why, sizeof(why)), -1);
  assert_non_null(strstr(why, "more than"));

  char longest[CORS_ORIGIN_MAX + 16] = "https://";
  memset(longest + 8, 'a', CORS_ORIGIN_MAX);
  longest[CORS_ORIGIN_MAX] = '\0'; /* one byte too long */
  assert_int_equal(cors_parse(&c, longest, why, sizeof(why)), -1);
  assert_non_null(strstr(why, "longer than"));
  longest[CORS_ORIGIN_MAX - 1] = '\0'; /* the longest allowed */
  assert_int_equal(cors_parse(&c, longest, why, sizeof(why)), 0);
}

static void test_origin_allowed_is_exact(void **state)
{
  struct cors c;
  char why[160];

  (void)state;
  assert_int_equal(cors_parse(&c, "https://app.example,http://localhost:3000",
                              why, sizeof(why)),
                   0);
  assert_true(cors_origin_allowed(&c, "https://app.example"));
  assert_true(cors_origin_allowed(&c, "http://localhost:3000"));
  assert_false(cors_origin_allowed(&c, NULL));
  assert_false(cors_origin_allowed(&c, ""));
  assert_false(cors_origin_allowed(&c, "http://app.example"));
  assert_false(cors_origin_allowed(&c, "https://app.example:443"));
  assert_false(cors_origin_allowed(&c, "https://app.example.evil"));
  assert_false(cors_origin_allowed(&c, "https://evil-app.example"));
  assert_false(cors_origin_allowed(&c, "https://app.exampl"));
  assert_false(cors_origin_allowed(&c, "http://localhost"));
  assert_false(cors_origin_allowed(&c, "null"));
}

static void test_classify(void **state)
{
  struct cors on, off;
  char why[160];
  const char *o = "https://app.example";

  (void)state;
  assert_int_equal(cors_parse(&on, o, why, sizeof(why)), 0);
  assert_int_equal(cors_parse(&off, "", why, sizeof(why)), 0);
  /* Off: OPTIONS is routed as before (405). */
  assert_int_equal(cors_classify(&off, "OPTIONS", "/api/foo", o, "GET"),
                   CORS_NOT_PREFLIGHT);
  /* Not OPTIONS, or not an API path: not a preflight. */
  assert_int_equal(cors_classify(&on, "GET", "/api/foo", o, "GET"),
                   CORS_NOT_PREFLIGHT);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/healthz", o, "GET"),
                   CORS_NOT_PREFLIGHT);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/apix", o, "GET"),
                   CORS_NOT_PREFLIGHT);
  /* Preflights. */
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api/foo", o, "GET"),
                   CORS_PREFLIGHT_OK);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api/team/a", o, "HEAD"),
                   CORS_PREFLIGHT_OK);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api", o, "GET"),
                   CORS_PREFLIGHT_OK);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api/foo", o, "PUT"),
                   CORS_PREFLIGHT_REFUSED);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api/foo", o, "get"),
                   CORS_PREFLIGHT_REFUSED);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api/foo", o, NULL),
                   CORS_PREFLIGHT_REFUSED);
  assert_int_equal(
      cors_classify(&on, "OPTIONS", "/api/foo", "https://evil.example", "GET"),
      CORS_PREFLIGHT_REFUSED);
  assert_int_equal(cors_classify(&on, "OPTIONS", "/api/foo", NULL, "GET"),
                   CORS_PREFLIGHT_REFUSED);
}

static const char *header(const struct http_reply *r, const char *name)
{
  int i;

  for (i = 0; i < r->nheaders; i++)
    if (!strcmp(r->headers[i].name, name))
      return r->headers[i].value;
  return NULL;
}

static void test_decorate(void **state)
{
  struct cors on, off;
  struct http_reply rep;
  char why[160];
  const char *o = "https://app.example";

  (void)state;
  assert_int_equal(cors_parse(&on, o, why, sizeof(why)), 0);
  assert_int_equal(cors_parse(&off, NULL, why, sizeof(why)), 0);

  http_reply_init(&rep); /* off: nothing added */
  cors_decorate(&off, o, &rep);
  assert_int_equal(rep.nheaders, 0);

  http_reply_init(&rep); /* allowed origin */
  cors_decorate(&on, o, &rep);
  assert_string_equal(header(&rep, "Vary"), "Origin");
  assert_string_equal(header(&rep, "Access-Control-Allow-Origin"), o);
  assert_non_null(
      strstr(header(&rep, "Access-Control-Expose-Headers"), "ETag"));
  assert_null(header(&rep, "Access-Control-Allow-Credentials"));

  http_reply_init(&rep); /* other origin, or none: Vary only */
  cors_decorate(&on, "https://evil.example", &rep);
  assert_string_equal(header(&rep, "Vary"), "Origin");
  assert_null(header(&rep, "Access-Control-Allow-Origin"));
  http_reply_init(&rep);
  cors_decorate(&on, NULL, &rep);
  assert_int_equal(rep.nheaders, 1);

  http_reply_init(&rep); /* a document's Vary is extended, not doubled */
  http_reply_header(&rep, "Vary", "Accept-Encoding");
  cors_decorate(&on, o, &rep);
  assert_string_equal(header(&rep, "Vary"), "Accept-Encoding, Origin");
  assert_int_equal(rep.nheaders, 3);
}

static void test_preflight_reply(void **state)
{
  struct http_reply rep;

  (void)state;
  http_reply_init(&rep);
  cors_preflight_reply(&rep);
  assert_int_equal(rep.status, 204);
  assert_null(rep.body);
  assert_string_equal(header(&rep, "Access-Control-Allow-Methods"),
                      "GET, HEAD");
  assert_non_null(
      strstr(header(&rep, "Access-Control-Allow-Headers"), "Authorization"));
  assert_string_equal(header(&rep, "Access-Control-Max-Age"), CORS_MAX_AGE);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_parse_table),
      cmocka_unit_test(test_parse_limits),
      cmocka_unit_test(test_origin_allowed_is_exact),
      cmocka_unit_test(test_classify),
      cmocka_unit_test(test_decorate),
      cmocka_unit_test(test_preflight_reply),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
