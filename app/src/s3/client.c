/* client.c -- the S3 calls s3json makes: GetObject, ListObjectsV2
 *
 * One call = up to max_attempts HTTP exchanges within timeout_ms. Each
 * exchange is signed afresh (new X-Amz-Date, fresh credentials) and sent on
 * this thread's own CURL handle, so connections stay open between calls.
 * What is signed is what is sent: the path and query in the URL come from
 * sigv4_uri_encode()/sigv4_canonical_query(), the Host header is set by us
 * (not derived by libcurl), and CURLOPT_PATH_AS_IS keeps libcurl from
 * rewriting "/../" in keys.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "../util/buf.h"
#include "../aws/credentials.h"
#include "../util/clock.h"
#include "../util/rand.h"
#include "../util/str.h"
#include "client.h"
#include "fields.h"
#include "sigv4.h"

#define S3_BACKOFF_BASE_MS 50
#define S3_BACKOFF_CAP_MS 1000
#define S3_MAX_ATTEMPTS_LIMIT 10
/* Error bodies are a few hundred bytes; keep this much for the XML parser
 * and drop the rest (the transfer still ends within the time budget). */
#define S3_ERROR_BODY_MAX (64 * 1024)
/* Conditional header values longer than this are not forwarded. */
#define S3_COND_MAX 256
#define S3_MAX_CONDITIONS 2 /* If-None-Match, If-Modified-Since */
#define S3_SIGNED_MAX (3 + S3_MAX_CONDITIONS) /* host, type, target, ... */
#define S3_DDB_CONTENT_TYPE "application/x-amz-json-1.0"
#define S3_URL_MAX (16 * 1024)
#ifndef S3JSON_VERSION
#define S3JSON_VERSION "dev"
#endif
#define S3_USER_AGENT "s3json/" S3JSON_VERSION

/* One CURL easy handle, owned by one thread (pthread key), listed in its
 * client so s3_client_free can release the handles of threads still alive. */
struct s3_handle {
  CURL *easy;
  struct s3_client *client;
  struct s3_handle *prev, *next;
};

struct s3_client {
  char *bucket; /* NULL for DynamoDB */
  int dynamodb; /* service "dynamodb": JSON 1.0 protocol over POST / */
  s3_error_parser parse_error; /* JSON error bodies (DynamoDB) */
  char *region;
  char *ca_bundle;   /* NULL = system store */
  char *scheme_host; /* "https://b.s3.r.amazonaws.com", no path */
  char *host;        /* Host header value, port included if any */
  char *base_path;   /* decoded path before the key: "" or "/bucket" */
  long timeout_ms;
  int max_attempts;
  size_t max_object_bytes;
  struct aws_cred_provider *creds;

  CURLSH *share; /* DNS cache and TLS sessions, across threads */
  pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
  pthread_key_t handle_key;
  int has_key; /* handle_key was created */
  pthread_mutex_t handles_lock;
  struct s3_handle *handles;
};

/* One exchange's answer, filled by the libcurl callbacks. */
struct s3_exchange {
  const struct s3_client *client;
  int is_get;      /* body of a 200 is an object (capped at body_cap) */
  size_t body_cap; /* Content-Length above this is refused early */
  int status;      /* of the last status line seen */
  int too_large;   /* aborted: object above max_object_bytes */
  int no_memory;   /* aborted: allocation failed */
  struct buf body; /* 200: the object or listing */
  struct buf err;  /* other statuses: the error document */
  char etag[128];
  char last_modified[64];
  char request_id[64];
};

/* What the retry loop decides after one exchange. */
enum s3_step { STEP_DONE = 0, STEP_RETRY };

const char *s3_code_name(enum s3_code c)
{
  switch (c) {
  case S3_OK:
    return "ok";
  case S3_NOT_MODIFIED:
    return "not_modified";
  case S3_NOT_FOUND:
    return "not_found";
  case S3_FORBIDDEN:
    return "forbidden";
  case S3_TOO_LARGE:
    return "too_large";
  case S3_UNAVAILABLE:
    return "unavailable";
  case S3_TIMEOUT:
    return "timeout";
  case S3_BAD_RESPONSE:
    return "bad_response";
  case S3_NO_CREDENTIALS:
    return "no_credentials";
  case S3_BAD_REQUEST:
    return "bad_request";
  case S3_NO_MEMORY:
    return "no_memory";
  }
  return "unknown";
}

/*************************************************************************
 * Small helpers
 *************************************************************************/

static void sleep_ms(long ms)
{
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

  while (nanosleep(&ts, &ts) != 0)
    ;
}

/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
static long backoff_ms(int attempt)
{
  long ceiling = S3_BACKOFF_BASE_MS;

  while (--attempt > 0 && ceiling < S3_BACKOFF_CAP_MS)
    ceiling *= 2;
  if (ceiling > S3_BACKOFF_CAP_MS)
    ceiling = S3_BACKOFF_CAP_MS;
  return (long)rand_below((uint64_t)ceiling + 1);
}

static void set_detail(struct s3_diag *d, const char *what)
{
  snprintf(d->detail, sizeof(d->detail), "%s", what);
}

/*************************************************************************
 * Configuration
 *************************************************************************/

