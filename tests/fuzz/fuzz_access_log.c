/* fuzz_access_log.c -- libFuzzer target: the access line (access_log_format,
 * log_json_escape)
 *
 * Input: the method, path, request id, client, cache and error strings from
 * the front (fuzz.h's fdp_str), the numbers and a flag byte from the end.
 * Checks, besides the sanitizers:
 *   - the line is at most LOG_LINE_MAX bytes, ends in its only '\n', and
 *     parses (jansson) as one object with every field (issue 11: no field
 *     is ever dropped, whatever the bytes);
 *   - a string that is valid UTF-8 and short enough not to be cut comes
 *     back exactly as it went in; any other comes back as valid text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "fuzz.h"
#include "http/access_log.h"

static const char *const fields[] = {
    "time",     "level",       "event",      "method", "path",
    "status",   "bytes",       "duration_ms", "request_id", "client"};

/* 's' must come back unchanged when jansson takes it as UTF-8 and its
 * worst-case escape (6 bytes a byte) fits the field's cap. */
static void check_string(json_t *doc, const char *key, const char *s,
                         size_t cap)
{
  json_t *v = json_object_get(doc, key);
  json_t *want;

  FUZZ_CHECK(json_is_string(v));
  if (!s)
    return;
  want = json_string(s);
  if (want && strlen(s) * 6 <= cap)
    FUZZ_CHECK(!strcmp(json_string_value(v), s));
  json_decref(want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct fdp f;
  struct access_entry e;
  char line[LOG_LINE_MAX];
  json_error_t err;
  json_t *doc;
  size_t n, i;
  uint8_t flags;

  if (size > 64 * 1024)
    return 0;
  fdp_init(&f, data, size);
  memset(&e, 0, sizeof(e));
  flags = fdp_u8(&f);
  e.status = (int)fdp_u32(&f);
  e.bytes = (size_t)fdp_u64(&f);
  e.duration_us = (long long)fdp_u64(&f);
  e.s3_status = (int)fdp_u32(&f);
  e.s3_ms = (long)fdp_u64(&f);
  e.s3_called = flags & 1;
  e.aborted = (flags >> 1) & 1;
  e.method = flags & 4 ? NULL : fdp_str(&f, 64);
  e.path = fdp_str(&f, 8192);
  e.request_id = fdp_str(&f, 1024);
  e.client = fdp_str(&f, 512);
  e.cache = flags & 8 ? fdp_str(&f, 128) : NULL;
  e.error = flags & 16 ? fdp_str(&f, 128) : NULL;

  n = access_log_format(line, "2026-12-03T12:00:00.123Z", &e);
  FUZZ_CHECK(n > 1 && n <= LOG_LINE_MAX);
  FUZZ_CHECK(line[n - 1] == '\n' && !memchr(line, '\n', n - 1));
  doc = json_loadb(line, n - 1, JSON_REJECT_DUPLICATES, &err);
  if (!doc) {
    fprintf(stderr, "not JSON: %s: %.*s\n", err.text, (int)n, line);
    FUZZ_CHECK(doc != NULL);
  }
  for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
    FUZZ_CHECK(json_object_get(doc, fields[i]) != NULL);
  FUZZ_CHECK(!e.s3_called == !json_object_get(doc, "s3_status"));
  FUZZ_CHECK(!e.aborted == !json_object_get(doc, "aborted"));
  check_string(doc, "method", e.method && e.method[0] ? e.method : NULL,
               ACCESS_LOG_METHOD_MAX);
  check_string(doc, "path", e.path, ACCESS_LOG_PATH_MAX);
  check_string(doc, "request_id", e.request_id, ACCESS_LOG_ID_MAX);
  check_string(doc, "client", e.client, ACCESS_LOG_CLIENT_MAX);
  if (e.cache)
    check_string(doc, "cache", e.cache, ACCESS_LOG_WORD_MAX);
  if (e.error)
    check_string(doc, "error", e.error, ACCESS_LOG_WORD_MAX);
  json_decref(doc);
  fdp_free(&f);
  return 0;
}
