/* fetch.c -- HTTP to the ECS credentials endpoint and to IMDSv2
 *
 * One libcurl easy handle per fetch: refreshes are minutes or hours apart,
 * so reusing connections would buy nothing. Every buffer that held a
 * secret (answer bodies, the Authorization header, the IMDS token) is
 * wiped before it is freed. Messages name the step and the HTTP status or
 * transfer error, never a header or a body.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws_internal.h"
#include "../util/clock.h"

/* IMDS is the last resort and usually absent off EC2, where its address
 * may be a black hole: each call gets at most this long, as in the SDKs. */
#define IMDS_TIMEOUT_MS 1000L
/* Lifetime asked for the IMDSv2 session token; it is used for one fetch. */
#define IMDS_TOKEN_TTL "21600"
/* Largest IMDS session token accepted (they are about 60 bytes). */
#define IMDS_TOKEN_MAX 1024
/* IAM role names are at most 64 characters. */
#define ROLE_NAME_MAX 128

/* Frees a string that held a secret. */
static void free_secret(char *s)
{
  if (s) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

/* Where libcurl writes the body: a fixed buffer, never reallocated. */
struct sink {
  char *buf;
  size_t cap;
  size_t len;
  int overflow;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
  struct sink *s = ud;
  size_t n = size * nmemb;

  /* Keep one byte for the NUL; returning short aborts the transfer. */
  if (n >= s->cap - s->len) {
    s->overflow = 1;
    return 0;
  }
  memcpy(s->buf + s->len, data, n);
  s->len += n;
  return n;
}

static void free_headers(struct curl_slist *list)
{
  struct curl_slist *n;

  for (n = list; n; n = n->next)
    OPENSSL_cleanse(n->data, strlen(n->data));
  curl_slist_free_all(list);
}

/* Builds the header list; NULL on out of memory ('*ok' = 0). */
static struct curl_slist *make_headers(const struct aws_http_req *req, int *ok)
{
  struct curl_slist *list = NULL, *next;
  size_t i;

  *ok = 1;
  /* No "Content-Type: application/x-www-form-urlencoded" on the PUT. */
  next = curl_slist_append(list, "Content-Type:");
  for (i = 0; next && i < 3 && req->headers[i]; i++) {
    list = next;
    next = curl_slist_append(list, req->headers[i]);
  }
  if (!next) {
    free_headers(list);
    *ok = 0;
    return NULL;
  }
  return next;
}

static void set_options(CURL *h, const struct aws_http_req *req,
                        struct curl_slist *hdrs, struct sink *sink)
{
  long connect =
      req->connect_timeout_ms ? req->connect_timeout_ms : req->timeout_ms;

  curl_easy_setopt(h, CURLOPT_URL, req->url);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* threads: no SIGALRM */
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect);
  /* A proxy from http_proxy must never see metadata traffic, and a
   * redirect must not carry the Authorization header elsewhere. */
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
  if (!strcmp(req->method, "PUT")) {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
  }
}

static enum aws_cred_code outcome(CURL *h, CURLcode cc, const struct sink *sink,
                                  char *err, size_t errlen)
{
  long status = 0;

  if (sink->overflow) {
    aws_set_err(err, errlen, "answer larger than %zu bytes", sink->cap - 1);
    return AWS_CRED_UNAVAILABLE;
  }
  if (cc != CURLE_OK) {
    aws_set_err(err, errlen, "%s", curl_easy_strerror(cc));
    return AWS_CRED_UNAVAILABLE;
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    aws_set_err(err, errlen, "HTTP %ld", status);
    return AWS_CRED_UNAVAILABLE;
  }
  return AWS_CRED_OK;
}

enum aws_cred_code aws_http_fetch(const struct aws_http_req *req, char *body,
                                  size_t cap, size_t *len, char *err,
                                  size_t errlen)
{
  struct sink sink = {body, cap, 0, 0};
  struct curl_slist *hdrs;
  enum aws_cred_code rc;
  CURL *h;
  int ok;

  *len = 0;
  body[0] = '\0';
  h = curl_easy_init();
  hdrs = make_headers(req, &ok);
  if (!h || !ok) {
    curl_easy_cleanup(h);
    free_headers(hdrs);
    aws_set_err(err, errlen, "out of memory");
    return AWS_CRED_NO_MEMORY;
  }
  set_options(h, req, hdrs, &sink);
  rc = outcome(h, curl_easy_perform(h), &sink, err, errlen);
  curl_easy_cleanup(h);
  free_headers(hdrs);
  body[sink.len] = '\0';
  *len = sink.len;
  return rc;
}

