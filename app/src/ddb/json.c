/* json.c -- DynamoDB's JSON 1.0 documents s3json writes and reads */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../util/str.h"
#include "json.h"

#define DDB_NAME_ATTR "name"
#define DDB_BODY_ATTR "body"
#define DDB_SHA_ATTR "sha256"

int ddb_table_name_ok(const char *t)
{
  size_t n = t ? strlen(t) : 0;

  if (n < DDB_TABLE_MIN || n > DDB_TABLE_MAX)
    return 0;
  for (; *t; t++)
    if (!isalnum((unsigned char)*t) && *t != '_' && *t != '.' && *t != '-')
      return 0;
  return 1;
}

/*************************************************************************
 * Requests
 *************************************************************************/

/* Serializes 'doc' (stolen; NULL when building it failed). */
static char *dump(json_t *doc)
{
  char *s = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

  json_decref(doc);
  return s;
}

/* {"S": s}, or NULL when 's' is not valid UTF-8. */
static json_t *attr_s(const char *s)
{
  json_t *v = json_string(s);

  return v ? json_pack("{s:o}", "S", v) : NULL;
}

char *ddb_json_get_item_request(const char *table, const char *key,
                                int sha_only)
{
  json_t *k = key ? attr_s(key) : NULL;

  if (!table || !k)
    return NULL;
  /* Attribute names go through ExpressionAttributeNames: "name" is a
   * DynamoDB reserved word, and this keeps every name the same way. */
  if (sha_only)
    return dump(json_pack("{s:s,s:{s:o},s:b,s:s,s:{s:s}}", "TableName", table,
                          "Key", DDB_NAME_ATTR, k, "ConsistentRead", 0,
                          "ProjectionExpression", "#s",
                          "ExpressionAttributeNames", "#s", DDB_SHA_ATTR));
  return dump(json_pack(
      "{s:s,s:{s:o},s:b,s:s,s:{s:s,s:s}}", "TableName", table, "Key",
      DDB_NAME_ATTR, k, "ConsistentRead", 0, "ProjectionExpression", "#b,#s",
      "ExpressionAttributeNames", "#b", DDB_BODY_ATTR, "#s", DDB_SHA_ATTR));
}

char *ddb_json_scan_request(const char *table, const char *prefix,
                            const char *start, int limit)
{
  json_t *req, *names;
  int bad = 0;

  if (!table || limit < 1 || limit > S3_LIST_MAX_KEYS)
    return NULL;
  names = json_pack("{s:s}", "#n", DDB_NAME_ATTR);
  req =
      json_pack("{s:s,s:s,s:o,s:i}", "TableName", table, "ProjectionExpression",
                "#n", "ExpressionAttributeNames", names, "Limit", limit);
  if (req && prefix && *prefix) {
    json_t *p = attr_s(prefix);

    bad |= !p || json_object_set_new(req, "FilterExpression",
                                     json_string("begins_with(#n, :p)"));
    bad |= json_object_set_new(req, "ExpressionAttributeValues",
                               p ? json_pack("{s:o}", ":p", p) : NULL);
  }
  if (req && start) {
    json_t *k = attr_s(start);

    bad |= json_object_set_new(req, "ExclusiveStartKey",
                               k ? json_pack("{s:o}", DDB_NAME_ATTR, k) : NULL);
  }
  if (bad) {
    json_decref(req);
    return NULL;
  }
  return dump(req);
}

char *ddb_json_describe_request(const char *table)
{
  return table ? dump(json_pack("{s:s}", "TableName", table)) : NULL;
}

/*************************************************************************
 * Answers
 *************************************************************************/

/* The document at p[0..n) when it is a JSON object, else NULL. NUL bytes in
 * strings are allowed: a document's body may hold \u0000. */
