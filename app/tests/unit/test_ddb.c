/* test_ddb.c -- ddb/json (requests built, answers parsed) and ddb/client
 * against a fake DynamoDB on 127.0.0.1 that answers as AWS does (HTTP 400
 * with a JSON __type for denials and throttling), which the emulator
 * (moto: 403 with XML) cannot show.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws/credentials.h"
#include "ddb/client.h"
#include "ddb/json.h"
#include "s3/sigv4.h"
#include "settings.h" /* struct aws_env */

/*************************************************************************
 * Requests
 *************************************************************************/

static json_t *parse(const char *s)
{
  json_t *j;

  assert_non_null(s);
  j = json_loads(s, 0, NULL);
  assert_non_null(j);
  return j;
}

static void test_get_item_request(void **state)
{
  char *s = ddb_json_get_item_request("docs", "p/a", 0);

  assert_string_equal(
      s, "{\"TableName\":\"docs\",\"Key\":{\"name\":{\"S\":\"p/a\"}},"
         "\"ConsistentRead\":false,\"ProjectionExpression\":\"#b,#s\","
         "\"ExpressionAttributeNames\":{\"#b\":\"body\",\"#s\":\"sha256\"}}");
  free(s);
  s = ddb_json_get_item_request("docs", "p/a", 1);
  assert_string_equal(
      s, "{\"TableName\":\"docs\",\"Key\":{\"name\":{\"S\":\"p/a\"}},"
         "\"ConsistentRead\":false,\"ProjectionExpression\":\"#s\","
         "\"ExpressionAttributeNames\":{\"#s\":\"sha256\"}}");
  free(s);
}

/* Quotes, backslashes, control bytes and Unicode reach DynamoDB as the
 * same string: escaped in the text, equal once parsed. */
static void test_request_escaping(void **state)
{
  static const char *keys[] = {"a\"b", "a\\b", "caf\xc3\xa9/\xe2\x82\xac",
                               "tab\there", "\xf0\x9f\x98\x80"};
  size_t i;

  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
    char *s = ddb_json_get_item_request("docs", keys[i], 0);
    json_t *j = parse(s);

    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(j, "Key"), "name"), "S")),
        keys[i]);
    json_decref(j);
    free(s);
    s = ddb_json_scan_request("docs", keys[i], keys[i], 5);
    j = parse(s);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(j, "ExpressionAttributeValues"),
                            ":p"),
            "S")),
        keys[i]);
    json_decref(j);
    free(s);
  }
  /* the raw text escapes them */
  {
    char *s = ddb_json_get_item_request("docs", "q\"b\\", 1);

    assert_non_null(strstr(s, "\"q\\\"b\\\\\""));
    free(s);
  }
  /* not UTF-8: refused, never sent half-encoded */
  assert_null(ddb_json_get_item_request("docs", "bad\xff", 0));
  assert_null(ddb_json_scan_request("docs", "bad\xc3", NULL, 5));
  assert_null(ddb_json_scan_request("docs", "", "bad\xff", 5));
}

static void test_scan_request(void **state)
{
  char *s = ddb_json_scan_request("docs", "", NULL, 10);

  assert_string_equal(s, "{\"TableName\":\"docs\",\"ProjectionExpression\":"
                         "\"#n\",\"ExpressionAttributeNames\":{\"#n\":"
                         "\"name\"},\"Limit\":10}");
  free(s);
  s = ddb_json_scan_request("docs", "p/", "p/k", 1000);
  assert_string_equal(
      s, "{\"TableName\":\"docs\",\"ProjectionExpression\":\"#n\","
         "\"ExpressionAttributeNames\":{\"#n\":\"name\"},\"Limit\":1000,"
         "\"FilterExpression\":\"begins_with(#n, :p)\","
         "\"ExpressionAttributeValues\":{\":p\":{\"S\":\"p/\"}},"
         "\"ExclusiveStartKey\":{\"name\":{\"S\":\"p/k\"}}}");
  free(s);
  assert_null(ddb_json_scan_request("docs", "", NULL, 0));
  assert_null(ddb_json_scan_request("docs", "", NULL, 1001));
  s = ddb_json_describe_request("docs");
  assert_string_equal(s, "{\"TableName\":\"docs\"}");
  free(s);
}

