/* settings.c -- the environment, read once and validated at start-up
 *
 * One table describes every variable: its name, default, meaning and how to
 * parse it. settings_load() walks the table; settings_print_help() prints it.
 * Keeping both in one place is what keeps `s3json --help` true.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ddb/json.h"  /* ddb_table_name_ok */
#include "http/cors.h" /* cors_parse */
#include "s3/fields.h" /* s3_bucket_name_ok */
#include "settings.h"

enum opt_kind {
  OPT_STR,      /* any non-empty string */
  OPT_UINT,     /* unsigned, within [min, max] */
  OPT_SIZE,     /* bytes, within [min, max] */
  OPT_LONG,     /* long, within [min, max] */
  OPT_INT,      /* int, within [min, max] */
  OPT_BOOL,     /* true/false/1/0/yes/no */
  OPT_LOGLEVEL, /* debug|info|warn|error */
  OPT_BUCKET,   /* an S3 bucket name */
  OPT_STORE,    /* s3|dynamodb */
  OPT_TABLE,    /* a DynamoDB table name */
  OPT_AUTH,     /* none|jwt */
  OPT_INTERNAL  /* open|token */
};

struct opt {
  const char *name; /* primary variable */
  const char *alt;  /* fallback variable, NULL = none */
  enum opt_kind kind;
  size_t offset;   /* into struct settings */
  const char *def; /* default as text, NULL = unset */
  long long min, max;
  int secret; /* 1: never printed, not even in errors */
  const char *help;
};

#define OFF(f) offsetof(struct settings, f)
#define MIB (1024LL * 1024LL)

