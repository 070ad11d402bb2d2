/* test_credentials.c -- unit tests of aws/credentials: JSON, ISO 8601,
 * choice of source, refresh (fake clock and fake fetch), threads */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "log.h"
#include "settings.h"
#include "util/clock.h"

#define T0 1795551587 /* 2026-11-24T20:19:47Z */

/* ---- ISO 8601 ---------------------------------------------------------- */

static const struct {
  const char *in;
  long long want; /* -1 = rejected */
} iso_cases[] = {
    {"2026-11-24T20:19:47Z", T0},
    {"2026-11-24t20:19:47z", T0},
    {"2026-11-24T20:19:47.123Z", T0},
    {"2026-11-24T20:19:47.123456789Z", T0},
    {"2026-11-24T20:19:47+00:00", T0},
    {"2026-11-24T21:19:47+01:00", T0},
    {"2026-11-24T14:49:47-0530", T0},
    {"1970-01-01T00:00:00Z", 0},
    {"2024-02-29T12:00:00Z", 1709208000},
    {"2000-02-29T00:00:00Z", 951782400},
    {"2038-01-19T03:14:08Z", 2147483648LL},
    {"9999-12-31T23:59:59Z", 253402300799LL},
    {"2026-11-24T20:19:60Z", T0 + 13}, /* leap second */
    {"", -1},
    {"2026-11-24", -1},
    {"2026-11-24T20:19:47", -1},
    {"2026-11-24 20:19:47Z", -1},
    {"2026-11-24T20:19:47ZZ", -1},
    {"2026-11-24T20:19:47.Z", -1},
    {"2026-11-24T20:19:47+01", -1},
    {"2026-11-24T20:19:47+", -1},
    {"2026-11-24T20:19:47-", -1},
    {"2026-11-24T20:19:47+0", -1},
    {"2026-11-24T20:19:47+01:", -1},
    {"2026-11-24T20:19:47+01:0", -1},
    {"2026-11-24T20:19:47+24:00", -1},
    {"2026-11-24T20:19:47+01:60", -1},
    {"2026-11-24T20:19:47 Z", -1},
    {"2023-02-29T00:00:00Z", -1},
    {"2100-02-29T00:00:00Z", -1},
    {"2026-04-31T00:00:00Z", -1},
    {"2026-13-01T00:00:00Z", -1},
    {"2026-00-01T00:00:00Z", -1},
    {"2026-11-00T00:00:00Z", -1},
    {"2026-11-24T24:00:00Z", -1},
    {"2026-11-24T20:60:00Z", -1},
    {"2026-11-24T20:19:61Z", -1},
    {"1969-12-31T23:59:59Z", -1},
    {"1970-01-01T00:00:00+00:01", -1},
    {"+2026-11-24T20:19:47Z", -1},
    {"2026-1-24T20:19:47Z", -1},
    {"2026-11-24T20:19:4aZ", -1},
    {"20261124T201947Z", -1},
    {"1795551587", -1},
};

static void test_iso8601(void **state)
{
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(iso_cases) / sizeof(iso_cases[0]); i++) {
    long long got = (long long)aws_parse_iso8601(iso_cases[i].in);
    if (got != iso_cases[i].want)
      fail_msg("\"%s\": got %lld, want %lld", iso_cases[i].in, got,
               iso_cases[i].want);
  }
  assert_int_equal(aws_parse_iso8601(NULL), -1);
}

/* ---- JSON -------------------------------------------------------------- */

static enum aws_cred_code parse(const char *json, struct aws_credentials *c,
                                char *err, size_t errlen)
{
  return aws_cred_parse_json(json, strlen(json), c, err, errlen);
}

