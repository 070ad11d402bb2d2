/* routes.c -- what each URL does, and the one place errors become HTTP */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <jansson.h>

#include "../log.h"
#include "../auth/auth.h"
#include "../aws/credentials.h"
#include "../health.h"
#include "../settings.h"
#include "../store/cache.h"
#include "../store/store.h"
#include "../util/buf.h"
#include "../util/str.h"
#include "cors.h"
#include "names.h"
#include "routes.h"

#define JSON_TYPE "application/json; charset=utf-8"
#define LIST_MAX 1000 /* S3's own page size limit */
/* A continuation token as long as the XML parser accepts (S3_TOKEN_MAX),
 * NUL included; its base64url cursor is 4/3 of that. */
#define TOKEN_BUF (S3_TOKEN_MAX + 1)
#define CURSOR_BUF ((S3_TOKEN_MAX + 2) / 3 * 4 + 1)

struct routes {
  const struct settings *settings;
  const struct store *store; /* not owned */
  struct cache *cache;
  struct health *health;
  struct aws_cred_provider *creds;
  struct auth *auth;      /* NULL: S3JSON_AUTH=none */
  char cache_control[32]; /* "max-age=N", the same for every document */
  struct cors cors;       /* S3JSON_CORS_ORIGINS; n == 0: off */
};

/*************************************************************************
 * Replies
 *************************************************************************/

void http_reply_init(struct http_reply *r)
{
  memset(r, 0, sizeof(*r));
  r->route = METRICS_ROUTE_OTHER;
}

void http_reply_free(struct http_reply *r)
{
  if (r->release)
    r->release(r->release_arg);
  else
    free(r->body);
  r->body = NULL;
  r->release = NULL;
  r->len = 0;
}

void http_reply_header(struct http_reply *r, const char *name,
                       const char *value)
{
  if (r->nheaders >= HTTP_REPLY_MAX_HEADERS)
    return;
  r->headers[r->nheaders].name = name;
  str_copy(r->headers[r->nheaders].value, sizeof(r->headers[r->nheaders].value),
           value);
  r->nheaders++;
}

