/* aws_internal.h -- shared by the app/src/aws modules only; not an API
 *
 * credentials.c  the chain, the provider, refresh and its test hooks
 * parse.c        JSON answers of ECS/IMDS, ISO 8601, field checks
 * profile.c      the shared credentials/config files (INI)
 * fetch.c        HTTP to the ECS endpoint and IMDSv2 (libcurl)
 */
#ifndef HEADER_S3JSON_AWS_INTERNAL_H
#define HEADER_S3JSON_AWS_INTERNAL_H

#include <stddef.h>

#include "credentials.h"

/* Largest answer accepted from the ECS endpoint or IMDS: a session token is
 * at most AWS_TOKEN_MAX, the rest is small. */
#define AWS_HTTP_BODY_MAX (64 * 1024)
/* Largest shared credentials/config file read; real ones are a few KiB. */
#define AWS_PROFILE_FILE_MAX (1024 * 1024)
/* Largest AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) accepted. */
#define AWS_AUTH_TOKEN_MAX 8192

/*
 * Copies 'n' bytes of 'src' into 'dst' ('cap' bytes, NUL-terminated) after
 * checking they are printable ASCII with no space (what AWS key ids, secrets
 * and tokens are). 'what' names the field in 'err'; the value never appears
 * there. Returns AWS_CRED_OK or AWS_CRED_BAD_CONFIG.
 */
enum aws_cred_code aws_cred_copy_field(char *dst, size_t cap, const char *src,
                                       size_t n, const char *what, char *err,
                                       size_t errlen);

/*
 * Reads all of 'path', a regular file of at most 'max' bytes, into one
 * malloc'd NUL-terminated block ('*out', '*len' bytes). open/read rather
 * than stdio, and one allocation rather than a growing one, so that no
 * copy of the secret it holds is left in a buffer nobody wipes. Returns 0
 * or an errno value: ENOENT, EFBIG (larger than 'max'), EINVAL (not a
 * regular file), ENOMEM, or what open/read said. Free with aws_free_file.
 */
int aws_read_file(const char *path, size_t max, char **out, size_t *len);
void aws_free_file(char *data, size_t len); /* wipes; accepts NULL */

/* Result of looking a profile up in the shared files. */
enum aws_profile_state {
  AWS_PROFILE_ABSENT = 0,  /* no such section in either file */
  AWS_PROFILE_NO_KEYS,     /* section exists, no static keys in it */
  AWS_PROFILE_UNSUPPORTED, /* section asks for role_arn, sso, process... */
  AWS_PROFILE_KEYS         /* keys found, 'out' filled */
};

/*
 * Resolves the profile of 'env' from both shared files, keys of the
 * credentials file winning over those of the config file (as botocore
 * merges them). Sets '*state'. Returns AWS_CRED_BAD_CONFIG for a file that
 * exists but cannot be read or parsed, or a half pair of keys.
 */
enum aws_cred_code aws_profile_resolve(const struct aws_env *env,
                                       struct aws_credentials *out,
                                       enum aws_profile_state *state, char *err,
                                       size_t errlen);

/* One HTTP exchange with a credentials endpoint. */
struct aws_http_req {
  const char *method; /* "GET" or "PUT" */
  const char *url;
  const char *headers[3];  /* "Name: value", NULL-terminated; may hold a
                              secret, wiped from our copies after use */
  long timeout_ms;         /* whole exchange */
  long connect_timeout_ms; /* 0 = timeout_ms */
};

/*
 * Performs 'req' and stores the body in 'body' ('cap' bytes; '*len' bytes
 * used, then a NUL). A fixed buffer rather than a growing one because the
 * body is secret: realloc would leave copies behind that nobody wipes.
 * Returns AWS_CRED_OK on HTTP 200; otherwise AWS_CRED_UNAVAILABLE with
 * 'err' naming the status or the transfer error (a body of 'cap' bytes or
 * more is an error). No proxy, no redirects, http and https only.
 */
enum aws_cred_code aws_http_fetch(const struct aws_http_req *req, char *body,
                                  size_t cap, size_t *len, char *err,
                                  size_t errlen);

/* Where the ECS endpoint is and how to authenticate to it. */
struct aws_ecs_cfg {
  char *url;        /* full URL */
  char *token;      /* AWS_CONTAINER_AUTHORIZATION_TOKEN, NULL = none */
  char *token_file; /* read at each fetch, NULL = none; wins over token */
};

/* Fetches credentials from the ECS (or EKS Pod Identity) endpoint, within
 * 'timeout_ms'. */
enum aws_cred_code aws_ecs_fetch(const struct aws_ecs_cfg *cfg, long timeout_ms,
                                 struct aws_credentials *out, char *err,
                                 size_t errlen);

/* Fetches the instance role's credentials with IMDSv2 from 'base'
 * ("http://169.254.169.254", no trailing slash). The whole fetch ends
 * within 'timeout_ms' (<= 0 or above 3 s: 3 s), and each of its three
 * calls (token, role, credentials) gets at most 1 s of it, as in the SDKs:
 * off EC2 the address is often a black hole. No IMDSv1 fallback. */
enum aws_cred_code aws_imds_fetch(const char *base, long timeout_ms,
                                  struct aws_credentials *out, char *err,
                                  size_t errlen);

/* A one-line reason into 'err' ('errlen' bytes; NULL is fine). */
void aws_set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* HEADER_S3JSON_AWS_INTERNAL_H */
