/* fuzz_query.c -- libFuzzer target: the list endpoint's query values
 * (names_query_decode, names_parse_limit, names_cursor_encode/decode)
 *
 * Input: three control bytes, then the value as the client sent it.
 *   byte 0: 'cap' for the calls that take one (255: a roomy 8 KiB);
 *   bytes 1, 2: 'def' and 'max' of names_parse_limit.
 * Checks, besides the sanitizers (every output is a heap block of exactly
 * 'cap' bytes, even 0, so one byte too many is an ASan report):
 *   - names_query_decode agrees with a plain reference decoder, and its
 *     result fits 'cap' with its NUL;
 *   - names_parse_limit agrees with a reference (1 to 9 decimal digits
 *     after decoding, in [1, max]);
 *   - cursors round-trip: decode(encode(x)) == x for NUL-free x, encode
 *     needs exactly ceil(4n/3) + 1 bytes, and a cursor that decodes is the
 *     one spelling encode gives back (decode then encode is the identity);
 *   - a small 'cap' gives the same answer as a large one, or -1 when the
 *     answer does not fit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/names.h"

#define BIG_CAP 8192

static int hexval(unsigned char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/* names.h's names_query_decode, written out plainly: decode all of 'raw'
 * into 'out' (n + 1 bytes), then decide whether it fits 'cap'. */
static long ref_query_decode(const char *raw, size_t n, char *out, size_t cap)
{
  size_t i = 0, o = 0;

  while (i < n) {
    unsigned char c = (unsigned char)raw[i];

    if (c == '%') {
      if (n - i < 3 || hexval((unsigned char)raw[i + 1]) < 0 ||
          hexval((unsigned char)raw[i + 2]) < 0)
        return -1;
      c = (unsigned char)(hexval((unsigned char)raw[i + 1]) * 16 +
                          hexval((unsigned char)raw[i + 2]));
      i += 3;
    } else {
      c = c == '+' ? ' ' : c;
      i++;
    }
    if (c == '\0')
      return -1;
    out[o++] = (char)c;
  }
  out[o] = '\0';
  return o + 1 <= cap ? (long)o : -1;
}

static long ref_parse_limit(const char *raw, long max)
{
  size_t n = strlen(raw), i;
  char *dec = malloc(n + 1);
  long len, v = 0;

  if (!dec)
    abort();
  len = ref_query_decode(raw, n, dec, (size_t)-1);
  if (len < 1 || len > 9) {
    free(dec);
    return -1;
  }
  for (i = 0; i < (size_t)len; i++) {
    if (dec[i] < '0' || dec[i] > '9') {
      free(dec);
      return -1;
    }
    v = v * 10 + (dec[i] - '0');
  }
  free(dec);
  return v >= 1 && v <= max ? v : -1;
}

static int b64url_char(char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void check_query_decode(const char *v, size_t n, size_t cap)
{
  char *out = malloc(cap), *ref = malloc(n + 1);
  long r, want;

  if ((!out && cap) || !ref)
    abort();
  r = names_query_decode(v, n, out, cap);
  want = ref_query_decode(v, n, ref, cap);
  FUZZ_CHECK(r == want);
  if (r >= 0) {
    FUZZ_CHECK((size_t)r + 1 <= cap);
    FUZZ_CHECK(out[r] == '\0' && strlen(out) == (size_t)r);
    FUZZ_CHECK(!memcmp(out, ref, (size_t)r));
  }
  free(out);
  free(ref);
}

static void check_limit(const char *s, long def, long max)
{
  long r = names_parse_limit(s, def, max);

  FUZZ_CHECK(r == ref_parse_limit(s, max));
  FUZZ_CHECK(r == -1 || (r >= 1 && r <= max));
  FUZZ_CHECK(names_parse_limit(NULL, def, max) == def);
}

/* encode then decode: 'x' of 'n' bytes comes back unchanged. */
static void check_cursor_roundtrip(const char *x, size_t n, size_t cap)
{
  size_t need = (n * 4 + 2) / 3, i;
  char *enc = malloc(need + 1), *dec = malloc(n + 1), *small;
  long r;

  if (!enc || !dec)
    abort();
  r = names_cursor_encode(x, n, enc, need + 1);
  FUZZ_CHECK(r == (long)need);
  FUZZ_CHECK(enc[need] == '\0');
  for (i = 0; i < need; i++)
    FUZZ_CHECK(b64url_char(enc[i]));
  /* One byte less never fits. */
  small = malloc(need);
  if (!small && need)
    abort();
  FUZZ_CHECK(names_cursor_encode(x, n, small, need) == -1);
  free(small);
  small = malloc(cap);
  if (!small && cap)
    abort();
  r = names_cursor_encode(x, n, small, cap);
  FUZZ_CHECK(need + 1 <= cap ? r == (long)need && !strcmp(small, enc)
                             : r == -1);
  free(small);
  if (!memchr(x, '\0', n)) {
    r = names_cursor_decode(enc, need, dec, n + 1);
    FUZZ_CHECK(r == (long)n);
    FUZZ_CHECK(!memcmp(dec, x, n) && dec[n] == '\0');
    if (n)
      FUZZ_CHECK(names_cursor_decode(enc, need, dec, n) == -1);
  }
  free(enc);
  free(dec);
}

/* decode then encode: a cursor that decodes is the canonical spelling. */
static void check_cursor_decode(const char *c, size_t n, size_t cap)
{
  char *dec = malloc(BIG_CAP), *enc, *small = malloc(cap);
  long r, r2;

  if (!dec || (!small && cap))
    abort();
  r = names_cursor_decode(c, n, dec, BIG_CAP);
  if (r >= 0) {
    FUZZ_CHECK(dec[r] == '\0' && strlen(dec) == (size_t)r);
    enc = malloc(n + 1);
    if (!enc)
      abort();
    r2 = names_cursor_encode(dec, (size_t)r, enc, n + 1);
    FUZZ_CHECK(r2 == (long)n && !memcmp(enc, c, n));
    free(enc);
  }
  r2 = names_cursor_decode(c, n, small, cap);
  if (r >= 0 && (size_t)r + 1 <= cap)
    FUZZ_CHECK(r2 == r && !memcmp(small, dec, (size_t)r + 1));
  else
    FUZZ_CHECK(r2 == -1);
  free(dec);
  free(small);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  size_t cap, n;
  long def, max;
  const char *raw;
  char *v;

  if (size < 3 || size > BIG_CAP / 2)
    return 0;
  cap = data[0] == 255 ? BIG_CAP : data[0];
  def = data[1];
  max = data[2] * 5; /* reaches 1000, the list endpoint's limit */
  n = size - 3;
  raw = (const char *)data + 3; /* exactly 'n' bytes: over-reads show */
  check_query_decode(raw, n, cap);
  check_cursor_roundtrip(raw, n, cap);
  check_cursor_decode(raw, n, cap);
  v = fuzz_strndup(data + 3, n);
  if (!v)
    return 0;
  check_limit(v, def, max);
  free(v);
  return 0;
}
