/* fields.c -- S3 names and header values we check: the bucket name, ETag
 * and Last-Modified (pure, no I/O)
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "fields.h"

int s3_bucket_name_ok(const char *b)
{
  size_t n = strlen(b), i;

  if (n < 3 || n > 63)
    return 0;
  for (i = 0; i < n; i++) {
    char ch = b[i];
    int alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

    if (!alnum && ((ch != '.' && ch != '-') || i == 0 || i == n - 1))
      return 0;
  }
  return 1;
}

/* 9999-12-31T23:59:59Z: the last instant a four-digit year can write. */
#define LAST_HTTP_DATE 253402300799LL

int s3_etag_valid(const char *s, size_t n)
{
  size_t i;

  if (!s)
    return 0;
  if (n >= 2 && s[0] == 'W' && s[1] == '/') {
    s += 2;
    n -= 2;
  }
  if (n < 2 || s[0] != '"' || s[n - 1] != '"')
    return 0;
  for (i = 1; i < n - 1; i++) {
    unsigned char ch = (unsigned char)s[i];

    /* etagc: 0x21, 0x23-0x7E, obs-text; not SP, DQUOTE, CTLs, DEL */
    if (ch < 0x21 || ch == '"' || ch == 0x7f)
      return 0;
  }
  return 1;
}

int s3_http_date_format(time_t t, char out[S3_HTTP_DATE_LEN])
{
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed",
                                  "Thu", "Fri", "Sat"};
  static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  char tmp[64]; /* room for any int, so the compiler can see no cut */
  struct tm tm;
  int n;

  out[0] = '\0';
  if (t < 0 || (long long)t > LAST_HTTP_DATE || !gmtime_r(&t, &tm) ||
      tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
    return -1;
  n = snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
               days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
               tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (n != S3_HTTP_DATE_LEN - 1)
    return -1;
  memcpy(out, tmp, S3_HTTP_DATE_LEN);
  return 0;
}

int s3_http_date(const char *in, char out[S3_HTTP_DATE_LEN], time_t *t)
{
  time_t v;
  size_t i;

  out[0] = '\0';
  if (!in || !*in)
    return -1;
  /* curl_getdate skips what it does not know; a date holding a control
   * byte or a non-ASCII byte is not one S3 would send. */
  for (i = 0; in[i]; i++)
    if ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] >= 0x7f)
      return -1;
  v = curl_getdate(in, NULL);
  if (v < 0 || s3_http_date_format(v, out) != 0)
    return -1;
  if (t)
    *t = v;
  return 0;
}
