/* fuzz_sigv4.c -- libFuzzer target: SigV4 canonicalization and signing
 * (sigv4_sign, sigv4_canonical_query, sigv4_uri_encode)
 *
 * Object keys and continuation tokens (which come from clients and from S3)
 * reach the signer as the path and the query, so every byte of them is
 * fuzzed here, together with headers, credentials, the time and the flags.
 *
 * Input, through the fdp splitter of fuzz.h. From the end: flags, method
 * choice, time, query and header counts, per-pair bits. From the front,
 * strings ended by "\\" + another byte: method (when custom), path, region,
 * service, key id, secret, token, payload hash, then name and value of each
 * query parameter and header.
 *
 * Checks, besides the sanitizers:
 *   - the return code is what sigv4.h promises for these inputs (a model
 *     below: SIGV4_BAD_INPUT exactly for the documented reasons);
 *   - the canonical request is rebuilt here from the inputs, line by line,
 *     by a second implementation of the rules (botocore's path normalization,
 *     the query sorted by encoded name then value, lowercased and trimmed
 *     headers joined in order), and must be identical;
 *   - string to sign, signature (HMAC chain recomputed with OpenSSL) and
 *     Authorization are exactly what they should be;
 *   - signing is deterministic: again into a fresh result, into the reused
 *     one, and with the query parameters reversed, gives the same bytes;
 *   - sigv4_uri_encode output holds only unreserved bytes, '/' (paths) and
 *     %XX with uppercase hex, no byte is escaped needlessly, and it decodes
 *     back to the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "s3/sigv4.h"
#include "util/buf.h"

#define MAX_QUERY 24
#define MAX_HEADERS 70 /* a few past the signer's limit of 64 */
#define STR_MAX 1024

static int unreserved(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1; /* lowercase hex is not canonical here */
}

/* Checks 'enc' (n bytes) is a canonical encoding and decodes it into a
 * fresh buffer (free() it). */
static char *check_decode(const char *enc, size_t n, int keep_slash)
{
  char *d = malloc(n + 1);
  size_t i = 0, o = 0;

  FUZZ_CHECK(d != NULL);
  while (i < n) {
    unsigned char c = (unsigned char)enc[i];

    if (c != '%') {
      FUZZ_CHECK(unreserved(c) || (keep_slash && c == '/'));
      d[o++] = (char)c;
      i++;
      continue;
    }
    FUZZ_CHECK(n - i >= 3);
    FUZZ_CHECK(hexval((unsigned char)enc[i + 1]) >= 0 &&
               hexval((unsigned char)enc[i + 2]) >= 0);
    c = (unsigned char)(hexval((unsigned char)enc[i + 1]) * 16 +
                        hexval((unsigned char)enc[i + 2]));
    FUZZ_CHECK(!unreserved(c) && !(keep_slash && c == '/'));
    d[o++] = (char)c;
    i += 3;
  }
  d[o] = '\0';
  return d;
}

static void check_uri_encode(const char *s, int keep_slash)
{
  struct buf b;
  size_t n = strlen(s);
  char *d;

  buf_init(&b, 3 * n + 1);
  FUZZ_CHECK(sigv4_uri_encode(&b, s, n, keep_slash) == SIGV4_OK);
  FUZZ_CHECK(b.len >= n && b.len <= 3 * n);
  d = check_decode(b.len ? b.data : "", b.len, keep_slash);
  FUZZ_CHECK(!strcmp(d, s));
  free(d);
  buf_free(&b);
}

/* ---- the model: what sigv4_sign must produce ---------------------------- */

static int is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
         c == '\f';
}

static int token_char(unsigned char c)
{
  return c > ' ' && c < 0x7f && !strchr("\"(),/:;<=>?@[\\]{}", c);
}

static void lower(char *s)
{
  for (; *s; s++)
    if (*s >= 'A' && *s <= 'Z')
      *s = (char)(*s - 'A' + 'a');
}