static void test_json_ecs(void **state)
{
  struct aws_credentials c;
  char err[256] = "";

  (void)state;
  assert_int_equal(
      parse("{\"RoleArn\":\"arn:aws:iam::1:role/r\",\"AccessKeyId\":"
            "\"ASIAEXAMPLE\",\"SecretAccessKey\":\"s3cr/t+K=\",\"Token\":"
            "\"tok==\",\"Expiration\":\"2026-11-24T20:19:47Z\"}",
            &c, err, sizeof(err)),
      AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
  assert_string_equal(c.secret_access_key, "s3cr/t+K=");
  assert_string_equal(c.session_token, "tok==");
  assert_int_equal(c.expiration, T0);
}

static void test_json_imds(void **state)
{
  struct aws_credentials c;
  char err[256] = "";

  (void)state;
  assert_int_equal(
      parse("{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : "
            "\"2026-11-24T14:00:00Z\",\n  \"Type\" : \"AWS-HMAC\",\n  "
            "\"AccessKeyId\" : \"ASIAIMDS\",\n  \"SecretAccessKey\" : "
            "\"sec\",\n  \"Token\" : \"t\",\n  \"Expiration\" : "
            "\"2026-11-24T20:19:47Z\"\n}\n",
            &c, err, sizeof(err)),
      AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "ASIAIMDS");
  assert_int_equal(c.expiration, T0);
}

static void test_json_optional(void **state)
{
  struct aws_credentials c;
  char err[256] = "";

  (void)state;
  assert_int_equal(parse("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}",
                         &c, err, sizeof(err)),
                   AWS_CRED_OK);
  assert_string_equal(c.session_token, "");
  assert_int_equal(c.expiration, 0);
  assert_int_equal(parse("{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\","
                         "\"Token\":null,\"Expiration\":null}",
                         &c, err, sizeof(err)),
                   AWS_CRED_OK);
  assert_string_equal(c.session_token, "");
}

/* Inputs that must be refused; 'field' must appear in the message. */
static const struct {
  const char *json;
  const char *field;
} bad_json[] = {
    {"", "malformed"},
    {"{", "malformed"},
    {"not json", "malformed"},
    {"[]", "not an object"},
    {"\"AKIA\"", "malformed"}, /* jansson refuses bare strings */
    {"{\"SecretAccessKey\":\"S\"}", "AccessKeyId is missing"},
    {"{\"AccessKeyId\":\"A\"}", "SecretAccessKey is missing"},
    {"{\"AccessKeyId\":null,\"SecretAccessKey\":\"S\"}", "AccessKeyId"},
    {"{\"AccessKeyId\":5,\"SecretAccessKey\":\"S\"}",
     "AccessKeyId is not a string"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":[\"S\"]}",
     "SecretAccessKey is not a string"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":1}",
     "Token is not a string"},
    {"{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"S\"}",
     "AccessKeyId is empty"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":1}",
     "Expiration"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":"
     "\"tomorrow\"}",
     "Expiration"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":"
     "\"2026-11-24T20:19:47\"}",
     "Expiration"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"\"}",
     "Expiration"},
    {"{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"AccessKeyId\":\"A\","
     "\"SecretAccessKey\":\"S\"}",
     "Code"},
    {"{\"Code\":1,\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}", "Code"},
    {"{\"AccessKeyId\":\"A B\",\"SecretAccessKey\":\"S\"}", "AccessKeyId"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\\n\"}", "SecretAccessKey"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\\u0000x\"}", "malformed"},
    {"{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\\u00e9\"}",
     "SecretAccessKey"},
    {"{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\",\"SecretAccessKey\":\"S\"}",
     "malformed"},
};

static void test_json_bad(void **state)
{
  struct aws_credentials c;
  char err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++) {
    memset(&c, 'x', sizeof(c));
    err[0] = '\0';
    if (parse(bad_json[i].json, &c, err, sizeof(err)) == AWS_CRED_OK)
      fail_msg("accepted: %s", bad_json[i].json);
    if (!strstr(err, bad_json[i].field))
      fail_msg("%s: message \"%s\" lacks \"%s\"", bad_json[i].json, err,
               bad_json[i].field);
    assert_int_equal(c.access_key_id[0], 'x'); /* 'out' untouched */
  }
  assert_int_not_equal(aws_cred_parse_json(NULL, 0, &c, err, sizeof(err)),
                       AWS_CRED_OK);
}

/* A JSON object with one string field of 'n' bytes of 'ch'. */
static char *json_with(const char *field, size_t n)
{
  size_t cap = n + 256;
  char *s = malloc(cap), *v = malloc(n + 1);

  assert_non_null(s);
  assert_non_null(v);
  memset(v, 'Q', n);
  v[n] = '\0';
  snprintf(s, cap,
           "{\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\","
           "\"Token\":\"%s\"}",
           !strcmp(field, "AccessKeyId") ? v : "A",
           !strcmp(field, "SecretAccessKey") ? v : "S",
           !strcmp(field, "Token") ? v : "T");
  free(v);
  return s;
}

