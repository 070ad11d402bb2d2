/* names.h -- what a client put in the URL: document names and the query
 *
 * Pure functions over untrusted bytes (no I/O, no allocation), unit-tested
 * and fuzzed. The server hands us the path exactly as received (we turn off
 * libmicrohttpd's own unescaping), so "%2e%2e" is decoded here, once, and
 * then validated: there is no second decoding anywhere that could let an
 * encoded "../" through.
 */
#ifndef HEADER_S3JSON_NAMES_H
#define HEADER_S3JSON_NAMES_H

#include <stddef.h>

/* A name is at most this many bytes after percent-decoding. */
#define NAMES_MAX 512

enum names_code {
  NAMES_OK = 0,        /* 0 */
  NAMES_EMPTY,         /* 1: no name at all */
  NAMES_BAD_ESCAPE,    /* 2: '%' not followed by two hex digits */
  NAMES_BAD_CHAR,      /* 3: a byte outside [A-Za-z0-9._-] and '/' */
  NAMES_EMPTY_SEGMENT, /* 4: "a//b", leading or trailing '/' */
  NAMES_DOT_SEGMENT,   /* 5: a "." or ".." segment */
  NAMES_TOO_LONG       /* 6: more than NAMES_MAX bytes decoded */
};

/* A sentence for clients ("name has a '.' or '..' segment"). */
const char *names_strerror(enum names_code c);

/*
 * Decodes 'n' bytes of a raw URL path segment list ('raw', e.g. "team%2Fa")
 * into 'out' (NAMES_MAX + 1 bytes, NUL-terminated) and validates it:
 * one or more segments of [A-Za-z0-9._-] joined by '/', no empty, "." or
 * ".." segment. On error 'out' holds no valid name.
 */
enum names_code names_decode(const char *raw, size_t n,
                             char out[NAMES_MAX + 1]);

/*
 * Percent-decodes a query value ('+' is a space, as in HTML forms) into
 * 'out' ('cap' bytes including the NUL). Returns the decoded length, or -1
 * for a bad escape, an embedded NUL or a value that does not fit.
 */
long names_query_decode(const char *raw, size_t n, char *out, size_t cap);

/*
 * The list endpoint's ?limit=: NULL -> 'def'; else a decimal integer in
 * [1, max]. Returns the value, or -1 when malformed or out of range.
 */
long names_parse_limit(const char *raw, long def, long max);

/*
 * Cursors are the store's next-page token (an S3 continuation token, or
 * the `name` of DynamoDB's LastEvaluatedKey) in base64url (no padding), so
 * clients can put them in a URL without encoding (S3's tokens contain
 * + / =).
 * encode: returns the length written to 'out' ('cap' bytes incl. NUL), or
 * -1 if it does not fit. decode: the same, -1 also for a malformed cursor.
 */
long names_cursor_encode(const char *token, size_t n, char *out, size_t cap);
long names_cursor_decode(const char *cursor, size_t n, char *out, size_t cap);

#endif /* HEADER_S3JSON_NAMES_H */