static void test_table_names(void **state)
{
  char longest[DDB_TABLE_MAX + 2];

  assert_true(ddb_table_name_ok("abc"));
  assert_true(ddb_table_name_ok("My_Table.v2-prod"));
  assert_false(ddb_table_name_ok("ab"));
  assert_false(ddb_table_name_ok(""));
  assert_false(ddb_table_name_ok(NULL));
  assert_false(ddb_table_name_ok("has space"));
  assert_false(ddb_table_name_ok("quote\"d"));
  memset(longest, 'a', DDB_TABLE_MAX);
  longest[DDB_TABLE_MAX] = '\0';
  assert_true(ddb_table_name_ok(longest));
  longest[DDB_TABLE_MAX] = 'a';
  longest[DDB_TABLE_MAX + 1] = '\0';
  assert_false(ddb_table_name_ok(longest));
}

static void test_etag_hex(void **state)
{
  char hex[65];
  const char *sha =
      "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"";

  assert_int_equal(ddb_etag_hex(sha, hex), 0);
  assert_string_equal(hex, SIGV4_EMPTY_SHA256);
  assert_int_equal(ddb_etag_hex("\"abc\"", hex), -1);
  assert_int_equal(ddb_etag_hex(NULL, hex), -1);
  assert_int_equal(ddb_etag_hex("W/\"e3b0\"", hex), -1);
}

/*************************************************************************
 * Answers
 *************************************************************************/

#define PARSE_ITEM(s, it) ddb_json_parse_item((s), strlen(s), (it))

static void test_parse_item(void **state)
{
  struct ddb_item it;
  const char *with_nul =
      "{\"Item\":{\"body\":{\"S\":\"{\\\"a\\\":\\\"\\u0000\\\"}\"}}}";

  assert_int_equal(PARSE_ITEM("{}", &it), DDB_JSON_OK);
  assert_false(it.found);
  ddb_item_free(&it);

  assert_int_equal(PARSE_ITEM("{\"Item\":{\"name\":{\"S\":\"a\"},\"body\":{"
                              "\"S\":\"{\\\"x\\\":1}\"},\"sha256\":{\"S\":"
                              "\"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B"
                              "934CA495991B7852B855\"}}}",
                              &it),
                   DDB_JSON_OK);
  assert_true(it.found);
  assert_true(it.has_body);
  assert_string_equal(it.body, "{\"x\":1}");
  assert_int_equal(it.len, 7);
  assert_string_equal(it.sha256, SIGV4_EMPTY_SHA256);
  ddb_item_free(&it);

  /* \u0000 in a body: kept, with its length */
  assert_int_equal(PARSE_ITEM(with_nul, &it), DDB_JSON_OK);
  assert_int_equal(it.len, 9);
  assert_memory_equal(it.body, "{\"a\":\"\0\"}", 9);
  ddb_item_free(&it);

  /* a body that is not S, a sha256 that is not 64 hex digits */
  assert_int_equal(PARSE_ITEM("{\"Item\":{\"body\":{\"B\":\"eyJ9\"},"
                              "\"sha256\":{\"S\":\"abc\"}}}",
                              &it),
                   DDB_JSON_OK);
  assert_true(it.found);
  assert_false(it.has_body);
  assert_string_equal(it.sha256, "");
  ddb_item_free(&it);

  /* 64 characters, one not hex (fuzz regression): no digest at all */
  assert_int_equal(PARSE_ITEM("{\"Item\":{\"sha256\":{\"S\":\"E6B0C442-8FC1C"
                              "149AFBF4C8996FB92427AE41E4649B934CA495991B7852"
                              "B855\"}}}",
                              &it),
                   DDB_JSON_OK);
  assert_string_equal(it.sha256, "");
  ddb_item_free(&it);

  /* only sha256 (revalidation) */
  assert_int_equal(
      PARSE_ITEM("{\"Item\":{\"sha256\":{\"S\":\"" SIGV4_EMPTY_SHA256 "\"}}}",
                 &it),
      DDB_JSON_OK);
  assert_true(it.found);
  assert_null(it.body);
  assert_string_equal(it.sha256, SIGV4_EMPTY_SHA256);
  ddb_item_free(&it);
}

