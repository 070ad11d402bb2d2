/* access_log.h -- the access line of one request, formatted by hand
 *
 * One JSON object per request, with the fields (in this order) "time",
 * "level", "event":"access", "method", "path", "status", "bytes",
 * "duration_ms", "request_id", "client", and when set "s3_status",
 * "s3_ms", "cache", "error", "auth", "sub", "aborted". "sub" is the subject
 * of a verified bearer token (never the token itself). Every string is escaped
 * with log_json_escape, so whatever bytes a client sends (invalid UTF-8,
 * quotes, control bytes) the line is valid JSON and keeps every field. Strings
 * are cut (ending in "...") so that a line never exceeds LOG_LINE_MAX.
 *
 * Why not jansson: building a json_t per request, dumping it and freeing it
 * cost ~7 us per line, more than serving a cached GET (docs/benchmarks.md);
 * this costs well under 1 us. Rare events still use log_event.
 */
#ifndef HEADER_S3JSON_ACCESS_LOG_H
#define HEADER_S3JSON_ACCESS_LOG_H

#include <stddef.h>

#include "../log.h"

/* Escaped lengths at most, per field: with the fixed fields (< 400 bytes)
 * they add up to less than LOG_LINE_MAX. */
#define ACCESS_LOG_METHOD_MAX 64
#define ACCESS_LOG_PATH_MAX 2048
#define ACCESS_LOG_ID_MAX 512     /* request_id */
#define ACCESS_LOG_CLIENT_MAX 256 /* client */
#define ACCESS_LOG_WORD_MAX 64    /* cache, error, auth */
#define ACCESS_LOG_SUB_MAX 256    /* sub */

struct access_entry {
  const char *method;     /* as received; NULL or "" gives "-" */
  const char *path;       /* raw request target; NULL gives "" */
  int status;             /* HTTP status sent (0: none) */
  size_t bytes;           /* body bytes */
  long long duration_us;  /* first byte of the request to the last reply */
  const char *request_id; /* NULL gives "" */
  const char *client;     /* NULL gives "" */
  int s3_called;          /* 1: "s3_status" and "s3_ms" are written */
  int s3_status;
  long s3_ms;
  const char *cache; /* NULL: no "cache" field */
  const char *error; /* NULL: no "error" field */
  const char *auth;  /* NULL: no "auth" field (the auth_result_name) */
  const char *sub;   /* NULL: no "sub" field */
  int aborted;       /* 1: "aborted":true (the client went away) */
};

/* Formats the line of 'e' stamped 'time' (log_time_now) into 'out', ending
 * in '\n' (not NUL-terminated). Returns its length, at most LOG_LINE_MAX.
 * Pure: allocates nothing, so it is unit-tested and fuzzed as it is. */
size_t access_log_format(char out[LOG_LINE_MAX], const char *time,
                         const struct access_entry *e);

/* Formats 'e' with the current time and writes it as one line at level
 * info (nothing when the log level is above info). */
void access_log_write(const struct access_entry *e);

#endif /* HEADER_S3JSON_ACCESS_LOG_H */
