/* test_access_log.c -- the hand-formatted access line and its escaper */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "http/access_log.h"
#include "log.h"

#define TIME "2026-12-03T12:00:00.123Z"

/* Formats 'e', checks the line ends in exactly one '\n', fits LOG_LINE_MAX
 * and parses as one JSON object; returns it (caller decrefs). */
static json_t *format_and_parse(const struct access_entry *e)
{
  char out[LOG_LINE_MAX];
  size_t n = access_log_format(out, TIME, e);
  json_error_t err;
  json_t *doc;

  assert_true(n > 2 && n <= LOG_LINE_MAX);
  assert_int_equal(out[n - 1], '\n');
  assert_null(memchr(out, '\n', n - 1));
  doc = json_loadb(out, n - 1, JSON_REJECT_DUPLICATES, &err);
  if (!doc)
    fail_msg("not JSON (%s): %.*s", err.text, (int)n, out);
  assert_true(json_is_object(doc));
  return doc;
}

static const char *str(json_t *doc, const char *key)
{
  json_t *v = json_object_get(doc, key);

  if (!json_is_string(v))
    fail_msg("field %s is missing or not a string", key);
  return json_string_value(v);
}

static void test_plain_line(void **state)
{
  struct access_entry e = {.method = "GET",
                           .path = "/api/foo?x=1",
                           .status = 200,
                           .bytes = 27,
                           .duration_us = 3412,
                           .request_id = "1-5759e988-bd862e3fe1be46a994272793",
                           .client = "203.0.113.7",
                           .s3_called = 1,
                           .s3_status = 200,
                           .s3_ms = 3,
                           .cache = "MISS"};
  json_t *doc;
  (void)state;

  doc = format_and_parse(&e);
  assert_string_equal(str(doc, "time"), TIME);
  assert_string_equal(str(doc, "level"), "info");
  assert_string_equal(str(doc, "event"), "access");
  assert_string_equal(str(doc, "method"), "GET");
  assert_string_equal(str(doc, "path"), "/api/foo?x=1");
  assert_int_equal(json_integer_value(json_object_get(doc, "status")), 200);
  assert_int_equal(json_integer_value(json_object_get(doc, "bytes")), 27);
  assert_true(json_real_value(json_object_get(doc, "duration_ms")) == 3.412);
  assert_string_equal(str(doc, "request_id"),
                      "1-5759e988-bd862e3fe1be46a994272793");
  assert_string_equal(str(doc, "client"), "203.0.113.7");
  assert_int_equal(json_integer_value(json_object_get(doc, "s3_status")), 200);
  assert_int_equal(json_integer_value(json_object_get(doc, "s3_ms")), 3);
  assert_string_equal(str(doc, "cache"), "MISS");
  assert_null(json_object_get(doc, "error"));
  assert_null(json_object_get(doc, "aborted"));
  json_decref(doc);
}

/* Issue 11: a method that is not UTF-8 made jansson refuse the whole
 * field set, leaving time, level and event. Every field must stay. */