static void test_parse_item_malformed(void **state)
{
  static const char *bad[] = {"",
                              "not json",
                              "[]",
                              "{\"Item\":[]}",
                              "{\"Item\":\"x\"}",
                              "{\"Item\":{}",
                              "{\"Item\":{},\"Item\":{}}",
                              "\"{}\""};
  struct ddb_item it;
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(PARSE_ITEM(bad[i], &it), DDB_JSON_MALFORMED);
    assert_null(it.body);
    ddb_item_free(&it);
  }
  assert_int_equal(ddb_json_parse_item(NULL, 0, &it), DDB_JSON_MALFORMED);
}

#define PARSE_SCAN(s, l) ddb_json_parse_scan((s), strlen(s), (l))

static void test_parse_scan(void **state)
{
  struct s3_list l;

  assert_int_equal(
      PARSE_SCAN(
          "{\"Items\":[{\"name\":{\"S\":\"p/b\"}},{\"name\":{\"S\":"
          "\"p/a\"}},{\"name\":{\"N\":\"1\"}},{},{\"name\":{\"S\":\"\"}},"
          "{\"name\":{\"S\":\"nul\\u0000x\"}}],\"Count\":6,"
          "\"ScannedCount\":9,\"LastEvaluatedKey\":{\"name\":{\"S\":"
          "\"zz\"}}}",
          &l),
      DDB_JSON_OK);
  assert_int_equal(l.nkeys, 2); /* Scan order, odd names skipped */
  assert_string_equal(l.keys[0], "p/b");
  assert_string_equal(l.keys[1], "p/a");
  assert_true(l.truncated);
  assert_string_equal(l.next_token, "zz");
  s3_list_free(&l);

  /* the last page; an empty page */
  assert_int_equal(PARSE_SCAN("{\"Items\":[],\"Count\":0}", &l), DDB_JSON_OK);
  assert_int_equal(l.nkeys, 0);
  assert_false(l.truncated);
  assert_null(l.next_token);
  s3_list_free(&l);
}

static void test_parse_scan_malformed(void **state)
{
  static const char *bad[] = {
      "{}",
      "{\"Items\":{}}",
      "{\"Items\":[],\"LastEvaluatedKey\":{}}",
      "{\"Items\":[],\"LastEvaluatedKey\":{\"name\":{\"N\":\"1\"}}}",
      "{\"Items\":[],\"LastEvaluatedKey\":{\"name\":{\"S\":\"\"}}}",
      "[{\"Items\":[]}]",
      "{\"Items\":[]",
  };
  struct s3_list l;
  struct buf b;
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(PARSE_SCAN(bad[i], &l), DDB_JSON_MALFORMED);
    assert_null(l.keys);
    assert_null(l.next_token);
  }
  /* more items than a page may hold */
  buf_init(&b, 1 << 20);
  buf_append_str(&b, "{\"Items\":[");
  for (i = 0; i <= S3_LIST_MAX_KEYS; i++)
    buf_printf(&b, "%s{\"name\":{\"S\":\"k%zu\"}}", i ? "," : "", i);
  buf_append_str(&b, "]}");
  assert_int_equal(ddb_json_parse_scan(b.data, b.len, &l), DDB_JSON_MALFORMED);
  buf_free(&b);
}

#define PARSE_ERROR(s, e) ddb_json_parse_error((s), strlen(s), (e))

