/* client.c -- the DynamoDB calls s3json makes: GetItem, Scan, DescribeTable
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../log.h"
#include "../s3/sigv4.h"
#include "client.h"
#include "json.h"

#define DDB_TARGET(op) "DynamoDB_20120810." op
/* Room for an answer's JSON around the body: attribute names, sha256, and
 * escaping (a byte may become \u00XX, six). */
#define DDB_ANSWER_SLACK (64 * 1024)
#define DDB_ESCAPE_GROWTH 6
/* Scan pages and DescribeTable answers are at most about 1 MB. */
#define DDB_SMALL_ANSWER (4 * 1024 * 1024)

struct ddb_client {
  struct s3_client *http; /* the S3 client's transport, service dynamodb */
  char *table;
  size_t max_object_bytes;
  size_t item_cap; /* answer bytes a GetItem may take */
};

struct ddb_client *ddb_client_new(const struct ddb_client_config *cfg,
                                  char *err, size_t errlen)
{
  struct s3_client_config sc;
  struct ddb_client *c;

  if (!cfg || !ddb_table_name_ok(cfg->table)) {
    snprintf(err, errlen,
             "DynamoDB client: table name must be 3-255 of A-Z a-z 0-9 _ . -");
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (!c || !(c->table = strdup(cfg->table))) {
    free(c);
    snprintf(err, errlen, "DynamoDB client: out of memory");
    return NULL;
  }
  memset(&sc, 0, sizeof(sc));
  sc.service = "dynamodb";
  sc.parse_error = ddb_json_parse_error;
  sc.region = cfg->region;
  sc.endpoint_url = cfg->endpoint_url;
  sc.ca_bundle = cfg->ca_bundle;
  sc.timeout_ms = cfg->timeout_ms;
  sc.max_attempts = cfg->max_attempts;
  sc.max_object_bytes = cfg->max_object_bytes;
  sc.creds = cfg->creds;
  c->max_object_bytes = cfg->max_object_bytes;
  c->item_cap =
      cfg->max_object_bytes < DDB_JSON_MAX_DOC / DDB_ESCAPE_GROWTH
          ? cfg->max_object_bytes * DDB_ESCAPE_GROWTH + DDB_ANSWER_SLACK
          : DDB_JSON_MAX_DOC;
  c->http = s3_client_new(&sc, err, errlen);
  if (!c->http) {
    ddb_client_free(c);
    return NULL;
  }
  return c;
}

void ddb_client_free(struct ddb_client *c)
{
  if (!c)
    return;
  s3_client_free(c->http);
  free(c->table);
  free(c);
}

static void set_detail(struct s3_diag *d, const char *what)
{
  snprintf(d->detail, sizeof(d->detail), "%s", what);
}

/* One call with a request body built by the caller (NULL: could not be
 * built, i.e. a string that is not UTF-8, or no memory). */
static enum s3_code call(struct ddb_client *c, const char *target, char *req,
                         size_t cap, int is_get, struct s3_answer *ans,
                         struct s3_diag *d)
{
  enum s3_code code;

  memset(ans, 0, sizeof(*ans));
  if (!req) {
    memset(d, 0, sizeof(*d));
    set_detail(d, "request not built (a name that is not UTF-8?)");
    return S3_BAD_REQUEST;
  }
  code = s3_client_json_call(c->http, target, req, strlen(req), cap, is_get,
                             ans, d);
  free(req);
  return code;
}

/*************************************************************************
 * GetItem
 *************************************************************************/

int ddb_etag_hex(const char *etag, char hex[65])
{
  size_t i;

  if (!etag || strlen(etag) != 66 || etag[0] != '"' || etag[65] != '"')
    return -1;
  for (i = 0; i < 64; i++) {
    if (!isxdigit((unsigned char)etag[i + 1]))
      return -1;
    hex[i] = (char)tolower((unsigned char)etag[i + 1]);
  }
  hex[64] = '\0';
  return 0;
}

/* Adds one call's figures to the whole get's. */
static void diag_add(struct s3_diag *total, const struct s3_diag *one)
{
  long elapsed = total->elapsed_ms + one->elapsed_ms;
  int attempts = total->attempts + one->attempts;

  *total = *one;
  total->elapsed_ms = elapsed;
  total->attempts = attempts;
}

/* Revalidation: 1 when the item's `sha256` is 'hex' (S3_NOT_MODIFIED),
 * 0 when the whole item must be read, -1 with '*code' set otherwise. */
static int sha_matches(struct ddb_client *c, const char *key, const char *hex,
                       enum s3_code *code, struct s3_diag *d)
{
  struct s3_answer ans;
  struct ddb_item it;
  int rc = 0;

  *code = call(c, DDB_TARGET("GetItem"),
               ddb_json_get_item_request(c->table, key, 1), DDB_SMALL_ANSWER, 0,
               &ans, d);
  if (*code != S3_OK) {
    free(ans.body);
    return -1;
  }
  if (ddb_json_parse_item(ans.body, ans.len, &it) != DDB_JSON_OK) {
    set_detail(d, "GetItem answer is not a valid item");
    *code = S3_BAD_RESPONSE;
    rc = -1;
  } else if (!it.found) {
    *code = S3_NOT_FOUND;
    rc = -1;
  } else {
    rc = !strcmp(it.sha256, hex);
  }
  ddb_item_free(&it);
  free(ans.body);
  return rc;
}

static void warn_sha(const char *key, const char *stored, const char *real)
{
  log_event(LOG_WARN, "ddb_sha256_mismatch",
            json_pack("{s:o,s:s,s:s}", "key", log_string(key, strlen(key), 256),
                      "stored", stored, "computed", real));
}

/* The item's body, checked and hashed into 'out'. */
static enum s3_code take_body(struct ddb_client *c, const char *key,
                              struct ddb_item *it, struct s3_object *out,
                              struct s3_diag *d)
{
  char hex[SIGV4_HEX_LEN];

  if (!it->found)
    return S3_NOT_FOUND;
  if (!it->has_body) {
    set_detail(d, "item has no string attribute body");
    return S3_BAD_RESPONSE;
  }
  if (it->len > c->max_object_bytes)
    return S3_TOO_LARGE;
  if (sigv4_sha256_hex(it->body, it->len, hex) != SIGV4_OK)
    return S3_NO_MEMORY;
  if (it->sha256[0] && strcmp(it->sha256, hex))
    warn_sha(key, it->sha256, hex);
  snprintf(out->etag, sizeof(out->etag), "\"%s\"", hex);
  out->body = it->body;
  out->len = it->len;
  it->body = NULL;
  return S3_OK;
}

static enum s3_code read_whole(struct ddb_client *c, const char *key,
                               struct s3_object *out, struct s3_diag *d)
{
  struct s3_answer ans;
  struct ddb_item it;
  enum s3_code code;

  code = call(c, DDB_TARGET("GetItem"),
              ddb_json_get_item_request(c->table, key, 0), c->item_cap, 1, &ans,
              d);
  if (code == S3_OK) {
    if (ddb_json_parse_item(ans.body, ans.len, &it) != DDB_JSON_OK) {
      set_detail(d, "GetItem answer is not a valid item");
      code = S3_BAD_RESPONSE;
    } else {
      code = take_body(c, key, &it, out, d);
    }
    ddb_item_free(&it);
  }
  free(ans.body);
  return code;
}

enum s3_code ddb_get_item(struct ddb_client *c, const char *key,
                          const struct s3_conditions *cond,
                          struct s3_object *out, struct s3_diag *diag)
{
  struct s3_diag dummy, one;
  char hex[65];
  int cached = 0, same;
  enum s3_code code = S3_OK;

  if (!diag)
    diag = &dummy;
  memset(diag, 0, sizeof(*diag));
  if (out)
    memset(out, 0, sizeof(*out));
  if (!c || !out || !key || !*key) {
    set_detail(diag, "key missing");
    return S3_BAD_REQUEST;
  }
  if (strlen(key) > DDB_KEY_MAX)
    return S3_NOT_FOUND; /* DynamoDB cannot hold such a key */
  cached = cond && ddb_etag_hex(cond->if_none_match, hex) == 0;
  if (cached) {
    memset(&one, 0, sizeof(one));
    same = sha_matches(c, key, hex, &code, &one);
    diag_add(diag, &one);
    if (same < 0)
      return code;
    if (same) {
      snprintf(out->etag, sizeof(out->etag), "\"%s\"", hex);
      return S3_NOT_MODIFIED;
    }
  }
  memset(&one, 0, sizeof(one));
  code = read_whole(c, key, out, &one);
  diag_add(diag, &one);
  if (code == S3_OK && cached && !strncmp(out->etag + 1, hex, 64)) {
    s3_object_free(out); /* unchanged, but without a usable sha256 */
    return S3_NOT_MODIFIED;
  }
  return code;
}

/*************************************************************************
 * Scan, DescribeTable
 *************************************************************************/

enum s3_code ddb_scan(struct ddb_client *c, const char *prefix,
                      const char *start, int limit, struct s3_list *out,
                      struct s3_diag *diag)
{
  struct s3_diag dummy;
  struct s3_answer ans;
  enum s3_code code;

  if (!diag)
    diag = &dummy;
  memset(diag, 0, sizeof(*diag));
  if (out)
    memset(out, 0, sizeof(*out));
  if (!c || !out || limit < 1 || limit > S3_LIST_MAX_KEYS ||
      (start && (!*start || strlen(start) > DDB_KEY_MAX))) {
    set_detail(diag, "bad scan arguments");
    return S3_BAD_REQUEST;
  }
  code = call(c, DDB_TARGET("Scan"),
              ddb_json_scan_request(c->table, prefix, start, limit),
              DDB_SMALL_ANSWER, 0, &ans, diag);
  if (code == S3_OK && ddb_json_parse_scan(ans.body, ans.len, out) != 0) {
    set_detail(diag, "Scan answer is not a valid page");
    code = S3_BAD_RESPONSE;
  }
  free(ans.body);
  return code;
}

enum s3_code ddb_describe_table(struct ddb_client *c, struct s3_diag *diag)
{
  struct s3_diag dummy;
  struct s3_answer ans;
  enum s3_code code;

  if (!diag)
    diag = &dummy;
  if (!c)
    return S3_BAD_REQUEST;
  code =
      call(c, DDB_TARGET("DescribeTable"), ddb_json_describe_request(c->table),
           DDB_SMALL_ANSWER, 0, &ans, diag);
  if (code == S3_OK && ddb_json_parse_describe(ans.body, ans.len) != 0) {
    set_detail(diag, "DescribeTable answer does not describe a table");
    code = S3_BAD_RESPONSE;
  }
  free(ans.body);
  return code;
}