/* Serializes 'doc' (stolen) as the body. */
static void reply_json(struct http_reply *rep, int status, json_t *doc)
{
  http_reply_free(rep);
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
 * Access control (auth/auth.h)
 *************************************************************************/

/* 401 for a request without a usable token, as RFC 6750 3 has it: no error
 * attribute when it brought no credentials, invalid_token when it did. */
static void reply_unauthorized(struct http_reply *rep, enum auth_result ar)
{
  if (ar == AUTH_NO_KEYS) {
    /* Not the client's fault: its token may be fine. */
    http_reply_header(rep, "Retry-After", "1");
    routes_error(rep, 503, "auth_unavailable",
                 "the signing keys are unavailable, try again");
  } else if (ar == AUTH_MISSING) {
    http_reply_header(rep, "WWW-Authenticate", "Bearer");
    routes_error(rep, 401, "missing_token",
                 "this API needs a bearer token (Authorization: Bearer ...)");
  } else {
    http_reply_header(rep, "WWW-Authenticate",
                      "Bearer error=\"invalid_token\"");
    routes_error(rep, 401, "invalid_token", auth_result_message(ar));
  }
  rep->auth = auth_result_name(ar);
}

static void reply_forbidden(struct http_reply *rep)
{
  http_reply_header(rep, "WWW-Authenticate",
                    "Bearer error=\"insufficient_scope\"");
  routes_error(rep, 403, "insufficient_scope",
               "the token's scopes do not grant this document");
}

/*************************************************************************
 * /api/{name}
 *************************************************************************/

/* Does an If-None-Match list hold 'etag' (or its gzip variant 'gz')?
 * Weak comparison, as RFC 9110 asks for If-None-Match. */
static int etag_listed(const char *list, const char *etag, const char *gz)
{
  size_t elen = strlen(etag), glen = strlen(gz);
  const char *p = list;

  while (*p) {
    while (*p == ' ' || *p == '\t' || *p == ',')
      p++;
    if (*p == '*')
      return 1;
    if (p[0] == 'W' && p[1] == '/')
      p += 2;
    const char *end = strchr(p, ',');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
      n--;
    if (n && ((n == elen && !memcmp(p, etag, n)) ||
              (n == glen && !memcmp(p, gz, n))))
      return 1;
    if (!end)
      break;
    p = end + 1;
  }
  return 0;
}

/* Is the client's copy current? If-None-Match wins over
 * If-Modified-Since, as in RFC 9110 13.2.2. */
static int not_modified(const struct http_request *req, const struct doc *d,
                        const char *gz_etag)
{
  const char *inm = req->header(req->conn, "If-None-Match");
  const char *ims;
  time_t t;

  if (inm)
    return d->etag[0] && etag_listed(inm, d->etag, gz_etag);
  ims = req->header(req->conn, "If-Modified-Since");
  if (!ims || d->mtime < 0)
    return 0;
  t = curl_getdate(ims, NULL);
  return t >= 0 && d->mtime <= t;
}

/* Is a q-value zero ("0", "0.", "0.000")? 'n' bytes of 'v'. */
static int q_is_zero(const char *v, size_t n)
{
  size_t i;

  if (n == 0 || v[0] != '0')
    return 0;
  for (i = 1; i < n; i++)
    if (v[i] != '.' && v[i] != '0')
      return 0;
  return 1;
}

static size_t skip_ows(const char *p, size_t i, size_t n)
{
  while (i < n && (p[i] == ' ' || p[i] == '\t'))
    i++;
  return i;
}

/* Do the parameters of one Accept-Encoding element ('p', 'n' bytes, from
 * the first ';') leave its coding acceptable? Parameter names are
 * case-insensitive (RFC 9110 5.6.6), so "Q=0" refuses as "q=0" does. */
static int params_accept(const char *p, size_t n)
{
  size_t i = 0, name, nlen, val;

  while (i < n && p[i] == ';') {
    name = i = skip_ows(p, i + 1, n);
    while (i < n && p[i] != '=' && p[i] != ';' && p[i] != ' ' && p[i] != '\t')
      i++;
    nlen = i - name;
    i = skip_ows(p, i, n);
    if (i >= n || p[i] != '=')
      continue;
    val = i = skip_ows(p, i + 1, n);
    while (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')
      i++;
    if (nlen == 1 && (p[name] == 'q' || p[name] == 'Q') &&
        q_is_zero(p + val, i - val))
      return 0;
    i = skip_ows(p, i, n);
  }
  return 1;
}

/* Does Accept-Encoding allow gzip (and not with q=0)? Codings are
 * case-insensitive; the first "gzip" element decides. */
static int accepts_gzip(const struct http_request *req)
{
  const char *p = req->header(req->conn, "Accept-Encoding");

  while (p && *p) {
    size_t n = strcspn(p, ","), i = skip_ows(p, 0, n), coding = i;

    while (i < n && p[i] != ';' && p[i] != ' ' && p[i] != '\t')
      i++;
    if (i - coding == 4 && !strncasecmp(p + coding, "gzip", 4)) {
      i = skip_ows(p, i, n);
      return params_accept(p + i, n - i);
    }
    p += n;
    if (*p == ',')
      p++;
  }
  return 0;
}

static void release_doc(void *arg)
{
  doc_release(arg);
}

/* A document reply from a cached version; 'res->doc' moves to 'rep'. */
static void reply_document(struct routes *r, const struct http_request *req,
                           struct cache_result *res, struct http_reply *rep)
{
  struct doc *d = res->doc;
  int gz = d->gz && accepts_gzip(req);
  char gz_etag[sizeof(d->etag) + 8];
  size_t elen = strlen(d->etag);

  /* The gzip representation needs its own strong ETag: "abc" -> "abc-gz". */
  if (elen >= 2 && d->etag[elen - 1] == '"') {
    memcpy(gz_etag, d->etag, elen - 1);
    memcpy(gz_etag + elen - 1, "-gz\"", 5);
  } else {
    gz_etag[0] = '\0';
  }
  res->doc = NULL;
  if (not_modified(req, d, gz_etag)) {
    rep->status = 304;
    /* No body; the length is the selected representation's, the only
     * Content-Length a 304 may carry (RFC 9110 8.6; see server.c). */
    rep->len = gz ? d->gz_len : d->len;
    doc_release(d);
  } else {
    rep->status = 200;
    rep->body = gz ? d->gz : d->body;
    rep->len = gz ? d->gz_len : d->len;
    rep->release = release_doc;
    rep->release_arg = d;
    http_reply_header(rep, "Content-Type", JSON_TYPE);
    if (gz)
      http_reply_header(rep, "Content-Encoding", "gzip");
  }
  if (d->etag[0])
    http_reply_header(rep, "ETag", gz && gz_etag[0] ? gz_etag : d->etag);
  if (d->last_modified[0])
    http_reply_header(rep, "Last-Modified", d->last_modified);
  http_reply_header(rep, "Cache-Control", r->cache_control);
  http_reply_header(rep, "Vary", "Accept-Encoding");
  http_reply_header(rep, "X-Cache", cache_source_name(res->source));
  if (res->source == CACHE_STALE)
    http_reply_header(rep, "Warning", "110 - \"Response is Stale\"");
}

/* 'prefix' 'name' 'suffix' into 'key' (cap bytes): 0, or -1 when it does
 * not fit. */
static int store_key(char *key, size_t cap, const char *prefix,
                     const char *name, const char *suffix)
{
  size_t n = str_copy(key, cap, prefix);

  if (n < cap)
    n += str_copy(key + n, cap - n, name);
  if (n < cap)
    n += str_copy(key + n, cap - n, suffix);
  return n < cap ? 0 : -1;
}

/* Returns 0, with 'rep' untouched, when answering needs S3 and 'may_block'
 * is 0; else 1. */
static int get_document(struct routes *r, const struct http_request *req,
                        const char *raw_name, const struct auth_identity *id,
                        struct http_reply *rep, int may_block)
{
  char name[NAMES_MAX + 1];
  char key[2 * NAMES_MAX + 16];
  struct cache_result res;
  enum names_code nc;

  rep->route = METRICS_ROUTE_DOCUMENT;
  nc = names_decode(raw_name, strlen(raw_name), name);
  if (nc != NAMES_OK) {
    routes_error(rep, 400, "bad_name", names_strerror(nc));
    return 1;
  }
  /* Before the cache: a cached copy is never served to a token that may
   * not read it. */
  if (id &&
      !auth_scope_allows(id->scope, r->settings->jwt_scope_prefix, name)) {
    reply_forbidden(rep);
    return 1;
  }
  if (store_key(key, sizeof(key), r->settings->prefix, name,
                r->store->suffix)) {
    routes_error(rep, 400, "bad_name", names_strerror(NAMES_TOO_LONG));
    return 1;
  }
  if (!may_block && !cache_peek(r->cache, key, &res))
    return 0;
  if (may_block)
    cache_get(r->cache, key, accepts_gzip(req), &res);
  rep->route = METRICS_ROUTE_DOCUMENT;
  rep->s3_called = res.s3_called;
  rep->s3 = res.diag;
  rep->cache = cache_source_name(res.source);
  if (res.code == S3_OK) {
    reply_document(r, req, &res, rep);
    return 1;
  }
  cache_result_release(&res);
  if (res.invalid_document)
    routes_error(rep, 502, "invalid_document",
                 "the stored document is not valid JSON");
  else
    reply_s3_error(rep, res.code);
  http_reply_header(rep, "X-Cache", cache_source_name(res.source));
  return 1;
}

/*************************************************************************
 * /api
 *************************************************************************/

/* The document name for 'key', or NULL when the key is not one the API can
 * serve (wrong prefix or suffix, or a name GET /api/{name} would refuse). */
static const char *doc_name(const char *prefix, const char *suffix,
                            const char *key, char *out)
{
  size_t plen = strlen(prefix), slen = strlen(suffix), klen = strlen(key);
  size_t nlen;
  char enc[NAMES_MAX + 1];

  if (klen < plen + slen + 1 || strncmp(key, prefix, plen) ||
      strcmp(key + klen - slen, suffix))
    return NULL;
  nlen = klen - plen - slen;
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
                           const struct auth_identity *id,
                           struct http_reply *rep)
{
  const char *sp = r->settings->jwt_scope_prefix;
  char token[TOKEN_BUF], cursor[CURSOR_BUF], name[NAMES_MAX + 1];
  const char *raw_cursor = req->query(req->conn, "cursor");
  long limit =
      names_parse_limit(req->query(req->conn, "limit"), LIST_MAX, LIST_MAX);
  struct s3_list list;
  enum s3_code sc;
  json_t *docs, *next;
  size_t i;

  if (id && !auth_scope_any(id->scope, sp)) {
    reply_forbidden(rep);
    return;
  }
  if (limit < 0) {
    routes_error(rep, 400, "bad_limit",
                 "limit must be an integer from 1 to 1000");
    return;
  }
  if (raw_cursor) {
    char dec[CURSOR_BUF];
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
  sc = r->store->list(r->store->impl, r->settings->prefix,
                      raw_cursor ? token : NULL, (int)limit, &list, &rep->s3);
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
    /* A filtered page may hold fewer than 'limit' names (even none);
     * next_cursor still continues after the last key the store listed. */
    if (doc_name(r->settings->prefix, r->store->suffix, list.keys[i], name) &&
        (!id || auth_scope_allows(id->scope, sp, name)))
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

static void metrics(struct routes *r, struct http_reply *rep)
{
  struct metrics_gauges g;
  const char *why;
  struct buf b;

  memset(&g, 0, sizeof(g));
  cache_stats(r->cache, &g.cache_bytes, &g.cache_entries);
  g.credential_refreshes = aws_cred_refresh_count(r->creds);
  g.ready =
      health_ready(r->health, &why) && (!r->auth || auth_ready(r->auth, &why));
  buf_init(&b, 1024 * 1024);
  if (metrics_render(&b, &g)) {
    buf_free(&b);
    routes_error(rep, 500, "internal", "out of memory");
    return;
  }
  rep->status = 200;
  rep->body = buf_detach(&b, &rep->len);
  http_reply_header(rep, "Content-Type",
                    "text/plain; version=0.0.4; charset=utf-8");
}

static void healthz(struct http_reply *rep)
{
  reply_json(rep, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct routes *r, struct http_reply *rep)
{
  const char *why = NULL;

  if (health_ready(r->health, &why) && (!r->auth || auth_ready(r->auth, &why)))
    reply_json(rep, 200, json_pack("{s:s}", "status", "ready"));
  else
    reply_json(rep, 503,
               json_pack("{s:s,s:s}", "status", "not_ready", "reason", why));
}

/*************************************************************************
 * Dispatch
 *************************************************************************/

struct routes *routes_new(const struct settings *s, const struct store *st,
                          struct cache *cache, struct health *health,
                          struct aws_cred_provider *creds)
{
  struct routes *r = calloc(1, sizeof(*r));
  char why[160];

  if (!r)
    return NULL;
  r->settings = s;
  r->store = st;
  r->cache = cache;
  r->health = health;
  r->creds = creds;
  snprintf(r->cache_control, sizeof(r->cache_control), "max-age=%u",
           s->client_max_age_s);
  /* settings_load() has validated the list: this cannot fail here. */
  if (cors_parse(&r->cors, s->cors_origins, why, sizeof(why))) {
    free(r);
    return NULL;
  }
  return r;
}

void routes_free(struct routes *r)
{
  free(r);
}

/* A CORS preflight is answered here, before the token check (browsers send
 * none on a preflight) and without S3. Returns 1 when 'req' was one. */
static int preflight(struct routes *r, const struct http_request *req,
                     struct http_reply *rep)
{
  switch (cors_classify(
      &r->cors, req->method, req->path, req->header(req->conn, "Origin"),
      req->header(req->conn, "Access-Control-Request-Method"))) {
  case CORS_NOT_PREFLIGHT:
    return 0;
  case CORS_PREFLIGHT_OK:
    cors_preflight_reply(rep);
    return 1;
  case CORS_PREFLIGHT_REFUSED:
    routes_error(rep, 403, "cors_refused",
                 "preflight refused: the Origin is not allowed, or the "
                 "requested method is not GET or HEAD");
    return 1;
  }
  return 0;
}

void routes_set_auth(struct routes *r, struct auth *a)
{
  r->auth = a;
}

/* Does 'path' need a token? /api always (with auth on); /readyz and
 * /metrics with S3JSON_AUTH_INTERNAL=token; /healthz never (the ALB's
 * health check has none). */
static int needs_token(const struct routes *r, const char *p)
{
  if (!r->auth || !strcmp(p, "/healthz"))
    return 0;
  if (!strcmp(p, "/readyz") || !strcmp(p, "/metrics"))
    return r->settings->auth_internal_token;
  return 1;
}

static enum metrics_route route_of(const char *p)
{
  if (!strcmp(p, "/healthz"))
    return METRICS_ROUTE_HEALTHZ;
  if (!strcmp(p, "/readyz"))
    return METRICS_ROUTE_READYZ;
  if (!strcmp(p, "/metrics"))
    return METRICS_ROUTE_METRICS;
  return !strcmp(p, "/api") ? METRICS_ROUTE_LIST : METRICS_ROUTE_DOCUMENT;
}

/* Runs the route of a known path for a GET or HEAD; 'id' is the verified
 * token's identity (NULL without auth). Same return as dispatch(). */
static int run_route(struct routes *r, const struct http_request *req,
                     const struct auth_identity *id, struct http_reply *rep,
                     int may_block)
{
  const char *p = req->path;

  rep->route = route_of(p);
  if (!strcmp(p, "/healthz")) {
    healthz(rep);
  } else if (!strcmp(p, "/readyz")) {
    readyz(r, rep);
  } else if (!strcmp(p, "/metrics")) {
    metrics(r, rep);
  } else if (!strcmp(p, "/api")) {
    if (!may_block)
      return 0;
    list_documents(r, req, id, rep);
  } else {
    return get_document(r, req, p + 5, id, rep, may_block);
  }
  return 1;
}

/* Authenticates, then runs the route. The decision is counted once, when
 * the request is answered (not when it moves to a worker and comes back). */
static int run_authenticated(struct routes *r, const struct http_request *req,
                             struct http_reply *rep, int may_block)
{
  const struct auth_identity *id = NULL; /* borrowed (auth.h) */
  int would_block = 0, done;
  enum auth_result ar =
      auth_check(r->auth, req->header(req->conn, "Authorization"), may_block,
                 &id, &would_block);

  if (would_block)
    return 0; /* a key-set fetch: on a worker */
  if (ar != AUTH_OK) {
    rep->route = route_of(req->path);
    reply_unauthorized(rep, ar);
    metrics_auth((int)ar);
    return 1;
  }
  done = run_route(r, req, id, rep, may_block);
  if (done) {
    ar = rep->status == 403 ? AUTH_INSUFFICIENT_SCOPE : AUTH_OK;
    rep->auth = auth_result_name(ar);
    str_copy(rep->sub, sizeof(rep->sub), id->sub);
    metrics_auth((int)ar);
  }
  return done;
}

/* Answers 'req', or returns 0 (with 'rep' untouched) when that needs an S3
 * call (or a key-set fetch) and 'may_block' is 0. */
static int dispatch(struct routes *r, const struct http_request *req,
                    struct http_reply *rep, int may_block)
{
  const char *p = req->path;
  int known = !strcmp(p, "/healthz") || !strcmp(p, "/readyz") ||
              !strcmp(p, "/metrics") || !strcmp(p, "/api") ||
              !strncmp(p, "/api/", 5);

  if (!known) {
    routes_error(rep, 404, "not_found", "no such route");
    return 1;
  }
  if (preflight(r, req, rep))
    return 1;
  if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
    http_reply_header(rep, "Allow", "GET, HEAD");
    routes_error(rep, 405, "method_not_allowed",
                 "only GET and HEAD are allowed here");
    return 1;
  }
  if (needs_token(r, p))
    return run_authenticated(r, req, rep, may_block);
  return run_route(r, req, NULL, rep, may_block);
}

/* Every reply routes make, errors included, carries the CORS headers, so
 * a browser can read a 401 or 404 as well as a document. */
static void decorate(struct routes *r, const struct http_request *req,
                     struct http_reply *rep)
{
  cors_decorate(&r->cors, req->header(req->conn, "Origin"), rep);
}

int routes_answer_now(struct routes *r, const struct http_request *req,
                      struct http_reply *rep)
{
  if (!dispatch(r, req, rep, 0))
    return 0;
  decorate(r, req, rep);
  return 1;
}

void routes_handle(struct routes *r, const struct http_request *req,
                   struct http_reply *rep)
{
  dispatch(r, req, rep, 1);
  decorate(r, req, rep);
}
