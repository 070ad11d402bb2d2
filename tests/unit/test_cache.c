/* test_cache.c -- the document cache against a fake S3 and a fake clock */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "fake_objects.h"
#include "store/cache.h"

/* The fake S3 (fake_objects.h), an outcome to force, a call log. */
static enum s3_code forced = S3_OK; /* S3_OK = behave normally */
static int calls, conditional_calls, not_modified;
static int delay_ms;
static int hold;     /* set: a fetch waits until it is cleared */
static int fetching; /* fetches in progress */
static long long now_ms;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

static long long fake_clock(void)
{
  return __atomic_load_n(&now_ms, __ATOMIC_SEQ_CST);
}

static enum s3_code fake_fetch(void *arg, const char *key,
                               const struct s3_conditions *cond,
                               struct s3_object *out, struct s3_diag *diag)
{
  enum s3_code rc;

  pthread_mutex_lock(&fake_lock);
  calls++;
  if (cond && cond->if_none_match)
    conditional_calls++;
  pthread_mutex_unlock(&fake_lock);
  if (delay_ms)
    usleep((useconds_t)delay_ms * 1000);
  __atomic_add_fetch(&fetching, 1, __ATOMIC_SEQ_CST);
  while (__atomic_load_n(&hold, __ATOMIC_SEQ_CST))
    usleep(1000);
  __atomic_sub_fetch(&fetching, 1, __ATOMIC_SEQ_CST);
  diag->attempts = 1;
  if (forced != S3_OK)
    return forced;
  rc = fake_objects_get(key, cond, out);
  if (rc == S3_NOT_MODIFIED) {
    pthread_mutex_lock(&fake_lock);
    not_modified++;
    pthread_mutex_unlock(&fake_lock);
  }
  return rc;
}

static struct cache *make(unsigned ttl, size_t max_bytes, unsigned stale)
{
  struct cache_config cfg = {ttl, max_bytes, stale, 2, 2000};

  nobjects = 0;
  forced = S3_OK;
  calls = conditional_calls = not_modified = 0;
  delay_ms = 0;
  hold = fetching = 0;
  now_ms = 1000000;
  return cache_new(&cfg, fake_fetch, NULL, fake_clock);
}

static enum cache_source get(struct cache *c, const char *key,
                             const char *want_body, enum s3_code want)
{
  struct cache_result r;
  enum cache_source src;

  cache_get(c, key, 1, &r);
  assert_int_equal(r.code, want);
  if (want_body) {
    assert_non_null(r.doc);
    assert_int_equal(r.doc->len, strlen(want_body));
    assert_memory_equal(r.doc->body, want_body, r.doc->len);
  } else {
    assert_null(r.doc);
  }
  src = r.source;
  cache_result_release(&r);
  return src;
}

static void test_ttl_and_revalidation(void **state)
{
  struct cache *c = make(5, 1 << 20, 300);

  put("a.json", "{\"v\":1}", "\"e1\"");
  assert_int_equal(get(c, "a.json", "{\"v\":1}", S3_OK), CACHE_MISS);
  now_ms += 4999;
  assert_int_equal(get(c, "a.json", "{\"v\":1}", S3_OK), CACHE_HIT);
  assert_int_equal(calls, 1);
  now_ms += 1; /* TTL over: revalidate with the ETag, get a 304 */
  assert_int_equal(get(c, "a.json", "{\"v\":1}", S3_OK), CACHE_REVALIDATED);
  assert_int_equal(calls, 2);
  assert_int_equal(conditional_calls, 1);
  assert_int_equal(not_modified, 1);
  assert_int_equal(get(c, "a.json", "{\"v\":1}", S3_OK), CACHE_HIT);
  /* Changed in S3: seen at the next revalidation. */
  put("a.json", "{\"v\":2}", "\"e2\"");
  assert_int_equal(get(c, "a.json", "{\"v\":1}", S3_OK), CACHE_HIT);
  now_ms += 5000;
  assert_int_equal(get(c, "a.json", "{\"v\":2}", S3_OK), CACHE_MISS);
  assert_int_equal(calls, 3);
  cache_free(c);
}