/* botocore's remove_dot_segments, for the normalize_path case. */
static void ref_normalize(struct buf *out, const char *path)
{
  size_t n = strlen(path), i = 0, nseg = 0;
  size_t *starts = calloc(n + 1, sizeof(*starts));
  size_t *lens = calloc(n + 1, sizeof(*lens));

  FUZZ_CHECK(starts && lens);
  while (i <= n) {
    size_t s = i;

    while (i < n && path[i] != '/')
      i++;
    if (i - s == 2 && path[s] == '.' && path[s + 1] == '.') {
      if (nseg)
        nseg--;
    } else if (i > s && !(i - s == 1 && path[s] == '.')) {
      starts[nseg] = s;
      lens[nseg++] = i - s;
    }
    i++;
  }
  buf_append_char(out, '/');
  for (i = 0; i < nseg; i++) {
    if (i)
      buf_append_char(out, '/');
    buf_append(out, path + starts[i], lens[i]);
  }
  if (nseg && n && path[n - 1] == '/')
    buf_append_char(out, '/');
  free(starts);
  free(lens);
}

struct qref {
  char *name, *value; /* encoded */
};

static int qref_cmp(const void *a, const void *b)
{
  const struct qref *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  return c ? c : strcmp(x->value, y->value);
}

static char *enc_dup(const char *s)
{
  struct buf b;
  size_t len;

  buf_init(&b, 3 * strlen(s) + 1);
  FUZZ_CHECK(sigv4_uri_encode(&b, s, strlen(s), 0) == SIGV4_OK);
  return buf_detach(&b, &len);
}

static void ref_query(struct buf *out, const struct sigv4_pair *q, size_t n)
{
  struct qref *r = calloc(n + 1, sizeof(*r));
  size_t i;

  FUZZ_CHECK(r != NULL);
  for (i = 0; i < n; i++) {
    r[i].name = enc_dup(q[i].name);
    r[i].value = enc_dup(q[i].value ? q[i].value : "");
  }
  qsort(r, n, sizeof(*r), qref_cmp);
  for (i = 0; i < n; i++) {
    if (i)
      buf_append_char(out, '&');
    buf_append_str(out, r[i].name);
    buf_append_char(out, '=');
    buf_append_str(out, r[i].value);
    free(r[i].name);
    free(r[i].value);
  }
  free(r);
}

static void ref_trim(struct buf *out, const char *v)
{
  int pending = 0, any = 0;

  for (; *v; v++) {
    if (is_space(*v)) {
      pending = any;
      continue;
    }
    if (pending)
      buf_append_char(out, ' ');
    buf_append_char(out, *v);
    pending = 0;
    any = 1;
  }
}

struct input {
  struct sigv4_request req;
  struct sigv4_credentials cred;
  const char *region, *service;
  time_t now;
  struct sigv4_pair query[MAX_QUERY], rquery[MAX_QUERY];
  struct sigv4_pair headers[MAX_HEADERS + 1];
};

struct href {
  char *name; /* lowercased copy */
  const char *value;
  size_t pos;
};