/* S3 bucket names: 3-63 of a-z 0-9 . -, starting and ending alphanumeric.
 * Checked because the name goes into a host name and a URL unencoded. */
static int valid_region(const char *r)
{
  if (!*r || strlen(r) > 32)
    return 0;
  for (; *r; r++)
    if (!((*r >= 'a' && *r <= 'z') || (*r >= '0' && *r <= '9') || *r == '-'))
      return 0;
  return 1;
}

/* AWS: virtual-hosted "bucket.s3.region.amazonaws.com", except for names
 * with dots, which would not match the wildcard TLS certificate. */
static int setup_aws(struct s3_client *c)
{
  const char *suffix =
      strncmp(c->region, "cn-", 3) ? "amazonaws.com" : "amazonaws.com.cn";
  int dots = c->bucket && strchr(c->bucket, '.') != NULL;
  struct buf b;
  size_t len;
  int rc = 0;

  buf_init(&b, S3_URL_MAX);
  if (c->dynamodb)
    rc |= buf_printf(&b, "dynamodb.%s.%s", c->region, suffix);
  else
    rc |= buf_printf(&b, "%s%ss3.%s.%s", dots ? "" : c->bucket, dots ? "" : ".",
                     c->region, suffix);
  c->host = buf_detach(&b, &len);
  rc |= buf_printf(&b, "https://%s", c->host ? c->host : "");
  c->scheme_host = buf_detach(&b, &len);
  rc |= buf_printf(&b, "%s%s", dots ? "/" : "", dots ? c->bucket : "");
  c->base_path = buf_detach(&b, &len);
  return rc || !c->host || !c->scheme_host || !c->base_path ? -1 : 0;
}

/* Copies the part of 'u' named 'what' (NULL when absent). */
static char *url_part(CURLU *u, CURLUPart what)
{
  char *p = NULL, *copy;

  if (curl_url_get(u, what, &p, 0) != CURLUE_OK)
    return NULL;
  copy = strdup(p);
  curl_free(p);
  return copy;
}

/* Endpoint URL: path-style, "scheme://host[:port][/base]/bucket/key". */
static int setup_endpoint(struct s3_client *c, const char *url, char *err,
                          size_t errlen)
{
  CURLU *u = curl_url();
  char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
  char *query = NULL, *user = NULL;
  int rc = -1;

  if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
    snprintf(err, errlen, "endpoint URL does not parse");
    goto out;
  }
  scheme = url_part(u, CURLUPART_SCHEME);
  host = url_part(u, CURLUPART_HOST);
  port = url_part(u, CURLUPART_PORT);
  path = url_part(u, CURLUPART_PATH);
  query = url_part(u, CURLUPART_QUERY);
  user = url_part(u, CURLUPART_USER);
  if (!scheme || !host || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
    snprintf(err, errlen, "endpoint URL must be http:// or https://HOST");
    goto out;
  }
  if (query || user || (path && strchr(path, '%'))) {
    snprintf(err, errlen, "endpoint URL may not hold a query, user or %%");
    goto out;
  }
  rc = 0;
  {
    struct buf b;
    size_t len, plen = path ? strlen(path) : 0;

    while (plen && path[plen - 1] == '/') /* "http://h:1/" -> base "" */
      plen--;
    buf_init(&b, S3_URL_MAX);
    rc |= buf_printf(&b, "%s%s%s", host, port ? ":" : "", port ? port : "");
    c->host = buf_detach(&b, &len);
    rc |= buf_printf(&b, "%s://%s", scheme, c->host ? c->host : "");
    c->scheme_host = buf_detach(&b, &len);
    /* DynamoDB: POST to the endpoint's own path ("/" when it has none) */
    if (c->dynamodb)
      rc |= buf_printf(&b, "%.*s", (int)plen, plen ? path : "");
    else
      rc |= buf_printf(&b, "%.*s/%s", (int)plen, plen ? path : "", c->bucket);
    c->base_path = buf_detach(&b, &len);
    if (rc || !c->host || !c->scheme_host || !c->base_path) {
      snprintf(err, errlen, "out of memory");
      rc = -1;
    }
  }
out:
  free(scheme);
  free(host);
  free(port);
  free(path);
  free(query);
  free(user);
  curl_url_cleanup(u);
  return rc;
}

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access,
                       void *ud)
{
  struct s3_client *c = ud;

  pthread_mutex_lock(&c->share_locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
  struct s3_client *c = ud;

  pthread_mutex_unlock(&c->share_locks[data]);
}

static void handle_destroy(void *p);

/* Connections are not in the share: libcurl does not support sharing them
 * between concurrent threads. Each thread's handle keeps its own. */
static int setup_share(struct s3_client *c)
{
  int i;

  for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_init(&c->share_locks[i], NULL);
  pthread_mutex_init(&c->handles_lock, NULL);
  if (pthread_key_create(&c->handle_key, handle_destroy) != 0)
    return -1;
  c->has_key = 1;
  c->share = curl_share_init();
  if (!c->share)
    return -1;
  if (curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, share_lock) ||
      curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
      curl_share_setopt(c->share, CURLSHOPT_USERDATA, c) ||
      curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
      curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION))
    return -1;
  return 0;
}

static int is_dynamodb(const struct s3_client_config *cfg)
{
  return cfg->service && !strcmp(cfg->service, "dynamodb");
}

