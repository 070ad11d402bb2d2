/* log.h -- structured logs: one JSON object per line on stdout
 *
 * Every line has "time" (RFC 3339, UTC, milliseconds), "level" and "event".
 * Rare events are built with jansson; the access line (one per request) is
 * formatted by http/access_log.c with log_json_escape, which is ~10x
 * cheaper. Any byte a client sends is escaped, never dropped. Each line is
 * written with one write(2) of at most LOG_LINE_MAX bytes, so lines from
 * different threads never mix, even on a pipe. Nothing is buffered in the
 * process: a line is in the kernel when its request is done, and a crash
 * loses no line of a finished request.
 * Secrets never reach this module: callers pass only what may be shown.
 */
#ifndef HEADER_S3JSON_LOG_H
#define HEADER_S3JSON_LOG_H

#include <jansson.h>

#include "settings.h"

void log_init(enum log_level min_level, int fd);
int log_enabled(enum log_level level);

/*
 * Logs 'event' with the fields of 'fields' (may be NULL). Takes ownership of
 * 'fields' (json_decref'd here), so callers can write
 *   log_event(LOG_INFO, "start", json_pack("{s:i}", "port", 8080));
 */
void log_event(enum log_level level, const char *event, json_t *fields);

/* Convenience: an event with a single "message" field (printf format). */
void log_msg(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A JSON string from untrusted bytes ('n' of them at 's'): invalid UTF-8 is
 * replaced by U+FFFD and the text is cut after 'max' bytes (at most
 * LOG_STRING_MAX) with "..." appended. Use it for anything a client or S3
 * sent: paths, header values, S3 error messages. NULL 's' gives JSON null.
 */
#define LOG_STRING_MAX 1024
json_t *log_string(const char *s, size_t n, size_t max);

/* The longest line written: PIPE_BUF (POSIX: at least 512; 4096 on Linux),
 * the size up to which a write(2) to a pipe is atomic, i.e. never torn or
 * interleaved with another thread's line. Callers cap their fields so a
 * line fits (access_log.c); a longer one is cut, never split. */
#define LOG_LINE_MAX 4096

/*
 * Escapes 'n' bytes at 's' as the inside of a JSON string (no quotes) into
 * 'out', writing at most 'cap' bytes; returns how many it wrote. Quotes,
 * backslashes and control bytes are escaped, valid UTF-8 is copied, each
 * invalid byte becomes U+FFFD, so the result is always valid JSON whatever
 * the input. When the input does not fit, it is cut after a whole
 * character and ends with "..." (a 'cap' below 3 gives an empty string).
 */
size_t log_json_escape(char *out, size_t cap, const char *s, size_t n);

/* Writes one complete line ('n' bytes, ending in '\n', n <= LOG_LINE_MAX)
 * with a single write(2), unless 'level' is below the minimum. */
void log_write_line(enum log_level level, const char *s, size_t n);

/* Current time as RFC 3339 with milliseconds, UTC: "2026-11-24T20:19:47.123Z"
 * 'out' must hold LOG_TIME_LEN bytes. The date part is formatted once per
 * second per thread (gmtime and strftime cost more than the access line). */
#define LOG_TIME_LEN sizeof("2026-11-24T20:19:47.123Z")
void log_time_now(char out[LOG_TIME_LEN]);

#endif /* HEADER_S3JSON_LOG_H */
