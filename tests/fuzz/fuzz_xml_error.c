/* fuzz_xml_error.c -- libFuzzer target: s3_xml_parse_error (the body of a
 * failed S3 call: remote bytes, often cut off or not XML at all)
 *
 * Input: the response body. Checks, besides the sanitizers:
 *   - code and message are always NUL-terminated inside their fixed
 *     arrays, whatever the result (anything longer is cut, never
 *     overflows);
 *   - 0 exactly when a non-empty Code was read;
 *   - the parse is a pure function: a second parse gives the same answer.
 * The body is parsed from libFuzzer's exact-size buffer, so reading one
 * byte past it is an ASan report.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "s3/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct s3_error_doc d, again;
  int rc;

  memset(&d, 0x5a, sizeof(d)); /* garbage: the parser must not read it */
  rc = s3_xml_parse_error((const char *)data, size, &d);
  FUZZ_CHECK(rc == 0 || rc == -1);
  FUZZ_CHECK(memchr(d.code, '\0', sizeof(d.code)) != NULL);
  FUZZ_CHECK(memchr(d.message, '\0', sizeof(d.message)) != NULL);
  FUZZ_CHECK((rc == 0) == (d.code[0] != '\0'));
  if (rc != 0)
    FUZZ_CHECK(d.code[0] == '\0');
  FUZZ_CHECK(s3_xml_parse_error((const char *)data, size, &again) == rc);
  FUZZ_CHECK(!strcmp(again.code, d.code) && !strcmp(again.message, d.message));
  return 0;
}