static const struct opt opts[] = {
    /* First: whether S3JSON_BUCKET or S3JSON_TABLE is required. */
    {"S3JSON_STORE", NULL, OPT_STORE, OFF(store), "s3", 0, 0, 0,
     "where documents live: s3 (objects) | dynamodb (items)"},
    {"S3JSON_BUCKET", NULL, OPT_BUCKET, OFF(bucket), NULL, 0, 0, 0,
     "S3 bucket holding the documents (required with S3JSON_STORE=s3)"},
    {"S3JSON_TABLE", NULL, OPT_TABLE, OFF(table), NULL, 0, 0, 0,
     "DynamoDB table holding the documents (required with "
     "S3JSON_STORE=dynamodb): partition key name (S), attribute body (S)"},
    {"S3JSON_PREFIX", NULL, OPT_STR, OFF(prefix), "", 0, 0, 0,
     "key prefix: GET /api/NAME reads PREFIX + NAME + .json (S3), the item "
     "named PREFIX + NAME (DynamoDB)"},
    {"AWS_REGION", "AWS_DEFAULT_REGION", OPT_STR, OFF(region), "us-east-1", 0,
     0, 0, "region of the bucket (signing and endpoint)"},
    {"AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL", OPT_STR, OFF(endpoint_url),
     NULL, 0, 0, 0,
     "S3 endpoint (e.g. http://127.0.0.1:5000); set = path-style "
     "addressing, unset = AWS virtual-hosted"},
    {"AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL", OPT_STR,
     OFF(endpoint_url_dynamodb), NULL, 0, 0, 0,
     "DynamoDB endpoint (e.g. http://127.0.0.1:5000); unset = "
     "https://dynamodb.REGION.amazonaws.com"},
    {"AWS_CA_BUNDLE", NULL, OPT_STR, OFF(ca_bundle), NULL, 0, 0, 0,
     "CA bundle file for TLS to S3 (default: system store)"},
    {"S3JSON_S3_TIMEOUT_MS", NULL, OPT_LONG, OFF(s3_timeout_ms), "2000", 50,
     120000, 0,
     "time budget of one S3 or DynamoDB call, retries included -> 504"},
    {"S3JSON_S3_MAX_ATTEMPTS", "AWS_MAX_ATTEMPTS", OPT_INT,
     OFF(s3_max_attempts), "3", 1, 10, 0,
     "attempts per S3 or DynamoDB call on 5xx/throttling/connection "
     "errors"},
    {"S3JSON_MAX_OBJECT_BYTES", NULL, OPT_SIZE, OFF(max_object_bytes),
     "1048576", 1, 1024 * MIB, 0,
     "largest document served; larger -> 502 document_too_large"},
    {"S3JSON_BIND", NULL, OPT_STR, OFF(bind), "0.0.0.0", 0, 0, 0,
     "IPv4 address to listen on"},
    {"S3JSON_PORT", NULL, OPT_UINT, OFF(port), "8080", 1, 65535, 0,
     "TCP port to listen on"},
    {"S3JSON_THREADS", NULL, OPT_UINT, OFF(threads), "0", 0, 256, 0,
     "HTTP worker threads; 0 = online CPUs (at least 2)"},
    {"S3JSON_HTTP_YIELD_US", NULL, OPT_UINT, OFF(http_yield_us), "300", 0,
     10000, 0,
     "an HTTP thread busy this long without waiting for the network lets "
     "other runnable threads have its CPU (sched_yield); 0 = never"},
    {"S3JSON_S3_WORKERS", NULL, OPT_UINT, OFF(s3_workers), "16", 1, 1024, 0,
     "threads that wait for S3 (cache misses, lists), so the HTTP threads "
     "never block"},
    {"S3JSON_MAX_CONNECTIONS", NULL, OPT_UINT, OFF(max_connections), "1024", 1,
     65536, 0, "open client connections at most; more are refused"},
    {"S3JSON_TRUSTED_PROXIES", NULL, OPT_UINT, OFF(trusted_proxies), "1", 0, 16,
     0,
     "proxies in front that append to X-Forwarded-For (the ALB: 1); the "
     "logged client is the address the outermost one appended; 0 = the "
     "peer address"},
    {"S3JSON_CONNECTION_TIMEOUT_SECONDS", NULL, OPT_UINT, OFF(conn_timeout_s),
     "30", 1, 3600, 0, "idle client connections are closed after this"},
    {"S3JSON_DRAIN_SECONDS", NULL, OPT_UINT, OFF(drain_seconds), "10", 0, 300,
     0, "on SIGTERM/SIGINT: time to finish in-flight requests"},
    {"S3JSON_READY_PROBE_SECONDS", NULL, OPT_UINT, OFF(ready_probe_s), "10", 1,
     3600, 0, "interval of the store probe behind /readyz"},
    {"S3JSON_CACHE_TTL_SECONDS", NULL, OPT_UINT, OFF(cache_ttl_s), "5", 0,
     86400, 0, "document cache freshness; 0 disables the cache"},
    {"S3JSON_CACHE_MAX_BYTES", NULL, OPT_SIZE, OFF(cache_max_bytes), "67108864",
     0, 64 * 1024 * MIB, 0, "document cache size (LRU)"},
    {"S3JSON_STALE_IF_ERROR_SECONDS", NULL, OPT_UINT, OFF(stale_if_error_s),
     "300", 0, 86400, 0, "serve a cached copy this long when S3 fails"},
    {"S3JSON_CLIENT_MAX_AGE", NULL, OPT_UINT, OFF(client_max_age_s), "0", 0,
     86400, 0, "Cache-Control: max-age sent to clients"},
    {"S3JSON_CORS_ORIGINS", NULL, OPT_STR, OFF(cors_origins), NULL, 0, 0, 0,
     "browser origins allowed to read (CORS), comma-separated exact "
     "scheme://host[:port]; unset = CORS off (OPTIONS gets 405)"},
    {"S3JSON_LOG_LEVEL", NULL, OPT_LOGLEVEL, OFF(log_level), "info", 0, 0, 0,
     "debug | info | warn | error"},
    /* Access control (issue 15): docs/security.md. */
    {"S3JSON_AUTH", NULL, OPT_AUTH, OFF(auth), "none", 0, 0, 0,
     "none: anyone who reaches the port reads; jwt: /api needs a bearer "
     "JWT from S3JSON_JWT_ISSUER with a scope granting the name"},
    {"S3JSON_JWT_ISSUER", NULL, OPT_STR, OFF(jwt_issuer), NULL, 0, 0, 0,
     "with jwt (required): the exact `iss` of accepted tokens, e.g. "
     "https://cognito-idp.REGION.amazonaws.com/POOL_ID"},
    {"S3JSON_JWT_AUDIENCE", NULL, OPT_STR, OFF(jwt_audience), NULL, 0, 0, 0,
     "with jwt (required): matched against `aud` (a string or one of an "
     "array), or `client_id` when the token has no `aud` (Cognito access "
     "tokens)"},
    {"S3JSON_JWT_JWKS_URL", NULL, OPT_STR, OFF(jwt_jwks_url), NULL, 0, 0, 0,
     "the issuer's key set (default: issuer + /.well-known/jwks.json); "
     "https://, or http:// only for 127.0.0.1, ::1, localhost"},
    {"S3JSON_JWT_SCOPE_PREFIX", NULL, OPT_STR, OFF(jwt_scope_prefix),
     "s3json/read:", 0, 0, 0,
     "scopes P* (every name), Pteam:* (names under team/), Pteam:a (the "
     "name team/a) grant reading"},
    {"S3JSON_JWT_LEEWAY_SECONDS", NULL, OPT_UINT, OFF(jwt_leeway_s), "60", 0,
     600, 0, "clock skew allowed on exp, nbf and iat"},
    {"S3JSON_JWT_JWKS_REFRESH_SECONDS", NULL, OPT_UINT, OFF(jwt_refresh_s),
     "60", 1, 86400, 0,
     "a token with an unknown kid refetches the key set at most this often"},
    {"S3JSON_AUTH_INTERNAL", NULL, OPT_INTERNAL, OFF(auth_internal_token),
     "open", 0, 0, 0,
     "with jwt: open = /readyz and /metrics need no token (callers inside "
     "the VPC); token = they need a valid one (any scope)"},
    /* The AWS SDK's credential variables; see aws/credentials.h. */
    {"AWS_ACCESS_KEY_ID", NULL, OPT_STR, OFF(aws.access_key_id), NULL, 0, 0, 1,
     "static credentials (with AWS_SECRET_ACCESS_KEY)"},
    {"AWS_SECRET_ACCESS_KEY", NULL, OPT_STR, OFF(aws.secret_access_key), NULL,
     0, 0, 1, "static credentials"},
    {"AWS_SESSION_TOKEN", NULL, OPT_STR, OFF(aws.session_token), NULL, 0, 0, 1,
     "static temporary credentials"},
    {"AWS_PROFILE", NULL, OPT_STR, OFF(aws.profile), NULL, 0, 0, 0,
     "profile in the shared files (default: default)"},
    {"AWS_SHARED_CREDENTIALS_FILE", NULL, OPT_STR,
     OFF(aws.shared_credentials_file), NULL, 0, 0, 0,
     "default ~/.aws/credentials"},
    {"AWS_CONFIG_FILE", NULL, OPT_STR, OFF(aws.config_file), NULL, 0, 0, 0,
     "default ~/.aws/config"},
    {"HOME", NULL, OPT_STR, OFF(aws.home), NULL, 0, 0, 0,
     "where ~/.aws is looked for"},
    {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", NULL, OPT_STR,
     OFF(aws.container_relative_uri), NULL, 0, 0, 0,
     "ECS task role: path on 169.254.170.2 (set by ECS)"},
    {"AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL, OPT_STR,
     OFF(aws.container_full_uri), NULL, 0, 0, 0,
     "container credentials URL (https, or a loopback/ECS address)"},
    {"AWS_CONTAINER_AUTHORIZATION_TOKEN", NULL, OPT_STR,
     OFF(aws.container_auth_token), NULL, 0, 0, 1,
     "Authorization header for the FULL_URI"},
    {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", NULL, OPT_STR,
     OFF(aws.container_auth_token_file), NULL, 0, 0, 0,
     "file holding that header (re-read at each refresh)"},
    {"S3JSON_ECS_CREDENTIALS_HOST", NULL, OPT_STR, OFF(aws.container_host),
     NULL, 0, 0, 0,
     "tests only: host[:port] used instead of 169.254.170.2 for the "
     "RELATIVE_URI"},
    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", NULL, OPT_STR, OFF(aws.imds_endpoint),
     NULL, 0, 0, 0, "IMDS endpoint (default http://169.254.169.254)"},
    {"AWS_EC2_METADATA_DISABLED", NULL, OPT_BOOL, OFF(aws.imds_disabled),
     "false", 0, 0, 0, "true: never ask EC2 instance metadata"},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static int parse_ll(const char *v, long long min, long long max, long long *out)
{
  char *end;
  long long n;

  if (!v[0] || v[0] == '-' || v[0] == '+' || v[0] == ' ')
    return -1;
  errno = 0;
  n = strtoll(v, &end, 10);
  if (errno == ERANGE || *end || n < min || n > max)
    return -1;
  *out = n;
  return 0;
}