static void test_hostile_bytes_keep_every_field(void **state)
{
  struct access_entry e = {.method = "G\xff\xfe\"T",
                           .path = "/api/\x01\"\\\n\r\t\x7f\xc3\x28\xe2\x82",
                           .status = 400,
                           .duration_us = 5,
                           .request_id = "id\"}\n{\"forged\":1",
                           .client = "\xff\xff",
                           .error = "bad_name",
                           .aborted = 1};
  json_t *doc;
  (void)state;

  doc = format_and_parse(&e);
  assert_string_equal(str(doc, "method"), "G\xEF\xBF\xBD\xEF\xBF\xBD\"T");
  assert_string_equal(str(doc, "path"), "/api/\x01\"\\\n\r\t\x7f\xEF\xBF\xBD("
                                        "\xEF\xBF\xBD\xEF\xBF\xBD");
  assert_string_equal(str(doc, "request_id"), "id\"}\n{\"forged\":1");
  assert_string_equal(str(doc, "client"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  assert_null(json_object_get(doc, "forged"));
  assert_string_equal(str(doc, "error"), "bad_name");
  assert_true(json_is_true(json_object_get(doc, "aborted")));
  assert_true(json_real_value(json_object_get(doc, "duration_ms")) == 0.005);
  json_decref(doc);
}

/* Missing strings still give every field. */
static void test_null_strings(void **state)
{
  struct access_entry e = {.status = 431};
  json_t *doc;
  (void)state;

  doc = format_and_parse(&e);
  assert_string_equal(str(doc, "method"), "-");
  assert_string_equal(str(doc, "path"), "");
  assert_string_equal(str(doc, "request_id"), "");
  assert_string_equal(str(doc, "client"), "");
  json_decref(doc);
}

/* Every field at its worst (each byte escaped to 6): the line is cut per
 * field, marked "...", and still fits one atomic write. */
static void test_longest_line_fits(void **state)
{
  static char big[16384];
  struct access_entry e = {.method = big,
                           .path = big,
                           .request_id = big,
                           .client = big,
                           .cache = big,
                           .error = big,
                           .s3_called = 1,
                           .s3_status = -2147483647 - 1,
                           .s3_ms = -1,
                           .status = 2147483647,
                           .bytes = (size_t)-1,
                           .duration_us = 9223372036854775807LL,
                           .aborted = 1};
  const char *p;
  json_t *doc;
  (void)state;

  memset(big, 0x01, sizeof(big) - 1);
  doc = format_and_parse(&e);
  p = str(doc, "path");
  assert_true(strlen(p) > 100);
  assert_string_equal(p + strlen(p) - 3, "...");
  assert_true(json_is_true(json_object_get(doc, "aborted")));
  json_decref(doc);
}

/* Cut at every possible place: the escape is never split, so the string
 * is always valid JSON, never longer than the cap, and ends in "..." when
 * the input did not fit. */
static void test_escape_cut_everywhere(void **state)
{
  static const char in[] = "ab\"\\\x01\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
                           "\xff\n\xed\xa0\x80z";
  char out[256], doc[300];
  size_t cap, n, full;
  (void)state;

  full = log_json_escape(out, sizeof(out), in, sizeof(in) - 1);
  assert_int_equal(full, 36);
  assert_memory_not_equal(out + full - 3, "...", 3);
  for (cap = 0; cap < 80; cap++) {
    json_t *v;
    n = log_json_escape(out, cap, in, sizeof(in) - 1);
    assert_true(n <= cap);
    snprintf(doc, sizeof(doc), "\"%.*s\"", (int)n, out);
    v = json_loads(doc, JSON_DECODE_ANY, NULL);
    if (!v)
      fail_msg("cap %zu: not a JSON string: %s", cap, doc);
    if (cap >= 3 && cap < full)
      assert_memory_equal(out + n - 3, "...", 3);
    if (cap >= full)
      assert_int_equal(n, full);
    json_decref(v);
  }
}

static void test_time_format(void **state)
{
  char a[LOG_TIME_LEN], b[LOG_TIME_LEN];
  (void)state;

  log_time_now(a);
  log_time_now(b); /* the second one from the per-thread cache */
  assert_int_equal(strlen(a), LOG_TIME_LEN - 1);
  assert_int_equal(a[10], 'T');
  assert_int_equal(a[19], '.');
  assert_int_equal(a[23], 'Z');
  assert_true(strcmp(a, b) <= 0);
}

/* Reads what the pipe holds now (non-blocking); returns its length. */
static size_t drain_pipe(int fd, char *out, size_t cap)
{
  size_t n = 0;
  ssize_t r;

  while (n < cap && (r = read(fd, out + n, cap - n)) > 0)
    n += (size_t)r;
  assert_true(n < cap);
  out[n] = '\0';
  return n;
}

/* Lines wait in the thread's buffer; log_flush writes them whole, in
 * order; a quiet thread's line is written by the flusher within
 * LOG_FLUSH_MS (plus its tick); a log_event writes the buffer first. */
static void test_buffer_flush(void **state)
{
  static char got[LOG_BUFFER_SIZE * 2];
  struct timespec wait = {0, LOG_FLUSH_MS * 3 * 1000000L};
  int fds[2];
  (void)state;

  assert_int_equal(pipe(fds), 0);
  assert_int_equal(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  log_init(LOG_INFO, fds[1]);
  log_write_line(LOG_INFO, "{\"a\":1}\n", 8);
  log_write_line(LOG_INFO, "{\"b\":2}\n", 8);
  log_write_line(LOG_DEBUG, "{\"c\":3}\n", 8); /* below the level */
  assert_int_equal(drain_pipe(fds[0], got, sizeof(got)), 0);
  log_flush();
  drain_pipe(fds[0], got, sizeof(got));
  assert_string_equal(got, "{\"a\":1}\n{\"b\":2}\n");

  log_write_line(LOG_INFO, "{\"d\":4}\n", 8);
  nanosleep(&wait, NULL);
  drain_pipe(fds[0], got, sizeof(got));
  assert_string_equal(got, "{\"d\":4}\n");

  log_write_line(LOG_INFO, "{\"e\":5}\n", 8);
  log_event(LOG_INFO, "after", NULL);
  drain_pipe(fds[0], got, sizeof(got));
  assert_memory_equal(got, "{\"e\":5}\n{\"time\":", 16);
  assert_non_null(strstr(got, "\"event\":\"after\""));

  /* A full buffer is written at once, whole lines only. */
  for (int i = 0; i < (int)(LOG_BUFFER_SIZE / 8) + 1; i++)
    log_write_line(LOG_INFO, "{\"f\":6}\n", 8);
  assert_int_equal(drain_pipe(fds[0], got, sizeof(got)), LOG_BUFFER_SIZE);
  log_flush();
  assert_int_equal(drain_pipe(fds[0], got, sizeof(got)), 8);
  log_init(LOG_INFO, 1);
  close(fds[0]);
  close(fds[1]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_line),
      cmocka_unit_test(test_hostile_bytes_keep_every_field),
      cmocka_unit_test(test_null_strings),
      cmocka_unit_test(test_longest_line_fits),
      cmocka_unit_test(test_escape_cut_everywhere),
      cmocka_unit_test(test_time_format),
      cmocka_unit_test(test_buffer_flush),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