static void test_json_sizes(void **state)
{
  static const struct {
    const char *field;
    size_t max;
  } f[] = {{"AccessKeyId", AWS_KEY_ID_MAX - 1},
           {"SecretAccessKey", AWS_SECRET_MAX - 1},
           {"Token", AWS_TOKEN_MAX - 1}};
  struct aws_credentials c;
  char err[256], *s;
  size_t i;

  (void)state;
  for (i = 0; i < 3; i++) {
    s = json_with(f[i].field, f[i].max);
    assert_int_equal(parse(s, &c, err, sizeof(err)), AWS_CRED_OK);
    free(s);
    s = json_with(f[i].field, f[i].max + 1);
    assert_int_equal(parse(s, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
    assert_non_null(strstr(err, "too long"));
    free(s);
  }
  s = json_with("Token", 1 << 20); /* a megabyte: refused, no crash */
  assert_int_equal(parse(s, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
  free(s);
}

/* No message may quote the secret, whatever went wrong around it. */
static void test_json_no_secret_in_errors(void **state)
{
  static const char *const inputs[] = {
      "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SUPERSECRET\" oops}",
      "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SUPERSECRET\",\"Token\":"
      "SUPERSECRET}",
      "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"SUPERSECRET\\t\"}",
      "SUPERSECRET",
      "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":"
      "\"SUPERSECRET\"}",
  };
  struct aws_credentials c;
  char err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
    err[0] = '\0';
    assert_int_not_equal(parse(inputs[i], &c, err, sizeof(err)), AWS_CRED_OK);
    assert_true(err[0] != '\0');
    if (strstr(err, "SUPERSECRET") || strstr(err, "SUPERSEC"))
      fail_msg("secret in message: %s", err);
  }
}

/* ---- refresh policy ---------------------------------------------------- */

static void test_refresh_time(void **state)
{
  (void)state;
  assert_int_equal(aws_cred_refresh_time(T0, 0), 0);
  assert_int_equal(aws_cred_refresh_time(T0, T0 + 6 * 3600),
                   T0 + 6 * 3600 - 300);
  assert_int_equal(aws_cred_refresh_time(T0, T0 + 1500), T0 + 1200);
  assert_int_equal(aws_cred_refresh_time(T0, T0 + 900), T0 + 720);
  assert_int_equal(aws_cred_refresh_time(T0, T0 + 600), T0 + 480);
  assert_int_equal(aws_cred_refresh_time(T0, T0 + 10), T0 + 8);
  assert_int_equal(aws_cred_refresh_time(T0, T0 + 1), T0 + 1);
  /* always after 'now' for keys that are still valid */
  for (time_t l = 1; l < 4000; l++)
    assert_true(aws_cred_refresh_time(T0, T0 + l) > T0);
}

static void test_retry_delay(void **state)
{
  (void)state;
  assert_int_equal(aws_cred_retry_delay(1), 1);
  assert_int_equal(aws_cred_retry_delay(2), 2);
  assert_int_equal(aws_cred_retry_delay(3), 4);
  assert_int_equal(aws_cred_retry_delay(5), 16);
  assert_int_equal(aws_cred_retry_delay(6), AWS_CRED_RETRY_MAX);
  assert_int_equal(aws_cred_retry_delay(1000), AWS_CRED_RETRY_MAX);
}

/* ---- choice of source --------------------------------------------------- */

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
  char path[256];
  FILE *fp;

  snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
  fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
}

static const char *tmp_path(const char *name)
{
  static char path[4][256];
  static int next;
  char *p = path[next++ % 4];

  snprintf(p, 256, "%s/%s", tmpdir, name);
  return p;
}

static int setup_dir(void **state)
{
  (void)state;
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/s3json-cred-XXXXXX");
  assert_non_null(mkdtemp(tmpdir));
  return 0;
}

static int teardown_dir(void **state)
{
  char cmd[128];

  (void)state;
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

/* An env with no home, no files and IMDS off: nothing configured. */
static struct aws_env bare_env(void)
{
  struct aws_env e;

  memset(&e, 0, sizeof(e));
  e.shared_credentials_file = tmp_path("absent-credentials");
  e.config_file = tmp_path("absent-config");
  e.imds_disabled = 1;
  return e;
}

/* Builds a provider; returns its source, or -1 (and 'err') when refused. */
static int source_of(const struct aws_env *e, char *err, size_t errlen)
{
  struct aws_cred_provider *p = aws_cred_provider_new(e, 500, err, errlen);
  int s;

  if (!p)
    return -1;
  s = (int)aws_cred_source(p);
  aws_cred_provider_free(p);
  return s;
}

static void test_chain_env(void **state)
{
  struct aws_env e = bare_env();
  struct aws_cred_provider *p;
  struct aws_credentials c;
  char err[256];

  (void)state;
  e.access_key_id = "AKIAENV";
  e.secret_access_key = "envsecret";
  e.session_token = "envtoken";
  e.container_relative_uri = "/v2/credentials/x";
  e.imds_disabled = 0;
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_source(p), AWS_CRED_ENV);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "AKIAENV");
  assert_string_equal(c.secret_access_key, "envsecret");
  assert_string_equal(c.session_token, "envtoken");
  assert_int_equal(c.expiration, 0);
  assert_int_equal(aws_cred_refresh_count(p), 0);
  aws_cred_provider_free(p);

  e.session_token = NULL;
  e.secret_access_key = NULL;
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "AWS_SECRET_ACCESS_KEY"));
  e.access_key_id = "";
  e.secret_access_key = "s";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "AWS_ACCESS_KEY_ID"));
  e.access_key_id = "AKIA\nX";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  /* Empty strings count as unset: on to the next source. */
  e.access_key_id = "";
  e.secret_access_key = "";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_ECS);
}