static const char *config_problem(const struct s3_client_config *cfg)
{
  if (cfg->service && strcmp(cfg->service, "s3") &&
      strcmp(cfg->service, "dynamodb"))
    return "service must be s3 or dynamodb";
  if (is_dynamodb(cfg) && !cfg->parse_error)
    return "DynamoDB needs an error parser";
  if (!is_dynamodb(cfg) && (!cfg->bucket || !s3_bucket_name_ok(cfg->bucket)))
    return "bucket name must be 3-63 characters of a-z 0-9 . -";
  if (!cfg->region || !valid_region(cfg->region))
    return "region must be a non-empty name of a-z 0-9 -";
  if (cfg->timeout_ms <= 0)
    return "timeout must be positive";
  if (cfg->max_attempts < 1 || cfg->max_attempts > S3_MAX_ATTEMPTS_LIMIT)
    return "max attempts must be from 1 to 10";
  if (cfg->max_object_bytes == 0)
    return "max object bytes must be positive";
  if (!cfg->creds)
    return "no credential provider";
  return NULL;
}

struct s3_client *s3_client_new(const struct s3_client_config *cfg, char *err,
                                size_t errlen)
{
  struct s3_client *c;
  const char *why = cfg ? config_problem(cfg) : "no configuration";
  char reason[128];
  int rc;

  if (why) {
    snprintf(err, errlen, "S3 client: %s", why);
    return NULL;
  }
  c = calloc(1, sizeof(*c));
  if (!c) {
    snprintf(err, errlen, "S3 client: out of memory");
    return NULL;
  }
  c->dynamodb = is_dynamodb(cfg);
  c->parse_error = cfg->parse_error;
  c->bucket = c->dynamodb ? NULL : strdup(cfg->bucket);
  c->region = strdup(cfg->region);
  c->ca_bundle = str_dup_or_null(cfg->ca_bundle);
  c->timeout_ms = cfg->timeout_ms;
  c->max_attempts = cfg->max_attempts;
  c->max_object_bytes = cfg->max_object_bytes;
  c->creds = cfg->creds;
  snprintf(reason, sizeof(reason), "out of memory");
  rc = setup_share(c);
  if (rc == 0 && ((!c->bucket && !c->dynamodb) || !c->region ||
                  (cfg->ca_bundle && !c->ca_bundle)))
    rc = -1;
  if (rc == 0 && cfg->endpoint_url && *cfg->endpoint_url)
    rc = setup_endpoint(c, cfg->endpoint_url, reason, sizeof(reason));
  else if (rc == 0)
    rc = setup_aws(c);
  if (rc != 0) {
    snprintf(err, errlen, "S3 client: %s", reason);
    s3_client_free(c);
    return NULL;
  }
  return c;
}

/*************************************************************************
 * Per-thread handles
 *************************************************************************/

static void handle_unlink(struct s3_handle *h)
{
  struct s3_client *c = h->client;

  if (h->prev)
    h->prev->next = h->next;
  else
    c->handles = h->next;
  if (h->next)
    h->next->prev = h->prev;
}

/* pthread key destructor: the thread is exiting. */
static void handle_destroy(void *p)
{
  struct s3_handle *h = p;
  struct s3_client *c = h->client;

  pthread_mutex_lock(&c->handles_lock);
  handle_unlink(h);
  pthread_mutex_unlock(&c->handles_lock);
  curl_easy_cleanup(h->easy);
  free(h);
}

/* This thread's handle for 'c', created on first use. */
static CURL *handle_get(struct s3_client *c)
{
  struct s3_handle *h = pthread_getspecific(c->handle_key);

  if (h)
    return h->easy;
  h = calloc(1, sizeof(*h));
  if (!h)
    return NULL;
  h->easy = curl_easy_init();
  h->client = c;
  if (!h->easy || pthread_setspecific(c->handle_key, h) != 0) {
    curl_easy_cleanup(h->easy);
    free(h);
    return NULL;
  }
  pthread_mutex_lock(&c->handles_lock);
  h->next = c->handles;
  if (c->handles)
    c->handles->prev = h;
  c->handles = h;
  pthread_mutex_unlock(&c->handles_lock);
  return h->easy;
}

/* No call may be in flight. Deleting the key first means no thread-exit
 * destructor runs afterwards; then every handle left is released here. */
void s3_client_free(struct s3_client *c)
{
  struct s3_handle *h, *next;
  int i;

  if (!c)
    return;
  if (c->has_key)
    pthread_key_delete(c->handle_key);
  pthread_mutex_lock(&c->handles_lock);
  for (h = c->handles; h; h = next) {
    next = h->next;
    curl_easy_cleanup(h->easy);
    free(h);
  }
  c->handles = NULL;
  pthread_mutex_unlock(&c->handles_lock);
  if (c->share)
    curl_share_cleanup(c->share);
  for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
    pthread_mutex_destroy(&c->share_locks[i]);
  pthread_mutex_destroy(&c->handles_lock);
  free(c->bucket);
  free(c->region);
  free(c->ca_bundle);
  free(c->scheme_host);
  free(c->host);
  free(c->base_path);
  free(c);
}

/*************************************************************************
 * libcurl callbacks
 *************************************************************************/