/* Reads the authorization token file (it rotates: read at each fetch).
 * Trailing blanks and newlines are dropped. Returns a malloc'd string. */
static char *read_token_file(const char *path, char *err, size_t errlen)
{
  char *buf = NULL;
  size_t n = 0;
  int e = aws_read_file(path, AWS_AUTH_TOKEN_MAX, &buf, &n);

  if (e) {
    aws_set_err(err, errlen, "token file: %s",
                e == EFBIG    ? "larger than 8 KiB"
                : e == EINVAL ? "not a regular file"
                              : strerror(e));
    return NULL;
  }
  while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
               buf[n - 1] == '\t'))
    buf[--n] = '\0';
  return buf;
}

/* "Authorization: <token>" or NULL with 'err' set. The token may not hold
 * control bytes: a newline would inject a header. */
static char *auth_header(const struct aws_ecs_cfg *cfg, char *err,
                         size_t errlen)
{
  char *file_tok = NULL, *hdr;
  const char *tok = cfg->token;
  size_t i, n;

  if (cfg->token_file &&
      !(tok = file_tok = read_token_file(cfg->token_file, err, errlen)))
    return NULL;
  n = strlen(tok);
  for (i = 0; i < n; i++)
    if ((unsigned char)tok[i] < 0x20 || tok[i] == 0x7f)
      break;
  hdr = n && i == n ? malloc(n + sizeof("Authorization: ")) : NULL;
  if (hdr)
    snprintf(hdr, n + sizeof("Authorization: "), "Authorization: %s", tok);
  else
    aws_set_err(err, errlen, "authorization token %s",
                !n      ? "is empty"
                : i < n ? "holds a control byte"
                        : "out of memory");
  free_secret(file_tok);
  return hdr;
}

enum aws_cred_code aws_ecs_fetch(const struct aws_ecs_cfg *cfg, long timeout_ms,
                                 struct aws_credentials *out, char *err,
                                 size_t errlen)
{
  struct aws_http_req req = {
      "GET", cfg->url, {"Accept: application/json"}, timeout_ms, 0};
  char why[160] = "", *auth = NULL, *body;
  enum aws_cred_code rc = AWS_CRED_UNAVAILABLE;
  size_t len = 0;

  if ((cfg->token || cfg->token_file) &&
      !(auth = auth_header(cfg, why, sizeof(why)))) {
    aws_set_err(err, errlen, "ecs: %s", why);
    return AWS_CRED_UNAVAILABLE;
  }
  req.headers[1] = auth;
  body = malloc(AWS_HTTP_BODY_MAX);
  if (!body)
    snprintf(why, sizeof(why), "out of memory");
  else if ((rc = aws_http_fetch(&req, body, AWS_HTTP_BODY_MAX, &len, why,
                                sizeof(why))) == AWS_CRED_OK)
    rc = aws_cred_parse_json(body, len, out, why, sizeof(why));
  if (rc != AWS_CRED_OK)
    aws_set_err(err, errlen, "ecs: %s", why);
  if (body)
    OPENSSL_cleanse(body, AWS_HTTP_BODY_MAX);
  free(body);
  free_secret(auth);
  return body ? rc : AWS_CRED_NO_MEMORY;
}

/* One IMDS conversation: where, until when, and the session token header
 * once we have it. */
struct imds {
  const char *base;
  long long deadline; /* monotonic ms: the whole fetch ends by then */
  char *hdr;          /* "X-aws-ec2-metadata-token: ..." (secret) */
};

/* One IMDS call into 'body' ('cap' bytes), sending 'hdr': at most 1 s,
 * and never past the fetch's deadline. */
static enum aws_cred_code imds_call(const struct imds *m, const char *method,
                                    const char *path, const char *hdr,
                                    char *body, size_t cap, size_t *len,
                                    char *err, size_t errlen)
{
  char url[1024];
  long long left = m->deadline - clock_now_ms();
  struct aws_http_req req = {method,
                             url,
                             {hdr},
                             left < IMDS_TIMEOUT_MS ? (long)left
                                                    : IMDS_TIMEOUT_MS,
                             0};

  *len = 0;
  body[0] = '\0';
  if (left <= 0) {
    aws_set_err(err, errlen, "time budget spent");
    return AWS_CRED_UNAVAILABLE;
  }
  snprintf(url, sizeof(url), "%s%s", m->base, path);
  return aws_http_fetch(&req, body, cap, len, err, errlen);
}

