/* test_auth_memo.c -- one thread's last verified token (auth/memo.h):
 * answered until 'until' and no later, only for its key-set generation,
 * only for the very same bytes, never for a token too large to copy; the
 * identity it lends is the one it holds a reference to. The same rules
 * through auth_check(), with real tokens and threads: test_auth_jwks.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/memo.h"
#include "auth_ident.h"

#define NOW 1700000000LL
#define TOK "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln"

static void test_empty_answers_nothing(void **state)
{
  struct auth_memo *m = auth_memo_new();

  assert_non_null(m);
  assert_null(auth_memo_get(m, TOK, strlen(TOK), 0, NOW));
  assert_null(auth_memo_get(m, "", 0, 0, NOW));
  auth_memo_free(m);
  auth_memo_free(NULL);
}

/* Answered up to 'until' inclusive (as the shared cache and the exp check,
 * now > exp + leeway is expired), refused one second later. */
static void test_until_honoured(void **state)
{
  struct auth_memo *m = auth_memo_new();
  struct auth_identity *id = test_identity("u1");

  assert_ptr_equal(auth_memo_put(m, TOK, strlen(TOK), 3, NOW + 10, id), id);
  assert_int_equal(atomic_load(&id->refs), 2); /* ours and the memo's */
  assert_ptr_equal(auth_memo_get(m, TOK, strlen(TOK), 3, NOW), id);
  assert_ptr_equal(auth_memo_get(m, TOK, strlen(TOK), 3, NOW + 10), id);
  assert_null(auth_memo_get(m, TOK, strlen(TOK), 3, NOW + 11));
  assert_int_equal(atomic_load(&id->refs), 2); /* lending counts nothing */
  auth_identity_release(id);
  auth_memo_free(m); /* ASan/valgrind: the memo's reference freed it */
}

/* A new key set (a key removed, maybe leaked) invalidates at once. */
static void test_generation_change_invalidates(void **state)
{
  struct auth_memo *m = auth_memo_new();
  struct auth_identity *id = test_identity("u1");

  auth_memo_put(m, TOK, strlen(TOK), 7, NOW + 60, id);
  assert_non_null(auth_memo_get(m, TOK, strlen(TOK), 7, NOW));
  assert_null(auth_memo_get(m, TOK, strlen(TOK), 8, NOW));
  assert_null(auth_memo_get(m, TOK, strlen(TOK), 6, NOW));
  auth_identity_release(id);
  auth_memo_free(m);
}

/* Only the very same bytes: one changed byte anywhere in a token of the
 * same length, a prefix, or a longer token is a miss. */
static void test_other_tokens_refused(void **state)
{
  struct auth_memo *m = auth_memo_new();
  struct auth_identity *id = test_identity("u1");
  char other[sizeof(TOK)];
  size_t n = strlen(TOK), i;

  auth_memo_put(m, TOK, n, 1, NOW + 60, id);
  for (i = 0; i < n; i++) {
    memcpy(other, TOK, sizeof(TOK));
    other[i] = other[i] == 'A' ? 'B' : 'A';
    assert_null(auth_memo_get(m, other, n, 1, NOW));
  }
  assert_null(auth_memo_get(m, TOK, n - 1, 1, NOW));
  assert_null(auth_memo_get(m, TOK "x", n + 1, 1, NOW));
  assert_non_null(auth_memo_get(m, TOK, n, 1, NOW));
  auth_identity_release(id);
  auth_memo_free(m);
}

/* A token over AUTH_TOKEN_MAX (auth_check refuses those before this) is
 * not copied, and empties the memo rather than leaving the last one. */
static void test_oversized_not_memoized(void **state)
{
  struct auth_memo *m = auth_memo_new();
  struct auth_identity *a = test_identity("a"), *b = test_identity("b");
  char *big = malloc(AUTH_TOKEN_MAX + 1);

  memset(big, 'x', AUTH_TOKEN_MAX + 1);
  auth_memo_put(m, TOK, strlen(TOK), 1, NOW + 60, a);
  assert_null(auth_memo_put(m, big, AUTH_TOKEN_MAX + 1, 1, NOW + 60, b));
  assert_null(auth_memo_get(m, big, AUTH_TOKEN_MAX + 1, 1, NOW));
  assert_null(auth_memo_get(m, TOK, strlen(TOK), 1, NOW));
  assert_int_equal(atomic_load(&a->refs), 1); /* released, not leaked */
  assert_int_equal(atomic_load(&b->refs), 1); /* never taken */
  /* Exactly AUTH_TOKEN_MAX fits. */
  assert_ptr_equal(auth_memo_put(m, big, AUTH_TOKEN_MAX, 1, NOW + 60, b), b);
  assert_ptr_equal(auth_memo_get(m, big, AUTH_TOKEN_MAX, 1, NOW), b);
  free(big);
  auth_identity_release(a);
  auth_identity_release(b);
  auth_memo_free(m);
}

/* A new token replaces the last (its identity released); putting the
 * identity already held keeps it alive. */
static void test_replacement(void **state)
{
  struct auth_memo *m = auth_memo_new();
  struct auth_identity *a = test_identity("a"), *b = test_identity("b");

  auth_memo_put(m, "tok-a", 5, 1, NOW + 60, a);
  auth_memo_put(m, "tok-b", 5, 1, NOW + 60, b);
  assert_int_equal(atomic_load(&a->refs), 1);
  assert_null(auth_memo_get(m, "tok-a", 5, 1, NOW));
  assert_ptr_equal(auth_memo_get(m, "tok-b", 5, 1, NOW), b);
  auth_identity_release(b); /* the memo's reference is the last */
  assert_ptr_equal(auth_memo_put(m, "tok-c", 5, 1, NOW + 60, b), b);
  assert_string_equal(auth_memo_get(m, "tok-c", 5, 1, NOW)->sub, "b");
  auth_identity_release(a);
  auth_memo_free(m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_empty_answers_nothing),
      cmocka_unit_test(test_until_honoured),
      cmocka_unit_test(test_generation_change_invalidates),
      cmocka_unit_test(test_other_tokens_refused),
      cmocka_unit_test(test_oversized_not_memoized),
      cmocka_unit_test(test_replacement),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
