/* test_auth_tcache.c -- the verified-token cache: hits, expiry, the bound,
 * key-set generations, eviction (auth/tcache.h) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth/tcache.h"
#include "auth_ident.h"

#define NOW 1700000000LL

static void test_hit_until_exp(void **state)
{
  struct auth_tcache *c = auth_tcache_new();
  struct auth_identity *id = test_identity("u1"), *got;

  assert_null(auth_tcache_get(c, "tok", 3, 1, NOW, NULL));
  auth_tcache_put(c, "tok", 3, 1, NOW, NOW + 10, id);
  got = auth_tcache_get(c, "tok", 3, 1, NOW + 10, NULL);
  assert_ptr_equal(got, id);
  assert_int_equal(atomic_load(&id->refs), 3); /* ours, cache's, got's */
  auth_identity_release(got);
  /* Expired: a miss (the caller verifies again, and refuses). */
  assert_null(auth_tcache_get(c, "tok", 3, 1, NOW + 11, NULL));
  /* Another token, even a prefix of it: a miss. */
  assert_null(auth_tcache_get(c, "to", 2, 1, NOW, NULL));
  assert_null(auth_tcache_get(c, "tok2", 4, 1, NOW, NULL));
  auth_identity_release(id);
  auth_tcache_free(c);
}

static void test_bound_and_generation(void **state)
{
  struct auth_tcache *c = auth_tcache_new();
  struct auth_identity *id = test_identity("u1"), *got;
  long long until = 0;

  /* exp a day away: kept AUTH_TCACHE_MAX_S at most, and a hit says so (the
   * per-thread memo, memo.h, must not outlive the entry it copies). */
  auth_tcache_put(c, "tok", 3, 7, NOW, NOW + 86400, id);
  got = auth_tcache_get(c, "tok", 3, 7, NOW + AUTH_TCACHE_MAX_S, &until);
  assert_non_null(got);
  assert_int_equal(until, NOW + AUTH_TCACHE_MAX_S);
  auth_identity_release(got);
  assert_null(
      auth_tcache_get(c, "tok", 3, 7, NOW + AUTH_TCACHE_MAX_S + 1, NULL));
  /* Verified with key set 7: a new set (8) misses. */
  assert_null(auth_tcache_get(c, "tok", 3, 8, NOW, NULL));
  auth_identity_release(id);
  auth_tcache_free(c);
}

/* Many more tokens than slots: memory stays bounded, every hit is the
 * identity stored for that very token. */
static void test_bounded(void **state)
{
  struct auth_tcache *c = auth_tcache_new();
  char tok[32];
  int i, hits = 0;

  for (i = 0; i < 4 * AUTH_TCACHE_SLOTS; i++) {
    struct auth_identity *id;
    snprintf(tok, sizeof(tok), "token-%d", i);
    id = test_identity(tok);
    auth_tcache_put(c, tok, strlen(tok), 1, NOW, NOW + 60, id);
    auth_identity_release(id);
  }
  for (i = 0; i < 4 * AUTH_TCACHE_SLOTS; i++) {
    struct auth_identity *got;
    snprintf(tok, sizeof(tok), "token-%d", i);
    got = auth_tcache_get(c, tok, strlen(tok), 1, NOW, NULL);
    if (got) {
      assert_string_equal(got->sub, tok);
      hits++;
      auth_identity_release(got);
    }
  }
  assert_true(hits > 0 && hits <= AUTH_TCACHE_SLOTS);
  auth_tcache_free(c); /* ASan/valgrind: the evicted ones were freed */
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hit_until_exp),
      cmocka_unit_test(test_bound_and_generation),
      cmocka_unit_test(test_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