struct racer {
  struct cache *c;
  int ok;
};

static void *race(void *arg)
{
  struct racer *r = arg;
  struct cache_result res;

  cache_get(r->c, "hot.json", 1, &res);
  r->ok = res.code == S3_OK && res.doc && res.doc->len == 2;
  cache_result_release(&res);
  return NULL;
}

static void test_single_flight(void **state)
{
  struct cache *c = make(5, 1 << 20, 300);
  struct racer r[16];
  pthread_t t[16];
  int i;

  put("hot.json", "[]", "\"h\"");
  delay_ms = 100; /* the leader's S3 call is slow: everyone else waits */
  for (i = 0; i < 16; i++) {
    r[i].c = c;
    r[i].ok = 0;
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  }
  for (i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    assert_true(r[i].ok);
  }
  assert_int_equal(calls, 1);
  /* Concurrent revalidations: one conditional request, nobody waits. */
  now_ms += 6000;
  for (i = 0; i < 16; i++)
    assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  for (i = 0; i < 16; i++) {
    pthread_join(t[i], NULL);
    assert_true(r[i].ok);
  }
  assert_int_equal(calls, 2);
  cache_free(c);
}

static void *get_in_thread(void *arg)
{
  struct racer *r = arg;
  struct cache_result res;

  cache_get(r->c, "a.json", 1, &res);
  r->ok = res.code == S3_OK ? (int)res.source : -1;
  cache_result_release(&res);
  return NULL;
}

/* Starts a revalidation of a.json on another thread and waits until its
 * S3 call is in progress (held there until 'hold' is cleared). */
static void start_revalidation(struct racer *r, pthread_t *t)
{
  int i;

  hold = 1;
  assert_int_equal(pthread_create(t, NULL, get_in_thread, r), 0);
  for (i = 0; i < 5000 && !__atomic_load_n(&fetching, __ATOMIC_SEQ_CST); i++)
    usleep(1000);
  assert_int_equal(fetching, 1);
}

/* While another request revalidates, a copy less than one S3 budget past
 * its TTL is served from memory; an older one is never served as HIT: the
 * request waits for the revalidation and is labelled by its outcome. */
static void test_expired_copy_waits_for_revalidation(void **state)
{
  struct cache *c = make(5, 1 << 20, 300);
  struct cache_result res;
  struct racer leader = {c, -2}, waiter = {c, -2};
  pthread_t lt, wt;

  put("a.json", "{\"v\":1}", "\"e1\"");
  get(c, "a.json", "{\"v\":1}", S3_OK);
  now_ms += 5000 + 1999; /* within TTL + budget (2000 ms) */
  start_revalidation(&leader, &lt);
  assert_int_equal(cache_peek(c, "a.json", &res), 1);
  assert_int_equal(res.source, CACHE_HIT);
  cache_result_release(&res);
  hold = 0;
  pthread_join(lt, NULL);
  assert_int_equal(leader.ok, CACHE_REVALIDATED);

  now_ms +=
      5000 + 2000; /* past TTL + budget, by far less than stale-if-error */
  put("a.json", "{\"v\":2}", "\"e2\"");
  start_revalidation(&leader, &lt);
  assert_int_equal(cache_peek(c, "a.json", &res), 0); /* must not answer */
  assert_int_equal(pthread_create(&wt, NULL, get_in_thread, &waiter), 0);
  usleep(50 * 1000);
  assert_int_equal(waiter.ok, -2); /* still waiting for S3 */
  hold = 0;
  pthread_join(lt, NULL);
  pthread_join(wt, NULL);
  assert_int_equal(leader.ok, CACHE_MISS);
  assert_int_equal(waiter.ok, CACHE_MISS); /* the new version, not HIT */
  get(c, "a.json", "{\"v\":2}", S3_OK);
  assert_int_equal(calls, 3);
  cache_free(c);
}

