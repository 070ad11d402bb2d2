/* parse.c -- pure parsers of the credential chain: JSON, ISO 8601, fields
 *
 * Nothing here allocates except jansson, and no error message ever quotes
 * the input: a credentials answer is all secrets, so messages give only a
 * field name or a position.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_internal.h"

/* Formats a one-line reason into 'err' ('errlen' bytes; NULL is fine).
 * Shared by the credential modules (aws_internal.h). */
void aws_set_err(char *err, size_t errlen, const char *fmt, ...)
{
  va_list ap;

  if (!err || !errlen)
    return;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

void aws_cred_wipe(struct aws_credentials *c)
{
  if (c)
    OPENSSL_cleanse(c, sizeof(*c));
}

enum aws_cred_code aws_cred_copy_field(char *dst, size_t cap, const char *src,
                                       size_t n, const char *what, char *err,
                                       size_t errlen)
{
  size_t i;

  if (n == 0) {
    aws_set_err(err, errlen, "%s is empty", what);
    return AWS_CRED_BAD_CONFIG;
  }
  if (n >= cap) {
    aws_set_err(err, errlen, "%s is too long (%zu bytes, at most %zu)", what, n,
                cap - 1);
    return AWS_CRED_BAD_CONFIG;
  }
  /* Key ids, secrets and tokens are base64-ish ASCII. Anything else (a
   * newline, a space, a control byte) would corrupt the signed headers. */
  for (i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)src[i];
    if (ch < 0x21 || ch > 0x7e) {
      aws_set_err(err, errlen, "%s holds a byte that is not printable ASCII",
                  what);
      return AWS_CRED_BAD_CONFIG;
    }
  }
  memcpy(dst, src, n);
  dst[n] = '\0';
  return AWS_CRED_OK;
}

