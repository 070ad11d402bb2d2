/* fuzz_ddb_json.c -- libFuzzer target: ddb/json's answer parsers (GetItem,
 * Scan, DescribeTable and error bodies: remote bytes, possibly cut off,
 * malformed, or not JSON at all)
 *
 * Input: one answer body, given to every parser. Checks, besides the
 * sanitizers:
 *   - GetItem: a refused answer leaves no body; a body is NUL-terminated at
 *     its length; sha256 is "" or 64 lowercase hex digits; no body without
 *     an item;
 *   - Scan: a refused page leaves no keys and no token; an accepted one
 *     holds at most S3_LIST_MAX_KEYS non-empty keys of at most DDB_KEY_MAX
 *     bytes, and a token exactly when truncated;
 *   - errors: code and message are NUL-terminated inside their arrays;
 *   - every parse is a pure function: a second parse gives the same answer.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "ddb/json.h"
#include "fuzz.h"

static void check_item(const char *p, size_t n)
{
  struct ddb_item it, again;
  enum ddb_json_code rc = ddb_json_parse_item(p, n, &it);
  size_t i;

  FUZZ_CHECK(rc == DDB_JSON_OK || rc == DDB_JSON_MALFORMED);
  if (rc != DDB_JSON_OK || !it.found)
    FUZZ_CHECK(it.body == NULL && !it.has_body);
  if (it.body)
    FUZZ_CHECK(it.has_body && it.body[it.len] == '\0');
  FUZZ_CHECK(it.sha256[0] == '\0' || strlen(it.sha256) == 64);
  for (i = 0; it.sha256[i]; i++)
    FUZZ_CHECK(isxdigit((unsigned char)it.sha256[i]) &&
               !isupper((unsigned char)it.sha256[i]));
  FUZZ_CHECK(ddb_json_parse_item(p, n, &again) == rc);
  FUZZ_CHECK(again.found == it.found && again.len == it.len &&
             !strcmp(again.sha256, it.sha256));
  FUZZ_CHECK(!it.body || !memcmp(again.body, it.body, it.len));
  ddb_item_free(&again);
  ddb_item_free(&it);
}

static void check_scan(const char *p, size_t n)
{
  struct s3_list l, again;
  enum ddb_json_code rc = ddb_json_parse_scan(p, n, &l);
  size_t i;

  FUZZ_CHECK(rc == DDB_JSON_OK || rc == DDB_JSON_MALFORMED);
  if (rc != DDB_JSON_OK)
    FUZZ_CHECK(!l.keys && !l.next_token && l.nkeys == 0);
  FUZZ_CHECK(l.nkeys <= S3_LIST_MAX_KEYS);
  FUZZ_CHECK((l.next_token != NULL) == (l.truncated != 0));
  for (i = 0; i < l.nkeys; i++)
    FUZZ_CHECK(l.keys[i][0] && strlen(l.keys[i]) <= DDB_KEY_MAX);
  FUZZ_CHECK(ddb_json_parse_scan(p, n, &again) == rc);
  FUZZ_CHECK(again.nkeys == l.nkeys);
  for (i = 0; i < l.nkeys; i++)
    FUZZ_CHECK(!strcmp(again.keys[i], l.keys[i]));
  s3_list_free(&again);
  s3_list_free(&l);
}

static void check_error(const char *p, size_t n)
{
  struct s3_error_doc d, again;

  memset(&d, 0x5a, sizeof(d)); /* garbage: the parser must not read it */
  ddb_json_parse_error(p, n, &d);
  FUZZ_CHECK(memchr(d.code, '\0', sizeof(d.code)) != NULL);
  FUZZ_CHECK(memchr(d.message, '\0', sizeof(d.message)) != NULL);
  FUZZ_CHECK(strchr(d.code, '#') == NULL);
  ddb_json_parse_error(p, n, &again);
  FUZZ_CHECK(!strcmp(again.code, d.code) && !strcmp(again.message, d.message));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *p = (const char *)data;
  enum ddb_json_code rc;

  check_item(p, size);
  check_scan(p, size);
  check_error(p, size);
  rc = ddb_json_parse_describe(p, size);
  FUZZ_CHECK(rc == DDB_JSON_OK || rc == DDB_JSON_MALFORMED);
  return 0;
}