static void test_chain_profile(void **state)
{
  struct aws_env e = bare_env();
  struct aws_cred_provider *p;
  struct aws_credentials c;
  char err[256];

  (void)state;
  write_file("credentials", "[default]\naws_access_key_id = AKIADEF\n"
                            "aws_secret_access_key = defsecret\n"
                            "[dev]\naws_access_key_id=AKIADEV\n"
                            "aws_secret_access_key=devsecret\n"
                            "aws_session_token=devtoken\n");
  write_file("config", "[profile cfg]\naws_access_key_id = AKIACFG\n"
                       "aws_secret_access_key = cfgsecret\n"
                       "[profile regiononly]\nregion = eu-west-1\n"
                       "[profile assume]\nrole_arn = arn:aws:iam::1:role/r\n"
                       "source_profile = default\n");
  e.shared_credentials_file = tmp_path("credentials");
  e.config_file = tmp_path("config");
  e.container_relative_uri = "/v2/credentials/x";
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_source(p), AWS_CRED_PROFILE);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "AKIADEF");
  assert_string_equal(c.session_token, "");
  aws_cred_provider_free(p);

  e.profile = "dev";
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "AKIADEV");
  assert_string_equal(c.session_token, "devtoken");
  aws_cred_provider_free(p);

  e.profile = "cfg";
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "AKIACFG");
  aws_cred_provider_free(p);

  /* A named profile must exist and hold keys, as in the SDKs. */
  e.profile = "nosuch";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "not found"));
  e.profile = "regiononly";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "no keys"));
  e.profile = "assume";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "role_arn"));
  e.profile = ""; /* empty = unset: the default profile */
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "AKIADEF");
  aws_cred_provider_free(p);
}

static void test_chain_profile_fallthrough(void **state)
{
  struct aws_env e = bare_env();
  char err[256];

  (void)state;
  /* No default profile: the implicit "default" falls through. */
  write_file("cred-nodefault", "[other]\naws_access_key_id = A\n"
                               "aws_secret_access_key = S\n");
  write_file("config-default-region", "[default]\nregion = us-east-1\n");
  e.shared_credentials_file = tmp_path("cred-nodefault");
  e.config_file = tmp_path("config-default-region");
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_NONE);
  e.container_full_uri = "http://127.0.0.1:9/creds";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_ECS);
  e.container_full_uri = NULL;
  e.imds_disabled = 0;
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_IMDS);

  /* ... but a malformed file stops everything. */
  write_file("cred-bad", "[default\naws_access_key_id = A\n");
  e.shared_credentials_file = tmp_path("cred-bad");
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "AWS_SHARED_CREDENTIALS_FILE"));
  assert_non_null(strstr(err, "line 1"));
  /* So does a default profile that wants role_arn. */
  write_file("cred-role", "[default]\nrole_arn = arn:aws:iam::1:role/r\n");
  e.shared_credentials_file = tmp_path("cred-role");
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  /* A directory where a file should be. */
  e.shared_credentials_file = tmpdir;
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "not a regular file"));
  /* A file too big to be a credentials file. */
  {
    FILE *fp = fopen(tmp_path("cred-huge"), "w");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 1024 * 1024, SEEK_SET), 0);
    fputs("x", fp);
    fclose(fp);
  }
  e.shared_credentials_file = tmp_path("cred-huge");
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "larger than 1 MiB"));
}

static void test_chain_home(void **state)
{
  struct aws_env e = bare_env();
  struct aws_cred_provider *p;
  struct aws_credentials c;
  char err[256], dir[128];

  (void)state;
  snprintf(dir, sizeof(dir), "%s/.aws", tmpdir);
  mkdir(dir, 0700);
  write_file(".aws/credentials", "[home]\naws_access_key_id = AKIAHOME\n"
                                 "aws_secret_access_key = S\n");
  write_file(".aws/config", "[profile homecfg]\naws_access_key_id = "
                            "AKIAHOMECFG\naws_secret_access_key = S\n");
  e.shared_credentials_file = NULL;
  e.config_file = NULL;
  e.home = tmpdir;
  e.profile = "home";
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  assert_string_equal(c.access_key_id, "AKIAHOME");
  aws_cred_provider_free(p);
  e.profile = "homecfg";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_PROFILE);
  /* "~/" in the variables means HOME. */
  e.shared_credentials_file = "~/.aws/credentials";
  e.config_file = "~/.aws/nothing-here";
  e.profile = "home";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_PROFILE);
  /* No HOME and no files: nothing, and no crash. */
  e.home = NULL;
  e.shared_credentials_file = NULL;
  e.config_file = NULL;
  e.profile = NULL;
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_NONE);
}

static const struct {
  const char *uri;
  int ok;
} full_uris[] = {
    {"https://creds.example.com/v1", 1},
    {"HTTPS://creds.example.com/v1", 1},
    {"http://127.0.0.1:8080/creds", 1},
    {"http://127.1.2.3/creds", 1},
    {"http://localhost:9/x", 1},
    {"http://[::1]:9/x", 1},
    {"http://169.254.170.2/v2/credentials", 1},
    {"http://169.254.170.23/v1/credentials", 1},
    {"http://[fd00:ec2::23]/v1/credentials", 1},
    {"http://example.com/creds", 0},
    {"http://169.254.169.254/latest", 0},
    {"http://128.0.0.1/x", 0},
    {"http://127.0.0.1.nip.io/x", 0},
    {"http://[::2]/x", 0},
    {"http://[fd00:ec2::254]/x", 0},
    {"ftp://127.0.0.1/x", 0},
    {"file:///etc/passwd", 0},
    {"127.0.0.1:80/creds", 0},
    {"not a url", 0},
};

