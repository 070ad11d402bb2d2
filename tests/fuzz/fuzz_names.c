/* fuzz_names.c -- libFuzzer target: names_decode (the document name in the
 * URL path, straight from the client)
 *
 * Input: the raw path bytes after "/v1/documents/". Checks, besides the
 * sanitizers:
 *   - NAMES_OK: the name holds only [A-Za-z0-9._-] and '/', has no empty,
 *     "." or ".." segment, is 1..NAMES_MAX bytes, and decoding it again
 *     gives itself (there is no second decoding that could change it);
 *   - any error: 'out' is "";
 *   - the verdict and the name agree with a plain reference decoder below
 *     (decode everything, then validate), written from names.h alone.
 * 'out' is a heap block of exactly NAMES_MAX + 1 bytes, so a write past it
 * is an ASan report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/names.h"

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

static int allowed(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == '/';
}

/* Is the decoded 's' ('n' bytes) a valid name by the rules of names.h? */
static int valid_name(const char *s, size_t n)
{
  size_t i, start = 0;

  if (n == 0 || n > NAMES_MAX)
    return 0;
  for (i = 0; i < n; i++)
    if (!allowed((unsigned char)s[i]))
      return 0;
  for (i = 0; i <= n; i++) {
    if (i < n && s[i] != '/')
      continue;
    if (i == start)
      return 0; /* empty segment */
    if ((i - start == 1 && s[start] == '.') ||
        (i - start == 2 && s[start] == '.' && s[start + 1] == '.'))
      return 0;
    start = i + 1;
  }
  return 1;
}

/* Decodes all of 'raw' into 'dec' (n + 1 bytes); -1 on a bad escape. */
static long ref_decode(const uint8_t *raw, size_t n, char *dec)
{
  size_t i = 0, o = 0;

  while (i < n) {
    if (raw[i] != '%') {
      dec[o++] = (char)raw[i++];
      continue;
    }
    if (n - i < 3)
      return -1;
    if (hexval(raw[i + 1]) < 0 || hexval(raw[i + 2]) < 0)
      return -1;
    dec[o++] = (char)(hexval(raw[i + 1]) * 16 + hexval(raw[i + 2]));
    i += 3;
  }
  dec[o] = '\0';
  return (long)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *out = malloc(NAMES_MAX + 1), *dec = malloc(size + 1);
  char again[NAMES_MAX + 1];
  enum names_code rc;
  long dlen;
  int ref_ok;

  if (!out || !dec) {
    free(out);
    free(dec);
    return 0;
  }
  rc = names_decode((const char *)data, size, out);
  FUZZ_CHECK(rc >= NAMES_OK && rc <= NAMES_TOO_LONG);
  FUZZ_CHECK(names_strerror(rc) != NULL);
  FUZZ_CHECK((rc == NAMES_EMPTY) == (size == 0));
  dlen = ref_decode(data, size, dec);
  ref_ok = dlen >= 0 && valid_name(dec, (size_t)dlen);
  FUZZ_CHECK((rc == NAMES_OK) == ref_ok);
  if (rc == NAMES_OK) {
    size_t n = strlen(out);

    FUZZ_CHECK(n >= 1 && n <= NAMES_MAX);
    FUZZ_CHECK(valid_name(out, n));
    FUZZ_CHECK(n == (size_t)dlen && !memcmp(out, dec, n));
    FUZZ_CHECK(names_decode(out, n, again) == NAMES_OK);
    FUZZ_CHECK(!strcmp(again, out));
  } else {
    FUZZ_CHECK(out[0] == '\0');
  }
  free(out);
  free(dec);
  return 0;
}