static json_t *load_object(const char *p, size_t n)
{
  json_t *doc;

  if (!p || n > DDB_JSON_MAX_DOC)
    return NULL;
  doc = json_loadb(p, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
  if (doc && !json_is_object(doc)) {
    json_decref(doc);
    return NULL;
  }
  return doc;
}

/* The value of an attribute of type S, or NULL. */
static json_t *string_attr(json_t *item, const char *name)
{
  json_t *v = json_object_get(json_object_get(item, name), "S");

  return json_is_string(v) ? v : NULL;
}

static void take_sha(json_t *v, char out[DDB_SHA256_HEX])
{
  const char *s = v ? json_string_value(v) : NULL;
  size_t i;

  out[0] = '\0';
  if (!s || json_string_length(v) != DDB_SHA256_HEX - 1)
    return;
  /* all or nothing: a half-copied digest would pass for a value */
  for (i = 0; i < DDB_SHA256_HEX - 1; i++)
    if (!isxdigit((unsigned char)s[i]))
      return;
  for (i = 0; i < DDB_SHA256_HEX - 1; i++)
    out[i] = (char)tolower((unsigned char)s[i]);
  out[i] = '\0';
}

enum ddb_json_code ddb_json_parse_item(const char *p, size_t n,
                                       struct ddb_item *out)
{
  json_t *doc = load_object(p, n), *item, *body;
  enum ddb_json_code rc = DDB_JSON_MALFORMED;

  memset(out, 0, sizeof(*out));
  if (!doc)
    return rc;
  item = json_object_get(doc, "Item");
  if (!item) {
    rc = DDB_JSON_OK; /* no such item */
    goto out;
  }
  if (!json_is_object(item))
    goto out;
  out->found = 1;
  take_sha(string_attr(item, DDB_SHA_ATTR), out->sha256);
  body = string_attr(item, DDB_BODY_ATTR);
  if (body) {
    out->len = json_string_length(body);
    out->body = malloc(out->len + 1);
    if (!out->body)
      goto out;
    memcpy(out->body, json_string_value(body), out->len + 1);
    out->has_body = 1;
  }
  rc = DDB_JSON_OK;
out:
  json_decref(doc);
  return rc;
}

void ddb_item_free(struct ddb_item *it)
{
  if (!it)
    return;
  free(it->body);
  memset(it, 0, sizeof(*it));
}

/* Appends the names of 'items' (an array) to 'out'. */
static int scan_names(json_t *items, struct s3_list *out)
{
  size_t i, n = json_array_size(items);

  if (!json_is_array(items) || n > S3_LIST_MAX_KEYS)
    return -1;
  out->keys = calloc(n ? n : 1, sizeof(*out->keys));
  if (!out->keys)
    return -1;
  for (i = 0; i < n; i++) {
    json_t *name = string_attr(json_array_get(items, i), DDB_NAME_ATTR);

    if (!name || json_string_length(name) == 0 ||
        json_string_length(name) > DDB_KEY_MAX ||
        strlen(json_string_value(name)) != json_string_length(name))
      continue; /* not a name we could serve */
    out->keys[out->nkeys] = strdup(json_string_value(name));
    if (!out->keys[out->nkeys])
      return -1;
    out->nkeys++;
  }
  return 0;
}

enum ddb_json_code ddb_json_parse_scan(const char *p, size_t n,
                                       struct s3_list *out)
{
  json_t *doc = load_object(p, n), *last, *start;
  enum ddb_json_code rc = DDB_JSON_MALFORMED;

  memset(out, 0, sizeof(*out));
  if (!doc)
    return rc;
  if (scan_names(json_object_get(doc, "Items"), out) != 0)
    goto out;
  last = json_object_get(doc, "LastEvaluatedKey");
  if (last) {
    /* The next page starts after this key: a name, even one the filter
     * dropped or one that is not a document. */
    start = string_attr(last, DDB_NAME_ATTR);
    if (!start || json_string_length(start) == 0 ||
        json_string_length(start) > DDB_KEY_MAX ||
        strlen(json_string_value(start)) != json_string_length(start))
      goto out;
    out->next_token = strdup(json_string_value(start));
    if (!out->next_token)
      goto out;
    out->truncated = 1;
  }
  rc = DDB_JSON_OK;
out:
  if (rc != DDB_JSON_OK)
    s3_list_free(out);
  json_decref(doc);
  return rc;
}

enum ddb_json_code ddb_json_parse_describe(const char *p, size_t n)
{
  json_t *doc = load_object(p, n);
  int ok = doc && json_is_object(json_object_get(doc, "Table"));

  json_decref(doc);
  return ok ? DDB_JSON_OK : DDB_JSON_MALFORMED;
}

void ddb_json_parse_error(const char *p, size_t n, struct s3_error_doc *out)
{
  json_t *doc = load_object(p, n), *type, *msg;
  const char *t, *hash;

  memset(out, 0, sizeof(*out));
  if (!doc)
    return;
  type = json_object_get(doc, "__type");
  msg = json_object_get(doc, "message");
  if (!msg)
    msg = json_object_get(doc, "Message");
  if (json_is_string(type)) {
    /* "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException" */
    t = json_string_value(type);
    hash = strrchr(t, '#');
    str_copy(out->code, sizeof(out->code), hash ? hash + 1 : t);
  }
  if (json_is_string(msg))
    str_copy(out->message, sizeof(out->message), json_string_value(msg));
  json_decref(doc);
}
