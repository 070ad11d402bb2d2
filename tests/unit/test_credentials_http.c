/* test_credentials_http.c -- aws/credentials over real HTTP (ECS, IMDSv2)
 *
 * A scripted one-connection-at-a-time HTTP server on 127.0.0.1 answers each
 * request with the next canned response and keeps the request text, so the
 * fetch code runs under ASan/UBSan in `make unit-asan` too (the Python
 * integration test drives the normal build).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "aws/credentials.h"
#include "log.h"
#include "settings.h"
#include "util/clock.h"

#define MAX_STEPS 8
#define REQ_MAX 8192

struct server {
  int fd;
  int port;
  pthread_t thread;
  const char *responses[MAX_STEPS]; /* NULL ends; "" = never answer */
  char requests[MAX_STEPS][REQ_MAX];
  int served;
};

/* Reads one request head (up to the blank line) into 'out'. */
static void read_request(int c, char *out)
{
  size_t n = 0;

  while (n < REQ_MAX - 1 && !strstr(out, "\r\n\r\n")) {
    struct pollfd p = {c, POLLIN, 0};
    ssize_t r;
    if (poll(&p, 1, 2000) <= 0)
      break;
    r = read(c, out + n, REQ_MAX - 1 - n);
    if (r <= 0)
      break;
    n += (size_t)r;
    out[n] = '\0';
  }
}

static void *serve(void *arg)
{
  struct server *s = arg;
  int i;

  for (i = 0; i < MAX_STEPS && s->responses[i]; i++) {
    struct pollfd p = {s->fd, POLLIN, 0};
    int c;
    if (poll(&p, 1, 5000) <= 0)
      break;
    c = accept(s->fd, NULL, NULL);
    if (c < 0)
      break;
    read_request(c, s->requests[i]);
    s->served = i + 1;
    if (s->responses[i][0]) {
      ssize_t w = write(c, s->responses[i], strlen(s->responses[i]));
      (void)w;
    } else {
      usleep(1500 * 1000); /* longer than the client's timeout */
    }
    close(c);
  }
  return NULL;
}

static void server_start(struct server *s)
{
  struct sockaddr_in a;
  socklen_t len = sizeof(a);
  int one = 1;

  s->fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(s->fd >= 0);
  setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  memset(&a, 0, sizeof(a));
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
  assert_int_equal(listen(s->fd, 8), 0);
  assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &len), 0);
  s->port = ntohs(a.sin_port);
  assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
  pthread_join(s->thread, NULL);
  close(s->fd);
}

/* An HTTP/1.1 response with 'body'; the caller frees it. */
static char *response(int status, const char *body)
{
  size_t n = strlen(body) + 256;
  char *r = malloc(n);

  assert_non_null(r);
  snprintf(r, n,
           "HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n"
           "Content-Type: application/json\r\n\r\n%s",
           status, strlen(body), body);
  return r;
}

static char *creds_body(const char *key, int lifetime)
{
  static char body[512];
  char exp[32];
  time_t t = time(NULL) + lifetime;
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  snprintf(body, sizeof(body),
           "{\"Code\":\"Success\",\"AccessKeyId\":\"%s\","
           "\"SecretAccessKey\":\"sec-%s\",\"Token\":\"tok-%s\","
           "\"Expiration\":\"%s\"}",
           key, key, key, exp);
  return body;
}

static struct aws_env ecs_env(const struct server *s, char *url, size_t n)
{
  struct aws_env e;

  memset(&e, 0, sizeof(e));
  e.shared_credentials_file = "/nonexistent/credentials";
  e.config_file = "/nonexistent/config";
  e.imds_disabled = 1;
  snprintf(url, n, "http://127.0.0.1:%d/v2/creds", s->port);
  e.container_full_uri = url;
  return e;
}

static enum aws_cred_code get(const struct aws_env *e,
                              struct aws_credentials *c, char *err,
                              size_t errlen)
{
  struct aws_cred_provider *p = aws_cred_provider_new(e, 800, err, errlen);
  enum aws_cred_code rc;

  assert_non_null(p);
  rc = aws_cred_get(p, c, err, errlen);
  aws_cred_provider_free(p);
  return rc;
}

static void test_ecs_ok_with_token_file(void **state)
{
  struct server s = {0};
  struct aws_credentials c;
  char url[128], err[256] = "", path[] = "/tmp/s3json-tok-XXXXXX";
  char *r = response(200, creds_body("ASIAECS", 3600));
  struct aws_env e;
  int fd = mkstemp(path);

  (void)state;
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "Bearer abc\n", 11), 11);
  close(fd);
  s.responses[0] = r;
  server_start(&s);
  e = ecs_env(&s, url, sizeof(url));
  e.container_auth_token_file = path;
  e.container_auth_token = "ignored-when-a-file-is-set";
  assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_OK);
  server_stop(&s);
  unlink(path);
  free(r);
  assert_string_equal(c.access_key_id, "ASIAECS");
  assert_string_equal(c.secret_access_key, "sec-ASIAECS");
  assert_string_equal(c.session_token, "tok-ASIAECS");
  assert_non_null(strstr(s.requests[0], "GET /v2/creds HTTP/1.1\r\n"));
  assert_non_null(strstr(s.requests[0], "\r\nAuthorization: Bearer abc\r\n"));
  assert_null(strstr(s.requests[0], "ignored"));
  aws_cred_wipe(&c);
  assert_int_equal(c.secret_access_key[0], 0);
}

