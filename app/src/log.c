/* log.c -- structured logs: one JSON object per line on stdout */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "settings.h"
#include "util/clock.h"

static enum log_level log_min = LOG_INFO;
static int log_fd = 1; /* stdout: the container runtime collects it */

/* Held for each write(2): lines and buffers never interleave, on a pipe
 * or a file, whatever their size. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

/* A thread's buffered lines (log_write_line). The owner appends under
 * 'lock'; the flusher thread and log_flush take the same lock, so a
 * buffer is written by whoever gets there first, exactly once. */
struct log_buffer {
  pthread_mutex_t lock;
  size_t len;              /* bytes waiting in 'data' */
  long long oldest_ms;     /* monotonic ms of the first waiting line */
  struct log_buffer *next; /* in 'buffers', never removed */
  char data[LOG_BUFFER_SIZE];
};

static pthread_mutex_t buffers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_buffer *buffers; /* every thread's, for log_flush */
static _Thread_local struct log_buffer *my_buffer;
static pthread_once_t flusher_once = PTHREAD_ONCE_INIT;

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
  /* The date and time of day of the last second this thread formatted:
   * at thousands of lines per second, gmtime_r + strftime run once per
   * second instead of once per line. */
  static _Thread_local time_t last_sec = (time_t)-1;
  static _Thread_local char date[sizeof("2026-11-24T20:19:47")];
  struct timespec ts;
  unsigned ms;

  clock_gettime(CLOCK_REALTIME, &ts);
  if (ts.tv_sec != last_sec) {
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    last_sec = ts.tv_sec;
  }
  ms = (unsigned)(ts.tv_nsec / 1000000) % 1000u;
  memcpy(out, date, sizeof(date) - 1);
  out[19] = '.';
  out[20] = (char)('0' + ms / 100);
  out[21] = (char)('0' + ms / 10 % 10);
  out[22] = (char)('0' + ms % 10);
  out[23] = 'Z';
  out[24] = '\0';
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

/* The escape of one byte that cannot go into a JSON string as it is:
 * the short forms JSON has, else \u00XX. Returns its length. */
static size_t escape_byte(unsigned char c, char e[6])
{
  static const char hex[] = "0123456789abcdef";

  e[0] = '\\';
  switch (c) {
  case '"':
  case '\\':
    e[1] = (char)c;
    return 2;
  case '\n':
    e[1] = 'n';
    return 2;
  case '\r':
    e[1] = 'r';
    return 2;
  case '\t':
    e[1] = 't';
    return 2;
  default:
    e[1] = 'u';
    e[2] = '0';
    e[3] = '0';
    e[4] = hex[c >> 4];
    e[5] = hex[c & 15];
    return 6;
  }
}

size_t log_json_escape(char *out, size_t cap, const char *s, size_t n)
{
  /* 'cut': the end of the last whole character after which "..." still
   * fits; the output falls back to it when the input does not fit. */
  size_t o = 0, i = 0, k, cut = 0;
  const unsigned char *u = (const unsigned char *)s;
  char e[6];

  if (cap < 3)
    return 0;
  while (i < n) {
    if (u[i] >= 0x20 && u[i] < 0x7f && u[i] != '"' && u[i] != '\\') {
      if (o + 1 > cap)
        break;
      out[o++] = (char)u[i++];
    } else if (u[i] < 0x80) { /* control byte, DEL, quote or backslash */
      k = escape_byte(u[i], e);
      if (o + k > cap)
        break;
      memcpy(out + o, e, k);
      o += k;
      i++;
    } else if ((k = utf8_len(u + i, n - i)) != 0) {
      if (o + k > cap)
        break;
      memcpy(out + o, s + i, k);
      o += k;
      i += k;
    } else { /* U+FFFD: the line stays valid and shows a byte was bad */
      if (o + 3 > cap)
        break;
      /* 'out' is length-counted, never NUL-terminated. */
      memcpy(out + o, "\xEF\xBF\xBD", 3); /* NOLINT(bugprone-not-null-*) */
      o += 3;
      i++;
    }
    if (o <= cap - 3)
      cut = o;
  }
  if (i < n) {
    memcpy(out + cut, "...", 3); /* NOLINT(bugprone-not-null-*) */
    o = cut + 3;
  }
  return o;
}

