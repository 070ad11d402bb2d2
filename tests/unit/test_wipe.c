/* test_wipe.c -- no freed memory of ours holds a secret; the process is
 * not dumpable
 *
 * Linked with -Wl,--wrap=free (Makefile), so every free() made by s3json's
 * own modules goes through __wrap_free below, which looks for the secrets
 * of the test in the block about to be released (malloc_usable_size gives
 * its size, with glibc and with ASan alike). libcurl, jansson and OpenSSL
 * are shared libraries and not wrapped: their buffers are the documented
 * exceptions (credentials.h).
 */
#include <malloc.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "s3/sigv4.h"
#include "util/buf.h"
#include "util/harden.h"

#define TOKEN "IQoJb3JpZ2luX2VjEJr-session-token-under-test-7f3a"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCY-secret-under-test"

void __real_free(void *p);
void __wrap_free(void *p);

static int watching;
static int leaks; /* freed blocks that still held a secret */

void __wrap_free(void *p)
{
  if (p && watching) {
    size_t n = malloc_usable_size(p);

    if (memmem(p, n, TOKEN, strlen(TOKEN)) ||
        memmem(p, n, SECRET, strlen(SECRET)))
      leaks++;
  }
  __real_free(p);
}

static void sign_once(struct sigv4_result *res)
{
  struct sigv4_pair headers[] = {{"host", "bucket.s3.eu-west-1.amazonaws.com"},
                                 {"if-none-match", "\"abc\""}};
  struct sigv4_pair query[] = {{"list-type", "2"}, {"prefix", "v1/"}};
  struct sigv4_request req = {0};
  struct sigv4_credentials cred = {"AKIDEXAMPLE", SECRET, TOKEN};

  req.method = "GET";
  req.path = "/docs/a b.json";
  req.query = query;
  req.nquery = 2;
  req.headers = headers;
  req.nheaders = 2;
  req.payload_hash = SIGV4_EMPTY_SHA256;
  req.add_content_sha256 = 1;
  assert_int_equal(sigv4_sign(&req, &cred, "eu-west-1", "s3", 1440938160, res),
                   SIGV4_OK);
}

/* The canonical request holds x-amz-security-token; signing twice with one
 * result (as the retry loop does) and freeing it must leave no copy. */
static void test_sigv4_wipes_what_it_frees(void **state)
{
  struct sigv4_result res;

  leaks = 0;
  watching = 1;
  sigv4_result_init(&res);
  sign_once(&res);
  assert_non_null(strstr(res.canonical_request.data, TOKEN));
  sign_once(&res);
  sigv4_result_free(&res);
  watching = 0;
  assert_int_equal(leaks, 0);
}

/* A secret buffer wipes the old block when it grows. */
static void test_secret_buf_wipes_on_growth(void **state)
{
  struct buf b;
  int i;

  leaks = 0;
  watching = 1;
  buf_init_secret(&b, 1 << 20);
  assert_int_equal(buf_append_str(&b, TOKEN), BUF_OK);
  for (i = 0; i < 200; i++) /* several reallocations */
    assert_int_equal(buf_append_str(&b, "0123456789abcdef"), BUF_OK);
  assert_non_null(strstr(b.data, TOKEN));
  buf_reset(&b);
  assert_null(memmem(b.data, b.size, TOKEN, strlen(TOKEN)));
  assert_int_equal(buf_append_str(&b, TOKEN), BUF_OK);
  buf_free(&b);
  watching = 0;
  assert_int_equal(leaks, 0);
}

/* The check itself works: a plain buffer freed with the token in it is
 * seen. */
static void test_detector_sees_a_leak(void **state)
{
  struct buf b;

  leaks = 0;
  watching = 1;
  buf_init(&b, 1024);
  assert_int_equal(buf_append_str(&b, TOKEN), BUF_OK);
  buf_free(&b);
  watching = 0;
  assert_int_equal(leaks, 1);
}

static void test_process_not_dumpable(void **state)
{
  struct rlimit rl;
  char err[128] = "";

  assert_int_equal(harden_process(err, sizeof(err)), 0);
  assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
  assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
  assert_true(rl.rlim_cur == 0 && rl.rlim_max == 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_detector_sees_a_leak),
      cmocka_unit_test(test_sigv4_wipes_what_it_frees),
      cmocka_unit_test(test_secret_buf_wipes_on_growth),
      cmocka_unit_test(test_process_not_dumpable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
