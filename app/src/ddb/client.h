/* client.h -- the DynamoDB calls s3json makes: GetItem, Scan, DescribeTable
 *
 * DynamoDB's JSON 1.0 protocol (POST /, X-Amz-Target
 * DynamoDB_20120810.<Op>) on the S3 client's transport (s3/client.h:
 * libcurl handles per thread, SigV4 for service "dynamodb" with the body's
 * hash signed, the same retries, full jitter, whole-call time budget,
 * credential chain and enum s3_code), so routes map both stores' errors in
 * one place.
 *
 * Items: partition key `name` (S) = S3JSON_PREFIX + document name, `body`
 * (S) = the document's exact JSON text, optional `sha256` (S) = lowercase
 * hex SHA-256 of `body`. The ETag we serve is "<sha256 of body>", computed
 * from the body on every full read (a stored sha256 that disagrees is
 * logged as a warning and not used). No Last-Modified: DynamoDB keeps none.
 *
 * Reads are eventually consistent (ConsistentRead false): half the read
 * units of a strongly consistent read, and the cache TTL already bounds how
 * stale a document may be. DynamoDB charges a read on the whole item's
 * size, projection or not: revalidating through `sha256` saves the
 * transfer and our hashing, not read units.
 */
#ifndef HEADER_S3JSON_DDB_CLIENT_H
#define HEADER_S3JSON_DDB_CLIENT_H

#include <stddef.h>

#include "../s3/client.h"

struct aws_cred_provider;

struct ddb_client_config {
  const char *table; /* 3-255 of [A-Za-z0-9_.-] */
  const char *region;
  const char *endpoint_url; /* NULL = https://dynamodb.<region>.amazonaws.com */
  const char *ca_bundle;    /* NULL = system store */
  long timeout_ms;          /* whole-call budget, retries included */
  int max_attempts;         /* 1..10 */
  size_t max_object_bytes;  /* a longer `body` is S3_TOO_LARGE */
  struct aws_cred_provider *creds; /* not owned */
};

struct ddb_client; /* opaque, thread-safe */

/* Returns NULL with 'err' set when the config is unusable. */
struct ddb_client *ddb_client_new(const struct ddb_client_config *cfg,
                                  char *err, size_t errlen);
void ddb_client_free(struct ddb_client *c); /* accepts NULL */

/*
 * The item named 'key', with s3_get_object's contract (the cache's
 * cache_fetch_fn): S3_OK with `body` and our ETag; S3_NOT_FOUND without an
 * item; S3_NOT_MODIFIED when 'cond->if_none_match' is our ETag of the
 * current body. With such a condition only `sha256` is read first; an item
 * without it (or with another) is read whole and compared. An item without
 * a string `body` is S3_BAD_RESPONSE; a body above max_object_bytes
 * S3_TOO_LARGE. Free 'out' with s3_object_free whatever the outcome.
 */
enum s3_code ddb_get_item(struct ddb_client *c, const char *key,
                          const struct s3_conditions *cond,
                          struct s3_object *out, struct s3_diag *diag);

/* One Scan page of names starting with 'prefix' ("" = all): 'start' is the
 * previous page's next_token (NULL first), 'limit' 1..1000 items evaluated
 * (DynamoDB applies it before the filter, so a page may hold fewer names,
 * even none, and still have a next page). Scan order: unordered. A start
 * key that is not valid UTF-8 or too long is S3_BAD_REQUEST. */
enum s3_code ddb_scan(struct ddb_client *c, const char *prefix,
                      const char *start, int limit, struct s3_list *out,
                      struct s3_diag *diag);

/* DescribeTable: the readiness probe (no read units). */
enum s3_code ddb_describe_table(struct ddb_client *c, struct s3_diag *diag);

/* Pure helper for tests: the 64 hex digits of an ETag we made ("<hex>"),
 * lowercased into 'hex'; 0, or -1 when 'etag' is not one. */
int ddb_etag_hex(const char *etag, char hex[65]);

#endif /* HEADER_S3JSON_DDB_CLIENT_H */
