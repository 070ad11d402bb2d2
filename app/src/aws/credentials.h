/* credentials.h -- the AWS credential chain, with refresh
 *
 * The only module that holds secrets. Sources, in the AWS SDK order:
 *   1. env      AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *   2. profile  AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
 *               AWS_CONFIG_FILE (~/.aws/config), section AWS_PROFILE
 *   3. ecs      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on 169.254.170.2) or
 *               AWS_CONTAINER_CREDENTIALS_FULL_URI (https, or http on a
 *               loopback/ECS/EKS address; https uses the system CA store),
 *               with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (re-read at each
 *               fetch) or else AWS_CONTAINER_AUTHORIZATION_TOKEN
 *   4. imds     EC2 instance metadata, IMDSv2 (token first)
 * The first source that is configured is used (as the SDKs do). Temporary
 * credentials (ecs, imds) are refreshed ahead of their Expiration, so no
 * request ever signs with expired keys; if a refresh fails, the old keys are
 * used until they really expire.
 *
 * Refresh policy (see aws_cred_refresh_time, aws_cred_retry_delay):
 *   - keys living L seconds from the fetch are refreshed AWS_CRED_REFRESH_LEAD
 *     (5 min) before Expiration, or at 80% of L when L < 25 min (so short-
 *     lived keys are not refreshed the moment they arrive);
 *   - after a failed fetch, none is tried for 1, 2, 4 ... up to
 *     AWS_CRED_RETRY_MAX seconds (never past the current keys' Expiration),
 *     whatever the request rate; meanwhile the current keys are served, and
 *     once they expire aws_cred_get says AWS_CRED_UNAVAILABLE;
 *   - keys that arrive already expired count as a failed fetch.
 * Secrets never appear in 'err', in logs, or in freed memory of this module
 * (OPENSSL_cleanse); the internal buffers of jansson (parser) and libcurl
 * (request headers) are the exceptions.
 */
#ifndef HEADER_S3JSON_CREDENTIALS_H
#define HEADER_S3JSON_CREDENTIALS_H

#include <stddef.h>
#include <time.h>

struct aws_env; /* settings.h */

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
  AWS_CRED_OK = 0,      /* 0 */
  AWS_CRED_UNAVAILABLE, /* 1: no source configured, or fetch failed (or
                           the answer was unusable) and no unexpired keys
                           are left */
  AWS_CRED_BAD_CONFIG,  /* 2: a source is configured but malformed */
  AWS_CRED_NO_MEMORY,   /* 3 */
  AWS_CRED_TIMEOUT      /* 4: aws_cred_get_within's budget ran out before
                           usable keys were there */
};

struct aws_cred_provider; /* opaque, thread-safe */

/*
 * Chooses the source from 'env' (see the order above). Fetches nothing yet
 * unless it is a static source. Returns NULL with a one-line reason in 'err'
 * when the configuration is malformed (e.g. a profile file that does not
 * parse, a FULL_URI that is not loopback or https, AWS_PROFILE naming a
 * profile that is missing or has no static keys, a profile that uses
 * role_arn/sso/credential_process, which s3json does not support).
 * The default profile, when absent or keyless, just falls through to ecs.
 * With no source at all (IMDS disabled) it returns a provider whose source
 * is AWS_CRED_NONE and whose aws_cred_get says AWS_CRED_UNAVAILABLE.
 * 'timeout_ms' bounds each fetch from the ECS endpoint or IMDS (<= 0:
 * 1000); each IMDS call gets at most 1 s of it.
 */
struct aws_cred_provider *aws_cred_provider_new(const struct aws_env *env,
                                                long timeout_ms, char *err,
                                                size_t errlen);
void aws_cred_provider_free(struct aws_cred_provider *p);

/*
 * Copies the current credentials into 'out', fetching or refreshing first
 * when needed (see the refresh policy above; one thread refreshes while the
 * others keep using the current keys, and threads that have no usable keys
 * wait for that one fetch rather than starting their own). Thread-safe.
 * On failure 'err' says why, without secrets; 'out' is left unchanged.
 */
enum aws_cred_code aws_cred_get(struct aws_cred_provider *p,
                                struct aws_credentials *out, char *err,
                                size_t errlen);