static void test_parse_error_and_describe(void **state)
{
  struct s3_error_doc e;

  PARSE_ERROR(
      "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
      "ResourceNotFoundException\",\"message\":\"Requested resource not "
      "found\"}",
      &e);
  assert_string_equal(e.code, "ResourceNotFoundException");
  assert_string_equal(e.message, "Requested resource not found");
  PARSE_ERROR("{\"__type\":\"com.amazon.coral.service#"
              "UnrecognizedClientException\",\"Message\":\"bad\"}",
              &e);
  assert_string_equal(e.code, "UnrecognizedClientException");
  assert_string_equal(e.message, "bad");
  PARSE_ERROR("{\"__type\":\"ThrottlingException\"}", &e);
  assert_string_equal(e.code, "ThrottlingException");
  assert_string_equal(e.message, "");
  PARSE_ERROR("<Error/>", &e);
  assert_string_equal(e.code, "");
  PARSE_ERROR("{\"__type\":7}", &e);
  assert_string_equal(e.code, "");

  assert_int_equal(ddb_json_parse_describe("{\"Table\":{}}", 12), DDB_JSON_OK);
  assert_int_equal(ddb_json_parse_describe("{}", 2), DDB_JSON_MALFORMED);
  assert_int_equal(ddb_json_parse_describe("x", 1), DDB_JSON_MALFORMED);
}

/*************************************************************************
 * The client against a fake DynamoDB (one connection at a time)
 *************************************************************************/

static int listen_fd = -1, srv_port, srv_stop;
static pthread_t srv_thread;
static pthread_mutex_t srv_lock = PTHREAD_MUTEX_INITIALIZER;
static char srv_last[8192]; /* the last request, headers and body */
static int srv_requests;
static int srv_status = 200;
static const char *srv_body = "{}";

/* Reads one request: headers, then Content-Length bytes of body. */
static size_t read_request(int fd, char *req, size_t cap)
{
  size_t n = 0, want = 0;
  const char *end, *cl;
  ssize_t r;

  while (n < cap - 1 && (r = read(fd, req + n, cap - 1 - n)) > 0) {
    n += (size_t)r;
    req[n] = '\0';
    end = strstr(req, "\r\n\r\n");
    if (!end)
      continue;
    cl = strcasestr(req, "\r\nContent-Length:");
    want = (size_t)(end + 4 - req) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
    if (n >= want)
      break;
  }
  req[n] = '\0';
  return n;
}

static void serve_one(int fd)
{
  char req[8192], head[256];
  const char *body;
  int status;

  read_request(fd, req, sizeof(req));
  pthread_mutex_lock(&srv_lock);
  snprintf(srv_last, sizeof(srv_last), "%s", req);
  srv_requests++;
  status = srv_status;
  body = srv_body;
  pthread_mutex_unlock(&srv_lock);
  snprintf(head, sizeof(head),
           "HTTP/1.1 %d X\r\nContent-Type: application/x-amz-json-1.0\r\n"
           "x-amzn-RequestId: REQ123\r\n"
           "Content-Length: %zu\r\nConnection: close\r\n\r\n",
           status, strlen(body));
  if (write(fd, head, strlen(head)) < 0 || write(fd, body, strlen(body)) < 0)
    fprintf(stderr, "fake DynamoDB: write failed\n");
}

static void *serve(void *arg)
{
  (void)arg;
  while (!__atomic_load_n(&srv_stop, __ATOMIC_SEQ_CST)) {
    struct pollfd p = {listen_fd, POLLIN, 0};
    int fd;

    if (poll(&p, 1, 50) <= 0)
      continue;
    fd = accept(listen_fd, NULL, NULL);
    if (fd < 0)
      continue;
    serve_one(fd);
    close(fd);
  }
  return NULL;
}

static void answers(int status, const char *body)
{
  pthread_mutex_lock(&srv_lock);
  srv_status = status;
  srv_body = body;
  srv_requests = 0;
  pthread_mutex_unlock(&srv_lock);
}

static int requests(char *last, size_t cap)
{
  int n;

  pthread_mutex_lock(&srv_lock);
  n = srv_requests;
  if (last)
    snprintf(last, cap, "%s", srv_last);
  pthread_mutex_unlock(&srv_lock);
  return n;
}

static struct aws_cred_provider *creds;
static struct ddb_client *client;