static void test_lru_eviction_order(void **state)
{
  /* Room for two entries of ~300 bytes each, not three. */
  struct cache *c = make(60, 700, 0);
  size_t bytes, entries;

  put("a.json", "{\"a\":1}", "\"a\"");
  put("b.json", "{\"b\":1}", "\"b\"");
  put("c.json", "{\"c\":1}", "\"c\"");
  get(c, "a.json", "{\"a\":1}", S3_OK);
  get(c, "b.json", "{\"b\":1}", S3_OK);
  get(c, "a.json", "{\"a\":1}", S3_OK); /* a is now the most recent */
  get(c, "c.json", "{\"c\":1}", S3_OK); /* evicts b, the least recent */
  cache_stats(c, &bytes, &entries);
  assert_int_equal(entries, 2);
  assert_true(bytes <= 700);
  assert_int_equal(calls, 3);
  assert_int_equal(get(c, "a.json", "{\"a\":1}", S3_OK), CACHE_HIT);
  assert_int_equal(get(c, "c.json", "{\"c\":1}", S3_OK), CACHE_HIT);
  assert_int_equal(get(c, "b.json", "{\"b\":1}", S3_OK), CACHE_MISS);
  assert_int_equal(calls, 4);
  cache_free(c);
}

static void test_stale_if_error(void **state)
{
  struct cache *c = make(5, 1 << 20, 300);

  put("a.json", "{}", "\"e\"");
  get(c, "a.json", "{}", S3_OK);
  now_ms += 6000;
  forced = S3_UNAVAILABLE;
  assert_int_equal(get(c, "a.json", "{}", S3_OK), CACHE_STALE);
  forced = S3_TIMEOUT;
  assert_int_equal(get(c, "a.json", "{}", S3_OK), CACHE_STALE);
  /* 403 is S3 saying no: never papered over. */
  forced = S3_FORBIDDEN;
  get(c, "a.json", NULL, S3_FORBIDDEN);
  cache_free(c);

  c = make(5, 1 << 20, 300);
  put("a.json", "{}", "\"e\"");
  get(c, "a.json", "{}", S3_OK);
  forced = S3_UNAVAILABLE;
  now_ms += 5000 + 300000 - 1;
  assert_int_equal(get(c, "a.json", "{}", S3_OK), CACHE_STALE);
  now_ms += 1; /* the stale window is over */
  get(c, "a.json", NULL, S3_UNAVAILABLE);
  /* Recovery when S3 is back. */
  forced = S3_OK;
  assert_int_equal(get(c, "a.json", "{}", S3_OK), CACHE_MISS);
  cache_free(c);
}

static void test_negative_caching(void **state)
{
  struct cache *c = make(5, 1 << 20, 300);

  get(c, "none.json", NULL, S3_NOT_FOUND);
  assert_int_equal(get(c, "none.json", NULL, S3_NOT_FOUND), CACHE_HIT);
  assert_int_equal(calls, 1);
  put("none.json", "1", "\"n\"");
  now_ms += 2000; /* negative TTL: 2 s */
  assert_int_equal(get(c, "none.json", "1", S3_OK), CACHE_MISS);
  assert_int_equal(calls, 2);
  cache_free(c);
}

static void test_invalid_document(void **state)
{
  struct cache *c = make(5, 1 << 20, 300);
  struct cache_result r;

  put("bad.json", "{\"a\":1,}", "\"bad\"");
  cache_get(c, "bad.json", 1, &r);
  assert_int_equal(r.code, S3_BAD_RESPONSE);
  assert_true(r.invalid_document);
  cache_result_release(&r);
  cache_get(c, "bad.json", 1, &r);
  assert_true(r.invalid_document);
  assert_int_equal(r.source, CACHE_HIT);
  assert_int_equal(calls, 1);
  /* Revalidated by ETag: still the same bad version. */
  now_ms += 2000;
  cache_get(c, "bad.json", 1, &r);
  assert_true(r.invalid_document);
  assert_int_equal(conditional_calls, 1);
  /* Fixed in S3: served after the next check. */
  put("bad.json", "{\"a\":1}", "\"good\"");
  now_ms += 2000;
  assert_int_equal(get(c, "bad.json", "{\"a\":1}", S3_OK), CACHE_MISS);
  cache_free(c);
}

