/* json.h -- DynamoDB's JSON 1.0 documents s3json writes and reads (jansson;
 * pure, no I/O, fuzzed by app/tests/fuzz/fuzz_ddb_json.c)
 *
 * Requests: GetItem (whole, or only `sha256`), Scan of `name` and
 * DescribeTable, built with jansson so any name (quotes, backslashes,
 * Unicode) is escaped correctly. Answers: GetItem's Item, Scan's Items and
 * LastEvaluatedKey, and error bodies ({"__type": "...#Code", "message"}).
 */
#ifndef HEADER_S3JSON_DDB_JSON_H
#define HEADER_S3JSON_DDB_JSON_H

#include <stddef.h>

#include "../s3/xml.h" /* struct s3_list, struct s3_error_doc */

/* DynamoDB's own limits: a partition key is at most 2048 bytes, a table
 * name 3-255 of [A-Za-z0-9_.-]. */
#define DDB_KEY_MAX 2048
#define DDB_TABLE_MIN 3
#define DDB_TABLE_MAX 255
/* An answer above this is refused before parsing (a Scan page is at most
 * 1 MB of items; JSON escaping can grow a string six-fold). */
#define DDB_JSON_MAX_DOC (16 * 1024 * 1024)
#define DDB_SHA256_HEX 65 /* 64 hex digits + NUL */

/* 1 when 't' is a table name DynamoDB accepts. */
int ddb_table_name_ok(const char *t);

/* Request bodies (malloc'd, NUL-terminated, compact JSON), or NULL when a
 * string is not valid UTF-8 or memory ran out. */
/* GetItem of 'key': 'sha_only' 1 reads only `sha256` (revalidation), 0
 * reads `body` and `sha256`. Eventually consistent: half the read units. */
char *ddb_json_get_item_request(const char *table, const char *key,
                                int sha_only);
/* Scan of `name` only; 'prefix' ("" = all) becomes begins_with(name, :p);
 * 'start' (NULL = first page) the ExclusiveStartKey; 'limit' 1..1000. */
char *ddb_json_scan_request(const char *table, const char *prefix,
                            const char *start, int limit);
char *ddb_json_describe_request(const char *table);

enum ddb_json_code {
  DDB_JSON_OK = 0,   /* 0 */
  DDB_JSON_MALFORMED /* 1: not JSON, or not the document expected */
};

/* A GetItem answer. */
struct ddb_item {
  int found;    /* the answer held an Item */
  char *body;   /* `body` (S), malloc'd, NUL-terminated; NULL when absent
                   or when only `sha256` was asked for */
  size_t len;   /* of 'body' (may hold NUL bytes: JSON's \u0000) */
  int has_body; /* `body` was present and a string */
  char sha256[DDB_SHA256_HEX]; /* `sha256` when a string of 64 hex digits
                                  (lowercased); "" otherwise */
};

/* Parses GetItem's answer ({} when there is no such item). `body` of
 * another type than S is left out (has_body 0); the caller refuses it.
 * Free with ddb_item_free whatever the outcome. */
enum ddb_json_code ddb_json_parse_item(const char *p, size_t n,
                                       struct ddb_item *out);
void ddb_item_free(struct ddb_item *it);

/* Parses a Scan page: each item's `name` (S) into out->keys in Scan order
 * (items without a string name are skipped), LastEvaluatedKey's name into
 * next_token with truncated 1. At most S3_LIST_MAX_KEYS names. Free with
 * s3_list_free whatever the outcome. */
enum ddb_json_code ddb_json_parse_scan(const char *p, size_t n,
                                       struct s3_list *out);

/* DescribeTable's answer: DDB_JSON_OK when it describes a table. */
enum ddb_json_code ddb_json_parse_describe(const char *p, size_t n);

/* An error body: `__type` after its last '#' into code, `message` or
 * `Message` into message; both "" when absent or unparseable. */
void ddb_json_parse_error(const char *p, size_t n, struct s3_error_doc *out);

#endif /* HEADER_S3JSON_DDB_JSON_H */
