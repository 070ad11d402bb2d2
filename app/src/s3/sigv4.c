/* sigv4.c -- AWS Signature Version 4, as S3 wants it (pure, no I/O)
 *
 * The canonical request is built here, byte for byte, rather than by libcurl
 * (see sigv4.h). Reference: "Create a canonical request for Signature
 * Version 4" in the IAM user guide, and botocore's S3SigV4Auth.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_SCOPE_DATE_LEN sizeof("20150830")
#define SIGV4_SHA256_LEN 32

/* Bounds on what one signature may build: a 1024-byte key encodes to at most
 * 3 KiB, a session token is a few KiB; these leave room and stop a runaway
 * caller from allocating without limit. */
#define SIGV4_MAX_CANONICAL (256 * 1024)
#define SIGV4_MAX_AUTH (16 * 1024)
#define SIGV4_MAX_HEADERS 64

static const char hexdigits_upper[] = "0123456789ABCDEF";
static const char hexdigits_lower[] = "0123456789abcdef";

/* A header ready to be canonicalized: lowercase name, original position
 * (duplicate names keep their order when joined). */
struct sigv4_hdr {
  char *name; /* malloc'd, lowercase */
  const char *value;
  size_t pos;
};

/* An encoded query parameter, for sorting. */
struct sigv4_qenc {
  char *name;  /* malloc'd, encoded */
  char *value; /* malloc'd, encoded */
};

static enum sigv4_code from_buf(enum buf_code rc)
{
  return rc == BUF_OK ? SIGV4_OK : SIGV4_NO_MEMORY;
}

static int is_unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

enum sigv4_code sigv4_uri_encode(struct buf *out, const char *s, size_t n,
                                 int keep_slash)
{
  size_t i;

  if (!out || (!s && n))
    return SIGV4_BAD_INPUT;
  for (i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    char esc[3];

    if (is_unreserved(c) || (keep_slash && c == '/')) {
      if (buf_append_char(out, (char)c) != BUF_OK)
        return SIGV4_NO_MEMORY;
      continue;
    }
    esc[0] = '%';
    esc[1] = hexdigits_upper[c >> 4];
    esc[2] = hexdigits_upper[c & 15];
    if (buf_append(out, esc, 3) != BUF_OK)
      return SIGV4_NO_MEMORY;
  }
  return SIGV4_OK;
}

/* Encodes 's' into a fresh malloc'd string; NULL when out of memory. */
static char *encode_dup(const char *s)
{
  struct buf b;
  size_t len;

  buf_init(&b, SIGV4_MAX_CANONICAL);
  if (sigv4_uri_encode(&b, s, strlen(s), 0) != SIGV4_OK) {
    buf_free(&b);
    return NULL;
  }
  return buf_detach(&b, &len);
}

static int qenc_cmp(const void *a, const void *b)
{
  const struct sigv4_qenc *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  return c ? c : strcmp(x->value, y->value);
}

static void qenc_free(struct sigv4_qenc *q, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++) {
    free(q[i].name);
    free(q[i].value);
  }
  free(q);
}

/* Encodes every pair of 'q'; '*out' is sorted by encoded name, then value. */
static enum sigv4_code query_encode_sorted(const struct sigv4_pair *q, size_t n,
                                           struct sigv4_qenc **out)
{
  struct sigv4_qenc *e;
  size_t i;

  e = calloc(n ? n : 1, sizeof(*e));
  if (!e)
    return SIGV4_NO_MEMORY;
  for (i = 0; i < n; i++) {
    e[i].name = encode_dup(q[i].name);
    e[i].value = encode_dup(q[i].value ? q[i].value : "");
    if (!e[i].name || !e[i].value) {
      qenc_free(e, n);
      return SIGV4_NO_MEMORY;
    }
  }
  qsort(e, n, sizeof(*e), qenc_cmp);
  *out = e;
  return SIGV4_OK;
}

