/* test_s3_client.c -- s3/client without a network: configuration, URLs,
 * what is signed and sent, callbacks, retry decisions
 *
 * Includes client.c itself (as darkhttpd's devel tests do) so the static
 * helpers can be tested one by one; the archive's client.o is then not
 * linked. Requests against servers are in app/tests/integration/.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../src/s3/client.c"
#include "../../src/settings.h"

static struct aws_cred_provider *test_creds(void)
{
  static struct aws_cred_provider *p;
  struct aws_env env;
  char err[256];

  if (!p) {
    memset(&env, 0, sizeof(env));
    env.access_key_id = "AKIDTEST";
    env.secret_access_key = "secret";
    env.imds_disabled = 1;
    p = aws_cred_provider_new(&env, 1000, err, sizeof(err));
  }
  assert_non_null(p);
  return p;
}

static struct s3_client_config config(const char *bucket, const char *region,
                                      const char *endpoint)
{
  struct s3_client_config cfg;

  memset(&cfg, 0, sizeof(cfg));
  cfg.bucket = bucket;
  cfg.region = region;
  cfg.endpoint_url = endpoint;
  cfg.timeout_ms = 1000;
  cfg.max_attempts = 3;
  cfg.max_object_bytes = 1024;
  cfg.creds = test_creds();
  return cfg;
}

struct addr_case {
  const char *bucket, *region, *endpoint;
  const char *scheme_host, *host, *base_path;
};

static const struct addr_case addr_cases[] = {
    /* AWS: virtual-hosted, path-style for names with dots */
    {"docs", "eu-west-3", NULL, "https://docs.s3.eu-west-3.amazonaws.com",
     "docs.s3.eu-west-3.amazonaws.com", ""},
    {"my.docs", "us-east-1", NULL, "https://s3.us-east-1.amazonaws.com",
     "s3.us-east-1.amazonaws.com", "/my.docs"},
    {"docs", "cn-north-1", NULL, "https://docs.s3.cn-north-1.amazonaws.com.cn",
     "docs.s3.cn-north-1.amazonaws.com.cn", ""},
    {"docs", "us-east-1", "", "https://docs.s3.us-east-1.amazonaws.com",
     "docs.s3.us-east-1.amazonaws.com", ""},
    /* endpoint: always path-style */
    {"docs", "us-east-1", "http://127.0.0.1:4566", "http://127.0.0.1:4566",
     "127.0.0.1:4566", "/docs"},
    {"docs", "us-east-1", "https://minio.local/", "https://minio.local",
     "minio.local", "/docs"},
    {"docs", "us-east-1", "http://h:9000/base//", "http://h:9000", "h:9000",
     "/base/docs"},
    {"docs", "us-east-1", "http://[::1]:9000", "http://[::1]:9000",
     "[::1]:9000", "/docs"},
};

static void test_addressing(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
    const struct addr_case *a = &addr_cases[i];
    struct s3_client_config cfg = config(a->bucket, a->region, a->endpoint);
    char err[256];
    struct s3_client *c = s3_client_new(&cfg, err, sizeof(err));

    assert_non_null(c);
    assert_string_equal(c->scheme_host, a->scheme_host);
    assert_string_equal(c->host, a->host);
    assert_string_equal(c->base_path, a->base_path);
    s3_client_free(c);
  }
}

