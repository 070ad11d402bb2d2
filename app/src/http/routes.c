/* routes.c -- what each URL does, and the one place errors become HTTP */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "../log.h"
#include "names.h"
#include "routes.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define LIST_MAX 1000   /* S3's own page size limit */
#define CURSOR_MAX 2048 /* S3 continuation tokens are well below 1 KiB */

struct routes {
  const struct settings *settings;
  struct s3_client *s3;
  struct health *health;
};

/*************************************************************************
 * Replies
 *************************************************************************/

void http_reply_init(struct http_reply *r)
{
  memset(r, 0, sizeof(*r));
}

void http_reply_free(struct http_reply *r)
{
  free(r->body);
  r->body = NULL;
  r->len = 0;
}

void http_reply_header(struct http_reply *r, const char *name,
                       const char *value)
{
  if (r->nheaders >= HTTP_REPLY_MAX_HEADERS)
    return;
  r->headers[r->nheaders].name = name;
  snprintf(r->headers[r->nheaders].value, sizeof(r->headers[r->nheaders].value),
           "%s", value);
  r->nheaders++;
}

/* Serializes 'doc' (stolen) as the body. */
static void reply_json(struct http_reply *rep, int status, json_t *doc)
{
  free(rep->body);
  rep->body = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
  json_decref(doc);
  if (!rep->body) {
    /* Out of memory while building a reply: still say something valid. */
    rep->body = strdup("{\"error\":\"internal\"}");
    status = 500;
  }
  rep->len = rep->body ? strlen(rep->body) : 0;
  rep->status = status;
  http_reply_header(rep, "Content-Type", JSON_TYPE);
}

void routes_error(struct http_reply *rep, int status, const char *code,
                  const char *message)
{
  rep->error = code;
  reply_json(rep, status,
             json_pack("{s:s,s:s}", "error", code, "message", message));
}

/* The one table from S3 outcomes to what clients see. S3's own words (its
 * XML, its request ids) stay in the log: clients get a code and a sentence. */
static void reply_s3_error(struct http_reply *rep, enum s3_code c)
{
  switch (c) {
  case S3_OK:
  case S3_NOT_MODIFIED:
    break;
  case S3_NOT_FOUND:
    routes_error(rep, 404, "not_found", "no such document");
    return;
  case S3_FORBIDDEN:
    routes_error(rep, 502, "upstream_forbidden",
                 "the document store refused access");
    return;
  case S3_TOO_LARGE:
    routes_error(rep, 502, "document_too_large",
                 "the document is larger than this service serves");
    return;
  case S3_UNAVAILABLE:
    http_reply_header(rep, "Retry-After", "1");
    routes_error(rep, 503, "upstream_unavailable",
                 "the document store is unavailable, try again");
    return;
  case S3_TIMEOUT:
    routes_error(rep, 504, "upstream_timeout",
                 "the document store did not answer in time");
    return;
  case S3_BAD_RESPONSE:
    routes_error(rep, 502, "bad_upstream_response",
                 "the document store sent a malformed answer");
    return;
  case S3_NO_CREDENTIALS:
    http_reply_header(rep, "Retry-After", "1");
    routes_error(rep, 503, "no_credentials",
                 "the service has no valid credentials right now");
    return;
  case S3_BAD_REQUEST:
    routes_error(rep, 502, "upstream_error",
                 "the document store rejected the request");
    return;
  case S3_NO_MEMORY:
    routes_error(rep, 500, "internal", "out of memory");
    return;
  }
  routes_error(rep, 500, "internal", "unexpected error");
}

/*************************************************************************
 * /api/{name}
 *************************************************************************/

static void get_document(struct routes *r, const struct http_request *req,
                         const char *raw_name, struct http_reply *rep)
{
  char name[NAMES_MAX + 1];
  char key[2 * NAMES_MAX + 16];
  struct s3_conditions cond;
  struct s3_object obj;
  enum names_code nc;
  enum s3_code sc;
  json_error_t jerr;
  json_t *parsed;

  nc = names_decode(raw_name, strlen(raw_name), name);
  if (nc != NAMES_OK) {
    routes_error(rep, 400, "bad_name", names_strerror(nc));
    return;
  }
  if ((size_t)snprintf(key, sizeof(key), "%s%s.json", r->settings->prefix,
                       name) >= sizeof(key)) {
    routes_error(rep, 400, "bad_name", names_strerror(NAMES_TOO_LONG));
    return;
  }
  cond.if_none_match = req->header(req->conn, "If-None-Match");
  cond.if_modified_since = req->header(req->conn, "If-Modified-Since");
  memset(&obj, 0, sizeof(obj));
  rep->s3_called = 1;
  sc = s3_get_object(r->s3, key, &cond, &obj, &rep->s3);
  if (sc == S3_OK) {
    /* Strict parse: any JSON value, no trailing bytes, valid UTF-8, no
     * NUL escapes. A broken object is our data problem, not the client's:
     * 502, and the parser's position goes to the log only. */
    parsed = json_loadb(obj.body, obj.len, JSON_DECODE_ANY, &jerr);
    if (!parsed) {
      log_event(LOG_WARN, "invalid_document",
                json_pack("{s:o,s:s,s:i,s:i}", "key",
                          log_string(key, strlen(key), 600), "reason",
                          jerr.text, "line", jerr.line, "column", jerr.column));
      s3_object_free(&obj);
      routes_error(rep, 502, "invalid_document",
                   "the stored document is not valid JSON");
      return;
    }
    json_decref(parsed);
    rep->status = 200;
    rep->body = obj.body;
    rep->len = obj.len;
    obj.body = NULL;
    http_reply_header(rep, "Content-Type", JSON_TYPE);
  } else if (sc == S3_NOT_MODIFIED) {
    rep->status = 304;
  } else {
    s3_object_free(&obj);
    reply_s3_error(rep, sc);
    return;
  }
  if (obj.etag[0])
    http_reply_header(rep, "ETag", obj.etag);
  if (obj.last_modified[0])
    http_reply_header(rep, "Last-Modified", obj.last_modified);
  s3_object_free(&obj);
}