/* By name, then by position: duplicates stay in the order given. */
static int href_cmp(const void *a, const void *b)
{
  const struct href *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* The header lines of the canonical request ("name:v1,v2\n" per distinct
 * lowercased name, sorted) and the signed-headers line. */
static void ref_headers(const struct input *in, const char *amz_date,
                        struct buf *cr, struct buf *signed_hdrs)
{
  struct href h[MAX_HEADERS + 4];
  size_t n = 0, i;
  const char *token = in->cred.session_token && *in->cred.session_token
                          ? in->cred.session_token
                          : NULL;

  for (i = 0; i < in->req.nheaders; i++) {
    h[n].name = strdup(in->req.headers[i].name);
    h[n++].value = in->req.headers[i].value;
  }
  h[n].name = strdup("x-amz-date");
  h[n++].value = amz_date;
  if (in->req.add_content_sha256) {
    h[n].name = strdup("x-amz-content-sha256");
    h[n++].value = in->req.payload_hash;
  }
  if (token) {
    h[n].name = strdup("x-amz-security-token");
    h[n++].value = token;
  }
  for (i = 0; i < n; i++) {
    FUZZ_CHECK(h[i].name != NULL);
    lower(h[i].name);
    h[i].pos = i;
  }
  qsort(h, n, sizeof(h[0]), href_cmp);
  for (i = 0; i < n; i++) {
    if (i == 0 || strcmp(h[i].name, h[i - 1].name)) {
      buf_printf(cr, "%s%s:", i ? "\n" : "", h[i].name);
      buf_printf(signed_hdrs, "%s%s", i ? ";" : "", h[i].name);
    } else {
      buf_append_char(cr, ',');
    }
    ref_trim(cr, h[i].value);
  }
  buf_append_char(cr, '\n');
  for (i = 0; i < n; i++)
    free(h[i].name);
}

/* The documented SIGV4_BAD_INPUT cases; 1 when signing must succeed. */
static int should_sign(const struct input *in, char amz[SIGV4_DATE_LEN])
{
  const struct sigv4_request *r = &in->req;
  const char *token = in->cred.session_token && *in->cred.session_token
                          ? in->cred.session_token
                          : NULL;
  struct tm tm;
  size_t i;
  int host = 0;

  if (!*r->method || r->path[0] != '/' || !*r->payload_hash || !*in->region ||
      !*in->service || !*in->cred.access_key_id ||
      !*in->cred.secret_access_key || r->nheaders > 64)
    return 0;
  if (!gmtime_r(&in->now, &tm) ||
      strftime(amz, SIGV4_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm) !=
          SIGV4_DATE_LEN - 1)
    return 0;
  for (i = 0; i < r->nheaders; i++) {
    const char *s = r->headers[i].name;
    char *l;
    int bad;

    if (!*s)
      return 0;
    for (; *s; s++)
      if (!token_char((unsigned char)*s))
        return 0;
    l = strdup(r->headers[i].name);
    FUZZ_CHECK(l != NULL);
    lower(l);
    bad = !strcmp(l, "x-amz-date") || !strcmp(l, "authorization") ||
          (token && !strcmp(l, "x-amz-security-token")) ||
          (r->add_content_sha256 && !strcmp(l, "x-amz-content-sha256"));
    host |= !strcmp(l, "host");
    free(l);
    if (bad)
      return 0;
  }
  return host;
}

static void hmac(const void *key, size_t keylen, const void *d, size_t n,
                 unsigned char out[32])
{
  unsigned int len = 0;

  FUZZ_CHECK(HMAC(EVP_sha256(), key, (int)keylen, d, n, out, &len) &&
             len == 32);
}

/* Everything sigv4_sign must produce, built from 'in' independently. */
static void check_result(const struct input *in, const char *amz,
                         const struct sigv4_result *res)
{
  const struct sigv4_request *r = &in->req;
  struct buf cr, sh, sts, auth, key;
  char day[9], hash[SIGV4_HEX_LEN], sig[SIGV4_HEX_LEN];
  unsigned char a[32], b[32];
  size_t i;

  FUZZ_CHECK(!strcmp(res->amz_date, amz));
  memcpy(day, amz, 8);
  day[8] = '\0';
  buf_init(&cr, 1 << 20);
  buf_init(&sh, 1 << 20);
  buf_printf(&cr, "%s\n", r->method);
  if (r->normalize_path) {
    struct buf norm;

    buf_init(&norm, 1 << 20);
    ref_normalize(&norm, r->path);
    FUZZ_CHECK(sigv4_uri_encode(&cr, norm.data, norm.len, 1) == SIGV4_OK);
    buf_free(&norm);
  } else {
    FUZZ_CHECK(sigv4_uri_encode(&cr, r->path, strlen(r->path), 1) == SIGV4_OK);
  }
  buf_append_char(&cr, '\n');
  ref_query(&cr, r->query, r->nquery);
  buf_append_char(&cr, '\n');
  ref_headers(in, amz, &cr, &sh);
  buf_printf(&cr, "\n%s\n%s", sh.data, r->payload_hash);
  FUZZ_CHECK(res->canonical_request.len == cr.len);
  FUZZ_CHECK(!memcmp(res->canonical_request.data, cr.data, cr.len));

  FUZZ_CHECK(sigv4_sha256_hex(cr.data, cr.len, hash) == SIGV4_OK);
  buf_init(&sts, 1 << 20);
  buf_printf(&sts, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", amz, day,
             in->region, in->service, hash);
  FUZZ_CHECK(res->string_to_sign.len == sts.len);
  FUZZ_CHECK(!memcmp(res->string_to_sign.data, sts.data, sts.len));

  buf_init(&key, 1 << 20);
  buf_printf(&key, "AWS4%s", in->cred.secret_access_key);
  hmac(key.data, key.len, day, 8, a);
  hmac(a, 32, in->region, strlen(in->region), b);
  hmac(b, 32, in->service, strlen(in->service), a);
  hmac(a, 32, "aws4_request", 12, b);
  hmac(b, 32, sts.data, sts.len, a);
  for (i = 0; i < 32; i++) {
    sig[2 * i] = "0123456789abcdef"[a[i] >> 4];
    sig[2 * i + 1] = "0123456789abcdef"[a[i] & 15];
  }
  sig[64] = '\0';
  FUZZ_CHECK(!strcmp(res->signature, sig));

  buf_init(&auth, 1 << 20);
  buf_printf(&auth,
             "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
             "SignedHeaders=%s, Signature=%s",
             in->cred.access_key_id, day, in->region, in->service, sh.data,
             sig);
  FUZZ_CHECK(res->authorization.len == auth.len);
  FUZZ_CHECK(!memcmp(res->authorization.data, auth.data, auth.len));

  /* The canonical query alone is what the client sends after '?'. */
  buf_reset(&key);
  FUZZ_CHECK(sigv4_canonical_query(&key, r->query, r->nquery) == SIGV4_OK);
  buf_reset(&sh);
  ref_query(&sh, r->query, r->nquery);
  FUZZ_CHECK(key.len == sh.len && (!key.len || !strcmp(key.data, sh.data)));

  buf_free(&cr);
  buf_free(&sh);
  buf_free(&sts);
  buf_free(&auth);
  buf_free(&key);
}

static int same(const struct sigv4_result *x, const struct sigv4_result *y)
{
  return !strcmp(x->amz_date, y->amz_date) &&
         !strcmp(x->signature, y->signature) &&
         x->canonical_request.len == y->canonical_request.len &&
         !memcmp(x->canonical_request.data, y->canonical_request.data,
                 x->canonical_request.len) &&
         x->string_to_sign.len == y->string_to_sign.len &&
         !memcmp(x->string_to_sign.data, y->string_to_sign.data,
                 x->string_to_sign.len) &&
         x->authorization.len == y->authorization.len &&
         !memcmp(x->authorization.data, y->authorization.data,
                 x->authorization.len);
}

static const char *const methods[] = {"GET", "HEAD", "PUT", "POST", "DELETE"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fdp f;
  struct input in;
  struct sigv4_result r1, r2;
  char amz[SIGV4_DATE_LEN];
  uint8_t flags, msel, tsel;
  uint32_t qnull;
  char *path = NULL;
  size_t i, nh;
  int ok;
  enum sigv4_code rc;

  if (size > 16384)
    return 0;
  memset(&in, 0, sizeof(in));
  fdp_init(&f, data, size);
  flags = fdp_u8(&f);
  msel = fdp_u8(&f);
  tsel = fdp_u8(&f);
  if (tsel & 1)
    in.now = (time_t)(int64_t)fdp_u64(&f);
  else
    in.now = (time_t)1440938160 + (time_t)fdp_u32(&f); /* 2015-08-30 on */
  in.req.nquery = fdp_u8(&f) % (MAX_QUERY + 1);
  nh = fdp_u8(&f) % (MAX_HEADERS + 1);
  qnull = fdp_u32(&f);

  in.req.method = msel < 250 ? methods[msel % 5] : fdp_str(&f, 16);
  in.req.path = fdp_str(&f, STR_MAX);
  if (!(flags & 8) && in.req.path[0] != '/') {
    /* mostly a valid absolute path: put a '/' in front */
    size_t n = strlen(in.req.path);

    path = malloc(n + 2);
    FUZZ_CHECK(path != NULL);
    path[0] = '/';
    memcpy(path + 1, in.req.path, n + 1);
    in.req.path = path;
  }
  in.req.normalize_path = flags & 1;
  in.req.add_content_sha256 = (flags >> 1) & 1;
  in.region = flags & 16 ? fdp_str(&f, 64) : "us-east-1";
  in.service = flags & 16 ? fdp_str(&f, 64) : "s3";
  in.cred.access_key_id = fdp_str(&f, 128);
  in.cred.secret_access_key = fdp_str(&f, 128);
  in.cred.session_token = flags & 4 ? fdp_str(&f, STR_MAX) : NULL;
  switch (flags >> 6) {
  case 0:
    in.req.payload_hash = SIGV4_EMPTY_SHA256;
    break;
  case 1:
    in.req.payload_hash = "UNSIGNED-PAYLOAD";
    break;
  default:
    in.req.payload_hash = fdp_str(&f, 80);
    break;
  }
  for (i = 0; i < in.req.nquery; i++) {
    in.query[i].name = fdp_str(&f, STR_MAX);
    in.query[i].value = (qnull >> i) & 1 ? NULL : fdp_str(&f, STR_MAX);
  }
  for (i = 0; i < nh; i++) {
    in.headers[i].name = fdp_str(&f, 64);
    in.headers[i].value = fdp_str(&f, STR_MAX);
  }
  if (!(flags & 32)) { /* the host header, usually present */
    in.headers[nh].name = (tsel & 2) ? "Host" : "host";
    in.headers[nh++].value = "examplebucket.s3.amazonaws.com";
  }
  in.req.headers = in.headers;
  in.req.nheaders = nh;
  in.req.query = in.query;

  check_uri_encode(in.req.path, 1);
  check_uri_encode(in.req.path, 0);
  for (i = 0; i < in.req.nquery; i++)
    check_uri_encode(in.query[i].name, 0);

  ok = should_sign(&in, amz);
  sigv4_result_init(&r1);
  sigv4_result_init(&r2);
  rc = sigv4_sign(&in.req, &in.cred, in.region, in.service, in.now, &r1);
  if (getenv("FUZZ_SIGV4_PRINT")) /* to check a seed does what it says */
    fprintf(stderr, "rc=%d\n%s\n--\n%s\n--\n%s\n", (int)rc,
            r1.canonical_request.len ? r1.canonical_request.data : "",
            r1.string_to_sign.len ? r1.string_to_sign.data : "",
            r1.authorization.len ? r1.authorization.data : "");
  FUZZ_CHECK(rc == (ok ? SIGV4_OK : SIGV4_BAD_INPUT));
  if (rc == SIGV4_OK) {
    check_result(&in, amz, &r1);
    /* Deterministic, into a fresh result and into a reused one. */
    FUZZ_CHECK(sigv4_sign(&in.req, &in.cred, in.region, in.service, in.now,
                          &r2) == SIGV4_OK);
    FUZZ_CHECK(same(&r1, &r2));
    FUZZ_CHECK(sigv4_sign(&in.req, &in.cred, in.region, in.service, in.now,
                          &r2) == SIGV4_OK);
    FUZZ_CHECK(same(&r1, &r2));
    /* The order of the query parameters does not matter. */
    for (i = 0; i < in.req.nquery; i++)
      in.rquery[i] = in.query[in.req.nquery - 1 - i];
    in.req.query = in.rquery;
    FUZZ_CHECK(sigv4_sign(&in.req, &in.cred, in.region, in.service, in.now,
                          &r2) == SIGV4_OK);
    FUZZ_CHECK(same(&r1, &r2));
  }
  sigv4_result_free(&r1);
  sigv4_result_free(&r2);
  free(path);
  fdp_free(&f);
  return 0;
}
