/* store.h -- where documents live: S3 or DynamoDB, behind one interface
 *
 * Routes, the cache, health and main see only this. Each back end answers
 * with the S3 client's enum s3_code and struct s3_diag, so errors map to
 * HTTP in one place (http/routes.c) whatever the store.
 *
 *   S3        key = S3JSON_PREFIX + name + ".json"; ListObjectsV2 (ordered by
 *             key); readiness = a one-key listing.
 *   DynamoDB  key = S3JSON_PREFIX + name (item attribute `name`); Scan
 *             (unordered); readiness = DescribeTable.
 */
#ifndef HEADER_S3JSON_STORE_H
#define HEADER_S3JSON_STORE_H

#include "../ddb/client.h"
#include "../s3/client.h"

struct store {
  const char *name;   /* "s3" or "dynamodb", for logs */
  const char *suffix; /* after the name in a key: ".json" or "" */
  /* s3_get_object's contract: the cache's cache_fetch_fn with 'impl' */
  enum s3_code (*get)(void *impl, const char *key,
                      const struct s3_conditions *cond, struct s3_object *out,
                      struct s3_diag *diag);
  /* One page of keys under 'prefix'; 'cursor' is a previous page's
   * next_token (NULL first); 'limit' 1..1000. A cursor the store refuses is
   * S3_BAD_REQUEST. Free 'out' with s3_list_free whatever the outcome. */
  enum s3_code (*list)(void *impl, const char *prefix, const char *cursor,
                       int limit, struct s3_list *out, struct s3_diag *diag);
  /* The cheapest call that proves the store answers us (readiness). */
  enum s3_code (*probe)(void *impl, const char *prefix, struct s3_diag *diag);
  void *impl;                /* the client */
  void (*close)(void *impl); /* frees 'impl'; NULL when not owned */
};

struct aws_cred_provider;
struct settings;

/* Fill 'st' for a client the caller keeps (and frees after the store's
 * last use). */
void store_s3(struct store *st, struct s3_client *c);
void store_ddb(struct store *st, struct ddb_client *c);

/* Opens the store the settings name (S3JSON_STORE) with its own client.
 * Returns 0, or -1 with one line in 'err'. Close with store_close. */
int store_open(struct store *st, const struct settings *s,
               struct aws_cred_provider *creds, char *err, size_t errlen);
void store_close(struct store *st); /* accepts a zeroed store */

#endif /* HEADER_S3JSON_STORE_H */