/*
 * aws_cred_get within a time budget of 'budget_ms' from now: a fetch this
 * call makes gets at most what is left of it, and waiting for another
 * thread's fetch stops when it is spent. A caller whose own time is
 * bounded (an S3 call, S3JSON_S3_TIMEOUT_MS) passes what is left, so
 * credential work is counted in its budget. When the budget runs out
 * with no usable keys: AWS_CRED_TIMEOUT ('budget_ms' <= 0 too). A refresh
 * of keys that are still valid gets at most half the budget, so a slow
 * endpoint leaves the caller time to use the current keys (which it then
 * gets).
 */
enum aws_cred_code aws_cred_get_within(struct aws_cred_provider *p,
                                       struct aws_credentials *out,
                                       long budget_ms, char *err,
                                       size_t errlen);

/* Zeroes a copy of the keys once it has been used (OPENSSL_cleanse, which
 * the compiler cannot drop), so no secret lingers on a stack or heap.
 * Accepts NULL. */
void aws_cred_wipe(struct aws_credentials *c);

enum aws_cred_source aws_cred_source(const struct aws_cred_provider *p);
const char *aws_cred_source_name(enum aws_cred_source s); /* "env", ... */

/* Number of successful fetches after the first (for /metrics); 0 for the
 * static sources. Lock-free. */
unsigned long aws_cred_refresh_count(const struct aws_cred_provider *p);
/* Number of failed fetches, in all (for /metrics and alerts). Lock-free. */
unsigned long aws_cred_failure_count(const struct aws_cred_provider *p);

/*
 * Pure parsers, exposed for unit tests and fuzzing.
 *
 * aws_cred_parse_json: the JSON that the ECS endpoint and IMDS return
 *   ({"AccessKeyId","SecretAccessKey","Token","Expiration"}; Token and
 *   Expiration may be absent or null; IMDS's "Code" must be "Success").
 *   A malformed answer is AWS_CRED_UNAVAILABLE (the fetch failed).
 * aws_cred_parse_profile: an INI file ('text', 'len' bytes); reads the
 *   section for 'profile' ("[name]" in credentials files, "[profile name]" or
 *   "[default]" in config files when 'is_config' is 1). The dialect is
 *   described in profile.c. A file that does not parse, a half pair of keys
 *   or role_arn/sso/credential_process is AWS_CRED_BAD_CONFIG; a missing
 *   section or one without keys is AWS_CRED_UNAVAILABLE.
 * Both return AWS_CRED_OK and fill 'out', or an error with 'err' set (never
 *   quoting the input) and 'out' unchanged.
 */
enum aws_cred_code aws_cred_parse_json(const char *text, size_t len,
                                       struct aws_credentials *out, char *err,
                                       size_t errlen);
enum aws_cred_code aws_cred_parse_profile(const char *text, size_t len,
                                          const char *profile, int is_config,
                                          struct aws_credentials *out,
                                          char *err, size_t errlen);

/* Parses an ISO 8601 time ("2026-11-24T20:19:47Z"; fractional seconds and
 * "+hh:mm" offsets are accepted); -1 when malformed or before 1970. */
time_t aws_parse_iso8601(const char *s);

/* Refresh policy, exposed for unit tests. */
#define AWS_CRED_REFRESH_LEAD 300 /* seconds before Expiration */
#define AWS_CRED_RETRY_MAX 30     /* seconds, longest back-off */

/* When keys fetched at 'now' that expire at 'expiration' (0 = never) should
 * be fetched again; 0 = never. */
time_t aws_cred_refresh_time(time_t now, time_t expiration);
/* Seconds to wait before the next fetch after 'failures' (>= 1) in a row. */
unsigned aws_cred_retry_delay(unsigned failures);

/*
 * Test hooks. Set them right after aws_cred_provider_new, before the
 * provider is shared. The clock replaces the wall clock and returns
 * milliseconds since the epoch (so back-off steps are exact); the fetch
 * replaces the HTTP fetch of the ecs and imds sources (it must fill 'out'
 * only on AWS_CRED_OK, may block, as it runs without the provider's lock,
 * and should end within 'timeout_ms', what the caller's budget leaves).
 */
typedef long long (*aws_cred_clock_fn)(void *ctx); /* ms */
typedef enum aws_cred_code (*aws_cred_fetch_fn)(void *ctx, long timeout_ms,
                                                struct aws_credentials *out,
                                                char *err, size_t errlen);
void aws_cred_provider_set_clock(struct aws_cred_provider *p,
                                 aws_cred_clock_fn fn, void *ctx);
void aws_cred_provider_set_fetch(struct aws_cred_provider *p,
                                 aws_cred_fetch_fn fn, void *ctx);

#endif /* HEADER_S3JSON_CREDENTIALS_H */
