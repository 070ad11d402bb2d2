/* xml.h -- the two S3 XML documents we read: ListObjectsV2 results and
 * error bodies (expat; pure, no I/O, fuzzed)
 */
#ifndef HEADER_S3JSON_XML_H
#define HEADER_S3JSON_XML_H

#include <stddef.h>

/* Limits on what a listing may hold: S3 returns at most 1000 keys a page,
 * keys are at most 1024 bytes, continuation tokens are a few hundred bytes.
 * A document past any of them is refused as malformed. */
#define S3_LIST_MAX_KEYS 1000
#define S3_KEY_MAX 1024
#define S3_TOKEN_MAX 4096
#define S3_XML_MAX_DEPTH 16
#define S3_XML_MAX_DOC (16 * 1024 * 1024) /* bytes of XML */

struct s3_list {
  char **keys; /* object keys, in S3's order (each malloc'd) */
  size_t nkeys;
  int truncated;    /* IsTruncated */
  char *next_token; /* NextContinuationToken, NULL when not truncated */
};

/* S3's <Error><Code>..</Code><Message>..</Message></Error>; either may be
 * "" when absent. Fixed sizes: anything longer is cut, never overflows. */
struct s3_error_doc {
  char code[64];
  char message[256];
};

/* Parses a ListObjectsV2Result. Returns 0, or -1 when the document is not
 * well-formed XML or not a ListBucketResult (out is then freed/zeroed).
 * Also -1: a DTD, a limit above passed, a Contents without exactly one
 * Key, IsTruncated not "true"/"false", or truncated without a token.
 * When the document says <EncodingType>url</EncodingType> (the answer to
 * encoding-type=url, which lets S3 list keys that XML 1.0 cannot carry),
 * keys are decoded as botocore decodes them ("%XX" a byte, '+' a space);
 * a malformed escape or another EncodingType is -1, and a key that
 * decodes to hold a NUL byte is left out of 'keys'. NextContinuationToken
 * is never encoded, so never decoded. */
int s3_xml_parse_list(const char *xml, size_t len, struct s3_list *out);
/* Frees the keys and token and zeroes 'l'; accepts a zeroed list. */
void s3_list_free(struct s3_list *l);

/* Parses an error body. Returns 0 when an <Error> with a complete Code was
 * found, even if the body is cut off after it; else -1 with 'out' zeroed
 * or holding what was read. */
int s3_xml_parse_error(const char *xml, size_t len, struct s3_error_doc *out);

#endif /* HEADER_S3JSON_XML_H */