static int parse_bool(const char *v, int *out)
{
  if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes"))
    *out = 1;
  else if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no"))
    *out = 0;
  else
    return -1;
  return 0;
}

static int parse_level(const char *v, enum log_level *out)
{
  static const char *names[] = {"debug", "info", "warn", "error"};
  size_t i;

  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (!strcasecmp(v, names[i])) {
      *out = (enum log_level)i;
      return 0;
    }
  }
  if (!strcasecmp(v, "warning")) {
    *out = LOG_WARN;
    return 0;
  }
  return -1;
}

static void expected(const struct opt *o, char *buf, size_t n)
{
  switch (o->kind) {
  case OPT_UINT:
  case OPT_LONG:
  case OPT_INT:
    snprintf(buf, n, "an integer from %lld to %lld", o->min, o->max);
    break;
  case OPT_SIZE:
    snprintf(buf, n, "a byte count from %lld to %lld", o->min, o->max);
    break;
  case OPT_BOOL:
    snprintf(buf, n, "true or false");
    break;
  case OPT_LOGLEVEL:
    snprintf(buf, n, "one of debug, info, warn, error");
    break;
  case OPT_BUCKET:
    snprintf(buf, n, "an S3 bucket name (3-63 of a-z 0-9 . -)");
    break;
  case OPT_STORE:
    snprintf(buf, n, "s3 or dynamodb");
    break;
  case OPT_TABLE:
    snprintf(buf, n, "a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)");
    break;
  case OPT_STR:
    snprintf(buf, n, "a non-empty value");
    break;
  case OPT_AUTH:
    snprintf(buf, n, "none or jwt");
    break;
  case OPT_INTERNAL:
    snprintf(buf, n, "open or token");
    break;
  }
}