/* Copies a header value (trimmed) into a fixed field if it fits. */
static void copy_value(char *dst, size_t size, const char *v, size_t n)
{
  while (n && (*v == ' ' || *v == '\t'))
    v++, n--;
  while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' ||
               v[n - 1] == '\t'))
    n--;
  if (n < size) {
    memcpy(dst, v, n);
    dst[n] = '\0';
  }
}

static int header_is(const char *line, size_t n, const char *name)
{
  size_t len = strlen(name);

  return n > len && line[len] == ':' && !strncasecmp(line, name, len);
}

/* A 200 GetObject whose Content-Length is above the cap is refused before
 * any of its body is read. */
static int too_large_length(struct s3_exchange *x, const char *v, size_t n)
{
  char num[32];
  unsigned long long len;
  char *end;

  num[0] = '\0';
  copy_value(num, sizeof(num), v, n);
  len = strtoull(num, &end, 10);
  return num[0] && *end == '\0' && len > x->body_cap;
}

static size_t on_header(char *line, size_t size, size_t n, void *ud)
{
  struct s3_exchange *x = ud;

  n *= size;
  if (n > 5 && !strncmp(line, "HTTP/", 5)) {
    /* a new response (after a 100, say): forget the previous headers */
    const char *sp = memchr(line, ' ', n);
    char num[4] = "";
    long status;
    char *end;

    if (sp && (size_t)(sp - line) + 4 <= n)
      memcpy(num, sp + 1, 3);
    status = strtol(num, &end, 10);
    x->status = end == num + 3 ? (int)status : 0;
    x->etag[0] = x->last_modified[0] = x->request_id[0] = '\0';
  } else if (header_is(line, n, "ETag")) {
    copy_value(x->etag, sizeof(x->etag), line + 5, n - 5);
  } else if (header_is(line, n, "Last-Modified")) {
    copy_value(x->last_modified, sizeof(x->last_modified), line + 14, n - 14);
  } else if (header_is(line, n, "x-amz-request-id") ||
             header_is(line, n, "x-amzn-RequestId")) { /* DynamoDB's */
    /* both names are 16 characters */
    copy_value(x->request_id, sizeof(x->request_id), line + 17, n - 17);
  } else if (x->is_get && x->status == 200 &&
             header_is(line, n, "Content-Length") &&
             too_large_length(x, line + 15, n - 15)) {
    x->too_large = 1;
    return 0; /* aborts the transfer */
  }
  return n;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
  struct s3_exchange *x = ud;
  enum buf_code rc;

  n *= size;
  if (x->status != 200) {
    /* error documents: keep the start, drop the rest */
    size_t room = x->err.cap - x->err.len;

    if (buf_append(&x->err, p, n < room ? n : room) != BUF_OK)
      x->no_memory = 1;
    return x->no_memory ? 0 : n;
  }
  /* past the cap: an object too large, or a listing too large to be real */
  rc = buf_append(&x->body, p, n);
  if (rc == BUF_TOO_BIG)
    x->too_large = 1;
  else if (rc == BUF_NO_MEMORY)
    x->no_memory = 1;
  return rc == BUF_OK ? n : 0;
}

/*************************************************************************
 * One exchange
 *************************************************************************/

/* A request before signing: decoded path, query and extra headers. */
struct s3_req {
  const char *path; /* decoded, e.g. "/bucket/a b.json" */
  const struct sigv4_pair *query;
  size_t nquery;
  const struct sigv4_pair *extra; /* conditional headers */
  size_t nextra;                  /* <= S3_MAX_CONDITIONS */
  /* DynamoDB: POST 'body' with X-Amz-Target 'target' (NULL for S3) */
  const char *target;
  const char *body;
  size_t body_len;
};

static struct curl_slist *add_header(struct curl_slist *l, const char *name,
                                     const char *value, int *fail)
{
  struct buf b;
  struct curl_slist *n;

  if (*fail)
    return l;
  buf_init_secret(&b, S3_URL_MAX); /* the token or the signature */
  if (buf_printf(&b, "%s: %s", name, value) != BUF_OK) {
    *fail = 1;
    return l;
  }
  n = curl_slist_append(l, b.data);
  buf_free(&b);
  if (!n)
    *fail = 1;
  return n ? n : l;
}

/* Frees a header list, wiping it: it holds the session token. */
static void free_headers(struct curl_slist *l)
{
  struct curl_slist *i;

  for (i = l; i; i = i->next)
    OPENSSL_cleanse(i->data, strlen(i->data));
  curl_slist_free_all(l);
}

/* The headers to sign: host plus the conditions, or (DynamoDB) plus the
 * content type and target; 'h' holds S3_SIGNED_MAX. */
static size_t signed_headers(const struct s3_client *c, const struct s3_req *r,
                             struct sigv4_pair *h)
{
  size_t i, n = 0;

  h[n++] = (struct sigv4_pair){"host", c->host};
  if (r->target) {
    h[n++] = (struct sigv4_pair){"content-type", S3_DDB_CONTENT_TYPE};
    h[n++] = (struct sigv4_pair){"x-amz-target", r->target};
  }
  for (i = 0; i < r->nextra; i++)
    h[n++] = r->extra[i];
  return n;
}