static void test_bad_config(void **state)
{
  static const char *bad_buckets[] = {
      "ab",
      "UPPER",
      "-abc",
      "abc-",
      "a_b",
      "a b",
      "a/b",
      "0123456789012345678901234567890123456789012345678901234567890123"};
  static const char *bad_endpoints[] = {"ftp://h",      "http://h/?q=1",
                                        "http://u:p@h", "not a url",
                                        "http://h/%2F", "file:///etc/passwd"};
  struct s3_client_config cfg;
  char err[256];
  size_t i;

  for (i = 0; i < sizeof(bad_buckets) / sizeof(bad_buckets[0]); i++) {
    cfg = config(bad_buckets[i], "us-east-1", NULL);
    assert_null(s3_client_new(&cfg, err, sizeof(err)));
    assert_non_null(strstr(err, "bucket"));
  }
  for (i = 0; i < sizeof(bad_endpoints) / sizeof(bad_endpoints[0]); i++) {
    cfg = config("docs", "us-east-1", bad_endpoints[i]);
    if (s3_client_new(&cfg, err, sizeof(err)))
      fail_msg("accepted endpoint %s", bad_endpoints[i]);
    assert_non_null(strstr(err, "endpoint"));
  }
  cfg = config("docs", "US EAST", NULL);
  assert_null(s3_client_new(&cfg, err, sizeof(err)));
  cfg = config("docs", "us-east-1", NULL);
  cfg.max_attempts = 0;
  assert_null(s3_client_new(&cfg, err, sizeof(err)));
  cfg.max_attempts = 11;
  assert_null(s3_client_new(&cfg, err, sizeof(err)));
  cfg = config("docs", "us-east-1", NULL);
  cfg.timeout_ms = 0;
  assert_null(s3_client_new(&cfg, err, sizeof(err)));
  cfg = config("docs", "us-east-1", NULL);
  cfg.creds = NULL;
  assert_null(s3_client_new(&cfg, err, sizeof(err)));
  assert_null(s3_client_new(NULL, err, sizeof(err)));
  s3_client_free(NULL);
}

static int has_header(const struct curl_slist *l, const char *prefix)
{
  for (; l; l = l->next)
    if (!strncmp(l->data, prefix, strlen(prefix)))
      return 1;
  return 0;
}

/* The URL carries exactly the encoding the signer used. */
static void test_signed_url_and_headers(void **state)
{
  struct s3_client_config cfg = config("docs", "us-east-1", "http://h:1");
  struct aws_credentials cred;
  struct sigv4_pair q[] = {{"prefix", "a b/+="}, {"list-type", "2"}};
  struct sigv4_pair cond[] = {{"if-none-match", "\"e\""}};
  struct s3_req r = {
      .path = "/docs/a b/c+d~%.json", .extra = cond, .nextra = 1};
  struct curl_slist *hdrs = NULL;
  struct buf url;
  char err[256];
  struct s3_client *c = s3_client_new(&cfg, err, sizeof(err));

  assert_non_null(c);
  memset(&cred, 0, sizeof(cred));
  snprintf(cred.access_key_id, sizeof(cred.access_key_id), "AKID");
  snprintf(cred.secret_access_key, sizeof(cred.secret_access_key), "secret");
  buf_init(&url, S3_URL_MAX);
  assert_int_equal(build_signed(c, &r, &cred, &url, &hdrs), S3_OK);
  assert_string_equal(url.data, "http://h:1/docs/a%20b/c%2Bd~%25.json");
  assert_true(has_header(hdrs, "host: h:1"));
  assert_true(has_header(hdrs, "if-none-match: \"e\""));
  assert_true(has_header(hdrs, "X-Amz-Date: "));
  assert_true(has_header(hdrs, "x-amz-content-sha256: " SIGV4_EMPTY_SHA256));
  assert_true(has_header(hdrs, "Authorization: AWS4-HMAC-SHA256 Credential="
                               "AKID/"));
  assert_false(has_header(hdrs, "X-Amz-Security-Token"));
  free_headers(hdrs);
  hdrs = NULL;
  buf_free(&url);

  snprintf(cred.session_token, sizeof(cred.session_token), "TOKEN");
  r = (struct s3_req){.path = "/docs", .query = q, .nquery = 2};
  assert_int_equal(build_signed(c, &r, &cred, &url, &hdrs), S3_OK);
  assert_string_equal(url.data,
                      "http://h:1/docs?list-type=2&prefix=a%20b%2F%2B%3D");
  assert_true(has_header(hdrs, "X-Amz-Security-Token: TOKEN"));
  free_headers(hdrs);
  buf_free(&url);
  s3_client_free(c);
}

