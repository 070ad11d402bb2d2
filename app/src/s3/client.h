/* client.h -- the S3 calls s3json makes: GetObject, ListObjectsV2
 *
 * Requests are signed with s3/sigv4 using keys from aws/credentials and sent
 * with libcurl. Connections are reused (one CURL handle per thread, kept in
 * thread-local storage, sharing DNS and TLS sessions). Virtual-hosted
 * addressing (bucket.s3.region.amazonaws.com) against AWS; path-style
 * (endpoint/bucket/key) when an endpoint URL is set (moto, MinIO, ...).
 *
 * Retries: 5xx, 429, throttling codes (SlowDown, RequestTimeout, ...),
 * connection errors and bodies cut short are retried up to max_attempts in
 * all with full-jitter exponential backoff (base 50 ms, cap 1 s), never past
 * the request's time budget. Other 4xx are not retried. Each attempt is
 * signed afresh with keys fetched from the provider then.
 *
 * curl_global_init() must have run before s3_client_new (main does it).
 * Connections are not shared across threads (libcurl does not support
 * that); DNS and TLS sessions are.
 */
#ifndef HEADER_S3JSON_CLIENT_H
#define HEADER_S3JSON_CLIENT_H

#include <stddef.h>

struct aws_cred_provider;
#include "xml.h"

/* Outcome of one call, mapped to HTTP in one place (http/routes.c). */
enum s3_code {
  S3_OK = 0,         /* 0: 200, body in the result */
  S3_NOT_MODIFIED,   /* 1: 304 to a conditional request */
  S3_NOT_FOUND,      /* 2: 404 NoSuchKey (NoSuchBucket is
                        S3_BAD_REQUEST: our setup, not the client's) */
  S3_FORBIDDEN,      /* 3: 403 (policy, wrong keys, ...), expired or
                        invalid session token */
  S3_TOO_LARGE,      /* 4: object larger than max_object_bytes */
  S3_UNAVAILABLE,    /* 5: 5xx / throttling / connect failure after
                        retries */
  S3_TIMEOUT,        /* 6: no answer within timeout_ms */
  S3_BAD_RESPONSE,   /* 7: malformed answer (bad XML, truncated body) */
  S3_NO_CREDENTIALS, /* 8: the credential chain gave nothing */
  S3_BAD_REQUEST,    /* 9: other 4xx (our bug, or a bad bucket name) */
  S3_NO_MEMORY       /* 10 */
};

const char *s3_code_name(enum s3_code c); /* "not_found", ... */

/* Reads an error body of another protocol (DynamoDB's JSON) into code
 * and message; pure. */
typedef void (*s3_error_parser)(const char *p, size_t n,
                                struct s3_error_doc *out);

struct s3_client_config {
  const char *service; /* NULL or "s3"; "dynamodb": the same transport for
                          ddb/client (JSON 1.0 over POST, no bucket) */
  s3_error_parser parse_error; /* required for "dynamodb" */
  const char *bucket;          /* S3 only */
  const char *region;
  const char *endpoint_url; /* NULL = AWS (virtual-hosted) */
  const char *ca_bundle;    /* NULL = system store */
  long timeout_ms;          /* whole-call budget, retries included */
  int max_attempts;         /* >= 1 */
  size_t max_object_bytes;
  struct aws_cred_provider *creds; /* not owned */
};

struct s3_client; /* opaque, thread-safe */

/* Returns NULL with 'err' set when the config is unusable (bad endpoint,
 * bucket name, region, limits). Copies the strings it needs. */
struct s3_client *s3_client_new(const struct s3_client_config *cfg, char *err,
                                size_t errlen);
/* Frees the client and every thread's handle. No call may be in flight;
 * accepts NULL. */
void s3_client_free(struct s3_client *c);

/* What happened on the wire, for the access log and metrics. */
struct s3_diag {
  int http_status; /* last S3 status, 0 = none (connect failed) */
  long elapsed_ms; /* all attempts */
  int attempts;
  struct s3_error_doc error; /* S3's error Code/Message, when one came */
  char detail[256];          /* curl error or reason, for logs only */
  char request_id[64];       /* x-amz-request-id of the last answer, "" if none
                                (what AWS support asks for) */
};

struct s3_object {
  char *body; /* malloc'd, NUL-terminated; NULL for 304 */
  size_t len;
  char etag[128];         /* S3's ETag, quotes included, checked against
                             RFC 9110's grammar ("" on a 304 without one) */
  char last_modified[64]; /* S3's Last-Modified re-written by us as an
                             IMF-fixdate ("" when S3 sent none) */
};

/* Conditions forwarded to S3 (NULL = none). A value that is not printable
 * ASCII or is longer than 255 bytes is not forwarded; white space runs are
 * collapsed (SigV4 signs them so). */
struct s3_conditions {
  const char *if_none_match;
  const char *if_modified_since;
};

/* GetObject of 'key' (1..1024 bytes, sent encoded, '/' kept). 'out' is
 * zeroed first; 'body' is set on S3_OK, etag/last_modified on S3_OK and
 * S3_NOT_MODIFIED. An answer whose ETag is not an entity-tag (or a 200
 * without one) or whose Last-Modified is not a date is S3_BAD_RESPONSE,
 * so no unchecked header value of S3's reaches a client. 'diag' may be NULL.
 * Free 'out' with s3_object_free whatever the outcome. */
enum s3_code s3_get_object(struct s3_client *c, const char *key,
                           const struct s3_conditions *cond,
                           struct s3_object *out, struct s3_diag *diag);
void s3_object_free(struct s3_object *o);

/* ListObjectsV2 under 'prefix' ('token' NULL for the first page;
 * 'max_keys' 1..1000, or 0 for S3's default of 1000). 'out' is zeroed
 * first and filled on S3_OK; free it with s3_list_free whatever the
 * outcome. A listing that does not parse is S3_BAD_RESPONSE; a token S3
 * refuses is S3_BAD_REQUEST. */
enum s3_code s3_list_objects(struct s3_client *c, const char *prefix,
                             const char *token, int max_keys,
                             struct s3_list *out, struct s3_diag *diag);

/* A whole answer body (malloc'd, NUL-terminated). */
struct s3_answer {
  char *body;
  size_t len;
};

/*
 * One DynamoDB JSON 1.0 call on a client made with service "dynamodb":
 * POST / with X-Amz-Target 'target' and the JSON 'body', the body's hash
 * signed, retried, timed and mapped like the S3 calls. DynamoDB's denials
 * (HTTP 400 AccessDeniedException, UnrecognizedClientException,
 * InvalidSignatureException; or an emulator's 403) are S3_FORBIDDEN; its
 * throttling codes and 5xx are retried, then S3_UNAVAILABLE;
 * ResourceNotFoundException (no such table) is S3_BAD_REQUEST, our setup.
 * An answer longer than 'answer_cap' is S3_TOO_LARGE when 'is_get', else
 * S3_BAD_RESPONSE. 'out' is set on S3_OK; free its body whatever the
 * outcome. 'diag->error' holds DynamoDB's __type (after '#') and message.
 */
enum s3_code s3_client_json_call(struct s3_client *c, const char *target,
                                 const char *body, size_t body_len,
                                 size_t answer_cap, int is_get,
                                 struct s3_answer *out, struct s3_diag *diag);

#endif /* HEADER_S3JSON_CLIENT_H */