/* One write(2) per line: the kernel keeps writes to a pipe of up to
 * PIPE_BUF bytes atomic, and a single call is the best we can do beyond. */
static void write_line(const char *s, size_t n)
{
  pthread_mutex_lock(&write_lock);
  while (n > 0) {
    ssize_t w = write(log_fd, s, n);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      break; /* nowhere left to report a logging failure */
    }
    s += w;
    n -= (size_t)w;
  }
  pthread_mutex_unlock(&write_lock);
}

/* Writes what 'b' holds; the caller holds b->lock. */
static void flush_locked(struct log_buffer *b)
{
  if (b->len) {
    write_line(b->data, b->len);
    b->len = 0;
  }
}

/* Writes every buffer whose oldest line has waited 'min_age_ms' or more. */
static void flush_older(long long min_age_ms)
{
  struct log_buffer *b;
  long long now = clock_coarse_ms();

  pthread_mutex_lock(&buffers_lock);
  b = buffers;
  pthread_mutex_unlock(&buffers_lock);
  /* The list only grows at its head, so walking it unlocked from a
   * snapshot of the head is safe. */
  for (; b; b = b->next) {
    pthread_mutex_lock(&b->lock);
    if (b->len && now - b->oldest_ms >= min_age_ms)
      flush_locked(b);
    pthread_mutex_unlock(&b->lock);
  }
}

void log_flush(void)
{
  flush_older(0);
}

/* Bounds how long a line waits when its thread goes quiet. */
static void *flusher_main(void *arg)
{
  const struct timespec tick = {0, LOG_FLUSH_MS / 4 * 1000000L};

  (void)arg;
  for (;;) {
    nanosleep(&tick, NULL);
    flush_older(LOG_FLUSH_MS);
  }
  return NULL;
}

static void start_flusher(void)
{
  pthread_t t;
  sigset_t all, old;

  /* The flusher must not take the signals main() waits for with sigwait;
   * it is detached and runs until exit, after which atexit flushes. */
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  if (pthread_create(&t, NULL, flusher_main, NULL) == 0) {
    pthread_setname_np(t, "log-flush"); /* in top -H and /proc/PID/task */
    pthread_detach(t);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  atexit(log_flush);
}

/* This thread's buffer, made on first use; NULL if out of memory (the
 * caller then writes directly). */
static struct log_buffer *thread_buffer(void)
{
  struct log_buffer *b = my_buffer;

  if (b)
    return b;
  b = malloc(sizeof(*b));
  if (!b)
    return NULL;
  pthread_mutex_init(&b->lock, NULL);
  b->len = 0;
  b->oldest_ms = 0;
  pthread_once(&flusher_once, start_flusher);
  pthread_mutex_lock(&buffers_lock);
  b->next = buffers;
  buffers = b;
  pthread_mutex_unlock(&buffers_lock);
  my_buffer = b;
  return b;
}

void log_write_line(enum log_level level, const char *s, size_t n)
{
  struct log_buffer *b;
  long long now;

  if (!log_enabled(level))
    return;
  b = thread_buffer();
  if (!b || n > LOG_BUFFER_SIZE) {
    write_line(s, n);
    return;
  }
  now = clock_coarse_ms();
  pthread_mutex_lock(&b->lock);
  if (b->len + n > LOG_BUFFER_SIZE)
    flush_locked(b);
  if (!b->len)
    b->oldest_ms = now;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  /* A busy thread flushes its own old lines; the flusher does it for a
   * quiet one. */
  if (now - b->oldest_ms >= LOG_FLUSH_MS)
    flush_locked(b);
  pthread_mutex_unlock(&b->lock);
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
  /* Buffered access lines first: the order of a request's line and a
   * later event (drain, stop) is kept, and _exit after "stop" loses
   * nothing. Events are rare; this costs a lock per thread. */
  log_flush();
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