static void test_chain_ecs(void **state)
{
  struct aws_env e = bare_env();
  char err[256];
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(full_uris) / sizeof(full_uris[0]); i++) {
    e.container_full_uri = full_uris[i].uri;
    if ((source_of(&e, err, sizeof(err)) == AWS_CRED_ECS) != full_uris[i].ok)
      fail_msg("%s: want %s", full_uris[i].uri,
               full_uris[i].ok ? "accepted" : "refused");
  }
  /* The relative URI wins over a (bad) full URI. */
  e.container_full_uri = "http://example.com/";
  e.container_relative_uri = "/v2/credentials/abc";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_ECS);
  e.container_relative_uri = "v2/credentials";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "RELATIVE_URI"));
  e.container_relative_uri = "/v2/credentials/abc";
  e.container_auth_token = "Bearer ok";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_ECS);
  e.container_auth_token = "bad\r\nX-Injected: 1";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_null(strstr(err, "Injected"));
  /* The token file wins, and is only read at fetch time. */
  e.container_auth_token_file = tmp_path("no-token-yet");
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_ECS);
}

static void test_chain_imds(void **state)
{
  struct aws_env e = bare_env();
  char err[256];

  (void)state;
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_NONE);
  e.imds_disabled = 0;
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_IMDS);
  e.imds_endpoint = "http://[fd00:ec2::254]/";
  assert_int_equal(source_of(&e, err, sizeof(err)), AWS_CRED_IMDS);
  e.imds_endpoint = "169.254.169.254";
  assert_int_equal(source_of(&e, err, sizeof(err)), -1);
  assert_non_null(strstr(err, "AWS_EC2_METADATA_SERVICE_ENDPOINT"));
}

static void test_chain_none(void **state)
{
  struct aws_env e = bare_env();
  struct aws_cred_provider *p;
  struct aws_credentials c;
  char err[256] = "";

  (void)state;
  p = aws_cred_provider_new(&e, 0, err, sizeof(err));
  assert_non_null(p);
  assert_int_equal(aws_cred_source(p), AWS_CRED_NONE);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_UNAVAILABLE);
  assert_non_null(strstr(err, "no AWS credentials"));
  aws_cred_provider_free(p);
  assert_null(aws_cred_provider_new(NULL, 0, err, sizeof(err)));
  aws_cred_provider_free(NULL);
  assert_string_equal(aws_cred_source_name(AWS_CRED_ECS), "ecs");
  assert_string_equal(aws_cred_source_name(AWS_CRED_IMDS), "imds");
  assert_string_equal(aws_cred_source_name(AWS_CRED_PROFILE), "profile");
  assert_string_equal(aws_cred_source_name(AWS_CRED_ENV), "env");
  assert_string_equal(aws_cred_source_name(AWS_CRED_NONE), "none");
}

/* ---- refresh with a fake clock and a fake endpoint ---------------------- */

struct fake {
  pthread_mutex_t lock;
  time_t now; /* the clock: now + now_ms / 1000 */
  int now_ms;
  int calls;             /* fetches made */
  enum aws_cred_code rc; /* what the next fetch returns */
  time_t lifetime;       /* keys expire this long after 'now' */
  int serial;            /* key id is AKIA<serial> */
  int delay_ms;          /* a slow endpoint */
  int gate;              /* 1: fetch blocks until 'gate' goes to 0 */
  int at_gate;           /* a fetch is blocked at the gate */
  long timeout_ms;       /* what the last fetch was given */
  pthread_cond_t opened;
};

static long long fake_clock(void *ctx)
{
  struct fake *f = ctx;
  long long t;

  pthread_mutex_lock(&f->lock);
  t = (long long)f->now * 1000 + f->now_ms;
  pthread_mutex_unlock(&f->lock);
  return t;
}

static enum aws_cred_code fake_fetch(void *ctx, long timeout_ms,
                                     struct aws_credentials *out, char *err,
                                     size_t errlen)
{
  struct fake *f = ctx;
  enum aws_cred_code rc;

  pthread_mutex_lock(&f->lock);
  f->timeout_ms = timeout_ms;
  pthread_mutex_unlock(&f->lock);
  if (f->delay_ms)
    usleep((useconds_t)f->delay_ms * 1000);
  pthread_mutex_lock(&f->lock);
  f->at_gate = f->gate;
  while (f->gate)
    pthread_cond_wait(&f->opened, &f->lock);
  f->calls++;
  rc = f->rc;
  if (rc == AWS_CRED_OK) {
    memset(out, 0, sizeof(*out));
    snprintf(out->access_key_id, sizeof(out->access_key_id), "AKIA%d",
             ++f->serial);
    snprintf(out->secret_access_key, sizeof(out->secret_access_key), "s%d",
             f->serial);
    out->expiration = f->lifetime ? f->now + f->lifetime : 0;
  } else {
    snprintf(err, errlen, "ecs: connection refused");
  }
  pthread_mutex_unlock(&f->lock);
  return rc;
}

static void set_now(struct fake *f, time_t t)
{
  pthread_mutex_lock(&f->lock);
  f->now = t;
  pthread_mutex_unlock(&f->lock);
}

static struct aws_cred_provider *fake_provider(struct fake *f)
{
  struct aws_env e = bare_env();
  struct aws_cred_provider *p;
  char err[256];

