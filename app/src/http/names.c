/* names.c -- what a client put in the URL: document names and the query */
#include <string.h>

#include "names.h"

const char *names_strerror(enum names_code c)
{
  switch (c) {
  case NAMES_OK:
    return "ok";
  case NAMES_EMPTY:
    return "document name is empty";
  case NAMES_BAD_ESCAPE:
    return "document name has a malformed percent-escape";
  case NAMES_BAD_CHAR:
    return "document name may only hold A-Z a-z 0-9 . _ - and / between "
           "segments";
  case NAMES_EMPTY_SEGMENT:
    return "document name has an empty segment";
  case NAMES_DOT_SEGMENT:
    return "document name has a '.' or '..' segment";
  case NAMES_TOO_LONG:
    return "document name is longer than 512 bytes";
  }
  return "bad document name";
}

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

static int name_char(unsigned char c)
{
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

/* Checks the segments of a decoded name of 'n' bytes. */
static enum names_code check_segments(const char *s, size_t n)
{
  size_t start = 0, i;

  for (i = 0; i <= n; i++) {
    if (i < n && s[i] != '/') {
      if (!name_char((unsigned char)s[i]))
        return NAMES_BAD_CHAR;
      continue;
    }
    size_t len = i - start;
    if (len == 0)
      return NAMES_EMPTY_SEGMENT;
    if ((len == 1 && s[start] == '.') ||
        (len == 2 && s[start] == '.' && s[start + 1] == '.'))
      return NAMES_DOT_SEGMENT;
    start = i + 1;
  }
  return NAMES_OK;
}

enum names_code names_decode(const char *raw, size_t n, char out[NAMES_MAX + 1])
{
  size_t i = 0, o = 0;

  out[0] = '\0';
  if (n == 0)
    return NAMES_EMPTY;
  while (i < n) {
    unsigned char c = (unsigned char)raw[i];
    if (c == '%') {
      int hi, lo;
      hi = n - i < 3 ? -1 : hexval((unsigned char)raw[i + 1]);
      lo = n - i < 3 ? -1 : hexval((unsigned char)raw[i + 2]);
      if (hi < 0 || lo < 0) {
        out[0] = '\0';
        return NAMES_BAD_ESCAPE;
      }
      c = (unsigned char)(hi * 16 + lo);
      i += 3;
    } else {
      i++;
    }
    if (o == NAMES_MAX) {
      out[0] = '\0';
      return NAMES_TOO_LONG;
    }
    out[o++] = (char)c;
  }
  out[o] = '\0';
  enum names_code rc = check_segments(out, o);
  if (rc != NAMES_OK)
    out[0] = '\0';
  return rc;
}

long names_query_decode(const char *raw, size_t n, char *out, size_t cap)
{
  size_t i = 0, o = 0;

  while (i < n) {
    unsigned char c = (unsigned char)raw[i];
    if (c == '%') {
      int hi = i + 2 < n ? hexval((unsigned char)raw[i + 1]) : -1;
      int lo = i + 2 < n ? hexval((unsigned char)raw[i + 2]) : -1;
      if (hi < 0 || lo < 0)
        return -1;
      c = (unsigned char)(hi * 16 + lo);
      i += 3;
    } else {
      if (c == '+')
        c = ' ';
      i++;
    }
    if (c == '\0' || o + 1 >= cap)
      return -1;
    out[o++] = (char)c;
  }
  if (cap == 0)
    return -1;
  out[o] = '\0';
  return (long)o;
}

long names_parse_limit(const char *raw, long def, long max)
{
  char buf[16];
  long len, v = 0, i;

  if (!raw)
    return def;
  len = names_query_decode(raw, strlen(raw), buf, sizeof(buf));
  if (len <= 0 || len > 9)
    return -1;
  for (i = 0; i < len; i++) {
    if (buf[i] < '0' || buf[i] > '9')
      return -1;
    v = v * 10 + (buf[i] - '0');
  }
  return v >= 1 && v <= max ? v : -1;
}

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

long names_cursor_encode(const char *token, size_t n, char *out, size_t cap)
{
  const unsigned char *p = (const unsigned char *)token;
  size_t need = (n / 3) * 4 + (n % 3 ? n % 3 + 1 : 0), i, o = 0;

  if (need + 1 > cap)
    return -1;
  for (i = 0; i + 2 < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    out[o++] = b64url[(v >> 6) & 63];
    out[o++] = b64url[v & 63];
  }
  if (n - i == 1) {
    unsigned v = (unsigned)p[i] << 16;
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
  } else if (n - i == 2) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
    out[o++] = b64url[(v >> 18) & 63];
    out[o++] = b64url[(v >> 12) & 63];
    out[o++] = b64url[(v >> 6) & 63];
  }
  out[o] = '\0';
  return (long)o;
}

static int b64val(unsigned char c)
{
  const char *p = c ? strchr(b64url, c) : NULL;

  return p ? (int)(p - b64url) : -1;
}

long names_cursor_decode(const char *cursor, size_t n, char *out, size_t cap)
{
  size_t i, o = 0;
  unsigned acc = 0;
  int bits = 0;

  if (n % 4 == 1)
    return -1; /* no base64 length leaves a single trailing character */
  for (i = 0; i < n; i++) {
    int v = b64val((unsigned char)cursor[i]);
    if (v < 0)
      return -1;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      unsigned char c = (unsigned char)((acc >> bits) & 0xFF);
      if (c == '\0' || o + 1 >= cap)
        return -1;
      out[o++] = (char)c;
    }
  }
  /* Leftover bits must be zero, so every cursor has one spelling. */
  if (bits && (acc & ((1u << bits) - 1)))
    return -1;
  if (cap == 0)
    return -1;
  out[o] = '\0';
  return (long)o;
}