static int group_setup(void **state)
{
  struct sockaddr_in a;
  socklen_t alen = sizeof(a);
  struct ddb_client_config cfg;
  struct aws_env env;
  char endpoint[64], err[256];

  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&a, sizeof(a)) ||
      listen(listen_fd, 8) ||
      getsockname(listen_fd, (struct sockaddr *)&a, &alen))
    return -1;
  srv_port = ntohs(a.sin_port);
  if (pthread_create(&srv_thread, NULL, serve, NULL))
    return -1;
  memset(&env, 0, sizeof(env));
  env.access_key_id = "AKIDTEST";
  env.secret_access_key = "secret";
  env.imds_disabled = 1;
  creds = aws_cred_provider_new(&env, 1000, err, sizeof(err));
  snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", srv_port);
  memset(&cfg, 0, sizeof(cfg));
  cfg.table = "docs";
  cfg.region = "eu-west-1";
  cfg.endpoint_url = endpoint;
  cfg.timeout_ms = 2000;
  cfg.max_attempts = 2;
  cfg.max_object_bytes = 64;
  cfg.creds = creds;
  client = creds ? ddb_client_new(&cfg, err, sizeof(err)) : NULL;
  return client ? 0 : -1;
}

static int group_teardown(void **state)
{
  ddb_client_free(client);
  aws_cred_provider_free(creds);
  __atomic_store_n(&srv_stop, 1, __ATOMIC_SEQ_CST);
  pthread_join(srv_thread, NULL);
  close(listen_fd);
  return 0;
}

/* What goes on the wire: POST / with the target, the JSON content type and
 * the body's hash signed for service dynamodb, no S3-only header. */
static void test_wire_request(void **state)
{
  char last[8192], hash[SIGV4_HEX_LEN], etag[SIGV4_HEX_LEN + 2];
  struct s3_object o;
  struct s3_diag d;
  const char *body;

  answers(200, "{\"Item\":{\"body\":{\"S\":\"{}\"}}}");
  assert_int_equal(ddb_get_item(client, "p/a", NULL, &o, &d), S3_OK);
  assert_int_equal(requests(last, sizeof(last)), 1);
  assert_true(!strncmp(last, "POST / HTTP/1.1\r\n", 17));
  assert_non_null(
      strcasestr(last, "\r\nX-Amz-Target: DynamoDB_20120810.GetItem"));
  assert_non_null(
      strcasestr(last, "\r\nContent-Type: application/x-amz-json-1.0\r\n"));
  assert_non_null(strstr(last, "/eu-west-1/dynamodb/aws4_request, "
                               "SignedHeaders=content-type;host;x-amz-date;"
                               "x-amz-target, Signature="));
  assert_null(strcasestr(last, "x-amz-content-sha256"));
  assert_null(strcasestr(last, "Expect:"));
  body = strstr(last, "\r\n\r\n") + 4;
  assert_string_equal(body, "{\"TableName\":\"docs\",\"Key\":{\"name\":{\"S\":"
                            "\"p/a\"}},\"ConsistentRead\":false,"
                            "\"ProjectionExpression\":\"#b,#s\","
                            "\"ExpressionAttributeNames\":{\"#b\":\"body\","
                            "\"#s\":\"sha256\"}}");
  assert_int_equal(sigv4_sha256_hex("{}", 2, hash), SIGV4_OK);
  assert_string_equal(o.body, "{}");
  snprintf(etag, sizeof(etag), "\"%s\"", hash);
  assert_string_equal(o.etag, etag);
  assert_string_equal(o.last_modified, "");
  assert_string_equal(d.request_id, "REQ123");
  s3_object_free(&o);
}