  memset(f, 0, sizeof(*f));
  pthread_mutex_init(&f->lock, NULL);
  pthread_cond_init(&f->opened, NULL);
  f->now = T0;
  f->lifetime = 3600;
  e.container_full_uri = "http://127.0.0.1:9/never-used";
  p = aws_cred_provider_new(&e, 500, err, sizeof(err));
  assert_non_null(p);
  aws_cred_provider_set_clock(p, fake_clock, f);
  aws_cred_provider_set_fetch(p, fake_fetch, f);
  return p;
}

static void fake_free(struct aws_cred_provider *p, struct fake *f)
{
  aws_cred_provider_free(p);
  pthread_mutex_destroy(&f->lock);
  pthread_cond_destroy(&f->opened);
}

/* Gets keys and checks the key id ("" = expect failure). */
static void expect_key(struct aws_cred_provider *p, const char *want)
{
  struct aws_credentials c;
  char err[256] = "";
  enum aws_cred_code rc = aws_cred_get(p, &c, err, sizeof(err));

  if (!want[0]) {
    assert_int_equal(rc, AWS_CRED_UNAVAILABLE);
    assert_true(err[0] != '\0');
    return;
  }
  if (rc != AWS_CRED_OK)
    fail_msg("want %s, got error: %s", want, err);
  assert_string_equal(c.access_key_id, want);
}

static void test_refresh_ahead(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);

  (void)state;
  expect_key(p, "AKIA1"); /* first get fetches */
  expect_key(p, "AKIA1");
  assert_int_equal(f.calls, 1);
  assert_int_equal(aws_cred_refresh_count(p), 0);
  set_now(&f, T0 + 3600 - 301); /* not yet due */
  expect_key(p, "AKIA1");
  assert_int_equal(f.calls, 1);
  set_now(&f, T0 + 3600 - 300); /* due: 5 minutes before Expiration */
  expect_key(p, "AKIA2");
  assert_int_equal(f.calls, 2);
  assert_int_equal(aws_cred_refresh_count(p), 1);
  expect_key(p, "AKIA2");
  assert_int_equal(f.calls, 2);
  fake_free(p, &f);
}

static void test_refresh_short_lifetime(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);

  (void)state;
  f.lifetime = 10;
  expect_key(p, "AKIA1");
  set_now(&f, T0 + 7);
  expect_key(p, "AKIA1");
  set_now(&f, T0 + 8); /* 80% of 10 s */
  expect_key(p, "AKIA2");
  assert_int_equal(f.calls, 2);
  fake_free(p, &f);
}

static void test_refresh_failure_keeps_keys(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  time_t exp = T0 + 3600;

  (void)state;
  expect_key(p, "AKIA1");
  f.rc = AWS_CRED_UNAVAILABLE; /* the endpoint goes away */
  set_now(&f, exp - 300);
  expect_key(p, "AKIA1"); /* fetch failed: old keys */
  assert_int_equal(f.calls, 2);
  expect_key(p, "AKIA1"); /* backing off: no new fetch */
  expect_key(p, "AKIA1");
  assert_int_equal(f.calls, 2);
  set_now(&f, exp - 299); /* 1 s later: one more try */
  expect_key(p, "AKIA1");
  assert_int_equal(f.calls, 3);
  set_now(&f, exp - 298); /* next try after 2 s */
  expect_key(p, "AKIA1");
  assert_int_equal(f.calls, 3);
  set_now(&f, exp - 1);
  expect_key(p, "AKIA1");
  assert_int_equal(f.calls, 4);
  /* Expired and still down: unavailable, without hammering. */
  set_now(&f, exp);
  expect_key(p, "");
  {
    int calls = f.calls;
    expect_key(p, "");
    expect_key(p, "");
    assert_true(f.calls <= calls + 1);
  }
  /* The endpoint comes back: recovered at the next retry time. */
  f.rc = AWS_CRED_OK;
  set_now(&f, exp + AWS_CRED_RETRY_MAX);
  expect_key(p, "AKIA2");
  assert_int_equal(aws_cred_refresh_count(p), 1);
  assert_int_equal(aws_cred_failure_count(p), f.calls - 2);
  fake_free(p, &f);
}

static void test_backoff_schedule(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  time_t t = T0;
  int i;

  (void)state;
  f.rc = AWS_CRED_UNAVAILABLE;
  expect_key(p, "");
  assert_int_equal(f.calls, 1);
  /* A call every second for 2 min: fetches at 1, 3, 7, 15, 31, 61, 91 */
  for (i = 0; i < 120; i++) {
    set_now(&f, ++t);
    expect_key(p, "");
  }
  assert_int_equal(f.calls, 1 + 7);
  f.rc = AWS_CRED_OK;
  set_now(&f, T0 + 151);
  expect_key(p, "AKIA1");
  fake_free(p, &f);
}