static void test_ecs_errors(void **state)
{
  static const struct {
    int status;
    const char *body;
    const char *want;
  } cases[] = {
      {401, "{}", "HTTP 401"},
      {500, "oops", "HTTP 500"},
      {200, "not json", "malformed"},
      {200, "{\"AccessKeyId\":\"A\"}", "SecretAccessKey is missing"},
      {200,
       "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":"
       "\"2001-01-01T00:00:00Z\"}",
       "already expired"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct server s = {0};
    struct aws_credentials c;
    char url[128], err[256] = "", *r = response(cases[i].status, cases[i].body);
    struct aws_env e;
    s.responses[0] = r;
    server_start(&s);
    e = ecs_env(&s, url, sizeof(url));
    assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
    server_stop(&s);
    free(r);
    if (!strstr(err, cases[i].want))
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
  }
}

static void test_ecs_oversized_answer(void **state)
{
  struct server s = {0};
  struct aws_credentials c;
  char url[128], err[256] = "", *body = malloc(100 * 1024 + 1), *r;
  struct aws_env e;

  (void)state;
  assert_non_null(body);
  memset(body, ' ', 100 * 1024);
  body[100 * 1024] = '\0';
  r = response(200, body);
  s.responses[0] = r;
  server_start(&s);
  e = ecs_env(&s, url, sizeof(url));
  assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
  server_stop(&s);
  free(r);
  free(body);
  assert_non_null(strstr(err, "larger than"));
}

static void test_ecs_timeout(void **state)
{
  struct server s = {0};
  struct aws_credentials c;
  char url[128], err[256] = "";
  struct aws_env e;
  int64_t t0;
  double ms;

  (void)state;
  s.responses[0] = ""; /* accept, then say nothing */
  server_start(&s);
  e = ecs_env(&s, url, sizeof(url));
  t0 = clock_now_ns();
  assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
  ms = clock_elapsed_ms(t0);
  server_stop(&s);
  assert_true(ms >= 700 && ms < 1400); /* the 800 ms budget */
  assert_non_null(strstr(err, "imeout"));
}

static void test_ecs_token_file_missing(void **state)
{
  struct aws_env e;
  struct aws_credentials c;
  struct server s = {0};
  char url[128], err[256] = "";

  (void)state;
  s.port = 9; /* never contacted */
  e = ecs_env(&s, url, sizeof(url));
  e.container_auth_token_file = "/nonexistent/token";
  assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
  assert_non_null(strstr(err, "token file"));
}

static struct aws_env imds_env(const struct server *s, char *url, size_t n)
{
  struct aws_env e;

  memset(&e, 0, sizeof(e));
  e.shared_credentials_file = "/nonexistent/credentials";
  e.config_file = "/nonexistent/config";
  snprintf(url, n, "http://127.0.0.1:%d/", s->port);
  e.imds_endpoint = url;
  return e;
}

static void test_imds_v2(void **state)
{
  struct server s = {0};
  struct aws_credentials c;
  char url[128], err[256] = "";
  char *tok = response(200, "AQAEAtoken=="), *role = response(200, "my-role\n");
  char *cred = response(200, creds_body("ASIAIMDS", 3600));
  struct aws_env e;

  (void)state;
  s.responses[0] = tok;
  s.responses[1] = role;
  s.responses[2] = cred;
  server_start(&s);
  e = imds_env(&s, url, sizeof(url));
  assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_OK);
  server_stop(&s);
  free(tok);
  free(role);
  free(cred);
  assert_string_equal(c.access_key_id, "ASIAIMDS");
  assert_non_null(strstr(s.requests[0], "PUT /latest/api/token HTTP/1.1"));
  assert_non_null(
      strstr(s.requests[0], "X-aws-ec2-metadata-token-ttl-seconds: 21600"));
  assert_non_null(strstr(s.requests[1], "GET "
                                        "/latest/meta-data/iam/"
                                        "security-credentials/ HTTP/1.1"));
  assert_non_null(
      strstr(s.requests[1], "X-aws-ec2-metadata-token: AQAEAtoken=="));
  assert_non_null(strstr(s.requests[2], "security-credentials/my-role "));
  assert_non_null(
      strstr(s.requests[2], "X-aws-ec2-metadata-token: AQAEAtoken=="));
}

static void test_imds_errors(void **state)
{
  static const struct {
    const char *token; /* body of the token answer, NULL = 403 */
    const char *roles;
    const char *want;
  } cases[] = {
      {NULL, "", "imds token: HTTP 403"},
      {"tok\r\nX-Evil: 1", "", "imds token: malformed"},
      {"tok", "../../etc\n", "imds role: no valid instance role"},
      {"tok", "", "imds role: no valid instance role"},
  };
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct server s = {0};
    struct aws_credentials c;
    char url[128], err[256] = "";
    char *t = response(cases[i].token ? 200 : 403,
                       cases[i].token ? cases[i].token : "");
    char *r = response(200, cases[i].roles);
    struct aws_env e;
    s.responses[0] = t;
    s.responses[1] = cases[i].token && !strchr(cases[i].token, '\n') ? r : NULL;
    server_start(&s);
    e = imds_env(&s, url, sizeof(url));
    assert_int_equal(get(&e, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
    server_stop(&s);
    free(t);
    free(r);
    if (!strstr(err, cases[i].want))
      fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].want);
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ecs_ok_with_token_file),
      cmocka_unit_test(test_ecs_errors),
      cmocka_unit_test(test_ecs_oversized_answer),
      cmocka_unit_test(test_ecs_timeout),
      cmocka_unit_test(test_ecs_token_file_missing),
      cmocka_unit_test(test_imds_v2),
      cmocka_unit_test(test_imds_errors),
  };
  int rc;

  log_init(LOG_ERROR, 2);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