/* Stores 'v' into the field of 'o'; -1 when it does not parse. */
static int store(struct settings *s, const struct opt *o, const char *v)
{
  char *field = (char *)s + o->offset;
  long long n = 0;

  switch (o->kind) {
  case OPT_STR:
    *(const char **)field = v;
    return 0;
  case OPT_BUCKET:
    if (!s3_bucket_name_ok(v))
      return -1;
    *(const char **)field = v;
    return 0;
  case OPT_TABLE:
    if (!ddb_table_name_ok(v))
      return -1;
    *(const char **)field = v;
    return 0;
  case OPT_STORE:
    if (strcmp(v, "s3") && strcmp(v, "dynamodb"))
      return -1;
    *(enum settings_store *)field =
        strcmp(v, "s3") ? SETTINGS_STORE_DYNAMODB : SETTINGS_STORE_S3;
    return 0;
  case OPT_BOOL:
    return parse_bool(v, (int *)field);
  case OPT_AUTH:
    if (strcmp(v, "none") && strcmp(v, "jwt"))
      return -1;
    *(enum settings_auth *)field =
        v[0] == 'j' ? SETTINGS_AUTH_JWT : SETTINGS_AUTH_NONE;
    return 0;
  case OPT_INTERNAL:
    if (strcmp(v, "open") && strcmp(v, "token"))
      return -1;
    *(int *)field = v[0] == 't';
    return 0;
  case OPT_LOGLEVEL:
    return parse_level(v, (enum log_level *)field);
  case OPT_UINT:
    if (parse_ll(v, o->min, o->max, &n))
      return -1;
    *(unsigned *)field = (unsigned)n;
    return 0;
  case OPT_INT:
    if (parse_ll(v, o->min, o->max, &n))
      return -1;
    *(int *)field = (int)n;
    return 0;
  case OPT_LONG:
    if (parse_ll(v, o->min, o->max, &n))
      return -1;
    *(long *)field = (long)n;
    return 0;
  case OPT_SIZE:
    if (parse_ll(v, o->min, o->max, &n))
      return -1;
    *(size_t *)field = (size_t)n;
    return 0;
  }
  return -1;
}