/* Back-off is measured in ms, not in whole seconds of the wall clock. */
static void test_backoff_ms(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);

  (void)state;
  f.rc = AWS_CRED_UNAVAILABLE;
  f.now_ms = 900;
  expect_key(p, "");
  f.now = T0 + 1; /* 100 ms later, a new second: still backing off */
  f.now_ms = 0;
  expect_key(p, "");
  assert_int_equal(f.calls, 1);
  f.now_ms = 899;
  expect_key(p, "");
  assert_int_equal(f.calls, 1);
  f.now_ms = 900; /* a full second */
  expect_key(p, "");
  assert_int_equal(f.calls, 2);
  fake_free(p, &f);
}

static void test_retry_clamped_to_expiry(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  int i;

  (void)state;
  f.lifetime = 100; /* refresh due at 80 s */
  expect_key(p, "AKIA1");
  f.rc = AWS_CRED_UNAVAILABLE;
  for (i = 0; i < 5; i++) { /* fail at 80, 81, 83, 87, 95 */
    static const int at[] = {80, 81, 83, 87, 95};
    set_now(&f, T0 + at[i]);
    expect_key(p, "AKIA1");
  }
  assert_int_equal(f.calls, 6);
  /* The next back-off (16 s) would pass expiry at 100: tried at 100. */
  f.rc = AWS_CRED_OK;
  set_now(&f, T0 + 99);
  expect_key(p, "AKIA1");
  set_now(&f, T0 + 100);
  expect_key(p, "AKIA2");
  fake_free(p, &f);
}

static void test_expired_on_arrival(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);

  (void)state;
  f.lifetime = -5;
  expect_key(p, "");
  {
    struct aws_credentials c;
    char err[256] = "";
    assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)),
                     AWS_CRED_UNAVAILABLE);
    assert_non_null(strstr(err, "expired"));
  }
  f.lifetime = 0; /* no Expiration: kept for ever */
  set_now(&f, T0 + 2);
  expect_key(p, "AKIA2");
  set_now(&f, T0 + 1000000);
  expect_key(p, "AKIA2");
  assert_int_equal(f.calls, 2);
  fake_free(p, &f);
}

/* ---- threads ----------------------------------------------------------- */

#define NTHREADS 16

struct worker {
  struct aws_cred_provider *p;
  enum aws_cred_code rc;
  char key[AWS_KEY_ID_MAX];
};

static void *worker_main(void *arg)
{
  struct worker *w = arg;
  struct aws_credentials c;
  char err[256];

  w->rc = aws_cred_get(w->p, &c, err, sizeof(err));
  if (w->rc == AWS_CRED_OK)
    snprintf(w->key, sizeof(w->key), "%s", c.access_key_id);
  return NULL;
}

static void run_workers(struct aws_cred_provider *p, struct worker *w,
                        pthread_t *t)
{
  int i;

  for (i = 0; i < NTHREADS; i++) {
    w[i].p = p;
    w[i].key[0] = '\0';
    assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
  }
}

static void join_workers(pthread_t *t)
{
  int i;

  for (i = 0; i < NTHREADS; i++)
    pthread_join(t[i], NULL);
}

/* No keys yet, many callers: one fetch, everyone gets its keys. */
static void test_threads_first_fetch(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  struct worker w[NTHREADS];
  pthread_t t[NTHREADS];
  int i;

  (void)state;
  f.delay_ms = 200;
  run_workers(p, w, t);
  join_workers(t);
  assert_int_equal(f.calls, 1);
  for (i = 0; i < NTHREADS; i++) {
    assert_int_equal(w[i].rc, AWS_CRED_OK);
    assert_string_equal(w[i].key, "AKIA1");
  }
  /* Same with a failing endpoint: one fetch, everyone told. */
  fake_free(p, &f);
  p = fake_provider(&f);
  f.delay_ms = 200;
  f.rc = AWS_CRED_UNAVAILABLE;
  run_workers(p, w, t);
  join_workers(t);
  assert_int_equal(f.calls, 1);
  for (i = 0; i < NTHREADS; i++)
    assert_int_equal(w[i].rc, AWS_CRED_UNAVAILABLE);
  fake_free(p, &f);
}

/* A refresh in progress does not hold anyone up. */
static void test_threads_refresh_no_block(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  struct worker w[NTHREADS], first;
  pthread_t t[NTHREADS], ft;
  int i;

  (void)state;
  expect_key(p, "AKIA1");
  set_now(&f, T0 + 3400); /* due */
  pthread_mutex_lock(&f.lock);
  f.gate = 1; /* the refresh will hang until we open the gate */
  pthread_mutex_unlock(&f.lock);
  first.p = p;
  assert_int_equal(pthread_create(&ft, NULL, worker_main, &first), 0);
  for (i = 0; i < 400; i++) { /* until that thread is in the fetch */
    int blocked;
    pthread_mutex_lock(&f.lock);
    blocked = f.at_gate;
    pthread_mutex_unlock(&f.lock);
    if (blocked)
      break;
    usleep(5000);
  }
  assert_true(i < 400);
  run_workers(p, w, t); /* must all finish while the gate is shut */
  join_workers(t);
  for (i = 0; i < NTHREADS; i++) {
    assert_int_equal(w[i].rc, AWS_CRED_OK);
    assert_string_equal(w[i].key, "AKIA1");
  }
  pthread_mutex_lock(&f.lock);
  f.gate = 0;
  pthread_cond_broadcast(&f.opened);
  pthread_mutex_unlock(&f.lock);
  pthread_join(ft, NULL);
  assert_string_equal(first.key, "AKIA2");
  assert_int_equal(f.calls, 2);
  expect_key(p, "AKIA2");
  fake_free(p, &f);
}