static enum sigv4_code sign_now(const struct s3_client *c,
                                const struct s3_req *r,
                                const struct sigv4_pair *h, size_t nh,
                                const struct aws_credentials *cred,
                                struct sigv4_result *res)
{
  struct sigv4_request req;
  struct sigv4_credentials sc;
  char hash[SIGV4_HEX_LEN];
  enum sigv4_code rc;

  memset(&req, 0, sizeof(req));
  req.method = r->target ? "POST" : "GET";
  req.path = r->path;
  req.query = r->query;
  req.nquery = r->nquery;
  req.headers = h;
  req.nheaders = nh;
  req.payload_hash = SIGV4_EMPTY_SHA256;
  /* S3 wants x-amz-content-sha256; DynamoDB signs the body's hash in the
   * canonical request only (no UNSIGNED-PAYLOAD: the body is the call). */
  req.add_content_sha256 = !c->dynamodb;
  if (r->target) {
    rc = sigv4_sha256_hex(r->body, r->body_len, hash);
    if (rc != SIGV4_OK)
      return rc;
    req.payload_hash = hash;
  }
  sc.access_key_id = cred->access_key_id;
  sc.secret_access_key = cred->secret_access_key;
  sc.session_token = cred->session_token;
  return sigv4_sign(&req, &sc, c->region, c->dynamodb ? "dynamodb" : "s3",
                    time(NULL), res);
}

/* scheme://host + encoded path + '?' + canonical query: the signed bytes. */
static enum sigv4_code make_url(const struct s3_client *c,
                                const struct s3_req *r, struct buf *url)
{
  enum sigv4_code rc = SIGV4_OK;

  if (buf_append_str(url, c->scheme_host) != BUF_OK)
    return SIGV4_NO_MEMORY;
  rc = sigv4_uri_encode(url, r->path, strlen(r->path), 1);
  if (rc == SIGV4_OK && r->nquery && buf_append_char(url, '?') != BUF_OK)
    rc = SIGV4_NO_MEMORY;
  if (rc == SIGV4_OK && r->nquery)
    rc = sigv4_canonical_query(url, r->query, r->nquery);
  return rc;
}

/* Signs 'r' with 'cred' now; builds the URL and the header list. */
static enum s3_code build_signed(const struct s3_client *c,
                                 const struct s3_req *r,
                                 const struct aws_credentials *cred,
                                 struct buf *url, struct curl_slist **hdrs)
{
  struct sigv4_pair h[S3_SIGNED_MAX];
  struct sigv4_result res;
  size_t i, nh = signed_headers(c, r, h);
  int fail = 0;
  enum sigv4_code rc;

  sigv4_result_init(&res);
  rc = sign_now(c, r, h, nh, cred, &res);
  if (rc == SIGV4_OK)
    rc = make_url(c, r, url);
  for (i = 0; rc == SIGV4_OK && i < nh; i++)
    *hdrs = add_header(*hdrs, h[i].name, h[i].value, &fail);
  if (rc == SIGV4_OK) {
    *hdrs = add_header(*hdrs, "X-Amz-Date", res.amz_date, &fail);
    if (!c->dynamodb)
      *hdrs =
          add_header(*hdrs, "x-amz-content-sha256", SIGV4_EMPTY_SHA256, &fail);
    else /* a small body: no "Expect: 100-continue" round trip */
      *hdrs = add_header(*hdrs, "Expect", "", &fail);
    if (cred->session_token[0])
      *hdrs =
          add_header(*hdrs, "X-Amz-Security-Token", cred->session_token, &fail);
    *hdrs = add_header(*hdrs, "Authorization", res.authorization.data, &fail);
  }
  sigv4_result_free(&res);
  if (rc == SIGV4_BAD_INPUT)
    return S3_BAD_REQUEST;
  return rc != SIGV4_OK || fail ? S3_NO_MEMORY : S3_OK;
}

static int set_options(CURL *e, const struct s3_client *c,
                       const struct s3_req *r, const char *url,
                       struct curl_slist *hdrs, struct s3_exchange *x,
                       long budget_ms, char *errbuf)
{
  CURLcode rc = CURLE_OK;

  curl_easy_reset(e); /* keeps live connections and caches */
  rc |= curl_easy_setopt(e, CURLOPT_URL, url);
  if (r->target) {
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                           (curl_off_t)r->body_len);
    rc |= curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
  } else {
    rc |= curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
  }
  rc |= curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
  rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
  rc |= curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
  rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, S3_USER_AGENT);
  rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  rc |= curl_easy_setopt(e, CURLOPT_SHARE, c->share);
  rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, budget_ms);
  rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, budget_ms);
  rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
  rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
  rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
  rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
  rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
  if (c->ca_bundle)
    rc |= curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_bundle);
  return rc == CURLE_OK ? 0 : -1;
}

/*************************************************************************
 * Outcome of an exchange -> s3_code, and whether to retry
 *************************************************************************/

static int is_throttle_code(const char *code)
{
  static const char *const codes[] = {
      "SlowDown", "Throttling", "ThrottlingException", "RequestThrottled",
      "RequestLimitExceeded", "TooManyRequestsException", "RequestTimeout",
      "InternalError", "ServiceUnavailable",
      /* DynamoDB's */
      "ProvisionedThroughputExceededException", "InternalServerError"};
  size_t i;

  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
    if (!strcmp(code, codes[i]))
      return 1;
  return 0;
}