static void test_clean_condition(void **state)
{
  static const struct {
    const char *in;
    int ok;
    const char *out;
  } cases[] = {
      {"\"abc\"", 1, "\"abc\""},
      {"  W/\"a  b\"\t ", 1, "W/\"a b\""},
      {"Wed, 21 Oct 2015 07:28:00 GMT", 1, "Wed, 21 Oct 2015 07:28:00 GMT"},
      {"", 0, NULL},
      {"   ", 0, NULL},
      {"a\r\nX-Injected: 1", 0, NULL},
      {"a\x01", 0, NULL},
      {"\"\xc3\xa9\"", 0, NULL},
      {"a\xc2\xa0"
       "b",
       0, NULL},
  };
  char out[S3_COND_MAX], longv[S3_COND_MAX + 10];
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    assert_int_equal(clean_condition(cases[i].in, out), cases[i].ok);
    if (cases[i].ok)
      assert_string_equal(out, cases[i].out);
  }
  memset(longv, 'e', sizeof(longv) - 1);
  longv[sizeof(longv) - 1] = '\0';
  assert_int_equal(clean_condition(longv, out), 0);
}

static void test_backoff_bounds(void **state)
{
  static const long ceiling[] = {0, 50, 100, 200, 400, 800, 1000, 1000};
  int attempt, i;

  for (attempt = 1; attempt < 8; attempt++) {
    long most = 0;

    for (i = 0; i < 2000; i++) {
      long w = backoff_ms(attempt);

      assert_true(w >= 0 && w <= ceiling[attempt]);
      most = w > most ? w : most;
    }
    /* full jitter: the whole range is used, not just the low end */
    assert_true(most > ceiling[attempt] / 2);
  }
}

static void test_status_mapping(void **state)
{
  static const struct {
    int status;
    const char *code;
    enum s3_code want;
    enum s3_step step;
  } cases[] = {
      {500, "InternalError", S3_UNAVAILABLE, STEP_RETRY},
      {502, "", S3_UNAVAILABLE, STEP_RETRY},
      {503, "SlowDown", S3_UNAVAILABLE, STEP_RETRY},
      {429, "", S3_UNAVAILABLE, STEP_RETRY},
      {400, "RequestTimeout", S3_UNAVAILABLE, STEP_RETRY},
      {400, "InvalidArgument", S3_BAD_REQUEST, STEP_DONE},
      {400, "ExpiredToken", S3_FORBIDDEN, STEP_DONE},
      {403, "AccessDenied", S3_FORBIDDEN, STEP_DONE},
      {403, "SignatureDoesNotMatch", S3_FORBIDDEN, STEP_DONE},
      {404, "NoSuchKey", S3_NOT_FOUND, STEP_DONE},
      {404, "", S3_NOT_FOUND, STEP_DONE},
      {404, "NoSuchBucket", S3_BAD_REQUEST, STEP_DONE},
      {301, "PermanentRedirect", S3_BAD_REQUEST, STEP_DONE},
      {412, "PreconditionFailed", S3_BAD_REQUEST, STEP_DONE},
      /* DynamoDB: denials and throttling come as 400 with a __type */
      {400, "AccessDeniedException", S3_FORBIDDEN, STEP_DONE},
      {400, "UnrecognizedClientException", S3_FORBIDDEN, STEP_DONE},
      {400, "InvalidSignatureException", S3_FORBIDDEN, STEP_DONE},
      {400, "ExpiredTokenException", S3_FORBIDDEN, STEP_DONE},
      {400, "ProvisionedThroughputExceededException", S3_UNAVAILABLE,
       STEP_RETRY},
      {400, "ThrottlingException", S3_UNAVAILABLE, STEP_RETRY},
      {400, "RequestLimitExceeded", S3_UNAVAILABLE, STEP_RETRY},
      {500, "InternalServerError", S3_UNAVAILABLE, STEP_RETRY},
      {400, "ResourceNotFoundException", S3_BAD_REQUEST, STEP_DONE},
      {400, "ValidationException", S3_BAD_REQUEST, STEP_DONE},
      {204, "", S3_BAD_RESPONSE, STEP_DONE},
      {0, "", S3_BAD_RESPONSE, STEP_DONE},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct s3_diag d;
    enum s3_code code;

    memset(&d, 0, sizeof(d));
    snprintf(d.error.code, sizeof(d.error.code), "%s", cases[i].code);
    assert_int_equal(from_status(cases[i].status, &d, &code), cases[i].step);
    if (code != cases[i].want)
      fail_msg("%d %s -> %s", cases[i].status, cases[i].code,
               s3_code_name(code));
  }
}

