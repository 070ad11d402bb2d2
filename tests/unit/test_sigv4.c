/* test_sigv4.c -- s3/sigv4 against the AWS SigV4 test suite, plus tables
 *
 * Each folder of tests/data/aws-sigv4/ is one cmocka test: request.txt
 * is parsed (path and query percent-decoded into the pairs sigv4_sign takes,
 * folded header lines joined), context.json gives keys, time and
 * "normalize", and the canonical request, string to sign, signature and
 * Authorization header must equal the header-*.txt files byte for byte.
 * Runs from the repository root (tests/unit/run-unit.sh cds there).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "s3/sigv4.h"

#define VECTORS_DIR "tests/data/aws-sigv4"
#define VECTORS_EXPECTED 38
#define MAX_PAIRS 32
#define MAX_FILE (1024 * 1024)

/* ---------------------------------------------------------------------- */
/* Helpers                                                                 */

/* Reads a whole file into a malloc'd NUL-terminated string (NULL = none). */
static char *slurp(const char *dir, const char *name, size_t *len)
{
  char path[512];
  FILE *f;
  char *p;
  size_t n;

  snprintf(path, sizeof(path), "%s/%s/%s", VECTORS_DIR, dir, name);
  f = fopen(path, "rb");
  if (!f)
    return NULL;
  p = malloc(MAX_FILE + 1);
  assert_non_null(p);
  n = fread(p, 1, MAX_FILE, f);
  fclose(f);
  p[n] = '\0';
  if (len)
    *len = n;
  return p;
}

