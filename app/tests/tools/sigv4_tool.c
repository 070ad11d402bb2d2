/* sigv4_tool.c -- signs requests read as JSON lines (for differential tests)
 *
 * Reads one JSON object per line on stdin:
 *   {"method": "GET", "path": "/bucket/a b.json",      (decoded)
 *    "query": [["prefix", "a/b"], ["list-type", "2"]], (decoded, any order)
 *    "headers": [["Host", "b.s3.amazonaws.com"], ...],
 *    "access_key": "AKID", "secret_key": "...", "token": "..." (optional),
 *    "region": "us-east-1", "service": "s3" (optional), "time": 1440938160,
 *    "payload_hash": "..." (optional, default: SHA-256 of ""),
 *    "normalize": false (optional), "add_content_sha256": true (optional),
 *    "ddb": {"op": "GetItem", "table": "t", "key": "k", "sha_only": false}
 *      (optional: the body ddb/json builds for a DynamoDB call, op GetItem,
 *      Scan (with "prefix", "start", "limit") or DescribeTable; then the
 *      payload hash is that body's SHA-256, as ddb/client signs it)}
 * and prints one JSON object per line on stdout:
 *   {"canonical_request", "string_to_sign", "signature", "authorization",
 *    "amz_date", "path_encoded", "query_encoded", "body" (with "ddb")}
 * or {"error": "<sigv4_code or parse error>"}. Lines are capped at
 * TOOL_MAX_LINE bytes and TOOL_MAX_PAIRS pairs per list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ddb/json.h"
#include "s3/sigv4.h"

#define TOOL_MAX_LINE (1024 * 1024)
#define TOOL_MAX_PAIRS 64
#define TOOL_MAX_LINES 100000

static void print_json(json_t *o)
{
  char *s = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);

  if (s) {
    puts(s);
    free(s);
  } else {
    puts("{\"error\":\"json_dumps\"}");
  }
  json_decref(o);
  fflush(stdout);
}

static void print_error(const char *what)
{
  print_json(json_pack("{s:s}", "error", what));
}

/* [["name", "value"], ...] -> pairs pointing into 'arr'; -1 when malformed */
static int get_pairs(json_t *arr, struct sigv4_pair *p, size_t *n)
{
  size_t i;
  json_t *item;

  *n = 0;
  if (!arr)
    return 0;
  if (!json_is_array(arr) || json_array_size(arr) > TOOL_MAX_PAIRS)
    return -1;
  json_array_foreach(arr, i, item)
  {
    const char *name = json_string_value(json_array_get(item, 0));
    const char *value = json_string_value(json_array_get(item, 1));

    if (!name || !value)
      return -1;
    p[i].name = name;
    p[i].value = value;
  }
  *n = json_array_size(arr);
  return 0;
}

static const char *code_name(enum sigv4_code rc)
{
  switch (rc) {
  case SIGV4_OK:
    return "ok";
  case SIGV4_BAD_INPUT:
    return "bad_input";
  case SIGV4_NO_MEMORY:
    return "no_memory";
  case SIGV4_CRYPTO:
    return "crypto";
  }
  return "unknown";
}

/* The path and query as the client would send them. */
static json_t *encoded_parts(const struct sigv4_request *req)
{
  struct buf path, query;
  json_t *o = NULL;

  buf_init(&path, TOOL_MAX_LINE);
  buf_init(&query, TOOL_MAX_LINE);
  if (sigv4_uri_encode(&path, req->path, strlen(req->path), 1) == SIGV4_OK &&
      sigv4_canonical_query(&query, req->query, req->nquery) == SIGV4_OK)
    o = json_pack("{s:s,s:s}", "path_encoded", path.data ? path.data : "",
                  "query_encoded", query.data ? query.data : "");
  buf_free(&path);
  buf_free(&query);
  return o;
}

