/* log.c -- structured logs: one JSON object per line on stdout */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static enum log_level log_min = LOG_INFO;
static int log_fd = 1; /* stdout: the container runtime collects it */

void log_init(enum log_level min_level, int fd)
{
  log_min = min_level;
  log_fd = fd;
}

int log_enabled(enum log_level level)
{
  return level >= log_min;
}

void log_time_now(char out[LOG_TIME_LEN])
{
  struct timespec ts;
  struct tm tm;
  char date[sizeof("2026-11-24T20:19:47")];

  clock_gettime(CLOCK_REALTIME, &ts);
  gmtime_r(&ts.tv_sec, &tm);
  strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf(out, LOG_TIME_LEN, "%.19s.%03uZ", date,
           (unsigned)(ts.tv_nsec / 1000000) % 1000u);
}

/* Length of the valid UTF-8 sequence at 's' (at most 'n' bytes), 0 if
 * invalid. Overlong forms and surrogates are refused, as jansson does. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
  size_t len, i;
  unsigned cp;

  if (s[0] < 0x80)
    return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF)
    len = 2, cp = s[0] & 0x1F;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF)
    len = 3, cp = s[0] & 0x0F;
  else if (s[0] >= 0xF0 && s[0] <= 0xF4)
    len = 4, cp = s[0] & 0x07;
  else
    return 0;
  if (len > n)
    return 0;
  for (i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return len;
}

json_t *log_string(const char *s, size_t n, size_t max)
{
  char out[LOG_STRING_MAX * 3 + 4];
  size_t i = 0, o = 0, k;

  if (!s)
    return json_null();
  if (max > LOG_STRING_MAX)
    max = LOG_STRING_MAX;
  while (i < n && o < max) {
    k = utf8_len((const unsigned char *)s + i, n - i);
    if (k == 0) {
      /* U+FFFD keeps the line valid JSON and shows that a byte was bad. */
      /* 'out' is length-counted (json_stringn), never NUL-terminated. */
      memcpy(out + o, "\xEF\xBF\xBD", 3); /* NOLINT(bugprone-not-null-*) */
      o += 3;
      i++;
      continue;
    }
    memcpy(out + o, s + i, k);
    o += k;
    i += k;
  }
  if (i < n) {
    memcpy(out + o, "...", 3); /* NOLINT(bugprone-not-null-*) */
    o += 3;
  }
  return json_stringn(out, o);
}

/* One write(2) per line: the kernel keeps writes to a pipe of up to
 * PIPE_BUF bytes atomic, and a single call is the best we can do beyond. */
static void write_line(const char *s, size_t n)
{
  while (n > 0) {
    ssize_t w = write(log_fd, s, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return; /* nowhere left to report a logging failure */
    }
    s += w;
    n -= (size_t)w;
  }
}

void log_event(enum log_level level, const char *event, json_t *fields)
{
  char now[LOG_TIME_LEN];
  json_t *line;
  char *text;

  if (!log_enabled(level)) {
    json_decref(fields);
    return;
  }
  log_time_now(now);
  line = json_object();
  if (!line) {
    json_decref(fields);
    return;
  }
  json_object_set_new(line, "time", json_string(now));
  json_object_set_new(line, "level",
                      json_string(settings_log_level_name(level)));
  json_object_set_new(line, "event", json_string(event));
  if (json_is_object(fields))
    json_object_update(line, fields);
  json_decref(fields);
  /* JSON_ENSURE_ASCII: control bytes and non-ASCII from clients are
   * escaped, so a log line can never be split or forged. Invalid UTF-8 has
   * already been refused by json_string (it returns NULL), which drops the
   * field instead of the line. */
  text = json_dumps(line, JSON_COMPACT | JSON_ENSURE_ASCII |
                              JSON_REAL_PRECISION(6) | JSON_PRESERVE_ORDER);
  json_decref(line);
  if (!text)
    return;
  size_t n = strlen(text);
  text[n] = '\n';
  write_line(text, n + 1);
  free(text);
}

void log_msg(enum log_level level, const char *event, const char *fmt, ...)
{
  char msg[1024];
  va_list ap;

  if (!log_enabled(level))
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  log_event(level, event, json_pack("{s:s?}", "message", msg));
}
