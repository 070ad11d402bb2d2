/* test_auth_claims.c -- iss, aud/client_id, exp/nbf/iat with leeway,
 * token_use (auth/verify.h auth_claims_check) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/verify.h"

#define NOW 1700000000LL
#define ISS "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"

static const struct auth_policy policy = {ISS, "client-1", 60};

/* Checks the claims in 'json' at NOW. */
static enum auth_result check(const char *json)
{
  json_error_t e;
  json_t *c = json_loads(json, 0, &e);
  enum auth_result r;

  if (!c)
    fail_msg("bad test JSON: %s: %s", json, e.text);
  r = auth_claims_check(c, &policy, NOW, NULL);
  json_decref(c);
  return r;
}

struct claims_case {
  const char *json;
  enum auth_result want;
};

#define BASE "\"iss\":\"" ISS "\",\"client_id\":\"client-1\""

static const struct claims_case cases[] = {
    /* Cognito access token: no aud, client_id */
    {"{" BASE ",\"exp\":1700000600,\"token_use\":\"access\"}", AUTH_OK},
    /* exp: required, leeway 60 s, reals accepted */
    {"{" BASE "}", AUTH_MALFORMED},
    {"{" BASE ",\"exp\":\"1700000600\"}", AUTH_MALFORMED},
    {"{" BASE ",\"exp\":-1}", AUTH_MALFORMED},
    {"{" BASE ",\"exp\":1700000000}", AUTH_OK},
    {"{" BASE ",\"exp\":1699999940}", AUTH_OK},      /* now - 60 */
    {"{" BASE ",\"exp\":1699999939}", AUTH_EXPIRED}, /* now - 61 */
    {"{" BASE ",\"exp\":1699999939.9}", AUTH_EXPIRED},
    {"{" BASE ",\"exp\":1700000600.5}", AUTH_OK},
    /* nbf and iat: not after now + 60 */
    {"{" BASE ",\"exp\":1700000600,\"nbf\":1700000060}", AUTH_OK},
    {"{" BASE ",\"exp\":1700000600,\"nbf\":1700000061}", AUTH_NOT_YET_VALID},
    {"{" BASE ",\"exp\":1700000600,\"iat\":1700000060}", AUTH_OK},
    {"{" BASE ",\"exp\":1700000600,\"iat\":1700000061}", AUTH_NOT_YET_VALID},
    {"{" BASE ",\"exp\":1700000600,\"nbf\":\"x\"}", AUTH_MALFORMED},
    {"{" BASE ",\"exp\":1700000600,\"iat\":null}", AUTH_MALFORMED},
    /* iss: exact */
    {"{\"iss\":\"" ISS "/\",\"client_id\":\"client-1\",\"exp\":1700000600}",
     AUTH_WRONG_ISSUER},
    {"{\"iss\":\"https://evil.example\",\"client_id\":\"client-1\","
     "\"exp\":1700000600}",
     AUTH_WRONG_ISSUER},
    {"{\"client_id\":\"client-1\",\"exp\":1700000600}", AUTH_WRONG_ISSUER},
    {"{\"iss\":7,\"client_id\":\"client-1\",\"exp\":1700000600}",
     AUTH_WRONG_ISSUER},
    /* aud: string or array; when present client_id does not count */
    {"{\"iss\":\"" ISS "\",\"aud\":\"client-1\",\"exp\":1700000600}", AUTH_OK},
    {"{\"iss\":\"" ISS "\",\"aud\":[\"x\",\"client-1\"],\"exp\":1700000600}",
     AUTH_OK},
    {"{\"iss\":\"" ISS "\",\"aud\":[\"x\"],\"exp\":1700000600}",
     AUTH_WRONG_AUDIENCE},
    {"{\"iss\":\"" ISS "\",\"aud\":[],\"exp\":1700000600}",
     AUTH_WRONG_AUDIENCE},
    {"{\"iss\":\"" ISS "\",\"aud\":\"client-12\",\"exp\":1700000600}",
     AUTH_WRONG_AUDIENCE},
    {"{\"iss\":\"" ISS "\",\"aud\":\"other\",\"client_id\":\"client-1\","
     "\"exp\":1700000600}",
     AUTH_WRONG_AUDIENCE},
    {"{\"iss\":\"" ISS "\",\"client_id\":\"client-2\",\"exp\":1700000600}",
     AUTH_WRONG_AUDIENCE},
    {"{\"iss\":\"" ISS "\",\"exp\":1700000600}", AUTH_WRONG_AUDIENCE},
    {"{\"iss\":\"" ISS "\",\"aud\":[1,null],\"exp\":1700000600}",
     AUTH_WRONG_AUDIENCE},
    /* token_use: access when present (an id token is refused) */
    {"{" BASE ",\"exp\":1700000600,\"token_use\":\"id\"}",
     AUTH_WRONG_TOKEN_USE},
    {"{" BASE ",\"exp\":1700000600,\"token_use\":1}", AUTH_WRONG_TOKEN_USE},
    {"{" BASE ",\"exp\":1700000600}", AUTH_OK},
};

static void test_claims_table(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    enum auth_result got = check(cases[i].json);
    if (got != cases[i].want)
      fail_msg("case %zu %s: got %s, want %s", i, cases[i].json,
               auth_result_name(got), auth_result_name(cases[i].want));
  }
}

static void test_identity(void **state)
{
  json_t *c = json_pack("{s:s,s:s,s:I,s:s,s:s}", "iss", ISS, "client_id",
                        "client-1", "exp", (json_int_t)1700000600, "sub",
                        "user-7", "scope", "s3json/read:* openid");
  struct auth_identity *id = NULL;

  assert_int_equal(auth_claims_check(c, &policy, NOW, &id), AUTH_OK);
  assert_non_null(id);
  assert_string_equal(id->sub, "user-7");
  assert_string_equal(id->scope, "s3json/read:* openid");
  assert_int_equal(id->exp, 1700000600);
  auth_identity_release(id);
  json_decref(c);
}

static void test_zero_leeway(void **state)
{
  struct auth_policy strict = {ISS, "client-1", 0};
  json_t *c = json_pack("{s:s,s:s,s:I}", "iss", ISS, "client_id", "client-1",
                        "exp", (json_int_t)(NOW - 1));

  assert_int_equal(auth_claims_check(c, &strict, NOW, NULL), AUTH_EXPIRED);
  assert_int_equal(auth_claims_check(c, &policy, NOW, NULL), AUTH_OK);
  json_decref(c);
}

static void test_names_and_messages(void **state)
{
  int i;

  for (i = 0; i < AUTH_RESULT_COUNT; i++) {
    assert_string_not_equal(auth_result_name((enum auth_result)i), "unknown");
    assert_string_not_equal(auth_result_message((enum auth_result)i),
                            "invalid token");
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_claims_table),
      cmocka_unit_test(test_identity),
      cmocka_unit_test(test_zero_leeway),
      cmocka_unit_test(test_names_and_messages),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