/* Reads exactly 'n' decimal digits; -1 if any is not a digit. */
static int read_digits(const char *s, int n)
{
  int v = 0, i;

  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

static int is_leap(int y)
{
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

  return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a valid proleptic Gregorian date (H. Hinnant's
 * days_from_civil), so no timegm() and no TZ dependence. */
static long long days_from_civil(int y, int m, int d)
{
  long long era, yoe, doy, doe;

  y -= m <= 2;
  era = (y >= 0 ? y : y - 399) / 400;
  yoe = y - era * 400;
  doy = (153LL * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* Parses the zone suffix at 's': "Z", "+hh:mm", "-hh:mm" or "+hhmm". Sets
 * '*offset' in seconds east of UTC; -1 if malformed or trailing bytes. */
static int parse_zone(const char *s, long *offset)
{
  int sign, hh, mm;

  if ((s[0] == 'Z' || s[0] == 'z') && s[1] == '\0') {
    *offset = 0;
    return 0;
  }
  if (s[0] != '+' && s[0] != '-')
    return -1;
  sign = s[0] == '-' ? -1 : 1;
  hh = read_digits(s + 1, 2);
  if (hh < 0)
    return -1; /* else s + 3 could pass the terminator ("...+") */
  s += 3;
  if (*s == ':')
    s++;
  mm = read_digits(s, 2);
  if (hh < 0 || mm < 0 || hh > 23 || mm > 59 || s[2] != '\0')
    return -1;
  *offset = sign * (hh * 3600L + mm * 60L);
  return 0;
}

time_t aws_parse_iso8601(const char *s)
{
  int y, mo, d, h, mi, sec;
  long offset;
  long long t;

  if (!s || strlen(s) < 20)
    return -1;
  y = read_digits(s, 4);
  mo = read_digits(s + 5, 2);
  d = read_digits(s + 8, 2);
  h = read_digits(s + 11, 2);
  mi = read_digits(s + 14, 2);
  sec = read_digits(s + 17, 2);
  if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':')
    return -1;
  /* 60 is a leap second; it counts as the next minute's first. */
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 ||
      mi > 59 || sec < 0 || sec > 60 || d > days_in_month(y, mo))
    return -1;
  s += 19;
  if (*s == '.') { /* fractional seconds: at least one digit, ignored */
    if (s[1] < '0' || s[1] > '9')
      return -1;
    for (s++; *s >= '0' && *s <= '9'; s++)
      ;
  }
  if (parse_zone(s, &offset))
    return -1;
  t = days_from_civil(y, mo, d) * 86400LL + h * 3600LL + mi * 60LL + sec -
      offset;
  if (t < 0 || (long long)(time_t)t != t)
    return -1;
  return (time_t)t;
}

/* Wipes a string held inside a jansson tree before the tree is freed:
 * jansson frees without zeroing, and these strings are secrets. */
static void wipe_json_string(json_t *root, const char *key)
{
  json_t *v = json_object_get(root, key);

  if (json_is_string(v))
    OPENSSL_cleanse((char *)json_string_value(v), json_string_length(v));
}

/* Copies the string member 'key' of 'root'. 'required' = 0 accepts a
 * missing or null member (the field stays ""). */
static enum aws_cred_code get_string(json_t *root, const char *key,
                                     int required, char *dst, size_t cap,
                                     char *err, size_t errlen)
{
  json_t *v = json_object_get(root, key);

  if (!v || json_is_null(v)) {
    if (!required)
      return AWS_CRED_OK;
    aws_set_err(err, errlen, "credentials JSON: %s is missing", key);
    return AWS_CRED_UNAVAILABLE;
  }
  if (!json_is_string(v)) {
    aws_set_err(err, errlen, "credentials JSON: %s is not a string", key);
    return AWS_CRED_UNAVAILABLE;
  }
  if (aws_cred_copy_field(dst, cap, json_string_value(v), json_string_length(v),
                          key, err, errlen) != AWS_CRED_OK)
    return AWS_CRED_UNAVAILABLE;
  return AWS_CRED_OK;
}

/* IMDS adds "Code"; anything but "Success" means no usable keys. */
static enum aws_cred_code check_code(json_t *root, char *err, size_t errlen)
{
  json_t *code = json_object_get(root, "Code");

  if (!code ||
      (json_is_string(code) && !strcmp(json_string_value(code), "Success")))
    return AWS_CRED_OK;
  aws_set_err(err, errlen, "credentials JSON: Code is not \"Success\"");
  return AWS_CRED_UNAVAILABLE;
}

static enum aws_cred_code get_expiration(json_t *root, time_t *out, char *err,
                                         size_t errlen)
{
  json_t *v = json_object_get(root, "Expiration");

  *out = 0;
  if (!v || json_is_null(v))
    return AWS_CRED_OK; /* long-lived keys: never refreshed */
  if (!json_is_string(v) ||
      (*out = aws_parse_iso8601(json_string_value(v))) == (time_t)-1) {
    *out = 0;
    aws_set_err(err, errlen,
                "credentials JSON: Expiration is not an ISO 8601 UTC time");
    return AWS_CRED_UNAVAILABLE;
  }
  return AWS_CRED_OK;
}

static enum aws_cred_code parse_root(json_t *root, struct aws_credentials *c,
                                     char *err, size_t errlen)
{
  enum aws_cred_code rc;

  if (!json_is_object(root)) {
    aws_set_err(err, errlen, "credentials JSON: not an object");
    return AWS_CRED_UNAVAILABLE;
  }
  if ((rc = check_code(root, err, errlen)) ||
      (rc = get_string(root, "AccessKeyId", 1, c->access_key_id,
                       sizeof(c->access_key_id), err, errlen)) ||
      (rc = get_string(root, "SecretAccessKey", 1, c->secret_access_key,
                       sizeof(c->secret_access_key), err, errlen)) ||
      (rc = get_string(root, "Token", 0, c->session_token,
                       sizeof(c->session_token), err, errlen)))
    return rc;
  return get_expiration(root, &c->expiration, err, errlen);
}

enum aws_cred_code aws_cred_parse_json(const char *text, size_t len,
                                       struct aws_credentials *out, char *err,
                                       size_t errlen)
{
  struct aws_credentials c;
  json_error_t je;
  json_t *root;
  enum aws_cred_code rc;

  if (!text || !out) {
    aws_set_err(err, errlen, "credentials JSON: no input");
    return AWS_CRED_UNAVAILABLE;
  }
  root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
  if (!root) {
    /* je.text may quote the input (a secret): give the position only. */
    if (json_error_code(&je) == json_error_out_of_memory) {
      aws_set_err(err, errlen, "credentials JSON: out of memory");
      return AWS_CRED_NO_MEMORY;
    }
    aws_set_err(err, errlen, "credentials JSON: malformed at line %d column %d",
                je.line, je.column);
    OPENSSL_cleanse(&je, sizeof(je));
    return AWS_CRED_UNAVAILABLE;
  }
  memset(&c, 0, sizeof(c));
  rc = parse_root(root, &c, err, errlen);
  wipe_json_string(root, "SecretAccessKey");
  wipe_json_string(root, "Token");
  json_decref(root);
  if (rc == AWS_CRED_OK)
    memcpy(out, &c, sizeof(c));
  aws_cred_wipe(&c);
  return rc;
}