/* Denials: S3 says them with a 403; DynamoDB with a 400 and these. */
static int is_token_code(const char *code)
{
  static const char *const codes[] = {"ExpiredToken",
                                      "InvalidToken",
                                      "TokenRefreshRequired",
                                      "AccessDeniedException",
                                      "UnrecognizedClientException",
                                      "InvalidSignatureException",
                                      "ExpiredTokenException",
                                      "MissingAuthenticationTokenException",
                                      "IncompleteSignatureException"};
  size_t i;

  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
    if (!strcmp(code, codes[i]))
      return 1;
  return 0;
}

/* An HTTP answer other than 200/304. */
static enum s3_step from_status(int status, const struct s3_diag *d,
                                enum s3_code *code)
{
  const char *ec = d->error.code;

  if (status >= 500 || status == 429 || is_throttle_code(ec)) {
    *code = S3_UNAVAILABLE;
    return STEP_RETRY;
  }
  if (status == 403 || is_token_code(ec))
    *code = S3_FORBIDDEN;
  else if (status == 404 && strcmp(ec, "NoSuchBucket"))
    *code = S3_NOT_FOUND; /* NoSuchKey; a missing bucket is our setup */
  else if (status >= 300 && status < 500)
    *code = S3_BAD_REQUEST;
  else
    *code = S3_BAD_RESPONSE;
  return STEP_DONE;
}

/* A transfer that did not complete. */
static enum s3_step from_curl(CURLcode cc, const struct s3_exchange *x,
                              enum s3_code *code)
{
  if (x->too_large) {
    *code = x->is_get ? S3_TOO_LARGE : S3_BAD_RESPONSE;
    return STEP_DONE;
  }
  if (x->no_memory || cc == CURLE_OUT_OF_MEMORY) {
    *code = S3_NO_MEMORY;
    return STEP_DONE;
  }
  switch (cc) {
  case CURLE_OPERATION_TIMEDOUT: /* the whole budget is spent */
    *code = S3_TIMEOUT;
    return STEP_DONE;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_SSL_CONNECT_ERROR:
    *code = S3_UNAVAILABLE;
    return STEP_RETRY;
  case CURLE_PARTIAL_FILE: /* connection cut mid-body */
    *code = S3_BAD_RESPONSE;
    return STEP_RETRY;
  default:
    *code = S3_UNAVAILABLE;
    return STEP_DONE;
  }
}

/*************************************************************************
 * The call: attempts within the budget
 *************************************************************************/

/* What an exchange produced, handed to the caller on success. */
struct s3_call {
  struct s3_req req;
  int is_get;
  size_t body_cap;
  struct s3_exchange x; /* of the last attempt */
};

static void exchange_reset(struct s3_exchange *x, const struct s3_client *c,
                           const struct s3_call *call)
{
  buf_free(&x->body);
  buf_free(&x->err);
  memset(x, 0, sizeof(*x));
  x->client = c;
  x->is_get = call->is_get;
  x->body_cap = call->body_cap;
  buf_init(&x->body, call->body_cap);
  buf_init(&x->err, S3_ERROR_BODY_MAX);
}

/* Keys for one attempt, fetched (or waited for) within what is left of
 * the call's budget: a slow credentials endpoint is cut at the deadline
 * like a slow S3 (504), not added to it. */
static enum s3_step get_keys(struct s3_client *c, long long deadline,
                             struct aws_credentials *cred, enum s3_code *code,
                             struct s3_diag *d)
{
  switch (aws_cred_get_within(c->creds, cred, (long)(deadline - clock_now_ms()),
                              d->detail, sizeof(d->detail))) {
  case AWS_CRED_OK:
    return STEP_RETRY; /* go on */
  case AWS_CRED_TIMEOUT:
    *code = S3_TIMEOUT;
    return STEP_DONE;
  case AWS_CRED_UNAVAILABLE:
  case AWS_CRED_BAD_CONFIG:
  case AWS_CRED_NO_MEMORY:
    break;
  }
  *code = S3_NO_CREDENTIALS;
  return STEP_DONE;
}

/* S3's XML error document, or DynamoDB's JSON one ({"__type": ...}); an
 * emulator answering DynamoDB calls with S3's XML (moto's 403s) is read as
 * XML too, so its denials map like AWS's. */
static void parse_error_body(const struct s3_client *c,
                             const struct s3_exchange *x,
                             struct s3_error_doc *out)
{
  const char *p = x->err.data ? x->err.data : "";
  size_t n = x->err.len;

  while (n && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
    p++, n--;
  if (c->dynamodb && n && *p == '{')
    c->parse_error(p, n, out);
  else
    s3_xml_parse_error(x->err.data, x->err.len, out);
}

/* Credentials, signature, one transfer, all before 'deadline' (monotonic
 * ms); maps the outcome into 'code'. */
static enum s3_step attempt(struct s3_client *c, CURL *e, struct s3_call *call,
                            long long deadline, enum s3_code *code,
                            struct s3_diag *d)
{
  struct aws_credentials cred;
  struct curl_slist *hdrs = NULL;
  struct buf url;
  char errbuf[CURL_ERROR_SIZE] = "";
  long budget_ms;
  CURLcode cc;