static int hexval(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* Percent-decodes 'n' bytes of 's' into a malloc'd string ('+' stays). */
static char *pct_decode(const char *s, size_t n)
{
  char *d = malloc(n + 1);
  size_t i, j = 0;

  assert_non_null(d);
  for (i = 0; i < n; i++) {
    if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 &&
        hexval(s[i + 2]) >= 0) {
      d[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
      i += 2;
    } else {
      d[j++] = s[i];
    }
  }
  d[j] = '\0';
  return d;
}

static char *dupn(const char *s, size_t n)
{
  char *d = malloc(n + 1);

  assert_non_null(d);
  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* A request.txt, parsed into what sigv4_sign takes. Every string is owned. */
struct parsed {
  char *method;
  char *path;
  struct sigv4_pair query[MAX_PAIRS];
  size_t nquery;
  struct sigv4_pair headers[MAX_PAIRS];
  size_t nheaders;
  const char *body;
  size_t body_len;
};

static void parsed_free(struct parsed *p)
{
  size_t i;

  free(p->method);
  free(p->path);
  for (i = 0; i < p->nquery; i++) {
    free((char *)p->query[i].name);
    free((char *)p->query[i].value);
  }
  for (i = 0; i < p->nheaders; i++) {
    free((char *)p->headers[i].name);
    free((char *)p->headers[i].value);
  }
}

static void parse_query(struct parsed *p, const char *q, size_t n)
{
  const char *end = q + n;

  while (q < end) {
    const char *amp = memchr(q, '&', (size_t)(end - q));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(q, '=', (size_t)(stop - q));

    assert_true(p->nquery < MAX_PAIRS);
    p->query[p->nquery].name = pct_decode(q, (size_t)((eq ? eq : stop) - q));
    p->query[p->nquery].value =
        eq ? pct_decode(eq + 1, (size_t)(stop - eq - 1)) : dupn("", 0);
    p->nquery++;
    q = amp ? amp + 1 : end;
  }
}

/* "GET /a b/?x=1 HTTP/1.1": the target runs to the last " HTTP/". */
static const char *parse_request_line(struct parsed *p, const char *t)
{
  const char *eol = strchr(t, '\n');
  const char *sp = strchr(t, ' ');
  const char *ver = NULL, *s, *qm;

  assert_non_null(eol);
  assert_non_null(sp);
  for (s = sp; s < eol; s++)
    if (!strncmp(s, " HTTP/", 6))
      ver = s;
  assert_non_null(ver);
  p->method = dupn(t, (size_t)(sp - t));
  qm = memchr(sp + 1, '?', (size_t)(ver - sp - 1));
  p->path = pct_decode(sp + 1, (size_t)((qm ? qm : ver) - sp - 1));
  if (qm)
    parse_query(p, qm + 1, (size_t)(ver - qm - 1));
  return eol + 1;
}

/* Appends a folded continuation line to the last header's value. */
static void fold_header(struct parsed *p, const char *line, size_t n)
{
  struct sigv4_pair *h = &p->headers[p->nheaders - 1];
  size_t old = strlen(h->value);
  char *v = malloc(old + n + 2);

  assert_non_null(v);
  memcpy(v, h->value, old);
  v[old] = '\n';
  memcpy(v + old + 1, line, n);
  v[old + 1 + n] = '\0';
  free((char *)h->value);
  h->value = v;
}

static void parse_request(struct parsed *p, const char *text, size_t len)
{
  const char *t = parse_request_line(p, text), *end = text + len;

  while (t < end) {
    const char *eol = memchr(t, '\n', (size_t)(end - t));
    size_t n = eol ? (size_t)(eol - t) : (size_t)(end - t);
    const char *colon;

    if (n == 0) { /* blank line: the body follows */
      p->body = t + 1;
      p->body_len = (size_t)(end - t - 1);
      return;
    }
    if (t[0] == ' ' || t[0] == '\t') {
      assert_true(p->nheaders > 0);
      fold_header(p, t, n);
    } else {
      colon = memchr(t, ':', n);
      assert_non_null(colon);
      assert_true(p->nheaders < MAX_PAIRS);
      p->headers[p->nheaders].name = dupn(t, (size_t)(colon - t));
      p->headers[p->nheaders].value =
          dupn(colon + 1, (size_t)(n - (size_t)(colon - t) - 1));
      p->nheaders++;
    }
    t += n + 1;
  }
  p->body = "";
  p->body_len = 0;
}

static time_t iso_time(const char *s)
{
  struct tm tm;

  memset(&tm, 0, sizeof(tm));
  assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
  return timegm(&tm);
}

/* Compares 'got' to a file of the case, ignoring a final newline there. */
static void assert_matches_file(const char *dir, const char *name,
                                const char *got)
{
  size_t len;
  char *want = slurp(dir, name, &len);

  assert_non_null(want);
  while (len && want[len - 1] == '\n')
    want[--len] = '\0';
  assert_string_equal(got, want);
  free(want);
}

/* The Authorization header line of header-signed-request.txt. */
static void assert_authorization(const char *dir, const char *got)
{
  char *req = slurp(dir, "header-signed-request.txt", NULL), *a, *eol;

  assert_non_null(req);
  a = strstr(req, "\nAuthorization:");
  assert_non_null(a);
  a += strlen("\nAuthorization:");
  eol = strchr(a, '\n');
  if (eol)
    *eol = '\0';
  assert_string_equal(got, a);
  free(req);
}

/* ---------------------------------------------------------------------- */
/* The AWS test suite                                                      */

static void test_vector(void **state)
{
  const char *dir = *state;
  struct parsed p;
  struct sigv4_request req;
  struct sigv4_credentials cred;
  struct sigv4_result res;
  char hash[SIGV4_HEX_LEN];
  json_t *ctx, *creds, *tok;
  json_error_t jerr;
  char *text, path[512];
  size_t len;

  memset(&p, 0, sizeof(p));
  text = slurp(dir, "request.txt", &len);
  assert_non_null(text);
  parse_request(&p, text, len);
  snprintf(path, sizeof(path), "%s/%s/context.json", VECTORS_DIR, dir);
  ctx = json_load_file(path, 0, &jerr);
  assert_non_null(ctx);
  creds = json_object_get(ctx, "credentials");
  tok = json_object_get(creds, "token");
  if (json_is_true(json_object_get(ctx, "omit_session_token")))
    tok = NULL; /* the token is added after signing, not signed */

  assert_int_equal(sigv4_sha256_hex(p.body, p.body_len, hash), SIGV4_OK);
  memset(&req, 0, sizeof(req));
  req.method = p.method;
  req.path = p.path;
  req.normalize_path = json_is_true(json_object_get(ctx, "normalize"));
  req.query = p.query;
  req.nquery = p.nquery;
  req.headers = p.headers;
  req.nheaders = p.nheaders;
  req.payload_hash = hash;
  req.add_content_sha256 = json_is_true(json_object_get(ctx, "sign_body"));
  cred.access_key_id =
      json_string_value(json_object_get(creds, "access_key_id"));
  cred.secret_access_key =
      json_string_value(json_object_get(creds, "secret_access_key"));
  cred.session_token = json_string_value(tok);

  sigv4_result_init(&res);
  assert_int_equal(
      sigv4_sign(&req, &cred, json_string_value(json_object_get(ctx, "region")),
                 json_string_value(json_object_get(ctx, "service")),
                 iso_time(json_string_value(json_object_get(ctx, "timestamp"))),
                 &res),
      SIGV4_OK);
  assert_matches_file(dir, "header-canonical-request.txt",
                      res.canonical_request.data);
  assert_matches_file(dir, "header-string-to-sign.txt",
                      res.string_to_sign.data);
  assert_matches_file(dir, "header-signature.txt", res.signature);
  assert_authorization(dir, res.authorization.data);
  assert_string_equal(res.amz_date, "20150830T123600Z");

  sigv4_result_free(&res);
  json_decref(ctx);
  parsed_free(&p);
  free(text);
}

/* ---------------------------------------------------------------------- */
/* Tables                                                                  */

struct enc_case {
  const char *in;
  size_t n; /* 0 = strlen(in) */
  int keep_slash;
  const char *want;
};

static const struct enc_case enc_cases[] = {
    {"", 0, 0, ""},
    {"a b", 0, 0, "a%20b"},
    {"a b", 0, 1, "a%20b"},
    {"\xc3\xa9t\xc3\xa9", 0, 1, "%C3%A9t%C3%A9"},
    {"\xe1\x88\xb4", 0, 0, "%E1%88%B4"},
    {"\xf0\x9f\x98\x80", 0, 0, "%F0%9F%98%80"},
    {"+", 0, 0, "%2B"},
    {"=", 0, 0, "%3D"},
    {"&", 0, 0, "%26"},
    {"~", 0, 0, "~"},
    {"%", 0, 0, "%25"},
    {"%20", 0, 0, "%2520"},
    {"/", 0, 0, "%2F"},
    {"/", 0, 1, "/"},
    {"a/b c/d+e.json", 0, 1, "a/b%20c/d%2Be.json"},
    {"a/b c/d+e.json", 0, 0, "a%2Fb%20c%2Fd%2Be.json"},
    {"-._~AZaz09", 0, 0, "-._~AZaz09"},
    {"!*'();:@$,?#[]", 0, 1, "%21%2A%27%28%29%3B%3A%40%24%2C%3F%23%5B%5D"},
    {"a\0b", 3, 0, "a%00b"},
    {"\x7f\xff", 0, 0, "%7F%FF"},
};

static void test_uri_encode_table(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(enc_cases) / sizeof(enc_cases[0]); i++) {
    const struct enc_case *c = &enc_cases[i];
    struct buf b;

    buf_init(&b, 4096);
    assert_int_equal(
        sigv4_uri_encode(&b, c->in, c->n ? c->n : strlen(c->in), c->keep_slash),
        SIGV4_OK);
    assert_string_equal(b.data ? b.data : "", c->want);
    buf_free(&b);
  }
}

static void test_uri_encode_cap(void **state)
{
  struct buf b;

  buf_init(&b, 5);
  assert_int_equal(sigv4_uri_encode(&b, "ab", 2, 0), SIGV4_OK);
  assert_int_equal(sigv4_uri_encode(&b, "  ", 2, 0), SIGV4_NO_MEMORY);
  assert_int_equal(sigv4_uri_encode(NULL, "a", 1, 0), SIGV4_BAD_INPUT);
  buf_free(&b);
}

struct query_case {
  struct sigv4_pair q[6];
  size_t n;
  const char *want;
};

static const struct query_case query_cases[] = {
    {{{0}}, 0, ""},
    {{{"b", "2"}, {"a", "1"}}, 2, "a=1&b=2"},
    /* same name: sorted by value */
    {{{"a", "z"}, {"a", "b"}, {"a", ""}}, 3, "a=&a=b&a=z"},
    /* a flag parameter signs as "name=" */
    {{{"versioning", ""}, {"list-type", "2"}}, 2, "list-type=2&versioning="},
    /* sorted by encoded name: "%C3%A9" < "Z" < "a" */
    {{{"a", "1"}, {"\xc3\xa9", "2"}, {"Z", "3"}}, 3, "%C3%A9=2&Z=3&a=1"},
    /* uppercase before lowercase (byte order) */
    {{{"param2", "x"}, {"Param1", "y"}}, 2, "Param1=y&param2=x"},
    /* ListObjectsV2 with values that need encoding */
    {{{"prefix", "dir/a b+c=d&e"},
      {"list-type", "2"},
      {"continuation-token", "1Ab/+Cd=="},
      {"max-keys", "1000"}},
     4,
     "continuation-token=1Ab%2F%2BCd%3D%3D&list-type=2&max-keys=1000&"
     "prefix=dir%2Fa%20b%2Bc%3Dd%26e"},
    /* a name that sorts differently raw and encoded: "a b" vs "a-" */
    {{{"a-", "1"}, {"a b", "2"}}, 2, "a%20b=2&a-=1"},
    {{{"~", "~"}, {"%", "%"}}, 2, "%25=%25&~=~"},
};

static void test_canonical_query_table(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(query_cases) / sizeof(query_cases[0]); i++) {
    struct buf b;

    buf_init(&b, 4096);
    assert_int_equal(
        sigv4_canonical_query(&b, query_cases[i].q, query_cases[i].n),
        SIGV4_OK);
    assert_string_equal(b.data ? b.data : "", query_cases[i].want);
    buf_free(&b);
  }
}

