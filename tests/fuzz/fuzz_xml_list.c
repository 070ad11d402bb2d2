/* fuzz_xml_list.c -- libFuzzer target: s3_xml_parse_list (S3's
 * ListObjectsV2 answer: remote bytes, and whatever a broken proxy sends)
 *
 * Input: the response body. Checks, besides the sanitizers and the leak
 * checker:
 *   - failure (-1) leaves 'out' zeroed, whatever it held before;
 *   - success: at most S3_LIST_MAX_KEYS keys, each non-NULL and at most
 *     S3_KEY_MAX bytes; truncated is 0 or 1; a truncated page has a
 *     non-empty token of at most S3_TOKEN_MAX bytes, an untruncated one
 *     none;
 *   - the parse is a pure function: a second parse gives the same list;
 *   - URL decoding (EncodingType url) round-trips: every key returned,
 *     percent-encoded byte by byte (or with '+' for spaces, as S3 does)
 *     into a new url listing, parses back to the same keys;
 *   - s3_list_free zeroes the list and accepts it twice.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "s3/xml.h"

static int is_zero(const struct s3_list *l)
{
  return !l->keys && !l->nkeys && !l->truncated && !l->next_token;
}

/* The keys of 'l' as a listing with encoding-type=url, every byte as
 * "%XX" (or a space as '+' when 'plus'); NULL when out of memory. */
static char *encode_listing(const struct s3_list *l, int plus, size_t *len)
{
  static const char hex[] = "0123456789ABCDEF";
  static const char head[] = "<ListBucketResult><IsTruncated>false"
                             "</IsTruncated><EncodingType>url</EncodingType>";
  size_t i, n = sizeof(head) + sizeof("</ListBucketResult>");
  char *doc, *p;

  for (i = 0; i < l->nkeys; i++)
    n += sizeof("<Contents><Key></Key></Contents>") + 3 * strlen(l->keys[i]);
  doc = p = malloc(n);
  if (!doc)
    return NULL;
  p += sprintf(p, "%s", head);
  for (i = 0; i < l->nkeys; i++) {
    const unsigned char *k = (const unsigned char *)l->keys[i];

    p += sprintf(p, "<Contents><Key>");
    for (; *k; k++) {
      if (plus && *k == ' ') {
        *p++ = '+';
        continue;
      }
      *p++ = '%';
      *p++ = hex[*k >> 4];
      *p++ = hex[*k & 15];
    }
    p += sprintf(p, "</Key></Contents>");
  }
  p += sprintf(p, "</ListBucketResult>");
  *len = (size_t)(p - doc);
  return doc;
}

static void check_url_round_trip(const struct s3_list *l, int plus)
{
  struct s3_list back;
  size_t len = 0, i;
  char *doc = encode_listing(l, plus, &len);

  if (!doc)
    return;
  FUZZ_CHECK(s3_xml_parse_list(doc, len, &back) == 0);
  FUZZ_CHECK(back.nkeys == l->nkeys);
  for (i = 0; i < l->nkeys; i++)
    FUZZ_CHECK(!strcmp(back.keys[i], l->keys[i]));
  s3_list_free(&back);
  free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct s3_list l, again;
  size_t i;
  int rc;

  memset(&l, 0x5a, sizeof(l)); /* garbage: the parser must not read it */
  rc = s3_xml_parse_list((const char *)data, size, &l);
  FUZZ_CHECK(rc == 0 || rc == -1);
  if (rc != 0) {
    FUZZ_CHECK(is_zero(&l));
    return 0;
  }
  FUZZ_CHECK(l.nkeys <= S3_LIST_MAX_KEYS);
  FUZZ_CHECK(l.nkeys == 0 || l.keys != NULL);
  for (i = 0; i < l.nkeys; i++)
    FUZZ_CHECK(l.keys[i] && strlen(l.keys[i]) <= S3_KEY_MAX);
  FUZZ_CHECK(l.truncated == 0 || l.truncated == 1);
  if (l.truncated)
    FUZZ_CHECK(l.next_token && *l.next_token &&
               strlen(l.next_token) <= S3_TOKEN_MAX);
  else
    FUZZ_CHECK(l.next_token == NULL);

  FUZZ_CHECK(s3_xml_parse_list((const char *)data, size, &again) == 0);
  FUZZ_CHECK(again.nkeys == l.nkeys && again.truncated == l.truncated);
  for (i = 0; i < l.nkeys; i++)
    FUZZ_CHECK(!strcmp(again.keys[i], l.keys[i]));
  FUZZ_CHECK(!l.next_token || !strcmp(again.next_token, l.next_token));
  s3_list_free(&again);
  check_url_round_trip(&l, 0);
  check_url_round_trip(&l, 1);

  s3_list_free(&l);
  FUZZ_CHECK(is_zero(&l));
  s3_list_free(&l);
  return 0;
}