  exchange_reset(&call->x, c, call);
  if (get_keys(c, deadline, &cred, code, d) == STEP_DONE)
    return STEP_DONE;
  buf_init(&url, S3_URL_MAX);
  *code = build_signed(c, &call->req, &cred, &url, &hdrs);
  aws_cred_wipe(&cred);
  budget_ms = (long)(deadline - clock_now_ms());
  if (*code == S3_OK && budget_ms <= 0) {
    set_detail(d, "time budget spent before the request was sent");
    *code = S3_TIMEOUT;
  }
  if (*code == S3_OK && set_options(e, c, &call->req, url.data, hdrs, &call->x,
                                    budget_ms, errbuf) != 0)
    *code = S3_NO_MEMORY;
  if (*code != S3_OK) {
    free_headers(hdrs);
    buf_free(&url);
    return STEP_DONE;
  }
  cc = curl_easy_perform(e);
  curl_easy_setopt(e, CURLOPT_HTTPHEADER, NULL);
  curl_easy_setopt(e, CURLOPT_ERRORBUFFER, NULL);
  free_headers(hdrs);
  buf_free(&url);
  d->http_status = call->x.status;
  memcpy(d->request_id, call->x.request_id, sizeof(d->request_id));
  if (cc != CURLE_OK) {
    set_detail(d, errbuf[0] ? errbuf : curl_easy_strerror(cc));
    return from_curl(cc, &call->x, code);
  }
  if (call->x.status == 200 || (call->x.status == 304 && call->is_get)) {
    *code = call->x.status == 200 ? S3_OK : S3_NOT_MODIFIED;
    return STEP_DONE;
  }
  parse_error_body(c, &call->x, &d->error);
  snprintf(d->detail, sizeof(d->detail), "HTTP %d %s", call->x.status,
           d->error.code);
  return from_status(call->x.status, d, code);
}

/* Attempts until one is final, max_attempts are spent, or the budget would
 * not cover the next backoff. 'diag' describes the last attempt. */
static enum s3_code run_call(struct s3_client *c, struct s3_call *call,
                             struct s3_diag *d)
{
  long start = clock_now_ms(), left = c->timeout_ms, wait;
  long long deadline = (long long)start + c->timeout_ms;
  enum s3_code code = S3_TIMEOUT;
  CURL *e = handle_get(c);

  if (!e) {
    set_detail(d, "cannot create a CURL handle");
    return S3_NO_MEMORY;
  }
  while (left > 0) {
    d->attempts++;
    memset(&d->error, 0, sizeof(d->error));
    d->detail[0] = '\0';
    if (attempt(c, e, call, deadline, &code, d) == STEP_DONE ||
        d->attempts >= c->max_attempts)
      break;
    wait = backoff_ms(d->attempts);
    left = c->timeout_ms - (clock_now_ms() - start);
    if (wait >= left) /* no time for another try */
      break;
    sleep_ms(wait);
    left = c->timeout_ms - (clock_now_ms() - start);
  }
  d->elapsed_ms = clock_now_ms() - start;
  return code;
}

static void call_free(struct s3_call *call)
{
  buf_free(&call->x.body);
  buf_free(&call->x.err);
}

/*************************************************************************
 * GetObject
 *************************************************************************/

/* A condition value fit to sign and send: printable ASCII (ETags and HTTP
 * dates are; signers disagree on other white space), trimmed, inner runs of
 * spaces collapsed (as SigV4 canonicalizes them), not too long. */
static int clean_condition(const char *v, char out[S3_COND_MAX])
{
  size_t n = 0;
  int space = 0;

  for (; *v; v++) {
    unsigned char ch = (unsigned char)*v;

    if (ch == ' ' || ch == '\t') {
      space = n > 0;
      continue;
    }
    if (ch < 0x20 || ch >= 0x7f || n + 2 >= S3_COND_MAX)
      return 0;
    if (space)
      out[n++] = ' ';
    out[n++] = (char)ch;
    space = 0;
  }
  out[n] = '\0';
  return n > 0;
}

/* S3's ETag and Last-Modified, checked before they go anywhere: a 200 must
 * carry an ETag of RFC 9110's grammar (a 304 may omit it); Last-Modified,
 * when present, must be a date, and is written again by us. 0, or -1 with
 * 'd->detail' saying which. */
static int take_fields(const struct s3_exchange *x, struct s3_object *out,
                       struct s3_diag *d)
{
  if ((x->etag[0] || x->status == 200) &&
      !s3_etag_valid(x->etag, strlen(x->etag))) {
    set_detail(d, "ETag from S3 is missing or not an entity-tag");
    return -1;
  }
  if (x->last_modified[0] &&
      s3_http_date(x->last_modified, out->last_modified, NULL) != 0) {
    set_detail(d, "Last-Modified from S3 is not an HTTP date");
    return -1;
  }
  memcpy(out->etag, x->etag, sizeof(out->etag));
  return 0;
}

enum s3_code s3_get_object(struct s3_client *c, const char *key,
                           const struct s3_conditions *cond,
                           struct s3_object *out, struct s3_diag *diag)
{
  char inm[S3_COND_MAX], ims[S3_COND_MAX];
  struct sigv4_pair extra[S3_MAX_CONDITIONS];
  struct s3_call call;
  struct s3_diag dummy;
  struct buf path;
  enum s3_code code;