/* A fetch made for a caller with a budget gets at most what is left of it
 * (the provider's own timeout here is 500 ms); no budget left is
 * AWS_CRED_TIMEOUT without any fetch. */
static void test_budget_bounds_fetch(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  struct aws_credentials c;
  char err[256];

  (void)state;
  assert_int_equal(aws_cred_get_within(p, &c, 0, err, sizeof(err)),
                   AWS_CRED_TIMEOUT);
  assert_int_equal(f.calls, 0);
  assert_int_equal(aws_cred_get_within(p, &c, 200, err, sizeof(err)),
                   AWS_CRED_OK);
  assert_int_equal(f.calls, 1);
  assert_true(f.timeout_ms > 0 && f.timeout_ms <= 200);
  set_now(&f, T0 + 3400); /* due for refresh, still valid: half */
  assert_int_equal(aws_cred_get_within(p, &c, 600, err, sizeof(err)),
                   AWS_CRED_OK);
  assert_true(f.timeout_ms > 250 && f.timeout_ms <= 300);
  set_now(&f, T0 + 7400); /* expired: all of it, up to the provider's */
  assert_int_equal(aws_cred_get_within(p, &c, 5000, err, sizeof(err)),
                   AWS_CRED_OK);
  assert_int_equal(f.timeout_ms, 500);
  assert_int_equal(aws_cred_get(p, &c, err, sizeof(err)), AWS_CRED_OK);
  fake_free(p, &f);
}

/* A caller with no keys that waits for another thread's slow fetch stops
 * waiting when its budget is spent. */
static void test_budget_bounds_wait(void **state)
{
  struct fake f;
  struct aws_cred_provider *p = fake_provider(&f);
  struct aws_credentials c;
  struct worker first;
  int64_t t0;
  pthread_t ft;
  char err[256];
  int i, blocked = 0;

  (void)state;
  pthread_mutex_lock(&f.lock);
  f.gate = 1;
  pthread_mutex_unlock(&f.lock);
  first.p = p;
  assert_int_equal(pthread_create(&ft, NULL, worker_main, &first), 0);
  for (i = 0; i < 400 && !blocked; i++) {
    pthread_mutex_lock(&f.lock);
    blocked = f.at_gate;
    pthread_mutex_unlock(&f.lock);
    if (!blocked)
      usleep(5000);
  }
  assert_true(blocked);
  t0 = clock_now_ns();
  assert_int_equal(aws_cred_get_within(p, &c, 150, err, sizeof(err)),
                   AWS_CRED_TIMEOUT);
  assert_true(clock_elapsed_ms(t0) >= 140 && clock_elapsed_ms(t0) < 1000);
  assert_non_null(strstr(err, "time budget"));
  pthread_mutex_lock(&f.lock);
  f.gate = 0;
  pthread_cond_broadcast(&f.opened);
  pthread_mutex_unlock(&f.lock);
  pthread_join(ft, NULL);
  assert_int_equal(first.rc, AWS_CRED_OK);
  assert_int_equal(aws_cred_get_within(p, &c, 150, err, sizeof(err)),
                   AWS_CRED_OK);
  assert_int_equal(f.calls, 1);
  fake_free(p, &f);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_iso8601),
      cmocka_unit_test(test_json_ecs),
      cmocka_unit_test(test_json_imds),
      cmocka_unit_test(test_json_optional),
      cmocka_unit_test(test_json_bad),
      cmocka_unit_test(test_json_sizes),
      cmocka_unit_test(test_json_no_secret_in_errors),
      cmocka_unit_test(test_refresh_time),
      cmocka_unit_test(test_retry_delay),
      cmocka_unit_test(test_chain_env),
      cmocka_unit_test(test_chain_profile),
      cmocka_unit_test(test_chain_profile_fallthrough),
      cmocka_unit_test(test_chain_home),
      cmocka_unit_test(test_chain_ecs),
      cmocka_unit_test(test_chain_imds),
      cmocka_unit_test(test_chain_none),
      cmocka_unit_test(test_refresh_ahead),
      cmocka_unit_test(test_refresh_short_lifetime),
      cmocka_unit_test(test_refresh_failure_keeps_keys),
      cmocka_unit_test(test_backoff_schedule),
      cmocka_unit_test(test_backoff_ms),
      cmocka_unit_test(test_retry_clamped_to_expiry),
      cmocka_unit_test(test_expired_on_arrival),
      cmocka_unit_test(test_threads_first_fetch),
      cmocka_unit_test(test_threads_refresh_no_block),
      cmocka_unit_test(test_budget_bounds_fetch),
      cmocka_unit_test(test_budget_bounds_wait),
  };

  log_init(LOG_ERROR, 2); /* the provider logs fetches; keep output clean */
  return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