/*************************************************************************
 * /api
 *************************************************************************/

/* The document name for 'key', or NULL when the key is not one the API can
 * serve (wrong suffix, or a name GET /api/{name} would refuse). */
static const char *doc_name(const char *prefix, const char *key, char *out)
{
  size_t plen = strlen(prefix), klen = strlen(key), nlen;
  char enc[NAMES_MAX + 1];

  if (klen < plen + 6 || strncmp(key, prefix, plen) ||
      strcmp(key + klen - 5, ".json"))
    return NULL;
  nlen = klen - plen - 5;
  if (nlen > NAMES_MAX)
    return NULL;
  memcpy(enc, key + plen, nlen);
  enc[nlen] = '\0';
  /* Names never need escapes, so the raw form is the decoded one. */
  if (strchr(enc, '%') || names_decode(enc, nlen, out) != NAMES_OK)
    return NULL;
  return out;
}

static void list_documents(struct routes *r, const struct http_request *req,
                           struct http_reply *rep)
{
  char token[CURSOR_MAX], cursor[CURSOR_MAX * 2], name[NAMES_MAX + 1];
  const char *raw_cursor = req->query(req->conn, "cursor");
  long limit =
      names_parse_limit(req->query(req->conn, "limit"), LIST_MAX, LIST_MAX);
  struct s3_list list;
  enum s3_code sc;
  json_t *docs, *next;
  size_t i;

  if (limit < 0) {
    routes_error(rep, 400, "bad_limit",
                 "limit must be an integer from 1 to 1000");
    return;
  }
  if (raw_cursor) {
    char dec[CURSOR_MAX * 2];
    long n =
        names_query_decode(raw_cursor, strlen(raw_cursor), dec, sizeof(dec));
    if (n <= 0 ||
        names_cursor_decode(dec, (size_t)n, token, sizeof(token)) <= 0) {
      routes_error(rep, 400, "bad_cursor",
                   "cursor must be a next_cursor value from this API");
      return;
    }
  }
  memset(&list, 0, sizeof(list));
  rep->s3_called = 1;
  sc = s3_list_objects(r->s3, r->settings->prefix, raw_cursor ? token : NULL,
                       (int)limit, &list, &rep->s3);
  if (sc != S3_OK) {
    s3_list_free(&list);
    /* A stale or forged cursor is the client's mistake. */
    if (sc == S3_BAD_REQUEST && raw_cursor)
      routes_error(rep, 400, "bad_cursor",
                   "cursor is not valid (expired or not from this API)");
    else
      reply_s3_error(rep, sc == S3_NOT_FOUND ? S3_BAD_REQUEST : sc);
    return;
  }
  docs = json_array();
  for (i = 0; docs && i < list.nkeys; i++)
    if (doc_name(r->settings->prefix, list.keys[i], name))
      json_array_append_new(docs, json_string(name));
  next = json_null();
  if (list.truncated && list.next_token &&
      names_cursor_encode(list.next_token, strlen(list.next_token), cursor,
                          sizeof(cursor)) > 0)
    next = json_string(cursor);
  s3_list_free(&list);
  reply_json(rep, 200,
             json_pack("{s:o?,s:o?}", "documents", docs, "next_cursor", next));
}

/*************************************************************************
 * Probes
 *************************************************************************/

static void healthz(struct http_reply *rep)
{
  reply_json(rep, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct routes *r, struct http_reply *rep)
{
  const char *why = NULL;

  if (health_ready(r->health, &why))
    reply_json(rep, 200, json_pack("{s:s}", "status", "ready"));
  else
    reply_json(rep, 503,
               json_pack("{s:s,s:s}", "status", "not_ready", "reason", why));
}

/*************************************************************************
 * Dispatch
 *************************************************************************/

struct routes *routes_new(const struct settings *s, struct s3_client *s3,
                          struct health *health)
{
  struct routes *r = calloc(1, sizeof(*r));

  if (!r)
    return NULL;
  r->settings = s;
  r->s3 = s3;
  r->health = health;
  return r;
}

void routes_free(struct routes *r)
{
  free(r);
}

void routes_handle(struct routes *r, const struct http_request *req,
                   struct http_reply *rep)
{
  const char *p = req->path;
  int known = !strcmp(p, "/healthz") || !strcmp(p, "/readyz") ||
              !strcmp(p, "/api") || !strncmp(p, "/api/", 5);

  if (!known) {
    routes_error(rep, 404, "not_found", "no such route");
    return;
  }
  if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
    http_reply_header(rep, "Allow", "GET, HEAD");
    routes_error(rep, 405, "method_not_allowed",
                 "only GET and HEAD are allowed here");
    return;
  }
  if (!strcmp(p, "/healthz"))
    healthz(rep);
  else if (!strcmp(p, "/readyz"))
    readyz(r, rep);
  else if (!strcmp(p, "/api"))
    list_documents(r, req, rep);
  else
    get_document(r, req, p + 5, rep);
}