static int load_one(struct settings *s, const struct opt *o,
                    settings_getenv_fn get, int need_bucket, char *err,
                    size_t errlen)
{
  const char *name = o->name, *v = get(o->name);
  char what[96];

  if ((!v || !v[0]) && o->alt) {
    v = get(o->alt);
    name = o->alt;
  }
  /* An empty variable counts as unset, as in the AWS SDKs. */
  if (!v || !v[0]) {
    if (o->offset == OFF(prefix)) {
      s->prefix = "";
      return 0;
    }
    if (!o->def) {
      /* S3JSON_STORE comes first in the table, so s->store is known. */
      if (need_bucket &&
          ((o->kind == OPT_BUCKET && s->store == SETTINGS_STORE_S3) ||
           (o->kind == OPT_TABLE && s->store == SETTINGS_STORE_DYNAMODB))) {
        snprintf(err, errlen, "%s: required with S3JSON_STORE=%s, expected %s",
                 o->name, s->store == SETTINGS_STORE_S3 ? "s3" : "dynamodb",
                 (expected(o, what, sizeof(what)), what));
        return -1;
      }
      return 0;
    }
    v = o->def;
    name = o->name;
  }
  if (store(s, o, v) == 0)
    return 0;
  expected(o, what, sizeof(what));
  if (o->secret)
    snprintf(err, errlen, "%s: expected %s", name, what);
  else
    snprintf(err, errlen, "%s: expected %s, got \"%.64s\"", name, what, v);
  return -1;
}

/* S3JSON_CORS_ORIGINS parses as http/cors.c will read it. */
static int check_cors(const struct settings *s, char *err, size_t errlen)
{
  struct cors c;
  char why[160];

  if (!cors_parse(&c, s->cors_origins, why, sizeof(why)))
    return 0;
  snprintf(err, errlen,
           "S3JSON_CORS_ORIGINS: expected comma-separated origins "
           "scheme://host[:port]: %s",
           why);
  return -1;
}

/* Is 'url' https://, or http:// to a loopback host? The key set decides
 * who may read: fetched in clear text over a network, anyone on the path
 * could swap it. Tests serve it on 127.0.0.1. */
static int jwks_url_ok(const char *url)
{
  static const char *const loop[] = {"127.0.0.1", "[::1]", "localhost"};
  size_t i, n;

  if (!strncmp(url, "https://", 8))
    return url[8] != '\0';
  if (strncmp(url, "http://", 7))
    return 0;
  url += 7;
  for (i = 0; i < sizeof(loop) / sizeof(loop[0]); i++) {
    n = strlen(loop[i]);
    if (!strncmp(url, loop[i], n) &&
        (url[n] == ':' || url[n] == '/' || url[n] == '\0'))
      return 1;
  }
  return 0;
}

/* The S3JSON_AUTH=jwt settings that only make sense together. */
static int check_auth(struct settings *s, char *err, size_t errlen)
{
  size_t n;

  if (s->auth != SETTINGS_AUTH_JWT)
    return 0;
  if (!s->jwt_issuer) {
    snprintf(err, errlen,
             "S3JSON_JWT_ISSUER: required when S3JSON_AUTH=jwt, expected "
             "the issuer URL of the tokens");
    return -1;
  }
  if (!s->jwt_audience) {
    snprintf(err, errlen,
             "S3JSON_JWT_AUDIENCE: required when S3JSON_AUTH=jwt, expected "
             "the token audience (Cognito: the app client id)");
    return -1;
  }
  if (!s->jwt_jwks_url) {
    n = strlen(s->jwt_issuer);
    while (n && s->jwt_issuer[n - 1] == '/')
      n--;
    if ((size_t)snprintf(s->jwks_url_buf, sizeof(s->jwks_url_buf),
                         "%.*s/.well-known/jwks.json", (int)n,
                         s->jwt_issuer) >= sizeof(s->jwks_url_buf)) {
      snprintf(err, errlen, "S3JSON_JWT_ISSUER: expected at most 1000 bytes");
      return -1;
    }
    s->jwt_jwks_url = s->jwks_url_buf;
    if (!jwks_url_ok(s->jwt_jwks_url)) {
      snprintf(err, errlen,
               "S3JSON_JWT_ISSUER: expected an https:// URL (or http:// on "
               "127.0.0.1/::1/localhost) when S3JSON_JWT_JWKS_URL is unset, "
               "got \"%.64s\"",
               s->jwt_issuer);
      return -1;
    }
  }
  if (!jwks_url_ok(s->jwt_jwks_url)) {
    snprintf(err, errlen,
             "S3JSON_JWT_JWKS_URL: expected an https:// URL (http:// only "
             "for 127.0.0.1, ::1, localhost), got \"%.64s\"",
             s->jwt_jwks_url);
    return -1;
  }
  return 0;
}

