/* test_settings.c -- the environment: defaults, parsing, one-line errors */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "settings.h"

/* A fake environment: NULL-terminated name/value pairs. */
static const char **fake_env;

static const char *fake_getenv(const char *name)
{
  for (const char **p = fake_env; p && p[0]; p += 2)
    if (!strcmp(p[0], name))
      return p[1];
  return NULL;
}

static int load(const char **env, struct settings *s, char *err)
{
  fake_env = env;
  err[0] = '\0';
  return settings_load(s, fake_getenv, err, 256);
}

static void test_defaults(void **state)
{
  const char *env[] = {"S3JSON_BUCKET", "docs-bucket", NULL};
  struct settings s;
  char err[256];

  assert_int_equal(load(env, &s, err), 0);
  assert_string_equal(s.bucket, "docs-bucket");
  assert_string_equal(s.prefix, "");
  assert_string_equal(s.region, "us-east-1");
  assert_null(s.endpoint_url);
  assert_string_equal(s.bind, "0.0.0.0");
  assert_int_equal(s.port, 8080);
  {
    /* Default: one HTTP thread per online CPU, at least 2. */
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(s.threads, n > 2 ? (unsigned)n : 2u);
  }
  assert_int_equal(s.s3_timeout_ms, 2000);
  assert_int_equal(s.max_object_bytes, 1024 * 1024);
  assert_int_equal(s.drain_seconds, 10);
  assert_int_equal(s.http_yield_us, 300);
  assert_int_equal(s.trusted_proxies, 1); /* the ALB */
  assert_int_equal(s.log_level, LOG_INFO);
  assert_int_equal(s.aws.imds_disabled, 0);
  assert_null(s.cors_origins); /* CORS off */
}

static void test_values_and_fallbacks(void **state)
{
  const char *env[] = {"S3JSON_BUCKET",
                       "b.with.dots",
                       "S3JSON_PREFIX",
                       "v1/",
                       "AWS_DEFAULT_REGION",
                       "eu-west-1",
                       "AWS_ENDPOINT_URL",
                       "http://127.0.0.1:5000",
                       "S3JSON_PORT",
                       "9090",
                       "S3JSON_LOG_LEVEL",
                       "DEBUG",
                       "S3JSON_THREADS",
                       "3",
                       "S3JSON_HTTP_YIELD_US",
                       "0",
                       "AWS_EC2_METADATA_DISABLED",
                       "true",
                       NULL};
  struct settings s;
  char err[256];

  assert_int_equal(load(env, &s, err), 0);
  assert_string_equal(s.prefix, "v1/");
  assert_string_equal(s.region, "eu-west-1");
  assert_string_equal(s.endpoint_url, "http://127.0.0.1:5000");
  assert_int_equal(s.port, 9090);
  assert_int_equal(s.threads, 3);
  assert_int_equal(s.http_yield_us, 0); /* never */
  assert_int_equal(s.log_level, LOG_DEBUG);
  assert_int_equal(s.aws.imds_disabled, 1);
}

static void test_primary_wins_over_fallback(void **state)
{
  const char *env[] = {"S3JSON_BUCKET",
                       "bkt",
                       "AWS_REGION",
                       "us-west-2",
                       "AWS_DEFAULT_REGION",
                       "eu-west-1",
                       "AWS_ENDPOINT_URL_S3",
                       "http://127.0.0.1:1",
                       "AWS_ENDPOINT_URL",
                       "http://127.0.0.1:2",
                       NULL};
  struct settings s;
  char err[256];

  assert_int_equal(load(env, &s, err), 0);
  assert_string_equal(s.region, "us-west-2");
  assert_string_equal(s.endpoint_url, "http://127.0.0.1:1");
}

struct bad_case {
  const char *name, *value, *want; /* 'want' must appear in the error */
};

