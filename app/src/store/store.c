/* store.c -- where documents live: S3 or DynamoDB, behind one interface */
#include <string.h>

#include "../settings.h"
#include "store.h"

static enum s3_code s3_get(void *impl, const char *key,
                           const struct s3_conditions *cond,
                           struct s3_object *out, struct s3_diag *diag)
{
  return s3_get_object(impl, key, cond, out, diag);
}

static enum s3_code s3_list(void *impl, const char *prefix, const char *cursor,
                            int limit, struct s3_list *out,
                            struct s3_diag *diag)
{
  return s3_list_objects(impl, prefix, cursor, limit, out, diag);
}

/* A one-key listing: what the task role may do anyway (s3:ListBucket). */
static enum s3_code s3_probe(void *impl, const char *prefix,
                             struct s3_diag *diag)
{
  struct s3_list list;
  enum s3_code rc = s3_list_objects(impl, prefix, NULL, 1, &list, diag);

  s3_list_free(&list);
  return rc;
}

void store_s3(struct store *st, struct s3_client *c)
{
  memset(st, 0, sizeof(*st));
  st->name = "s3";
  st->suffix = ".json";
  st->get = s3_get;
  st->list = s3_list;
  st->probe = s3_probe;
  st->impl = c;
}

static enum s3_code ddb_get(void *impl, const char *key,
                            const struct s3_conditions *cond,
                            struct s3_object *out, struct s3_diag *diag)
{
  return ddb_get_item(impl, key, cond, out, diag);
}

static enum s3_code ddb_list(void *impl, const char *prefix, const char *cursor,
                             int limit, struct s3_list *out,
                             struct s3_diag *diag)
{
  return ddb_scan(impl, prefix, cursor, limit, out, diag);
}

/* DescribeTable: no read units, and the task role is granted it. */
static enum s3_code ddb_probe(void *impl, const char *prefix,
                              struct s3_diag *diag)
{
  return ddb_describe_table(impl, diag);
}

void store_ddb(struct store *st, struct ddb_client *c)
{
  memset(st, 0, sizeof(*st));
  st->name = "dynamodb";
  st->suffix = "";
  st->get = ddb_get;
  st->list = ddb_list;
  st->probe = ddb_probe;
  st->impl = c;
}

static void close_s3(void *impl)
{
  s3_client_free(impl);
}

static void close_ddb(void *impl)
{
  ddb_client_free(impl);
}

static int open_s3(struct store *st, const struct settings *s,
                   struct aws_cred_provider *creds, char *err, size_t errlen)
{
  struct s3_client_config cc;
  struct s3_client *c;

  memset(&cc, 0, sizeof(cc));
  cc.bucket = s->bucket;
  cc.region = s->region;
  cc.endpoint_url = s->endpoint_url;
  cc.ca_bundle = s->ca_bundle;
  cc.timeout_ms = s->s3_timeout_ms;
  cc.max_attempts = s->s3_max_attempts;
  cc.max_object_bytes = s->max_object_bytes;
  cc.creds = creds;
  c = s3_client_new(&cc, err, errlen);
  if (!c)
    return -1;
  store_s3(st, c);
  st->close = close_s3;
  return 0;
}

static int open_ddb(struct store *st, const struct settings *s,
                    struct aws_cred_provider *creds, char *err, size_t errlen)
{
  struct ddb_client_config dc;
  struct ddb_client *c;

  memset(&dc, 0, sizeof(dc));
  dc.table = s->table;
  dc.region = s->region;
  dc.endpoint_url = s->endpoint_url_dynamodb;
  dc.ca_bundle = s->ca_bundle;
  dc.timeout_ms = s->s3_timeout_ms;
  dc.max_attempts = s->s3_max_attempts;
  dc.max_object_bytes = s->max_object_bytes;
  dc.creds = creds;
  c = ddb_client_new(&dc, err, errlen);
  if (!c)
    return -1;
  store_ddb(st, c);
  st->close = close_ddb;
  return 0;
}

int store_open(struct store *st, const struct settings *s,
               struct aws_cred_provider *creds, char *err, size_t errlen)
{
  memset(st, 0, sizeof(*st));
  if (s->store == SETTINGS_STORE_DYNAMODB)
    return open_ddb(st, s, creds, err, errlen);
  return open_s3(st, s, creds, err, errlen);
}

void store_close(struct store *st)
{
  if (st && st->close)
    st->close(st->impl);
  if (st)
    memset(st, 0, sizeof(*st));
}