/* AWS's forms of errors (400 + JSON) map as the routes expect. */
static void test_error_mapping(void **state)
{
  static const struct {
    int status;
    const char *body;
    enum s3_code want;
    int attempts;
    const char *code;
  } cases[] = {
      {400,
       "{\"__type\":\"com.amazon.coral.service#AccessDeniedException\","
       "\"message\":\"not authorized\"}",
       S3_FORBIDDEN, 1, "AccessDeniedException"},
      {400,
       "{\"__type\":\"com.amazon.coral.service#UnrecognizedClientException\"}",
       S3_FORBIDDEN, 1, "UnrecognizedClientException"},
      {400,
       "{\"__type\":\"com.amazon.coral.service#InvalidSignatureException\"}",
       S3_FORBIDDEN, 1, "InvalidSignatureException"},
      {403,
       "<ErrorResponse><Error><Code>AccessDenied</Code></Error>"
       "</ErrorResponse>",
       S3_FORBIDDEN, 1, ""},
      {400,
       "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
       "ProvisionedThroughputExceededException\"}",
       S3_UNAVAILABLE, 2, "ProvisionedThroughputExceededException"},
      {400,
       "{\"__type\":\"com.amazon.coral.availability#ThrottlingException\"}",
       S3_UNAVAILABLE, 2, "ThrottlingException"},
      {400,
       "{\"__type\":\"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded\"}",
       S3_UNAVAILABLE, 2, "RequestLimitExceeded"},
      {500,
       "{\"__type\":\"com.amazonaws.dynamodb.v20120810#InternalServerError\"}",
       S3_UNAVAILABLE, 2, "InternalServerError"},
      {400,
       "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
       "ResourceNotFoundException\"}",
       S3_BAD_REQUEST, 1, "ResourceNotFoundException"},
      {200, "{\"Item\":", S3_BAD_RESPONSE, 1, ""},
      {200, "{\"Item\":{\"name\":{\"S\":\"p/a\"}}}", S3_BAD_RESPONSE, 1, ""},
      {200,
       "{\"Item\":{\"body\":{\"S\":\"" /* 65 bytes > 64 */
       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
       "\"}}}",
       S3_TOO_LARGE, 1, ""},
      {200, "{}", S3_NOT_FOUND, 1, ""},
  };
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct s3_object o;
    struct s3_diag d;

    answers(cases[i].status, cases[i].body);
    assert_int_equal(ddb_get_item(client, "p/a", NULL, &o, &d), cases[i].want);
    assert_int_equal(d.attempts, cases[i].attempts);
    assert_int_equal(requests(NULL, 0), cases[i].attempts);
    assert_string_equal(d.error.code, cases[i].code);
    assert_null(o.body);
    s3_object_free(&o);
  }
}

/* Revalidation reads sha256 only; equal -> 304 without the body. */
static void test_revalidation(void **state)
{
  char last[8192], etag[80];
  struct s3_conditions cond = {etag, NULL};
  struct s3_object o;
  struct s3_diag d;

  snprintf(etag, sizeof(etag), "\"%s\"", SIGV4_EMPTY_SHA256);
  answers(200, "{\"Item\":{\"sha256\":{\"S\":\"" SIGV4_EMPTY_SHA256 "\"}}}");
  assert_int_equal(ddb_get_item(client, "p/a", &cond, &o, &d), S3_NOT_MODIFIED);
  assert_int_equal(requests(last, sizeof(last)), 1);
  assert_non_null(strstr(last, "\"ProjectionExpression\":\"#s\","));
  assert_string_equal(o.etag, etag);
  assert_null(o.body);
  s3_object_free(&o);

  /* no sha256: read whole (a second GetItem), equal body -> 304 */
  answers(200, "{\"Item\":{\"body\":{\"S\":\"\"}}}");
  assert_int_equal(ddb_get_item(client, "p/a", &cond, &o, &d), S3_NOT_MODIFIED);
  assert_int_equal(requests(last, sizeof(last)), 2);
  assert_int_equal(d.attempts, 2);
  assert_non_null(strstr(last, "\"ProjectionExpression\":\"#b,#s\""));
  assert_null(o.body);
  s3_object_free(&o);

  /* gone since */
  answers(200, "{}");
  assert_int_equal(ddb_get_item(client, "p/a", &cond, &o, &d), S3_NOT_FOUND);
  assert_int_equal(requests(NULL, 0), 1);
  s3_object_free(&o);
}