static const struct bad_case bad_cases[] = {
    {"S3JSON_PORT", "80a", "S3JSON_PORT: expected an integer from 1 to 65535"},
    /* CORS origins are validated at start-up (issue 15): one line naming
     * the variable and the entry at fault. */
    {"S3JSON_CORS_ORIGINS", "https://app.example/",
     "S3JSON_CORS_ORIGINS: expected comma-separated origins "
     "scheme://host[:port]: \"https://app.example/\" has a path"},
    {"S3JSON_CORS_ORIGINS", "*", "S3JSON_CORS_ORIGINS: expected"},
    {"S3JSON_CORS_ORIGINS", "https://a.example,,https://b.example",
     "an empty entry"},
    {"S3JSON_PORT", "0", "S3JSON_PORT: expected"},
    {"S3JSON_PORT", "65536", "S3JSON_PORT: expected"},
    {"S3JSON_PORT", "-1", "S3JSON_PORT: expected"},
    {"S3JSON_PORT", " 80", "S3JSON_PORT: expected"},
    {"S3JSON_THREADS", "999", "S3JSON_THREADS: expected"},
    {"S3JSON_HTTP_YIELD_US", "10001",
     "S3JSON_HTTP_YIELD_US: expected an integer from 0 to 10000"},
    {"S3JSON_HTTP_YIELD_US", "300us", "S3JSON_HTTP_YIELD_US: expected"},
    {"S3JSON_TRUSTED_PROXIES", "17",
     "S3JSON_TRUSTED_PROXIES: expected an integer from 0 to 16"},
    {"S3JSON_TRUSTED_PROXIES", "one", "S3JSON_TRUSTED_PROXIES: expected"},
    {"S3JSON_S3_TIMEOUT_MS", "1e3", "S3JSON_S3_TIMEOUT_MS: expected"},
    {"S3JSON_MAX_OBJECT_BYTES", "99999999999999999999999",
     "S3JSON_MAX_OBJECT_BYTES: expected a byte count"},
    {"S3JSON_LOG_LEVEL", "loud", "S3JSON_LOG_LEVEL: expected one of debug"},
    {"AWS_EC2_METADATA_DISABLED", "maybe",
     "AWS_EC2_METADATA_DISABLED: expected true or false"},
    {"S3JSON_BUCKET", "Bad_Bucket", "S3JSON_BUCKET: expected an S3 bucket"},
    {"S3JSON_BUCKET", "ab", "S3JSON_BUCKET: expected an S3 bucket"},
    {"S3JSON_BUCKET", "-abc", "S3JSON_BUCKET: expected an S3 bucket"},
    {"AWS_ENDPOINT_URL_S3", "localhost:5000",
     "AWS_ENDPOINT_URL_S3: expected an http:// or https:// URL"},
};

static void test_bad_values(void **state)
{
  struct settings s;
  char err[256];
  size_t i;

  for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
    const char *env[] = {"S3JSON_BUCKET", "bkt", NULL, NULL, NULL};
    if (!strcmp(bad_cases[i].name, "S3JSON_BUCKET")) {
      env[1] = bad_cases[i].value;
    } else {
      env[2] = bad_cases[i].name;
      env[3] = bad_cases[i].value;
    }
    assert_int_equal(load(env, &s, err), -1);
    if (!strstr(err, bad_cases[i].want))
      fail_msg("%s=%s: error \"%s\" lacks \"%s\"", bad_cases[i].name,
               bad_cases[i].value, err, bad_cases[i].want);
    assert_null(strchr(err, '\n'));
  }
}

static void test_missing_bucket(void **state)
{
  const char *env[] = {NULL};
  struct settings s;
  char err[256];

  assert_int_equal(load(env, &s, err), -1);
  assert_non_null(strstr(err, "S3JSON_BUCKET: required"));
  /* The health probe does not need a bucket. */
  assert_int_equal(settings_load_probe(&s, fake_getenv, err, sizeof(err)), 0);
  assert_int_equal(s.port, 8080);
}

/* S3JSON_STORE picks which of S3JSON_BUCKET / S3JSON_TABLE is required. */
static void test_store_switch(void **state)
{
  const char *ddb[] = {"S3JSON_STORE",
                       "dynamodb",
                       "S3JSON_TABLE",
                       "docs.v2-prod_1",
                       "AWS_ENDPOINT_URL",
                       "http://127.0.0.1:5000",
                       NULL};
  const char *ddb_own[] = {"S3JSON_STORE",
                           "dynamodb",
                           "S3JSON_TABLE",
                           "docs",
                           "AWS_ENDPOINT_URL_DYNAMODB",
                           "https://ddb.example",
                           "AWS_ENDPOINT_URL",
                           "http://127.0.0.1:5000",
                           NULL};
  const char *s3[] = {"S3JSON_BUCKET", "docs", NULL};
  static const struct {
    const char *env[5];
    const char *err;
  } bad[] = {
      {{"S3JSON_STORE", "dynamo", NULL},
       "S3JSON_STORE: expected s3 or dynamodb, got \"dynamo\""},
      {{"S3JSON_STORE", "S3", NULL}, "S3JSON_STORE: expected s3 or dynamodb"},
      {{"S3JSON_STORE", "dynamodb", NULL},
       "S3JSON_TABLE: required with S3JSON_STORE=dynamodb, expected a "
       "DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)"},
      {{"S3JSON_STORE", "dynamodb", "S3JSON_TABLE", "ab", NULL},
       "S3JSON_TABLE: expected a DynamoDB table name"},
      {{"S3JSON_STORE", "dynamodb", "S3JSON_TABLE", "a b c", NULL},
       "S3JSON_TABLE: expected a DynamoDB table name"},
      {{"S3JSON_STORE", "s3", "S3JSON_TABLE", "docs", NULL},
       "S3JSON_BUCKET: required with S3JSON_STORE=s3"},
  };
  struct settings s;
  char err[256];
  size_t i;

  assert_int_equal(load(s3, &s, err), 0);
  assert_int_equal(s.store, SETTINGS_STORE_S3);
  assert_null(s.table);
  assert_int_equal(load(ddb, &s, err), 0);
  assert_int_equal(s.store, SETTINGS_STORE_DYNAMODB);
  assert_string_equal(s.table, "docs.v2-prod_1");
  assert_null(s.bucket); /* not required */
  /* the SDK's fallback: AWS_ENDPOINT_URL for both services */
  assert_string_equal(s.endpoint_url_dynamodb, "http://127.0.0.1:5000");
  assert_int_equal(load(ddb_own, &s, err), 0);
  assert_string_equal(s.endpoint_url_dynamodb, "https://ddb.example");
  ddb_own[5] = "ddb.example";
  assert_int_equal(load(ddb_own, &s, err), -1);
  assert_non_null(strstr(err, "AWS_ENDPOINT_URL_DYNAMODB: expected an "
                              "http:// or https:// URL"));
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    assert_int_equal(load((const char **)bad[i].env, &s, err), -1);
    if (!strstr(err, bad[i].err))
      fail_msg("case %zu: %s", i, err);
    assert_null(strchr(err, '\n'));
  }
}

