/* settings.h -- the environment, read once and validated at start-up
 *
 * settings_load() is the only place in s3json that reads the environment.
 * Every other module gets what it needs from struct settings, so a bad value
 * stops start-up with one line that names the variable, before any socket is
 * opened. The table in settings.c is also what `s3json --help` prints.
 */
#ifndef HEADER_S3JSON_SETTINGS_H
#define HEADER_S3JSON_SETTINGS_H

#include <stddef.h>
#include <stdio.h>

#include "log.h" /* enum log_level */

enum settings_auth {
  SETTINGS_AUTH_NONE = 0, /* anyone who reaches the port reads */
  SETTINGS_AUTH_JWT       /* a bearer JWT with a granting scope */
};

/* The AWS SDK variables, as given (NULL = unset). Only aws/credentials.c
 * interprets them; they may hold secrets and are never logged. */
struct aws_env {
  const char *access_key_id;           /* AWS_ACCESS_KEY_ID */
  const char *secret_access_key;       /* AWS_SECRET_ACCESS_KEY */
  const char *session_token;           /* AWS_SESSION_TOKEN */
  const char *profile;                 /* AWS_PROFILE (default "default") */
  const char *shared_credentials_file; /* AWS_SHARED_CREDENTIALS_FILE */
  const char *config_file;             /* AWS_CONFIG_FILE */
  const char *home;                    /* HOME, for ~/.aws/... */
  const char
      *container_relative_uri;      /* AWS_CONTAINER_CREDENTIALS_RELATIVE_URI */
  const char *container_full_uri;   /* AWS_CONTAINER_CREDENTIALS_FULL_URI */
  const char *container_auth_token; /* AWS_CONTAINER_AUTHORIZATION_TOKEN */
  const char *container_auth_token_file; /* ..._AUTHORIZATION_TOKEN_FILE */
  const char *container_host; /* S3JSON_ECS_CREDENTIALS_HOST: test-only
                                 override of 169.254.170.2 (host[:port])
                                 for the RELATIVE_URI */
  const char *imds_endpoint;  /* AWS_EC2_METADATA_SERVICE_ENDPOINT */
  int imds_disabled;          /* AWS_EC2_METADATA_DISABLED=true */
};

enum settings_store { SETTINGS_STORE_S3 = 0, SETTINGS_STORE_DYNAMODB };

struct settings {
  enum settings_store store;         /* S3JSON_STORE, s3 */
  const char *table;                 /* S3JSON_TABLE, required with dynamodb */
  const char *endpoint_url_dynamodb; /* AWS_ENDPOINT_URL_DYNAMODB /
                                        AWS_ENDPOINT_URL, NULL = AWS */
  /* S3 */
  const char *bucket;       /* S3JSON_BUCKET, required with s3 */
  const char *prefix;       /* S3JSON_PREFIX, "" */
  const char *region;       /* AWS_REGION / AWS_DEFAULT_REGION, us-east-1 */
  const char *endpoint_url; /* AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, NULL
                               = AWS, virtual-hosted; else path-style */
  const char *ca_bundle;    /* AWS_CA_BUNDLE, NULL = system store */
  long s3_timeout_ms;       /* S3JSON_S3_TIMEOUT_MS, 2000 */
  int s3_max_attempts;      /* S3JSON_S3_MAX_ATTEMPTS, 3 (AWS_MAX_ATTEMPTS) */
  size_t max_object_bytes;  /* S3JSON_MAX_OBJECT_BYTES, 1 MiB */

  /* HTTP */
  const char *bind;         /* S3JSON_BIND, 0.0.0.0 */
  unsigned port;            /* S3JSON_PORT, 8080 */
  unsigned s3_workers;      /* S3JSON_S3_WORKERS, 16 */
  unsigned threads;         /* S3JSON_THREADS, 0 = online CPUs */
  unsigned http_yield_us;   /* S3JSON_HTTP_YIELD_US, 300; 0 = never */
  unsigned max_connections; /* S3JSON_MAX_CONNECTIONS, 1024 */
  unsigned trusted_proxies; /* S3JSON_TRUSTED_PROXIES, 1: X-Forwarded-For
                               entries appended by our own proxies */
  unsigned conn_timeout_s;  /* S3JSON_CONNECTION_TIMEOUT_SECONDS, 30 */
  unsigned drain_seconds;   /* S3JSON_DRAIN_SECONDS, 10 */
  unsigned ready_probe_s;   /* S3JSON_READY_PROBE_SECONDS, 10 */

  /* Cache (issue 5) */
  unsigned cache_ttl_s;      /* S3JSON_CACHE_TTL_SECONDS, 5; 0 = off */
  size_t cache_max_bytes;    /* S3JSON_CACHE_MAX_BYTES, 64 MiB */
  unsigned stale_if_error_s; /* S3JSON_STALE_IF_ERROR_SECONDS, 300 */
  unsigned client_max_age_s; /* S3JSON_CLIENT_MAX_AGE, 0 */

  /* CORS (issue 15): exact origins, comma-separated; NULL = off. Parsed
   * by http/cors.c, which settings_load() also uses to validate it. */
  const char *cors_origins; /* S3JSON_CORS_ORIGINS, unset */

  enum log_level log_level; /* S3JSON_LOG_LEVEL, info */

  /* Access control (issue 15; auth/auth.h) */
  enum settings_auth auth;      /* S3JSON_AUTH, none */
  const char *jwt_issuer;       /* S3JSON_JWT_ISSUER, required with jwt */
  const char *jwt_audience;     /* S3JSON_JWT_AUDIENCE, required with jwt */
  const char *jwt_jwks_url;     /* S3JSON_JWT_JWKS_URL, issuer +
                                   /.well-known/jwks.json */
  const char *jwt_scope_prefix; /* S3JSON_JWT_SCOPE_PREFIX, s3json/read: */
  unsigned jwt_leeway_s;        /* S3JSON_JWT_LEEWAY_SECONDS, 60 */
  unsigned jwt_refresh_s;       /* S3JSON_JWT_JWKS_REFRESH_SECONDS, 60 */
  int auth_internal_token;      /* S3JSON_AUTH_INTERNAL=token: /readyz and
                                   /metrics need a valid token too */
  char jwks_url_buf[1024];      /* the derived default of jwt_jwks_url */

  struct aws_env aws;
};

/* A lookup function with getenv's contract; tests pass their own. */
typedef const char *(*settings_getenv_fn)(const char *name);

/*
 * Fills 's' from the environment through 'get' (getenv when NULL).
 * Returns 0, or -1 with one line in 'err' (at most 'errlen' bytes) naming the
 * variable and what is expected, e.g.
 *   S3JSON_PORT: expected an integer from 1 to 65535, got "80a"
 * Strings in 's' point into the environment; they live as long as it does.
 */
int settings_load(struct settings *s, settings_getenv_fn get, char *err,
                  size_t errlen);

/* The same, but S3JSON_BUCKET (S3JSON_TABLE) is not required: for `s3json
 * healthcheck`, which only needs the port. */
int settings_load_probe(struct settings *s, settings_getenv_fn get, char *err,
                        size_t errlen);

/* Writes the --help table: every variable, its default and meaning. */
void settings_print_help(FILE *stream);

const char *settings_log_level_name(enum log_level level);

#endif /* HEADER_S3JSON_SETTINGS_H */