static void test_scan_and_describe(void **state)
{
  char last[8192];
  struct s3_list l;
  struct s3_diag d;

  answers(200, "{\"Items\":[{\"name\":{\"S\":\"p/x\"}}],"
               "\"LastEvaluatedKey\":{\"name\":{\"S\":\"p/x\"}}}");
  assert_int_equal(ddb_scan(client, "p/", "p/w", 7, &l, &d), S3_OK);
  assert_int_equal(l.nkeys, 1);
  assert_string_equal(l.next_token, "p/x");
  requests(last, sizeof(last));
  assert_non_null(strcasestr(last, "X-Amz-Target: DynamoDB_20120810.Scan\r\n"));
  assert_non_null(strstr(last, "\"ExclusiveStartKey\":{\"name\":{\"S\":"
                               "\"p/w\"}}"));
  s3_list_free(&l);
  /* a cursor that cannot be a key: refused before any request */
  answers(200, "{}");
  assert_int_equal(ddb_scan(client, "p/", "bad\xff", 7, &l, &d),
                   S3_BAD_REQUEST);
  assert_int_equal(ddb_scan(client, "p/", "", 7, &l, &d), S3_BAD_REQUEST);
  assert_int_equal(requests(NULL, 0), 0);
  s3_list_free(&l);
  answers(200, "{\"Items\":7}");
  assert_int_equal(ddb_scan(client, "", NULL, 7, &l, &d), S3_BAD_RESPONSE);
  s3_list_free(&l);

  answers(200, "{\"Table\":{\"TableStatus\":\"ACTIVE\"}}");
  assert_int_equal(ddb_describe_table(client, &d), S3_OK);
  requests(last, sizeof(last));
  assert_non_null(
      strcasestr(last, "X-Amz-Target: DynamoDB_20120810.DescribeTable\r\n"));
  answers(200, "{}");
  assert_int_equal(ddb_describe_table(client, &d), S3_BAD_RESPONSE);
}

static void test_client_config(void **state)
{
  struct ddb_client_config cfg;
  char err[256];

  memset(&cfg, 0, sizeof(cfg));
  cfg.table = "ab";
  cfg.region = "us-east-1";
  cfg.timeout_ms = 1000;
  cfg.max_attempts = 1;
  cfg.max_object_bytes = 1;
  cfg.creds = creds;
  assert_null(ddb_client_new(&cfg, err, sizeof(err)));
  assert_non_null(strstr(err, "table name"));
  cfg.table = "docs";
  cfg.region = "US_EAST";
  assert_null(ddb_client_new(&cfg, err, sizeof(err)));
  assert_non_null(strstr(err, "region"));
  cfg.region = "us-east-1";
  cfg.endpoint_url = "ftp://x";
  assert_null(ddb_client_new(&cfg, err, sizeof(err)));
  cfg.endpoint_url = NULL;
  ddb_client_free(ddb_client_new(&cfg, err, sizeof(err)));
}

int main(void)
{
  static const struct CMUnitTest pure[] = {
      cmocka_unit_test(test_get_item_request),
      cmocka_unit_test(test_request_escaping),
      cmocka_unit_test(test_scan_request),
      cmocka_unit_test(test_table_names),
      cmocka_unit_test(test_etag_hex),
      cmocka_unit_test(test_parse_item),
      cmocka_unit_test(test_parse_item_malformed),
      cmocka_unit_test(test_parse_scan),
      cmocka_unit_test(test_parse_scan_malformed),
      cmocka_unit_test(test_parse_error_and_describe),
  };
  static const struct CMUnitTest wire[] = {
      cmocka_unit_test(test_wire_request),
      cmocka_unit_test(test_error_mapping),
      cmocka_unit_test(test_revalidation),
      cmocka_unit_test(test_scan_and_describe),
      cmocka_unit_test(test_client_config),
  };
  int rc;

  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests_name("ddb_json", pure, NULL, NULL);
  rc |= cmocka_run_group_tests_name("ddb_client", wire, group_setup,
                                    group_teardown);
  curl_global_cleanup();
  return rc;
}