static void test_secrets_never_in_errors(void **state)
{
  const char *env[] = {"S3JSON_BUCKET", "bkt", "AWS_SECRET_ACCESS_KEY",
                       "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};
  struct settings s;
  char err[256];

  assert_int_equal(load(env, &s, err), -1);
  assert_non_null(strstr(err, "AWS_ACCESS_KEY_ID: required"));
  assert_null(strstr(err, "EXAMPLEKEY"));
}

/* S3JSON_AUTH=jwt (issue 15): what it requires, derives and refuses. */
static const char *auth_env[] = {"S3JSON_BUCKET",
                                 "bkt",
                                 "S3JSON_AUTH",
                                 "jwt",
                                 "S3JSON_JWT_ISSUER",
                                 "https://issuer.test/pool/",
                                 "S3JSON_JWT_AUDIENCE",
                                 "c1",
                                 NULL,
                                 NULL,
                                 NULL,
                                 NULL};

static void test_auth_defaults(void **state)
{
  const char *none[] = {"S3JSON_BUCKET", "bkt", NULL};
  struct settings s;
  char err[256];

  assert_int_equal(load(none, &s, err), 0);
  assert_int_equal(s.auth, SETTINGS_AUTH_NONE);
  assert_int_equal(load(auth_env, &s, err), 0);
  assert_int_equal(s.auth, SETTINGS_AUTH_JWT);
  /* Trailing slash of the issuer dropped before the well-known path. */
  assert_string_equal(s.jwt_jwks_url,
                      "https://issuer.test/pool/.well-known/jwks.json");
  assert_string_equal(s.jwt_issuer, "https://issuer.test/pool/");
  assert_string_equal(s.jwt_scope_prefix, "s3json/read:");
  assert_int_equal(s.jwt_leeway_s, 60);
  assert_int_equal(s.jwt_refresh_s, 60);
  assert_int_equal(s.auth_internal_token, 0);
}

struct auth_case {
  const char *name, *value; /* added to auth_env; NULL name: removes */
  const char *want;         /* in the error; NULL = loads */
};

static const struct auth_case auth_cases[] = {
    {"S3JSON_AUTH", "JWT", "S3JSON_AUTH: expected none or jwt"},
    {"S3JSON_AUTH", "oidc", "S3JSON_AUTH: expected none or jwt"},
    {"S3JSON_AUTH_INTERNAL", "closed",
     "S3JSON_AUTH_INTERNAL: expected open or token"},
    {"S3JSON_AUTH_INTERNAL", "token", NULL},
    {"S3JSON_JWT_LEEWAY_SECONDS", "601",
     "S3JSON_JWT_LEEWAY_SECONDS: expected an integer from 0 to 600"},
    {"S3JSON_JWT_LEEWAY_SECONDS", "0", NULL},
    {"S3JSON_JWT_JWKS_REFRESH_SECONDS", "0",
     "S3JSON_JWT_JWKS_REFRESH_SECONDS: expected an integer from 1 to 86400"},
    {"S3JSON_JWT_JWKS_URL", "http://issuer.test/jwks.json",
     "S3JSON_JWT_JWKS_URL: expected an https:// URL"},
    {"S3JSON_JWT_JWKS_URL", "http://127.0.0.1.evil.test/jwks",
     "S3JSON_JWT_JWKS_URL: expected an https:// URL"},
    {"S3JSON_JWT_JWKS_URL", "http://localhostx/jwks",
     "S3JSON_JWT_JWKS_URL: expected an https:// URL"},
    {"S3JSON_JWT_JWKS_URL", "ftp://x/jwks",
     "S3JSON_JWT_JWKS_URL: expected an https:// URL"},
    {"S3JSON_JWT_JWKS_URL", "https://", "S3JSON_JWT_JWKS_URL: expected"},
    {"S3JSON_JWT_JWKS_URL", "http://127.0.0.1:8000/jwks.json", NULL},
    {"S3JSON_JWT_JWKS_URL", "http://[::1]:8000/jwks.json", NULL},
    {"S3JSON_JWT_JWKS_URL", "http://localhost/jwks.json", NULL},
    {"S3JSON_JWT_ISSUER", "http://issuer.test",
     "S3JSON_JWT_ISSUER: expected an https:// URL"},
    {"S3JSON_JWT_ISSUER", "",
     "S3JSON_JWT_ISSUER: required when S3JSON_AUTH=jwt"},
    {"S3JSON_JWT_AUDIENCE", "",
     "S3JSON_JWT_AUDIENCE: required when S3JSON_AUTH=jwt"},
};

static void test_auth_bad_values(void **state)
{
  struct settings s;
  char err[256];
  size_t i;

  for (i = 0; i < sizeof(auth_cases) / sizeof(auth_cases[0]); i++) {
    const char *env[sizeof(auth_env) / sizeof(auth_env[0])];
    const struct auth_case *c = &auth_cases[i];
    int rc;

    memcpy(env, auth_env, sizeof(env));
    /* The first matching pair is replaced, else the pair is added. */
    for (size_t j = 0; j < 10; j += 2) {
      if (!env[j] || !strcmp(env[j], c->name)) {
        env[j] = c->name;
        env[j + 1] = c->value;
        break;
      }
    }
    rc = load(env, &s, err);
    if (c->want && (rc != -1 || !strstr(err, c->want)))
      fail_msg("%s=%s: rc %d, error \"%s\" lacks \"%s\"", c->name, c->value, rc,
               err, c->want);
    if (!c->want && rc != 0)
      fail_msg("%s=%s: refused: %s", c->name, c->value, err);
    assert_null(strchr(err, '\n'));
  }
}

static void test_help_lists_every_variable(void **state)
{
  static const char *names[] = {"S3JSON_BUCKET",
                                "S3JSON_PREFIX",
                                "S3JSON_BIND",
                                "S3JSON_PORT",
                                "S3JSON_THREADS",
                                "S3JSON_HTTP_YIELD_US",
                                "S3JSON_LOG_LEVEL",
                                "S3JSON_MAX_OBJECT_BYTES",
                                "S3JSON_S3_TIMEOUT_MS",
                                "S3JSON_DRAIN_SECONDS",
                                "S3JSON_TRUSTED_PROXIES",
                                "AWS_REGION",
                                "AWS_ENDPOINT_URL_S3",
                                "S3JSON_STORE",
                                "S3JSON_TABLE",
                                "AWS_ENDPOINT_URL_DYNAMODB",
                                "AWS_PROFILE",
                                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                                "S3JSON_AUTH",
                                "S3JSON_JWT_ISSUER",
                                "S3JSON_JWT_AUDIENCE",
                                "S3JSON_JWT_JWKS_URL",
                                "S3JSON_JWT_SCOPE_PREFIX",
                                "S3JSON_JWT_LEEWAY_SECONDS",
                                "S3JSON_JWT_JWKS_REFRESH_SECONDS",
                                "S3JSON_AUTH_INTERNAL"};
  char buf[16384];
  FILE *f = fmemopen(buf, sizeof(buf), "w");

  assert_non_null(f);
  settings_print_help(f);
  fclose(f);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
    if (!strstr(buf, names[i]))
      fail_msg("--help lacks %s", names[i]);
  assert_non_null(strstr(buf, "S3JSON_PORT [8080]"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_values_and_fallbacks),
      cmocka_unit_test(test_primary_wins_over_fallback),
      cmocka_unit_test(test_bad_values),
      cmocka_unit_test(test_missing_bucket),
      cmocka_unit_test(test_store_switch),
      cmocka_unit_test(test_secrets_never_in_errors),
      cmocka_unit_test(test_auth_defaults),
      cmocka_unit_test(test_auth_bad_values),
      cmocka_unit_test(test_help_lists_every_variable),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