/* The first role listed; IAM role names are [\w+=,.@-]. */
static int first_role(const char *list, char *role, size_t cap)
{
  size_t n = strcspn(list, "\r\n"), i;

  if (n == 0 || n >= cap)
    return -1;
  for (i = 0; i < n; i++) {
    char c = list[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
          (c >= '0' && c <= '9') || strchr("+=,.@_-", c)))
      return -1;
  }
  memcpy(role, list, n);
  role[n] = '\0';
  return 0;
}

/* Gets an IMDSv2 session token into m->hdr, as the header carrying it. */
static enum aws_cred_code imds_token(struct imds *m, char *err, size_t errlen)
{
  static const char name[] = "X-aws-ec2-metadata-token: ";
  char tok[IMDS_TOKEN_MAX];
  enum aws_cred_code rc;
  size_t len, n;

  rc = imds_call(m, "PUT", "/latest/api/token",
                 "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL, tok,
                 sizeof(tok), &len, err, errlen);
  if (rc != AWS_CRED_OK)
    return rc;
  n = strcspn(tok, "\r\n");
  if (n == 0 || n != len) {
    aws_set_err(err, errlen, "malformed token");
    rc = AWS_CRED_UNAVAILABLE;
  } else if ((m->hdr = malloc(n + sizeof(name)))) {
    snprintf(m->hdr, n + sizeof(name), "%s%s", name, tok);
  } else {
    aws_set_err(err, errlen, "out of memory");
    rc = AWS_CRED_NO_MEMORY;
  }
  OPENSSL_cleanse(tok, sizeof(tok));
  return rc;
}

#define IMDS_CREDS_PATH "/latest/meta-data/iam/security-credentials/"

/* Token, role, then the role's credentials; 'body' is scratch space. */
static enum aws_cred_code imds_steps(struct imds *m, char *body,
                                     struct aws_credentials *out, char *err,
                                     size_t errlen)
{
  char role[ROLE_NAME_MAX], path[sizeof(IMDS_CREDS_PATH) + ROLE_NAME_MAX];
  char why[128];
  enum aws_cred_code rc;
  size_t len;

  if ((rc = imds_token(m, why, sizeof(why))) != AWS_CRED_OK) {
    aws_set_err(err, errlen, "imds token: %s", why);
    return rc;
  }
  rc = imds_call(m, "GET", IMDS_CREDS_PATH, m->hdr, body, AWS_HTTP_BODY_MAX,
                 &len, why, sizeof(why));
  if (rc == AWS_CRED_OK && first_role(body, role, sizeof(role))) {
    snprintf(why, sizeof(why), "no valid instance role listed");
    rc = AWS_CRED_UNAVAILABLE;
  }
  if (rc != AWS_CRED_OK) {
    aws_set_err(err, errlen, "imds role: %s", why);
    return rc;
  }
  snprintf(path, sizeof(path), "%s%s", IMDS_CREDS_PATH, role);
  rc = imds_call(m, "GET", path, m->hdr, body, AWS_HTTP_BODY_MAX, &len, why,
                 sizeof(why));
  if (rc == AWS_CRED_OK)
    rc = aws_cred_parse_json(body, len, out, why, sizeof(why));
  if (rc != AWS_CRED_OK)
    aws_set_err(err, errlen, "imds credentials: %s", why);
  return rc;
}

enum aws_cred_code aws_imds_fetch(const char *base, long timeout_ms,
                                  struct aws_credentials *out, char *err,
                                  size_t errlen)
{
  struct imds m = {base, 0, NULL};
  enum aws_cred_code rc;
  char *body;

  /* Three calls of at most 1 s each, all within 'timeout_ms'. */
  if (timeout_ms <= 0 || timeout_ms > 3 * IMDS_TIMEOUT_MS)
    timeout_ms = 3 * IMDS_TIMEOUT_MS;
  m.deadline = clock_now_ms() + timeout_ms;
  if (!(body = malloc(AWS_HTTP_BODY_MAX))) {
    aws_set_err(err, errlen, "imds: out of memory");
    return AWS_CRED_NO_MEMORY;
  }
  rc = imds_steps(&m, body, out, err, errlen);
  OPENSSL_cleanse(body, AWS_HTTP_BODY_MAX);
  free(body);
  free_secret(m.hdr);
  return rc;
}
