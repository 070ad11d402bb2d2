/* access_log.c -- the access line of one request, formatted by hand */
#include <string.h>

#include "access_log.h"

/* The fixed text of a line (names, numbers, time) is under 400 bytes: with
 * every string at its cap, a line still fits, so it is never cut. */
_Static_assert(ACCESS_LOG_METHOD_MAX + ACCESS_LOG_PATH_MAX + ACCESS_LOG_ID_MAX +
                       ACCESS_LOG_CLIENT_MAX + 3 * ACCESS_LOG_WORD_MAX +
                       ACCESS_LOG_SUB_MAX + 400 <
                   LOG_LINE_MAX,
               "an access line at its caps must fit LOG_LINE_MAX");

/* A cursor over the line buffer. Every append checks its room, so a line
 * can be cut but never overflow 'buf'. */
struct line {
  char *buf;
  size_t len;
  size_t cap;
};

static void put(struct line *l, const char *s, size_t n)
{
  if (n > l->cap - l->len)
    n = l->cap - l->len;
  memcpy(l->buf + l->len, s, n);
  l->len += n;
}

#define PUT_LIT(l, lit) put((l), (lit), sizeof(lit) - 1)

/* '"' + escaped 's' (at most 'max' bytes of escapes) + '"'. */
static void put_str(struct line *l, const char *s, size_t max)
{
  size_t room;

  PUT_LIT(l, "\"");
  room = l->cap - l->len;
  if (room > 1 && s) /* 1: the closing quote */
    l->len += log_json_escape(l->buf + l->len, max < room - 1 ? max : room - 1,
                              s, strlen(s));
  PUT_LIT(l, "\"");
}

/* A decimal integer, without printf (it showed in profiles). */
static void put_int(struct line *l, long long v)
{
  char d[24];
  size_t i = sizeof(d);
  unsigned long long u =
      v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;

  do {
    d[--i] = (char)('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0)
    d[--i] = '-';
  put(l, d + i, sizeof(d) - i);
}

/* Microseconds as milliseconds with three decimals: 3412 -> 3.412. */
static void put_ms(struct line *l, long long us)
{
  char frac[4];

  if (us < 0)
    us = 0;
  put_int(l, us / 1000);
  frac[0] = '.';
  frac[1] = (char)('0' + us / 100 % 10);
  frac[2] = (char)('0' + us / 10 % 10);
  frac[3] = (char)('0' + us % 10);
  put(l, frac, sizeof(frac));
}

size_t access_log_format(char out[LOG_LINE_MAX], const char *time,
                         const struct access_entry *e)
{
  /* One byte kept back for the '\n', which always ends the line. */
  struct line l = {out, 0, LOG_LINE_MAX - 1};

  PUT_LIT(&l, "{\"time\":");
  put_str(&l, time, LOG_TIME_LEN);
  PUT_LIT(&l, ",\"level\":\"info\",\"event\":\"access\",\"method\":");
  put_str(&l, e->method && e->method[0] ? e->method : "-",
          ACCESS_LOG_METHOD_MAX);
  PUT_LIT(&l, ",\"path\":");
  put_str(&l, e->path, ACCESS_LOG_PATH_MAX);
  PUT_LIT(&l, ",\"status\":");
  put_int(&l, e->status);
  PUT_LIT(&l, ",\"bytes\":");
  put_int(&l, (long long)e->bytes);
  PUT_LIT(&l, ",\"duration_ms\":");
  put_ms(&l, e->duration_us);
  PUT_LIT(&l, ",\"request_id\":");
  put_str(&l, e->request_id, ACCESS_LOG_ID_MAX);
  PUT_LIT(&l, ",\"client\":");
  put_str(&l, e->client, ACCESS_LOG_CLIENT_MAX);
  if (e->s3_called) {
    PUT_LIT(&l, ",\"s3_status\":");
    put_int(&l, e->s3_status);
    PUT_LIT(&l, ",\"s3_ms\":");
    put_int(&l, e->s3_ms);
  }
  if (e->cache) {
    PUT_LIT(&l, ",\"cache\":");
    put_str(&l, e->cache, ACCESS_LOG_WORD_MAX);
  }
  if (e->error) {
    PUT_LIT(&l, ",\"error\":");
    put_str(&l, e->error, ACCESS_LOG_WORD_MAX);
  }
  if (e->auth) {
    PUT_LIT(&l, ",\"auth\":");
    put_str(&l, e->auth, ACCESS_LOG_WORD_MAX);
  }
  if (e->sub) {
    PUT_LIT(&l, ",\"sub\":");
    put_str(&l, e->sub, ACCESS_LOG_SUB_MAX);
  }
  if (e->aborted)
    PUT_LIT(&l, ",\"aborted\":true");
  PUT_LIT(&l, "}");
  out[l.len++] = '\n';
  return l.len;
}

void access_log_write(const struct access_entry *e)
{
  char line[LOG_LINE_MAX];
  char now[LOG_TIME_LEN];
  size_t n;

  if (!log_enabled(LOG_INFO))
    return;
  log_time_now(now);
  n = access_log_format(line, now, e);
  log_write_line(LOG_INFO, line, n);
}