  if (!diag)
    diag = &dummy;
  memset(diag, 0, sizeof(*diag));
  if (out)
    memset(out, 0, sizeof(*out));
  if (!c || !out || !key || !*key || strlen(key) > S3_KEY_MAX) {
    set_detail(diag, "key missing or longer than 1024 bytes");
    return S3_BAD_REQUEST;
  }
  memset(&call, 0, sizeof(call));
  call.is_get = 1;
  call.body_cap = c->max_object_bytes;
  if (cond && cond->if_none_match && clean_condition(cond->if_none_match, inm))
    extra[call.req.nextra++] = (struct sigv4_pair){"if-none-match", inm};
  if (cond && cond->if_modified_since &&
      clean_condition(cond->if_modified_since, ims))
    extra[call.req.nextra++] = (struct sigv4_pair){"if-modified-since", ims};
  call.req.extra = extra;
  buf_init(&path, S3_URL_MAX);
  if (buf_printf(&path, "%s/%s", c->base_path, key) != BUF_OK)
    return S3_NO_MEMORY;
  call.req.path = path.data;
  code = run_call(c, &call, diag);
  buf_free(&path);
  if ((code == S3_OK || code == S3_NOT_MODIFIED) &&
      take_fields(&call.x, out, diag) != 0)
    code = S3_BAD_RESPONSE;
  if (code == S3_OK) {
    out->body = buf_detach(&call.x.body, &out->len);
    if (!out->body)
      code = S3_NO_MEMORY;
  }
  call_free(&call);
  return code;
}

void s3_object_free(struct s3_object *o)
{
  if (!o)
    return;
  free(o->body);
  o->body = NULL;
  o->len = 0;
}

/*************************************************************************
 * ListObjectsV2
 *************************************************************************/

enum s3_code s3_list_objects(struct s3_client *c, const char *prefix,
                             const char *token, int max_keys,
                             struct s3_list *out, struct s3_diag *diag)
{
  struct sigv4_pair q[5];
  char maxbuf[16];
  struct s3_call call;
  struct s3_diag dummy;
  enum s3_code code;

  if (!diag)
    diag = &dummy;
  memset(diag, 0, sizeof(*diag));
  if (out)
    memset(out, 0, sizeof(*out));
  if (!c || !out || max_keys < 0 || max_keys > S3_LIST_MAX_KEYS ||
      (prefix && strlen(prefix) > S3_KEY_MAX) ||
      (token && (!*token || strlen(token) > S3_TOKEN_MAX))) {
    set_detail(diag, "bad list arguments");
    return S3_BAD_REQUEST;
  }
  memset(&call, 0, sizeof(call));
  call.body_cap = S3_XML_MAX_DOC;
  /* Keys as URL-encoded text: a key holding a character XML 1.0 cannot
   * carry (U+0001, say) would otherwise make the whole page unparseable.
   * s3_xml_parse_list decodes them. */
  q[call.req.nquery++] = (struct sigv4_pair){"encoding-type", "url"};
  q[call.req.nquery++] = (struct sigv4_pair){"list-type", "2"};
  if (prefix && *prefix)
    q[call.req.nquery++] = (struct sigv4_pair){"prefix", prefix};
  if (token)
    q[call.req.nquery++] = (struct sigv4_pair){"continuation-token", token};
  if (max_keys > 0) {
    snprintf(maxbuf, sizeof(maxbuf), "%d", max_keys);
    q[call.req.nquery++] = (struct sigv4_pair){"max-keys", maxbuf};
  }
  call.req.query = q;
  /* "/" virtual-hosted; "/bucket" path-style, as botocore sends it */
  call.req.path = *c->base_path ? c->base_path : "/";
  code = run_call(c, &call, diag);
  if (code == S3_OK &&
      s3_xml_parse_list(call.x.body.data, call.x.body.len, out) != 0) {
    set_detail(diag, "ListObjectsV2 answer is not a valid listing");
    code = S3_BAD_RESPONSE;
  }
  call_free(&call);
  return code;
}

/*************************************************************************
 * DynamoDB's JSON 1.0 protocol
 *************************************************************************/

enum s3_code s3_client_json_call(struct s3_client *c, const char *target,
                                 const char *body, size_t body_len,
                                 size_t answer_cap, int is_get,
                                 struct s3_answer *out, struct s3_diag *diag)
{
  struct s3_call call;
  struct s3_diag dummy;
  enum s3_code code;

  if (!diag)
    diag = &dummy;
  memset(diag, 0, sizeof(*diag));
  if (out)
    memset(out, 0, sizeof(*out));
  if (!c || !c->dynamodb || !out || !target || !body || answer_cap == 0) {
    set_detail(diag, "bad JSON call arguments");
    return S3_BAD_REQUEST;
  }
  memset(&call, 0, sizeof(call));
  call.is_get = is_get;
  call.body_cap = answer_cap;
  call.req.path = *c->base_path ? c->base_path : "/";
  call.req.target = target;
  call.req.body = body;
  call.req.body_len = body_len;
  code = run_call(c, &call, diag);
  if (code == S3_OK) {
    out->body = buf_detach(&call.x.body, &out->len);
    if (!out->body)
      code = S3_NO_MEMORY;
  }
  call_free(&call);
  return code;
}
