/* fields.h -- S3 names and header values we check: the bucket name, and
 * ETag and Last-Modified, which reach our clients, checked and re-formatted
 * (pure, no I/O, fuzzed)
 *
 * S3 is trusted for the bytes of a document, not for the bytes of its
 * headers: a proxy, an emulator or a bug could put control bytes or a
 * second header into them. What we copy into a reply is therefore either
 * checked against its grammar (ETag) or rebuilt by us (Last-Modified).
 */
#ifndef HEADER_S3JSON_FIELDS_H
#define HEADER_S3JSON_FIELDS_H

#include <stddef.h>
#include <time.h>

/* 1 when 'b' follows S3's bucket naming rule as far as we check it: 3 to
 * 63 of [a-z0-9.-], starting and ending with a letter or digit. settings.c
 * checks S3JSON_BUCKET with it; s3_client_new refuses anything else. */
int s3_bucket_name_ok(const char *b);

/* "Sun, 06 Nov 1994 08:49:37 GMT" plus the NUL. */
#define S3_HTTP_DATE_LEN 30

/*
 * Is 's' ('n' bytes) an entity-tag as RFC 9110 8.8.3 defines it?
 *   entity-tag = [ "W/" ] DQUOTE *etagc DQUOTE
 *   etagc      = %x21 / %x23-7E / obs-text (%x80-FF)
 * No white space, no control byte, no DQUOTE inside. Returns 1 or 0.
 */
int s3_etag_valid(const char *s, size_t n);

/*
 * Parses an HTTP date ('in', any of the three forms of RFC 9110 5.6.7, as
 * libcurl's curl_getdate reads them) and writes it again as an IMF-fixdate
 * of our own into 'out'. Returns 0, or -1 (with 'out' = "") when 'in' is
 * not a date from 1970 to 9999. '*t' (may be NULL) gets the time.
 */
int s3_http_date(const char *in, char out[S3_HTTP_DATE_LEN], time_t *t);

/* Writes 't' (0 .. 9999-12-31T23:59:59Z) as an IMF-fixdate; -1 if out of
 * that range. The day and month names never depend on the locale. */
int s3_http_date_format(time_t t, char out[S3_HTTP_DATE_LEN]);

#endif /* HEADER_S3JSON_FIELDS_H */