static void test_canonical_query_bad(void **state)
{
  struct sigv4_pair q[] = {{NULL, "x"}};
  struct sigv4_pair nullval[] = {{"flag", NULL}};
  struct buf b;

  buf_init(&b, 4096);
  assert_int_equal(sigv4_canonical_query(&b, q, 1), SIGV4_BAD_INPUT);
  assert_int_equal(sigv4_canonical_query(&b, NULL, 1), SIGV4_BAD_INPUT);
  assert_int_equal(sigv4_canonical_query(&b, nullval, 1), SIGV4_OK);
  assert_string_equal(b.data, "flag=");
  buf_free(&b);
}

/* Signs a GET of 'path' with 'headers' and returns the canonical request's
 * header block (between the query line and the signed-header line). */
static enum sigv4_code sign_headers(const struct sigv4_pair *h, size_t n,
                                    const char *token, struct sigv4_result *res)
{
  struct sigv4_request req;
  struct sigv4_credentials cred = {
      "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token};

  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.path = "/bucket/key.json";
  req.headers = h;
  req.nheaders = n;
  req.payload_hash = SIGV4_EMPTY_SHA256;
  req.add_content_sha256 = 1;
  sigv4_result_init(res);
  return sigv4_sign(&req, &cred, "us-east-1", "s3", 1440938160, res);
}

struct hdr_case {
  struct sigv4_pair h[5];
  size_t n;
  const char *want_block; /* canonical headers + "\n\n" + signed headers */
};

#define S3_TAIL                                                                \
  "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:20150830T123600Z\n"

static const struct hdr_case hdr_cases[] = {
    {{{"Host", "b.s3.amazonaws.com"}},
     1,
     "host:b.s3.amazonaws.com\n" S3_TAIL
     "\nhost;x-amz-content-sha256;x-amz-date\n"},
    /* trimmed, inner runs collapsed, quotes do not protect */
    {{{"host", "h"}, {"X-Pad", "  a   b \t c  "}, {"x-q", "\"a   b\""}},
     3,
     "host:h\n" S3_TAIL "x-pad:a b c\nx-q:\"a b\"\n"
     "\nhost;x-amz-content-sha256;x-amz-date;x-pad;x-q\n"},
    /* folded (multi-line) value */
    {{{"host", "h"}, {"My-Header1", "value1\n  value2\n     value3"}},
     2,
     "host:h\nmy-header1:value1 value2 value3\n" S3_TAIL
     "\nhost;my-header1;x-amz-content-sha256;x-amz-date\n"},
    /* duplicates: joined with ',' in the order given, names case-folded */
    {{{"My-H", "v2"}, {"host", "h"}, {"my-h", " v9 "}, {"MY-H", "v1"}},
     4,
     "host:h\nmy-h:v2,v9,v1\n" S3_TAIL
     "\nhost;my-h;x-amz-content-sha256;x-amz-date\n"},
    /* an empty value */
    {{{"host", "h"}, {"x-e", "   "}},
     2,
     "host:h\n" S3_TAIL "x-e:\n"
     "\nhost;x-amz-content-sha256;x-amz-date;x-e\n"},
    /* S3 conditional headers sort among the others */
    {{{"If-None-Match", "\"abc\""},
      {"host", "h"},
      {"If-Modified-Since", "Wed, 21 Oct 2015 07:28:00 GMT"}},
     3,
     "host:h\nif-modified-since:Wed, 21 Oct 2015 07:28:00 GMT\n"
     "if-none-match:\"abc\"\n" S3_TAIL
     "\nhost;if-modified-since;if-none-match;x-amz-content-sha256;"
     "x-amz-date\n"},
};

static void test_headers_table(void **state)
{
  size_t i;

  for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
    struct sigv4_result res;
    const char *cr, *block;

    assert_int_equal(sign_headers(hdr_cases[i].h, hdr_cases[i].n, NULL, &res),
                     SIGV4_OK);
    cr = res.canonical_request.data;
    /* method, path and (empty) query lines come first */
    assert_memory_equal(cr, "GET\n/bucket/key.json\n\n", 22);
    block = cr + 22;
    assert_memory_equal(block, hdr_cases[i].want_block,
                        strlen(hdr_cases[i].want_block));
    assert_string_equal(block + strlen(hdr_cases[i].want_block),
                        SIGV4_EMPTY_SHA256);
    sigv4_result_free(&res);
  }
}

