/* fuzz_iso8601.c -- libFuzzer target: aws_parse_iso8601 (the Expiration
 * of temporary credentials, from the ECS endpoint or IMDS)
 *
 * Input: the string (an exact-size copy with its NUL, so reading past the
 * terminator is an ASan report). Checks, besides the sanitizers:
 *   - the result is -1 or a time >= 0;
 *   - a time before year 10000 prints back as "YYYY-MM-DDTHH:MM:SSZ" that
 *     parses to itself (later ones come from offsets such as
 *     "9999-12-31T23:59:59-23:59", and have no 4-digit year);
 *   - when the input already is that canonical form (and no leap second),
 *     it prints back to the same string (T and Z in any case);
 *   - "+00:00" and "Z" agree, and an offset moves the time by exactly
 *     itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "aws/credentials.h"
#include "fuzz.h"

#define YEAR_10000 253402300800LL /* 10000-01-01T00:00:00Z */

static int canonical_utc(const char *s)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
  size_t i;

  if (strlen(s) != sizeof(shape) - 1)
    return 0;
  for (i = 0; shape[i]; i++) {
    if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9')
                        : (s[i] != shape[i] && s[i] != shape[i] - 'A' + 'a'))
      return 0;
  }
  return !(s[17] == '6' && s[18] == '0');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *s = fuzz_strndup(data, size), printed[64];
  time_t t;
  struct tm tm;

  if (!s)
    return 0;
  t = aws_parse_iso8601(s);
  FUZZ_CHECK(t == -1 || t >= 0);
  if (t >= 0 && t < YEAR_10000) {
    FUZZ_CHECK(gmtime_r(&t, &tm) != NULL);
    FUZZ_CHECK(strftime(printed, sizeof(printed), "%Y-%m-%dT%H:%M:%SZ", &tm) >
               0);
    FUZZ_CHECK(aws_parse_iso8601(printed) == t);
    if (canonical_utc(s)) {
      FUZZ_CHECK(!strncmp(printed, s, 10) && !strncmp(printed + 11, s + 11, 8));
      /* the same instant with an explicit offset */
      memcpy(printed, s, 19);
      memcpy(printed + 19, "+00:00", 7);
      FUZZ_CHECK(aws_parse_iso8601(printed) == t);
      memcpy(printed + 19, "-01:30", 7);
      FUZZ_CHECK(aws_parse_iso8601(printed) == t + 5400);
    }
  }
  free(s);
  return 0;
}
