/* log.h -- structured logs: one JSON object per line on stdout
 *
 * Every line has "time" (RFC 3339, UTC, milliseconds), "level" and "event".
 * Lines are built with jansson (so any byte a client sends is escaped) and
 * written with one write(2), so lines from different threads never mix.
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

/* Current time as RFC 3339 with milliseconds, UTC: "2026-11-24T20:19:47.123Z"
 * 'out' must hold LOG_TIME_LEN bytes. */
#define LOG_TIME_LEN sizeof("2026-11-24T20:19:47.123Z")
void log_time_now(char out[LOG_TIME_LEN]);

#endif /* HEADER_S3JSON_LOG_H */