enum sigv4_code sigv4_canonical_query(struct buf *out,
                                      const struct sigv4_pair *q, size_t n)
{
  struct sigv4_qenc *e;
  enum sigv4_code rc;
  size_t i;

  if (!out || (!q && n))
    return SIGV4_BAD_INPUT;
  for (i = 0; i < n; i++)
    if (!q[i].name)
      return SIGV4_BAD_INPUT;
  rc = query_encode_sorted(q, n, &e);
  if (rc != SIGV4_OK)
    return rc;
  for (i = 0; i < n && rc == SIGV4_OK; i++)
    rc = from_buf(
        buf_printf(out, "%s%s=%s", i ? "&" : "", e[i].name, e[i].value));
  qenc_free(e, n);
  return rc;
}

/*
 * RFC 3986 remove_dot_segments, plus dropping empty segments ("//"), as
 * botocore's normalize_url_path does: "/a/./b/../c//" -> "/a/c/".
 * Writes the decoded result into 'out' (not yet encoded).
 */
static enum sigv4_code normalize_path(struct buf *out, const char *path)
{
  size_t n = strlen(path), i = 0, nseg = 0;
  size_t *ends; /* out->len after each kept segment, to pop ".." */
  enum sigv4_code rc = SIGV4_OK;

  ends = calloc(n + 1, sizeof(*ends));
  if (!ends)
    return SIGV4_NO_MEMORY;
  while (i < n && rc == SIGV4_OK) {
    size_t start = i, len;

    while (i < n && path[i] != '/')
      i++;
    len = i - start;
    i++; /* past the '/' */
    if (len == 0 || (len == 1 && path[start] == '.'))
      continue;
    if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
      if (nseg)
        out->len = --nseg ? ends[nseg - 1] : 0;
      continue;
    }
    rc = from_buf(buf_append_char(out, '/'));
    if (rc == SIGV4_OK)
      rc = from_buf(buf_append(out, path + start, len));
    ends[nseg++] = out->len;
  }
  free(ends);
  if (rc != SIGV4_OK)
    return rc;
  /* A trailing slash survives only when some segment is left. */
  if (out->len && path[n - 1] == '/')
    rc = from_buf(buf_append_char(out, '/'));
  if (rc == SIGV4_OK && out->len == 0)
    rc = from_buf(buf_append_char(out, '/'));
  if (out->data)
    out->data[out->len] = '\0';
  return rc;
}

static enum sigv4_code canonical_path(struct buf *out,
                                      const struct sigv4_request *req)
{
  struct buf norm;
  enum sigv4_code rc;

  if (!req->normalize_path)
    return sigv4_uri_encode(out, req->path, strlen(req->path), 1);
  buf_init(&norm, SIGV4_MAX_CANONICAL);
  rc = normalize_path(&norm, req->path);
  if (rc == SIGV4_OK)
    rc = sigv4_uri_encode(out, norm.data, norm.len, 1);
  buf_free(&norm);
  return rc;
}

/* A header name is an RFC 9110 token: no spaces, colons or control bytes. */
static int valid_header_name(const char *s)
{
  if (!*s)
    return 0;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;

    if (c <= ' ' || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c))
      return 0;
  }
  return 1;
}

