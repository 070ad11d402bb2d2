/* log.h -- structured logs: one JSON object per line on stdout
 *
 * Every line has "time" (RFC 3339, UTC, milliseconds), "level" and "event".
 * Rare events are built with jansson; the access line (one per request) is
 * formatted by http/access_log.c with log_json_escape, which is ~10x
 * cheaper. Any byte a client sends is escaped, never dropped.
 *
 * Access lines are buffered per thread (log_write_line, as nginx's
 * access_log buffer=/flush=): a buffer is written with one write(2) when it
 * is full (LOG_BUFFER_SIZE), when its oldest line is LOG_FLUSH_MS old (a
 * background thread sees to quiet threads), before any log_event line (so
 * "drain" and "stop" come after the lines before them), on log_flush and at
 * exit. Every write(2) holds one lock and carries whole lines only, so
 * lines are never torn or interleaved, on a pipe or a file. A crash
 * (SIGKILL, abort) loses at most the lines of the last LOG_FLUSH_MS, at most
 * LOG_BUFFER_SIZE bytes per thread.
 * Secrets never reach this module: callers pass only what may be shown.
 */
#ifndef HEADER_S3JSON_LOG_H
#define HEADER_S3JSON_LOG_H

#include <jansson.h>

/* Levels, lowest first: S3JSON_LOG_LEVEL picks the minimum logged. */
enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };

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

/* The longest access line: PIPE_BUF on Linux, so that even a reader that
 * takes the pipe in PIPE_BUF chunks gets whole lines, and a buffer holds
 * several. Callers cap their fields so a line fits (access_log.c). */
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

/* Buffer per thread and the longest a line waits in it. 16 KiB is ~60
 * access lines: one write(2) per 60 requests instead of one per request
 * (that write cost ~3 us, as much as the rest of a cached GET). */
#define LOG_BUFFER_SIZE (16 * 1024)
#define LOG_FLUSH_MS 200

/* Appends one complete line ('n' bytes, ending in '\n', n <= LOG_LINE_MAX)
 * to this thread's buffer, unless 'level' is below the minimum. */
void log_write_line(enum log_level level, const char *s, size_t n);

/* Writes every thread's buffered lines now. Thread-safe. */
void log_flush(void);

/* Current time as RFC 3339 with milliseconds, UTC: "2026-11-24T20:19:47.123Z"
 * 'out' must hold LOG_TIME_LEN bytes. The date part is formatted once per
 * second per thread (gmtime and strftime cost more than the access line). */
#define LOG_TIME_LEN sizeof("2026-11-24T20:19:47.123Z")
void log_time_now(char out[LOG_TIME_LEN]);

#endif /* HEADER_S3JSON_LOG_H */