static void test_headers_rejected(void **state)
{
  static const struct sigv4_pair no_host[] = {{"x-a", "1"}};
  static const struct sigv4_pair bad_name[] = {{"host", "h"}, {"a b", "1"}};
  static const struct sigv4_pair colon[] = {{"host", "h"}, {"a:b", "1"}};
  static const struct sigv4_pair empty[] = {{"host", "h"}, {"", "1"}};
  static const struct sigv4_pair dup_date[] = {{"host", "h"},
                                               {"X-Amz-Date", "x"}};
  static const struct sigv4_pair auth[] = {{"host", "h"},
                                           {"Authorization", "x"}};
  static const struct sigv4_pair nullv[] = {{"host", NULL}};
  const struct {
    const struct sigv4_pair *h;
    size_t n;
  } cases[] = {{no_host, 1},  {bad_name, 2}, {colon, 2}, {empty, 2},
               {dup_date, 2}, {auth, 2},     {nullv, 1}};
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    struct sigv4_result res;

    assert_int_equal(sign_headers(cases[i].h, cases[i].n, NULL, &res),
                     SIGV4_BAD_INPUT);
    sigv4_result_free(&res);
  }
}

static void test_session_token(void **state)
{
  static const struct sigv4_pair h[] = {{"host", "h"}};
  struct sigv4_result res;

  assert_int_equal(sign_headers(h, 1, "TOKEN/+=", &res), SIGV4_OK);
  assert_non_null(
      strstr(res.canonical_request.data, "\nx-amz-security-token:TOKEN/+=\n"));
  assert_non_null(strstr(res.authorization.data,
                         "SignedHeaders=host;x-amz-content-sha256;x-amz-date;"
                         "x-amz-security-token, "));
  sigv4_result_free(&res);

  /* without a token the caller may sign its own x-amz-security-token */
  static const struct sigv4_pair own[] = {{"host", "h"},
                                          {"x-amz-security-token", "T"}};
  assert_int_equal(sign_headers(own, 2, NULL, &res), SIGV4_OK);
  assert_non_null(
      strstr(res.canonical_request.data, "\nx-amz-security-token:T\n"));
  sigv4_result_free(&res);
  assert_int_equal(sign_headers(own, 2, "T2", &res), SIGV4_BAD_INPUT);
  sigv4_result_free(&res);

  /* "" means "not temporary": nothing signed */
  assert_int_equal(sign_headers(h, 1, "", &res), SIGV4_OK);
  assert_null(strstr(res.canonical_request.data, "x-amz-security-token"));
  sigv4_result_free(&res);
}