static char *lower_dup(const char *s)
{
  size_t n = strlen(s), i;
  char *d = malloc(n + 1);

  if (!d)
    return NULL;
  for (i = 0; i <= n; i++)
    d[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
  return d;
}

static int hdr_cmp(const void *a, const void *b)
{
  const struct sigv4_hdr *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  if (c)
    return c;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void hdrs_free(struct sigv4_hdr *h, size_t n)
{
  size_t i;

  for (i = 0; i < n; i++)
    free(h[i].name);
  free(h);
}

static int is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

/* Trimall: no leading or trailing white space, and every run of white space
 * inside (folded lines included) becomes one space, as botocore's
 * ' '.join(value.split()) does. */
static enum sigv4_code append_trimmed(struct buf *out, const char *v)
{
  int pending = 0, any = 0;

  for (; *v; v++) {
    if (is_space(*v)) {
      pending = any;
      continue;
    }
    if (pending && buf_append_char(out, ' ') != BUF_OK)
      return SIGV4_NO_MEMORY;
    if (buf_append_char(out, *v) != BUF_OK)
      return SIGV4_NO_MEMORY;
    pending = 0;
    any = 1;
  }
  return SIGV4_OK;
}

/* Is 'name' (lowercase) one the signer adds itself to this request? */
static int is_added_header(const char *name, const struct sigv4_request *req,
                           const char *token)
{
  return !strcmp(name, "x-amz-date") || !strcmp(name, "authorization") ||
         (token && !strcmp(name, "x-amz-security-token")) ||
         (req->add_content_sha256 && !strcmp(name, "x-amz-content-sha256"));
}

static enum sigv4_code hdr_add(struct sigv4_hdr *h, size_t *n, const char *name,
                               const char *value)
{
  h[*n].name = lower_dup(name);
  if (!h[*n].name)
    return SIGV4_NO_MEMORY;
  h[*n].value = value;
  h[*n].pos = *n;
  (*n)++;
  return SIGV4_OK;
}

/*
 * Collects the caller's headers plus the ones the signer adds, lowercased
 * and sorted. The added ones may not also come from the caller: two values
 * would be signed and the receiver could not know which one counts.
 */
static enum sigv4_code collect_headers(const struct sigv4_request *req,
                                       const char *amz_date, const char *token,
                                       struct sigv4_hdr **out, size_t *nout)
{
  struct sigv4_hdr *h;
  size_t n = 0, i;
  int has_host = 0;
  enum sigv4_code rc = SIGV4_OK;

  if (req->nheaders > SIGV4_MAX_HEADERS)
    return SIGV4_BAD_INPUT;
  h = calloc(req->nheaders + 3, sizeof(*h));
  if (!h)
    return SIGV4_NO_MEMORY;
  for (i = 0; i < req->nheaders && rc == SIGV4_OK; i++) {
    const struct sigv4_pair *p = &req->headers[i];

    if (!p->name || !p->value || !valid_header_name(p->name))
      rc = SIGV4_BAD_INPUT;
    else
      rc = hdr_add(h, &n, p->name, p->value);
    if (rc == SIGV4_OK && is_added_header(h[n - 1].name, req, token))
      rc = SIGV4_BAD_INPUT;
    if (rc == SIGV4_OK && !strcmp(h[n - 1].name, "host"))
      has_host = 1;
  }
  if (rc == SIGV4_OK && !has_host)
    rc = SIGV4_BAD_INPUT;
  if (rc == SIGV4_OK)
    rc = hdr_add(h, &n, "x-amz-date", amz_date);
  if (rc == SIGV4_OK && req->add_content_sha256)
    rc = hdr_add(h, &n, "x-amz-content-sha256", req->payload_hash);
  if (rc == SIGV4_OK && token)
    rc = hdr_add(h, &n, "x-amz-security-token", token);
  if (rc != SIGV4_OK) {
    hdrs_free(h, n);
    return rc;
  }
  qsort(h, n, sizeof(*h), hdr_cmp);
  *out = h;
  *nout = n;
  return SIGV4_OK;
}

/* "name:v1,v2\n" per distinct name, then the signed header list. */
static enum sigv4_code append_headers(struct buf *cr, struct buf *signed_hdrs,
                                      const struct sigv4_hdr *h, size_t n)
{
  size_t i;
  enum sigv4_code rc = SIGV4_OK;

  for (i = 0; i < n && rc == SIGV4_OK; i++) {
    int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;

    if (first && i)
      rc = from_buf(buf_append_char(cr, '\n'));
    if (rc == SIGV4_OK && first)
      rc = from_buf(buf_printf(cr, "%s:", h[i].name));
    if (rc == SIGV4_OK && first)
      rc = from_buf(buf_printf(signed_hdrs, "%s%s", i ? ";" : "", h[i].name));
    if (rc == SIGV4_OK && !first)
      rc = from_buf(buf_append_char(cr, ','));
    if (rc == SIGV4_OK)
      rc = append_trimmed(cr, h[i].value);
  }
  if (rc == SIGV4_OK)
    rc = from_buf(buf_append(cr, "\n\n", 2));
  return rc;
}

static enum sigv4_code build_canonical(const struct sigv4_request *req,
                                       const char *amz_date, const char *token,
                                       struct buf *cr, struct buf *signed_hdrs)
{
  struct sigv4_hdr *h = NULL;
  size_t nh = 0;
  enum sigv4_code rc;

  rc = from_buf(buf_printf(cr, "%s\n", req->method));
  if (rc == SIGV4_OK)
    rc = canonical_path(cr, req);
  if (rc == SIGV4_OK)
    rc = from_buf(buf_append_char(cr, '\n'));
  if (rc == SIGV4_OK)
    rc = sigv4_canonical_query(cr, req->query, req->nquery);
  if (rc == SIGV4_OK)
    rc = from_buf(buf_append_char(cr, '\n'));
  if (rc == SIGV4_OK)
    rc = collect_headers(req, amz_date, token, &h, &nh);
  if (rc != SIGV4_OK)
    return rc;
  rc = append_headers(cr, signed_hdrs, h, nh);
  hdrs_free(h, nh);
  if (rc == SIGV4_OK)
    rc = from_buf(
        buf_printf(cr, "%s\n%s", signed_hdrs->data, req->payload_hash));
  return rc;
}

static void to_hex(const unsigned char *p, size_t n, char *hex)
{
  size_t i;

  for (i = 0; i < n; i++) {
    hex[2 * i] = hexdigits_lower[p[i] >> 4];
    hex[2 * i + 1] = hexdigits_lower[p[i] & 15];
  }
  hex[2 * n] = '\0';
}

enum sigv4_code sigv4_sha256_hex(const void *p, size_t n,
                                 char hex[SIGV4_HEX_LEN])
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int mdlen = 0;

  if (!p && n)
    return SIGV4_BAD_INPUT;
  if (!EVP_Digest(n ? p : "", n, md, &mdlen, EVP_sha256(), NULL) ||
      mdlen != SIGV4_SHA256_LEN)
    return SIGV4_CRYPTO;
  to_hex(md, mdlen, hex);
  return SIGV4_OK;
}

/* out = HMAC-SHA256(key, data); 'out' holds SIGV4_SHA256_LEN bytes. */
static enum sigv4_code hmac(const void *key, size_t keylen, const char *data,
                            size_t n, unsigned char *out)
{
  unsigned int outlen = 0;

  if (keylen > INT32_MAX ||
      !HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)data, n, out,
            &outlen) ||
      outlen != SIGV4_SHA256_LEN)
    return SIGV4_CRYPTO;
  return SIGV4_OK;
}

/* kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service),
 * "aws4_request"), then the signature is HMAC(kSigning, string to sign).
 * Two key buffers take turns: OpenSSL does not promise that a key may
 * alias the output. */
static enum sigv4_code sign_string(const char *secret, const char *date,
                                   const char *region, const char *service,
                                   const struct buf *sts,
                                   char sig[SIGV4_HEX_LEN])
{
  unsigned char a[SIGV4_SHA256_LEN], b[SIGV4_SHA256_LEN];
  struct buf key;
  enum sigv4_code rc;

  buf_init_secret(&key, SIGV4_MAX_AUTH);
  rc = from_buf(buf_printf(&key, "AWS4%s", secret));
  if (rc == SIGV4_OK)
    rc = hmac(key.data, key.len, date, strlen(date), a);
  buf_free(&key); /* wiped */
  if (rc == SIGV4_OK)
    rc = hmac(a, sizeof(a), region, strlen(region), b);
  if (rc == SIGV4_OK)
    rc = hmac(b, sizeof(b), service, strlen(service), a);
  if (rc == SIGV4_OK)
    rc = hmac(a, sizeof(a), "aws4_request", strlen("aws4_request"), b);
  if (rc == SIGV4_OK)
    rc = hmac(b, sizeof(b), sts->data, sts->len, a);
  if (rc == SIGV4_OK)
    to_hex(a, sizeof(a), sig);
  OPENSSL_cleanse(a, sizeof(a));
  OPENSSL_cleanse(b, sizeof(b));
  return rc;
}

