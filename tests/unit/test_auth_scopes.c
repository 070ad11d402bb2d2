/* test_auth_scopes.c -- which names a `scope` claim grants (auth/scopes.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/scopes.h"

#define P "s3json/read:"

struct scope_case {
  const char *scopes;
  const char *name;
  int want;
};

static const struct scope_case cases[] = {
    /* everything */
    {P "*", "foo", 1},
    {P "*", "team/a/b", 1},
    /* a directory: names under team/, at any depth, and nothing else */
    {P "team:*", "team/platform", 1},
    {P "team:*", "team/a/b", 1},
    {P "team:*", "team", 0},
    {P "team:*", "teamx/a", 0},
    {P "team:*", "teamx", 0},
    {P "team:*", "tea", 0},
    {P "team:*", "other/team/a", 0},
    /* exact */
    {P "team:platform", "team/platform", 1},
    {P "team:platform", "team/platformx", 0},
    {P "team:platform", "team/platform/x", 0},
    {P "team:platform", "team", 0},
    {P "team:platform", "team/platfor", 0},
    {P "foo", "foo", 1},
    {P "foo", "foox", 0},
    /* nested directory */
    {P "a:b:*", "a/b/c", 1},
    {P "a:b:*", "a/b/c/d", 1},
    {P "a:b:*", "a/b", 0},
    {P "a:b:*", "a/bc/d", 0},
    {P "a:b:*", "a/c/d", 0},
    /* prefix mismatch: other resource servers, other verbs, no prefix */
    {"s3json/write:*", "foo", 0},
    {"other/read:*", "foo", 0},
    {"*", "foo", 0},
    {"s3json/read", "foo", 0},
    {"S3JSON/READ:*", "foo", 0},
    {"xs3json/read:*", "foo", 0},
    /* empty and odd lists */
    {"", "foo", 0},
    {NULL, "foo", 0},
    {" ", "foo", 0},
    {P, "foo", 0},
    {P "*", "", 0},
    {"  " P "x   " P "foo  ", "foo", 1},
    {"openid email " P "bar", "bar", 1},
    {"openid email " P "bar", "foo", 0},
    {P "foo " P "bar", "bar", 1},
    {P "foo\t" P "bar", "bar", 0}, /* only spaces separate (RFC 6749 3.3) */
    /* outside the grammar: grants nothing, never more */
    {P "team/platform", "team/platform", 0},
    {P "team:*x", "team/x", 0},
    {P "te*m", "team", 0},
    {P "**", "foo", 0},
    {P "team::*", "team//a", 0},
    {P ":team", "/team", 0},
    {P "team:", "team/", 0},
    {P ":*", "/a", 0},
};

static void test_allows_table(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    int got = auth_scope_allows(cases[i].scopes, P, cases[i].name);
    if (got != cases[i].want)
      fail_msg("case %zu: scopes \"%s\" name \"%s\": got %d, want %d", i,
               cases[i].scopes ? cases[i].scopes : "(null)", cases[i].name, got,
               cases[i].want);
  }
}

static void test_other_prefix(void **state)
{
  assert_true(auth_scope_allows("docs/r.team.*", "docs/r.", "team.x") == 0);
  assert_true(auth_scope_allows("api:read:team:*", "api:read:", "team/x"));
  assert_false(auth_scope_allows("s3json/read:*", "api:read:", "team/x"));
}

static void test_any(void **state)
{
  assert_true(auth_scope_any(P "*", P));
  assert_true(auth_scope_any("openid " P "team:*", P));
  assert_false(auth_scope_any("openid email", P));
  assert_false(auth_scope_any("", P));
  assert_false(auth_scope_any(NULL, P));
  assert_false(auth_scope_any(P, P));
  assert_false(auth_scope_any(P "team/x", P)); /* not the grammar */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allows_table),
      cmocka_unit_test(test_other_prefix),
      cmocka_unit_test(test_any),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
