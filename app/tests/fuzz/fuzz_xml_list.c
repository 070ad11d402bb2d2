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
 *   - s3_list_free zeroes the list and accepts it twice.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "s3/xml.h"

static int is_zero(const struct s3_list *l)
{
  return !l->keys && !l->nkeys && !l->truncated && !l->next_token;
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

  s3_list_free(&l);
  FUZZ_CHECK(is_zero(&l));
  s3_list_free(&l);
  return 0;
}