void sigv4_result_init(struct sigv4_result *out)
{
  out->amz_date[0] = '\0';
  out->signature[0] = '\0';
  /* The canonical request holds x-amz-security-token, and the
   * Authorization header lets anyone replay this request for minutes:
   * both are wiped when they grow and when they are freed. */
  buf_init_secret(&out->authorization, SIGV4_MAX_AUTH);
  buf_init_secret(&out->canonical_request, SIGV4_MAX_CANONICAL);
  buf_init(&out->string_to_sign, SIGV4_MAX_AUTH);
}

void sigv4_result_free(struct sigv4_result *out)
{
  buf_free(&out->authorization);
  buf_free(&out->canonical_request);
  buf_free(&out->string_to_sign);
}

static int valid_request(const struct sigv4_request *req,
                         const struct sigv4_credentials *cred,
                         const char *region, const char *service)
{
  return req && cred && region && *region && service && *service &&
         req->method && *req->method && req->path && req->path[0] == '/' &&
         req->payload_hash && *req->payload_hash &&
         (req->query || !req->nquery) && (req->headers || !req->nheaders) &&
         cred->access_key_id && *cred->access_key_id &&
         cred->secret_access_key && *cred->secret_access_key;
}

/* Both stamps from 'now': "20150830T123600Z" and "20150830". */
static int format_dates(time_t now, char amz[SIGV4_DATE_LEN],
                        char day[SIGV4_SCOPE_DATE_LEN])
{
  struct tm tm;

  if (!gmtime_r(&now, &tm))
    return -1;
  if (strftime(amz, SIGV4_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm) !=
      SIGV4_DATE_LEN - 1)
    return -1;
  memcpy(day, amz, SIGV4_SCOPE_DATE_LEN - 1);
  day[SIGV4_SCOPE_DATE_LEN - 1] = '\0';
  return 0;
}

static enum sigv4_code build_string_to_sign(struct sigv4_result *out,
                                            const char *day, const char *region,
                                            const char *service)
{
  char crhash[SIGV4_HEX_LEN];
  enum sigv4_code rc;

  rc = sigv4_sha256_hex(out->canonical_request.data, out->canonical_request.len,
                        crhash);
  if (rc != SIGV4_OK)
    return rc;
  return from_buf(buf_printf(&out->string_to_sign,
                             SIGV4_ALGORITHM "\n%s\n%s/%s/%s/aws4_request\n%s",
                             out->amz_date, day, region, service, crhash));
}

enum sigv4_code sigv4_sign(const struct sigv4_request *req,
                           const struct sigv4_credentials *cred,
                           const char *region, const char *service, time_t now,
                           struct sigv4_result *out)
{
  char day[SIGV4_SCOPE_DATE_LEN];
  const char *token;
  struct buf signed_hdrs;
  enum sigv4_code rc;

  if (!out || !valid_request(req, cred, region, service))
    return SIGV4_BAD_INPUT;
  if (format_dates(now, out->amz_date, day) != 0)
    return SIGV4_BAD_INPUT;
  buf_reset(&out->authorization);
  buf_reset(&out->canonical_request);
  buf_reset(&out->string_to_sign);
  token =
      cred->session_token && *cred->session_token ? cred->session_token : NULL;
  buf_init(&signed_hdrs, SIGV4_MAX_AUTH);
  rc = build_canonical(req, out->amz_date, token, &out->canonical_request,
                       &signed_hdrs);
  if (rc == SIGV4_OK)
    rc = build_string_to_sign(out, day, region, service);
  if (rc == SIGV4_OK)
    rc = sign_string(cred->secret_access_key, day, region, service,
                     &out->string_to_sign, out->signature);
  if (rc == SIGV4_OK)
    rc = from_buf(buf_printf(&out->authorization,
                             SIGV4_ALGORITHM
                             " Credential=%s/%s/%s/%s/aws4_request, "
                             "SignedHeaders=%s, Signature=%s",
                             cred->access_key_id, day, region, service,
                             signed_hdrs.data, out->signature));
  buf_free(&signed_hdrs);
  return rc;
}