static void test_curl_mapping(void **state)
{
  struct s3_exchange x;
  enum s3_code code;

  memset(&x, 0, sizeof(x));
  assert_int_equal(from_curl(CURLE_OPERATION_TIMEDOUT, &x, &code), STEP_DONE);
  assert_int_equal(code, S3_TIMEOUT);
  assert_int_equal(from_curl(CURLE_COULDNT_CONNECT, &x, &code), STEP_RETRY);
  assert_int_equal(code, S3_UNAVAILABLE);
  assert_int_equal(from_curl(CURLE_PARTIAL_FILE, &x, &code), STEP_RETRY);
  assert_int_equal(code, S3_BAD_RESPONSE);
  assert_int_equal(from_curl(CURLE_PEER_FAILED_VERIFICATION, &x, &code),
                   STEP_DONE);
  assert_int_equal(code, S3_UNAVAILABLE);
  x.too_large = 1;
  x.is_get = 1;
  assert_int_equal(from_curl(CURLE_WRITE_ERROR, &x, &code), STEP_DONE);
  assert_int_equal(code, S3_TOO_LARGE);
  x.is_get = 0; /* a listing that big is not a real listing */
  from_curl(CURLE_WRITE_ERROR, &x, &code);
  assert_int_equal(code, S3_BAD_RESPONSE);
  x.too_large = 0;
  x.no_memory = 1;
  from_curl(CURLE_WRITE_ERROR, &x, &code);
  assert_int_equal(code, S3_NO_MEMORY);
}

static size_t feed_header(struct s3_exchange *x, const char *line)
{
  char copy[256];

  snprintf(copy, sizeof(copy), "%s", line);
  return on_header(copy, 1, strlen(copy), x);
}

static void test_header_callback(void **state)
{
  struct s3_client c;
  struct s3_exchange x;

  memset(&c, 0, sizeof(c));
  c.max_object_bytes = 100;
  memset(&x, 0, sizeof(x));
  x.client = &c;
  x.is_get = 1;
  x.body_cap = c.max_object_bytes; /* as exchange_reset sets it */
  assert_int_equal(feed_header(&x, "HTTP/1.1 100 Continue\r\n"), 23);
  assert_int_equal(x.status, 100);
  feed_header(&x, "HTTP/1.1 200 OK\r\n");
  assert_int_equal(x.status, 200);
  feed_header(&x, "etag:  \"abc\" \r\n");
  assert_string_equal(x.etag, "\"abc\"");
  feed_header(&x, "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT\r\n");
  assert_string_equal(x.last_modified, "Wed, 21 Oct 2015 07:28:00 GMT");
  feed_header(&x, "x-amz-request-id: 4442587FB7D0A2F9\r\n");
  assert_string_equal(x.request_id, "4442587FB7D0A2F9");
  assert_int_not_equal(feed_header(&x, "Content-Length: 100\r\n"), 0);
  assert_false(x.too_large);
  assert_int_equal(feed_header(&x, "Content-Length: 101\r\n"), 0);
  assert_true(x.too_large);

  /* an error answer's length is not the object's */
  memset(&x, 0, sizeof(x));
  x.client = &c;
  x.is_get = 1;
  x.body_cap = c.max_object_bytes; /* as exchange_reset sets it */
  feed_header(&x, "HTTP/1.1 404 Not Found\r\n");
  assert_int_not_equal(feed_header(&x, "Content-Length: 5000\r\n"), 0);
  feed_header(&x, "HTTP/2 2x0\r\n");
  assert_int_equal(x.status, 0);
  feed_header(&x, "HTTP/1.1\r\n");
  assert_int_equal(x.status, 0);
}