/* The request body ddb/json builds for 'spec' (malloc'd), or NULL. */
static char *ddb_body(json_t *spec)
{
  const char *op = json_string_value(json_object_get(spec, "op"));
  const char *table = json_string_value(json_object_get(spec, "table"));

  if (!op)
    return NULL;
  if (!strcmp(op, "GetItem"))
    return ddb_json_get_item_request(
        table, json_string_value(json_object_get(spec, "key")),
        json_is_true(json_object_get(spec, "sha_only")));
  if (!strcmp(op, "Scan"))
    return ddb_json_scan_request(
        table, json_string_value(json_object_get(spec, "prefix")),
        json_string_value(json_object_get(spec, "start")),
        (int)json_integer_value(json_object_get(spec, "limit")));
  if (!strcmp(op, "DescribeTable"))
    return ddb_json_describe_request(table);
  return NULL;
}

static void sign_one(json_t *in)
{
  struct sigv4_pair q[TOOL_MAX_PAIRS], h[TOOL_MAX_PAIRS];
  struct sigv4_request req;
  struct sigv4_credentials cred;
  struct sigv4_result res;
  json_t *out, *acs, *enc;
  const char *service;
  char body_hash[SIGV4_HEX_LEN];
  char *body = NULL;
  enum sigv4_code rc;

  memset(&req, 0, sizeof(req));
  req.method = json_string_value(json_object_get(in, "method"));
  req.path = json_string_value(json_object_get(in, "path"));
  req.normalize_path = json_is_true(json_object_get(in, "normalize"));
  req.payload_hash = json_string_value(json_object_get(in, "payload_hash"));
  if (!req.payload_hash)
    req.payload_hash = SIGV4_EMPTY_SHA256;
  acs = json_object_get(in, "add_content_sha256");
  req.add_content_sha256 = acs ? json_is_true(acs) : 1;
  if (!req.method || !req.path ||
      get_pairs(json_object_get(in, "query"), q, &req.nquery) != 0 ||
      get_pairs(json_object_get(in, "headers"), h, &req.nheaders) != 0 ||
      !json_is_integer(json_object_get(in, "time"))) {
    print_error("malformed input");
    return;
  }
  req.query = q;
  req.headers = h;
  if (json_object_get(in, "ddb")) {
    body = ddb_body(json_object_get(in, "ddb"));
    if (!body || sigv4_sha256_hex(body, strlen(body), body_hash) != SIGV4_OK) {
      free(body);
      print_error("ddb body not built");
      return;
    }
    req.payload_hash = body_hash;
  }
  cred.access_key_id = json_string_value(json_object_get(in, "access_key"));
  cred.secret_access_key = json_string_value(json_object_get(in, "secret_key"));
  cred.session_token = json_string_value(json_object_get(in, "token"));
  service = json_string_value(json_object_get(in, "service"));

  sigv4_result_init(&res);
  rc =
      sigv4_sign(&req, &cred, json_string_value(json_object_get(in, "region")),
                 service ? service : "s3",
                 (time_t)json_integer_value(json_object_get(in, "time")), &res);
  if (rc != SIGV4_OK) {
    print_error(code_name(rc));
  } else {
    out = json_pack("{s:s,s:s,s:s,s:s,s:s}", "canonical_request",
                    res.canonical_request.data, "string_to_sign",
                    res.string_to_sign.data, "signature", res.signature,
                    "authorization", res.authorization.data, "amz_date",
                    res.amz_date);
    enc = encoded_parts(&req);
    if (out && enc)
      json_object_update(out, enc);
    json_decref(enc);
    if (out && body)
      json_object_set_new(out, "body", json_string(body));
    if (out)
      print_json(out);
    else
      print_error("json_pack");
  }
  sigv4_result_free(&res);
  free(body);
}

int main(void)
{
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  long lines = 0;

  while (lines++ < TOOL_MAX_LINES && (n = getline(&line, &cap, stdin)) > 0) {
    json_error_t err;
    json_t *in;

    if (n > TOOL_MAX_LINE) {
      print_error("line too long");
      continue;
    }
    in = json_loadb(line, (size_t)n, 0, &err);
    if (!json_is_object(in))
      print_error("not a JSON object");
    else
      sign_one(in);
    json_decref(in);
  }
  free(line);
  return 0;
}
