/* sigv4.h -- AWS Signature Version 4, as S3 wants it (pure, no I/O)
 *
 * Written with OpenSSL because libcurl 7.88's CURLOPT_AWS_SIGV4 signs the
 * query as given (unsorted, not re-encoded) and adds no x-amz-content-sha256.
 * Everything here is a pure function of its inputs: unit-tested against the
 * AWS signing test suite (tests/data/aws-sigv4/), differentially tested
 * against botocore's S3SigV4Auth, and fuzzed.
 *
 * What is signed is what is sent: the client builds its URL from
 * sigv4_uri_encode() and sigv4_canonical_query(), the same functions that
 * build the canonical request.
 */
#ifndef HEADER_S3JSON_SIGV4_H
#define HEADER_S3JSON_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "../util/buf.h"

/* A query parameter or header, decoded (raw bytes, not percent-encoded). */
struct sigv4_pair {
  const char *name;
  const char *value; /* "" (or NULL, for a query parameter) when empty */
};

struct sigv4_request {
  const char *method; /* "GET", "HEAD", ... */
  const char *path;   /* decoded absolute path, e.g. "/bucket/a b.json";
                         must start with '/' */
  int normalize_path; /* 1: remove "." / ".." / "//" segments (most AWS
                         services); 0: use as is (S3) */
  const struct sigv4_pair *query; /* any order; sorted when signing */
  size_t nquery;
  const struct sigv4_pair *headers; /* to sign; must include "host";
                                       at most 64 */
  size_t nheaders;
  const char *payload_hash; /* lowercase hex SHA-256 of the body, or
                               "UNSIGNED-PAYLOAD" */
  int add_content_sha256;   /* 1: sign an x-amz-content-sha256 header with
                               payload_hash (S3 requires it) */
};

struct sigv4_credentials {
  const char *access_key_id;
  const char *secret_access_key;
  const char *session_token; /* NULL or "" when the credentials are not
                                temporary; else signed as
                                x-amz-security-token */
};

#define SIGV4_DATE_LEN sizeof("20150830T123600Z")
#define SIGV4_HEX_LEN 65 /* 64 hex digits + NUL */

struct sigv4_result {
  char amz_date[SIGV4_DATE_LEN]; /* send as X-Amz-Date */
  char signature[SIGV4_HEX_LEN];
  struct buf authorization;     /* send as Authorization (wiped on free) */
  struct buf canonical_request; /* for tests and debug logs; holds the
                                   session token, wiped on reuse and free */
  struct buf string_to_sign;    /* for tests and debug logs */
};

enum sigv4_code {
  SIGV4_OK = 0,    /* 0 */
  SIGV4_BAD_INPUT, /* 1: missing field, header name with bad bytes, no
                      host header, a header the signer adds itself */
  SIGV4_NO_MEMORY, /* 2: allocation failed, or an output buffer would
                      pass its cap */
  SIGV4_CRYPTO     /* 3: OpenSSL failed */
};

/*
 * AWS UriEncode: every byte but A-Z a-z 0-9 - . _ ~ becomes %XX (uppercase
 * hex); '/' is kept when 'keep_slash' is 1 (paths), encoded otherwise (query
 * names and values). Appends to 'out'.
 */
enum sigv4_code sigv4_uri_encode(struct buf *out, const char *s, size_t n,
                                 int keep_slash);

/* The canonical query string ("a=1&b=2": encoded, sorted by encoded name then
 * value). The client sends exactly this string after '?'. */
enum sigv4_code sigv4_canonical_query(struct buf *out,
                                      const struct sigv4_pair *q, size_t n);

/*
 * Signs 'req' at time 'now' for 'region' and 'service' ("s3").
 * Fills 'out' (call sigv4_result_init first; sigv4_result_free after; 'out'
 * may be reused for another signature without freeing in between).
 * Header names are lowercased and values trimmed (runs of white space,
 * folded lines included, become one space); duplicate names are joined with
 * ',' in the order given. 'req->headers' must not hold x-amz-date or
 * authorization, nor the x-amz-content-sha256 / x-amz-security-token
 * headers when the signer adds them: SIGV4_BAD_INPUT.
 * The caller sends the request's headers plus X-Amz-Date, Authorization,
 * x-amz-content-sha256 (when add_content_sha256) and x-amz-security-token
 * (when the credentials have a session token), with exactly these values.
 */
void sigv4_result_init(struct sigv4_result *out);
void sigv4_result_free(struct sigv4_result *out);
enum sigv4_code sigv4_sign(const struct sigv4_request *req,
                           const struct sigv4_credentials *cred,
                           const char *region, const char *service, time_t now,
                           struct sigv4_result *out);

/* Lowercase hex SHA-256 of 'n' bytes at 'p'; 'hex' holds SIGV4_HEX_LEN. */
enum sigv4_code sigv4_sha256_hex(const void *p, size_t n,
                                 char hex[SIGV4_HEX_LEN]);

/* SHA-256 of the empty string: the payload hash of every GET. */
#define SIGV4_EMPTY_SHA256                                                     \
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#endif /* HEADER_S3JSON_SIGV4_H */