/* Cross-field checks that no single variable can make. */
static int check_combined(struct settings *s, char *err, size_t errlen)
{
  if (s->endpoint_url && strncmp(s->endpoint_url, "http://", 7) &&
      strncmp(s->endpoint_url, "https://", 8)) {
    snprintf(err, errlen,
             "AWS_ENDPOINT_URL_S3: expected an http:// or https:// URL, "
             "got \"%.64s\"",
             s->endpoint_url);
    return -1;
  }
  if (s->endpoint_url_dynamodb &&
      strncmp(s->endpoint_url_dynamodb, "http://", 7) &&
      strncmp(s->endpoint_url_dynamodb, "https://", 8)) {
    snprintf(err, errlen,
             "AWS_ENDPOINT_URL_DYNAMODB: expected an http:// or https:// URL, "
             "got \"%.64s\"",
             s->endpoint_url_dynamodb);
    return -1;
  }
  struct in_addr a;
  if (inet_pton(AF_INET, s->bind, &a) != 1) {
    snprintf(err, errlen,
             "S3JSON_BIND: expected an IPv4 address such as 0.0.0.0, "
             "got \"%.64s\"",
             s->bind);
    return -1;
  }
  if (check_cors(s, err, errlen))
    return -1;
  if (s->aws.access_key_id && !s->aws.secret_access_key) {
    snprintf(err, errlen,
             "AWS_SECRET_ACCESS_KEY: required when "
             "AWS_ACCESS_KEY_ID is set");
    return -1;
  }
  if (!s->aws.access_key_id && s->aws.secret_access_key) {
    snprintf(err, errlen,
             "AWS_ACCESS_KEY_ID: required when "
             "AWS_SECRET_ACCESS_KEY is set");
    return -1;
  }
  return check_auth(s, err, errlen);
}

static int load_all(struct settings *s, settings_getenv_fn get, int need_bucket,
                    char *err, size_t errlen)
{
  size_t i;

  memset(s, 0, sizeof(*s));
  if (!get)
    get = (settings_getenv_fn)getenv;
  for (i = 0; i < NOPTS; i++)
    if (load_one(s, &opts[i], get, need_bucket, err, errlen))
      return -1;
  if (s->threads == 0) {
    /* One epoll thread per core, as nginx's worker_processes auto: they
     * never block (S3 calls run on the workers), so more threads only add
     * context switches; on 2 cores 4 threads had a worse p99 than 2
     * (docs/benchmarks.md). At least 2: even with one CPU's worth of CFS
     * quota, two had half the p99 of one (same file, 2026-12-04 14:00). */
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    s->threads = n > 2 ? (unsigned)n : 2;
  }
  return check_combined(s, err, errlen);
}

int settings_load(struct settings *s, settings_getenv_fn get, char *err,
                  size_t errlen)
{
  return load_all(s, get, 1, err, errlen);
}

int settings_load_probe(struct settings *s, settings_getenv_fn get, char *err,
                        size_t errlen)
{
  return load_all(s, get, 0, err, errlen);
}

void settings_print_help(FILE *stream)
{
  size_t i;

  fprintf(stream, "Environment variables (default in brackets):\n");
  for (i = 0; i < NOPTS; i++) {
    const struct opt *o = &opts[i];
    fprintf(stream, "  %s", o->name);
    if (o->alt)
      fprintf(stream, " (or %s)", o->alt);
    if (o->def)
      fprintf(stream, " [%s]", o->def[0] ? o->def : "\"\"");

    else
      fprintf(stream, " [unset]");
    fprintf(stream, "\n      %s\n", o->help);
  }
}

const char *settings_log_level_name(enum log_level level)
{
  switch (level) {
  case LOG_DEBUG:
    return "debug";
  case LOG_INFO:
    return "info";
  case LOG_WARN:
    return "warn";
  case LOG_ERROR:
    return "error";
  }
  return "info";
}