static void test_body_callback(void **state)
{
  struct s3_client c;
  struct s3_exchange x;
  char chunk[40000];

  memset(&c, 0, sizeof(c));
  memset(chunk, 'e', sizeof(chunk));
  memset(&x, 0, sizeof(x));
  x.client = &c;
  buf_init(&x.body, 10);
  buf_init(&x.err, S3_ERROR_BODY_MAX);
  x.status = 500; /* error bodies: the start is kept, the rest dropped */
  assert_int_equal(on_body(chunk, 1, sizeof(chunk), &x), sizeof(chunk));
  assert_int_equal(on_body(chunk, 1, sizeof(chunk), &x), sizeof(chunk));
  assert_int_equal(on_body("Z", 1, 1, &x), 1);
  assert_int_equal(x.err.len, S3_ERROR_BODY_MAX);
  assert_null(memchr(x.err.data, 'Z', x.err.len));
  x.status = 200;
  x.is_get = 1;
  assert_int_equal(on_body("0123456789", 1, 10, &x), 10);
  assert_int_equal(on_body("x", 1, 1, &x), 0);
  assert_true(x.too_large);
  buf_free(&x.body);
  buf_free(&x.err);
}

static void test_arguments_checked_before_any_request(void **state)
{
  struct s3_client_config cfg = config("docs", "us-east-1", "http://h:1");
  struct s3_object obj;
  struct s3_list l;
  struct s3_diag d;
  char err[256], key[S3_KEY_MAX + 2];
  struct s3_client *c = s3_client_new(&cfg, err, sizeof(err));

  assert_non_null(c);
  memset(key, 'k', sizeof(key) - 1);
  key[sizeof(key) - 1] = '\0';
  assert_int_equal(s3_get_object(c, key, NULL, &obj, &d), S3_BAD_REQUEST);
  assert_int_equal(d.attempts, 0);
  assert_int_equal(s3_get_object(c, "", NULL, &obj, NULL), S3_BAD_REQUEST);
  assert_int_equal(s3_get_object(c, NULL, NULL, &obj, NULL), S3_BAD_REQUEST);
  assert_null(obj.body);
  s3_object_free(&obj);
  s3_object_free(NULL);
  assert_int_equal(s3_list_objects(c, "p", NULL, 1001, &l, &d), S3_BAD_REQUEST);
  assert_int_equal(s3_list_objects(c, "p", NULL, -1, &l, &d), S3_BAD_REQUEST);
  assert_int_equal(s3_list_objects(c, "p", "", 10, &l, &d), S3_BAD_REQUEST);
  assert_int_equal(l.nkeys, 0);
  s3_list_free(&l);
  s3_client_free(c);
}

static void test_code_names(void **state)
{
  int i;

  for (i = S3_OK; i <= S3_NO_MEMORY; i++)
    assert_string_not_equal(s3_code_name((enum s3_code)i), "unknown");
  assert_string_equal(s3_code_name(S3_NOT_FOUND), "not_found");
  assert_string_equal(s3_code_name((enum s3_code)99), "unknown");
}

static int teardown_creds(void **state)
{
  aws_cred_provider_free(test_creds());
  return 0;
}

int main(void)
{
  static const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_addressing),
      cmocka_unit_test(test_bad_config),
      cmocka_unit_test(test_signed_url_and_headers),
      cmocka_unit_test(test_clean_condition),
      cmocka_unit_test(test_backoff_bounds),
      cmocka_unit_test(test_status_mapping),
      cmocka_unit_test(test_curl_mapping),
      cmocka_unit_test(test_header_callback),
      cmocka_unit_test(test_body_callback),
      cmocka_unit_test(test_arguments_checked_before_any_request),
      cmocka_unit_test(test_code_names),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests_name("s3_client", tests, NULL, teardown_creds);
  curl_global_cleanup();
  return rc;
}
