/* credentials.h -- the AWS credential chain, with refresh
 *
 * The only module that holds secrets. Sources, in the AWS SDK order:
 *   1. env      AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   2. profile  AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *               AWS_CONFIG_FILE (~/.aws/config), section AWS_PROFILE
 *   3. ecs      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
 *               AWS_CONTAINER_CREDENTIALS_FULL_URI with
 *               AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]
 *   4. imds     EC2 instance metadata, IMDSv2 (token first)
 * The first source that is configured is used (as the SDKs do). Temporary
 * credentials (ecs, imds) are refreshed ahead of their Expiration, so no
 * request ever signs with expired keys; if a refresh fails, the old keys are
 * used until they really expire.
 */
#ifndef HEADER_S3JSON_CREDENTIALS_H
#define HEADER_S3JSON_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

#include "../settings.h"

#define AWS_KEY_ID_MAX 128
#define AWS_SECRET_MAX 128
#define AWS_TOKEN_MAX 4096

/* A copy of the current keys, taken under the provider's lock, so a refresh
 * on another thread never changes them mid-signature. */
struct aws_credentials {
  char access_key_id[AWS_KEY_ID_MAX];
  char secret_access_key[AWS_SECRET_MAX];
  char session_token[AWS_TOKEN_MAX]; /* "" when not temporary */
  time_t expiration;                 /* 0 = does not expire */
};

enum aws_cred_source {
  AWS_CRED_NONE = 0,
  AWS_CRED_ENV,
  AWS_CRED_PROFILE,
  AWS_CRED_ECS,
  AWS_CRED_IMDS
};

enum aws_cred_code {
  AWS_CRED_OK = 0,        /* 0 */
  AWS_CRED_UNAVAILABLE,   /* 1: no source configured, or fetch failed and no
                             unexpired keys are left */
  AWS_CRED_BAD_CONFIG,    /* 2: a source is configured but malformed */
  AWS_CRED_NO_MEMORY      /* 3 */
};

struct aws_cred_provider; /* opaque, thread-safe */

/*
 * Chooses the source from 'env' (see the order above). Fetches nothing yet
 * unless it is a static source. Returns NULL with a one-line reason in 'err'
 * when the configuration is malformed (e.g. a profile file that does not
 * parse, a FULL_URI that is not loopback or https).
 * 'timeout_ms' bounds each HTTP call to the ECS endpoint or IMDS.
 */
struct aws_cred_provider *aws_cred_provider_new(const struct aws_env *env,
                                                long timeout_ms, char *err,
                                                size_t errlen);
void aws_cred_provider_free(struct aws_cred_provider *p);

/*
 * Copies the current credentials into 'out', fetching or refreshing first
 * when needed (refresh starts 5 minutes before Expiration; one thread
 * refreshes while the others keep using the current keys). Thread-safe.
 * On failure 'err' says why, without secrets.
 */
enum aws_cred_code aws_cred_get(struct aws_cred_provider *p,
                                struct aws_credentials *out, char *err,
                                size_t errlen);

enum aws_cred_source aws_cred_source(const struct aws_cred_provider *p);
const char *aws_cred_source_name(enum aws_cred_source s); /* "env", ... */

/* Number of successful fetches after the first (for /metrics). */
unsigned long aws_cred_refresh_count(const struct aws_cred_provider *p);

/*
 * Pure parsers, exposed for unit tests and fuzzing.
 *
 * aws_cred_parse_json: the JSON that the ECS endpoint and IMDS return
 *   ({"AccessKeyId","SecretAccessKey","Token","Expiration"}).
 * aws_cred_parse_profile: an INI file ('text', 'len' bytes); reads the
 *   section for 'profile' ("[name]" in credentials files, "[profile name]" or
 *   "[default]" in config files when 'is_config' is 1).
 * Both return AWS_CRED_OK and fill 'out', or an error with 'err' set.
 */
enum aws_cred_code aws_cred_parse_json(const char *text, size_t len,
                                       struct aws_credentials *out, char *err,
                                       size_t errlen);
enum aws_cred_code aws_cred_parse_profile(const char *text, size_t len,
                                          const char *profile, int is_config,
                                          struct aws_credentials *out,
                                          char *err, size_t errlen);

/* Parses an ISO 8601 UTC time ("2026-11-24T20:19:47Z"); -1 when malformed. */
time_t aws_parse_iso8601(const char *s);

#endif /* HEADER_S3JSON_CREDENTIALS_H */