static void test_gzip_round_trip(void **state)
{
  static char big[8192];
  struct cache *c = make(5, 1 << 20, 300);
  struct cache_result r;
  char out[sizeof(big)];
  uLongf outlen = sizeof(out);
  z_stream z;

  memset(big, 0, sizeof(big));
  big[0] = '[';
  for (size_t i = 1; i + 3 < sizeof(big) - 1; i += 2)
    memcpy(big + i, "1,", 2);
  memcpy(big + strlen(big), "1]", 2);
  put("big.json", big, "\"g\"");
  cache_get(c, "big.json", 1, &r);
  assert_int_equal(r.code, S3_OK);
  assert_non_null(r.doc->gz);
  assert_true(r.doc->gz_len < r.doc->len / 10);
  memset(&z, 0, sizeof(z));
  assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
  z.next_in = (Bytef *)r.doc->gz;
  z.avail_in = (uInt)r.doc->gz_len;
  z.next_out = (Bytef *)out;
  z.avail_out = (uInt)outlen;
  assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
  assert_int_equal(z.total_out, strlen(big));
  assert_memory_equal(out, big, strlen(big));
  inflateEnd(&z);
  cache_result_release(&r);
  /* Small bodies are not compressed. */
  put("small.json", "{\"s\":1}", "\"s\"");
  cache_get(c, "small.json", 1, &r);
  assert_null(r.doc->gz);
  cache_result_release(&r);
  cache_free(c);
}

static void test_ttl_zero_always_fetches(void **state)
{
  struct cache *c = make(0, 1 << 20, 300);
  size_t bytes, entries;

  put("a.json", "{}", "\"e\"");
  for (int i = 0; i < 3; i++)
    assert_int_equal(get(c, "a.json", "{}", S3_OK), CACHE_MISS);
  assert_int_equal(calls, 3);
  cache_stats(c, &bytes, &entries);
  assert_int_equal(entries, 0);
  cache_free(c);
}

static void test_larger_than_cache_is_served_not_kept(void **state)
{
  struct cache *c = make(5, 100, 300);
  size_t bytes, entries;

  put("a.json", "{\"long\":\"enough to pass one hundred bytes\"}", "\"e\"");
  get(c, "a.json", "{\"long\":\"enough to pass one hundred bytes\"}", S3_OK);
  cache_stats(c, &bytes, &entries);
  assert_int_equal(entries, 0);
  assert_int_equal(bytes, 0);
  cache_free(c);
}

static void test_version_outlives_eviction(void **state)
{
  struct cache *c = make(5, 700, 300);
  struct cache_result r;

  put("a.json", "{\"a\":1}", "\"a\"");
  put("b.json", "{\"b\":1}", "\"b\"");
  put("c.json", "{\"c\":1}", "\"c\"");
  cache_get(c, "a.json", 1, &r); /* held, as a reply being sent */
  get(c, "b.json", "{\"b\":1}", S3_OK);
  get(c, "c.json", "{\"c\":1}", S3_OK); /* evicts a */
  assert_memory_equal(r.doc->body, "{\"a\":1}", 7);
  cache_result_release(&r); /* ASan would see a use-after-free here */
  cache_free(c);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ttl_and_revalidation),
      cmocka_unit_test(test_single_flight),
      cmocka_unit_test(test_expired_copy_waits_for_revalidation),
      cmocka_unit_test(test_lru_eviction_order),
      cmocka_unit_test(test_stale_if_error),
      cmocka_unit_test(test_negative_caching),
      cmocka_unit_test(test_invalid_document),
      cmocka_unit_test(test_gzip_round_trip),
      cmocka_unit_test(test_ttl_zero_always_fetches),
      cmocka_unit_test(test_larger_than_cache_is_served_not_kept),
      cmocka_unit_test(test_version_outlives_eviction),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
