/* fuzz_fields.c -- libFuzzer target: s3/fields.c, the ETag check and the
 * Last-Modified re-formatting (header values S3 or a proxy sends)
 *
 * Input: one header value. Checks, besides the sanitizers:
 *   - s3_etag_valid agrees with a direct reading of RFC 9110's grammar, and
 *     a valid tag holds no control byte, space or inner DQUOTE (so it can
 *     never split or extend a header line of ours);
 *   - s3_http_date either fails with "" or writes exactly 29 bytes of
 *     IMF-fixdate shape, printable ASCII only, and re-parsing its own
 *     output gives the same text and time (a fixed point).
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "s3/fields.h"

/* The grammar again, written the other way round: as a scan. */
static int model_etag(const uint8_t *p, size_t n)
{
  size_t i = 0;

  if (n >= 2 && p[0] == 'W' && p[1] == '/')
    i = 2;
  if (n - i < 2 || p[i] != '"' || p[n - 1] != '"')
    return 0;
  for (i++; i < n - 1; i++)
    if (!(p[i] == 0x21 || (p[i] >= 0x23 && p[i] <= 0x7e) || p[i] >= 0x80))
      return 0;
  return 1;
}

static int fixdate_shape(const char *s)
{
  static const char shape[] = "Aaa, 00 Aaa 0000 00:00:00 GMT";
  size_t i;

  if (strlen(s) != S3_HTTP_DATE_LEN - 1)
    return 0;
  for (i = 0; shape[i]; i++) {
    char w = shape[i], c = s[i];

    if (w == 'A' && !(c >= 'A' && c <= 'Z'))
      return 0;
    if (w == 'a' && !(c >= 'a' && c <= 'z'))
      return 0;
    if (w == '0' && !(c >= '0' && c <= '9'))
      return 0;
    if (w != 'A' && w != 'a' && w != '0' && w != c)
      return 0;
  }
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char out[S3_HTTP_DATE_LEN], again[S3_HTTP_DATE_LEN];
  time_t t = 0, t2 = 0;
  char *s;
  int valid;

  valid = s3_etag_valid((const char *)data, size);
  FUZZ_CHECK(valid == model_etag(data, size));
  if (valid)
    for (size_t i = 0; i < size; i++)
      FUZZ_CHECK(data[i] > 0x20 && data[i] != 0x7f);

  s = fuzz_strndup(data, size);
  if (!s)
    return 0;
  memset(out, 'x', sizeof(out));
  if (s3_http_date(s, out, &t) != 0) {
    FUZZ_CHECK(out[0] == '\0');
  } else {
    FUZZ_CHECK(fixdate_shape(out));
    FUZZ_CHECK(s3_http_date(out, again, &t2) == 0);
    FUZZ_CHECK(!strcmp(out, again) && t == t2);
  }
  free(s);
  return 0;
}
