/* xml.h -- the two S3 XML documents we read: ListObjectsV2 results and
 * error bodies (expat; pure, no I/O, fuzzed)
 */
#ifndef HEADER_S3JSON_XML_H
#define HEADER_S3JSON_XML_H

#include <stddef.h>

struct s3_list {
  char **keys;         /* object keys, in S3's order (each malloc'd) */
  size_t nkeys;
  int truncated;       /* IsTruncated */
  char *next_token;    /* NextContinuationToken, NULL when not truncated */
};

/* S3's <Error><Code>..</Code><Message>..</Message></Error>; either may be
 * "" when absent. Fixed sizes: anything longer is cut, never overflows. */
struct s3_error_doc {
  char code[64];
  char message[256];
};

/* Parses a ListObjectsV2Result. Returns 0, or -1 when the document is not
 * well-formed XML or not a ListBucketResult (out is then freed/zeroed). */
int s3_xml_parse_list(const char *xml, size_t len, struct s3_list *out);
void s3_list_free(struct s3_list *l);

/* Parses an error body. Returns 0 when an <Error> with a Code was found. */
int s3_xml_parse_error(const char *xml, size_t len, struct s3_error_doc *out);

#endif /* HEADER_S3JSON_XML_H */