/* The S3 examples of the AWS documentation ("Signature calculations for the
 * Authorization header"), a reference independent of the generic suite. */
static void test_s3_doc_examples(void **state)
{
  static const struct sigv4_pair get_h[] = {
      {"Host", "examplebucket.s3.amazonaws.com"}, {"Range", "bytes=0-9"}};
  static const struct sigv4_pair list_h[] = {
      {"Host", "examplebucket.s3.amazonaws.com"}};
  static const struct sigv4_pair list_q[] = {{"prefix", "J"},
                                             {"max-keys", "2"}};
  struct sigv4_credentials cred = {
      "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", NULL};
  struct sigv4_request req;
  struct sigv4_result res;
  time_t t = 1369353600; /* 20130524T000000Z */

  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.path = "/test.txt";
  req.headers = get_h;
  req.nheaders = 2;
  req.payload_hash = SIGV4_EMPTY_SHA256;
  req.add_content_sha256 = 1;
  sigv4_result_init(&res);
  assert_int_equal(sigv4_sign(&req, &cred, "us-east-1", "s3", t, &res),
                   SIGV4_OK);
  assert_string_equal(
      res.signature,
      "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  assert_string_equal(res.amz_date, "20130524T000000Z");

  req.path = "/";
  req.headers = list_h;
  req.nheaders = 1;
  req.query = list_q;
  req.nquery = 2;
  assert_int_equal(sigv4_sign(&req, &cred, "us-east-1", "s3", t, &res),
                   SIGV4_OK);
  assert_string_equal(
      res.signature,
      "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  sigv4_result_free(&res);
}

struct path_case {
  const char *path;
  int normalize;
  const char *want;
};

static const struct path_case path_cases[] = {
    {"/bucket/a/../b", 0, "/bucket/a/../b"},
    {"/bucket//x/./y", 0, "/bucket//x/./y"},
    {"/b/k%2F+=.json", 0, "/b/k%252F%2B%3D.json"},
    {"/a/./b/../c//", 1, "/a/c/"},
    {"/..", 1, "/"},
    {"/a/b/..", 1, "/a"},
    {"/a b/", 1, "/a%20b/"},
    {"/", 1, "/"},
    {"/", 0, "/"},
};

static void test_paths(void **state)
{
  static const struct sigv4_pair h[] = {{"host", "h"}};
  struct sigv4_credentials cred = {"AK", "SK", NULL};
  size_t i;

  for (i = 0; i < sizeof(path_cases) / sizeof(path_cases[0]); i++) {
    struct sigv4_request req;
    struct sigv4_result res;
    char want[256];

    memset(&req, 0, sizeof(req));
    req.method = "GET";
    req.path = path_cases[i].path;
    req.normalize_path = path_cases[i].normalize;
    req.headers = h;
    req.nheaders = 1;
    req.payload_hash = "UNSIGNED-PAYLOAD";
    sigv4_result_init(&res);
    assert_int_equal(sigv4_sign(&req, &cred, "r", "s3", 0, &res), SIGV4_OK);
    snprintf(want, sizeof(want), "GET\n%s\n\n", path_cases[i].want);
    assert_memory_equal(res.canonical_request.data, want, strlen(want));
    sigv4_result_free(&res);
  }
}

static void test_bad_input(void **state)
{
  static const struct sigv4_pair h[] = {{"host", "h"}};
  struct sigv4_credentials cred = {"AK", "SK", NULL};
  struct sigv4_credentials nokey = {"", "SK", NULL};
  struct sigv4_request req;
  struct sigv4_result res;

  memset(&req, 0, sizeof(req));
  req.method = "GET";
  req.path = "relative";
  req.headers = h;
  req.nheaders = 1;
  req.payload_hash = SIGV4_EMPTY_SHA256;
  sigv4_result_init(&res);
  assert_int_equal(sigv4_sign(&req, &cred, "r", "s3", 0, &res),
                   SIGV4_BAD_INPUT);
  req.path = "/";
  assert_int_equal(sigv4_sign(&req, &nokey, "r", "s3", 0, &res),
                   SIGV4_BAD_INPUT);
  assert_int_equal(sigv4_sign(&req, &cred, "", "s3", 0, &res), SIGV4_BAD_INPUT);
  assert_int_equal(sigv4_sign(&req, &cred, "r", NULL, 0, &res),
                   SIGV4_BAD_INPUT);
  req.payload_hash = NULL;
  assert_int_equal(sigv4_sign(&req, &cred, "r", "s3", 0, &res),
                   SIGV4_BAD_INPUT);
  req.payload_hash = SIGV4_EMPTY_SHA256;
  req.nquery = 1; /* with query == NULL */
  assert_int_equal(sigv4_sign(&req, &cred, "r", "s3", 0, &res),
                   SIGV4_BAD_INPUT);
  req.nquery = 0;
  assert_int_equal(sigv4_sign(&req, &cred, "r", "s3", 0, &res), SIGV4_OK);
  /* signing again with the same result object starts afresh */
  assert_int_equal(sigv4_sign(&req, &cred, "r", "s3", 0, &res), SIGV4_OK);
  assert_memory_equal(res.canonical_request.data, "GET\n/\n\n", 7);
  sigv4_result_free(&res);
}

static void test_sha256(void **state)
{
  char hex[SIGV4_HEX_LEN];

  assert_int_equal(sigv4_sha256_hex("", 0, hex), SIGV4_OK);
  assert_string_equal(hex, SIGV4_EMPTY_SHA256);
  assert_int_equal(sigv4_sha256_hex(NULL, 0, hex), SIGV4_OK);
  assert_string_equal(hex, SIGV4_EMPTY_SHA256);
  assert_int_equal(sigv4_sha256_hex("abc", 3, hex), SIGV4_OK);
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_int_equal(sigv4_sha256_hex(NULL, 1, hex), SIGV4_BAD_INPUT);
}

/* ---------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The case folders, sorted; every one must become a test. */
static size_t list_vectors(char **names, size_t max)
{
  DIR *d = opendir(VECTORS_DIR);
  struct dirent *e;
  size_t n = 0;

  if (!d) {
    fprintf(stderr, "cannot open %s (run from the repo root)\n", VECTORS_DIR);
    return 0;
  }
  while ((e = readdir(d)) != NULL && n < max) {
    char path[512];
    FILE *f;

    if (e->d_name[0] == '.')
      continue;
    snprintf(path, sizeof(path), "%s/%s/request.txt", VECTORS_DIR, e->d_name);
    f = fopen(path, "rb");
    if (!f)
      continue;
    fclose(f);
    names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof(*names), cmp_str);
  return n;
}

int main(void)
{
  static const struct CMUnitTest tables[] = {
      cmocka_unit_test(test_uri_encode_table),
      cmocka_unit_test(test_uri_encode_cap),
      cmocka_unit_test(test_canonical_query_table),
      cmocka_unit_test(test_canonical_query_bad),
      cmocka_unit_test(test_headers_table),
      cmocka_unit_test(test_headers_rejected),
      cmocka_unit_test(test_session_token),
      cmocka_unit_test(test_s3_doc_examples),
      cmocka_unit_test(test_paths),
      cmocka_unit_test(test_bad_input),
      cmocka_unit_test(test_sha256),
  };
  char *names[64];
  struct CMUnitTest vectors[64];
  size_t n = list_vectors(names, 64), i;
  int failed;

  if (n != VECTORS_EXPECTED) {
    fprintf(stderr, "expected %d SigV4 cases in %s, found %zu\n",
            VECTORS_EXPECTED, VECTORS_DIR, n);
    return 1;
  }
  for (i = 0; i < n; i++) {
    vectors[i].name = names[i];
    vectors[i].test_func = test_vector;
    vectors[i].setup_func = NULL;
    vectors[i].teardown_func = NULL;
    vectors[i].initial_state = names[i];
  }
  failed = _cmocka_run_group_tests("sigv4_aws_suite", vectors, n, NULL, NULL);
  failed += cmocka_run_group_tests_name("sigv4_tables", tables, NULL, NULL);
  for (i = 0; i < n; i++)
    free(names[i]);
  return failed ? 1 : 0;
}
