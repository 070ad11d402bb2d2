/* fuzz_cred_json.c -- libFuzzer target: aws_cred_parse_json (the answer of
 * the ECS credentials endpoint, EKS Pod Identity or IMDS)
 *
 * Input: the response body. Checks, besides the sanitizers and the leak
 * checker:
 *   - AWS_CRED_OK: key id and secret are non-empty, every field is
 *     printable ASCII without spaces and NUL-terminated inside its array,
 *     the token is "" or such a string, and Expiration is 0 (none) or a
 *     time that aws_parse_iso8601 accepts (so never -1);
 *   - any error: the code is one aws_cred_parse_json may return, 'out' is
 *     unchanged to the byte and 'err' is a non-empty string that fits,
 *     which never quotes a secret: a key id, secret or token that holds
 *     '/', '+' or '=' (as real ones do, and no message does) is not in it;
 *   - a second parse gives the same answer.
 */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "aws/credentials.h"
#include "fuzz.h"

static void check_field(const char *s, size_t cap, int may_be_empty)
{
  size_t n = strnlen(s, cap), i;

  FUZZ_CHECK(n < cap);
  FUZZ_CHECK(may_be_empty || n > 0);
  for (i = 0; i < n; i++)
    FUZZ_CHECK((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7f);
}

/* No member of 'names' that looks like a secret appears in 'err'. */
static void check_not_quoted(const uint8_t *data, size_t size, const char *err)
{
  static const char *const names[] = {"AccessKeyId", "SecretAccessKey",
                                      "Token"};
  json_t *root = json_loadb((const char *)data, size, 0, NULL);
  size_t i;

  for (i = 0; root && i < sizeof(names) / sizeof(names[0]); i++) {
    const char *v = json_string_value(json_object_get(root, names[i]));

    if (v && strlen(v) >= 4 && strpbrk(v, "/+="))
      FUZZ_CHECK(!strstr(err, v));
  }
  json_decref(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static struct aws_credentials out, before, again;
  char err[160], err2[160];
  enum aws_cred_code rc;

  memset(&out, 0xa5, sizeof(out));
  memcpy(&before, &out, sizeof(out));
  memset(err, 0x5a, sizeof(err));
  rc = aws_cred_parse_json((const char *)data, size, &out, err, sizeof(err));
  if (rc == AWS_CRED_OK) {
    check_field(out.access_key_id, sizeof(out.access_key_id), 0);
    check_field(out.secret_access_key, sizeof(out.secret_access_key), 0);
    check_field(out.session_token, sizeof(out.session_token), 1);
    FUZZ_CHECK(out.expiration >= 0);
  } else {
    FUZZ_CHECK(rc == AWS_CRED_UNAVAILABLE || rc == AWS_CRED_NO_MEMORY);
    FUZZ_CHECK(!memcmp(&out, &before, sizeof(out)));
    FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
    check_not_quoted(data, size, err);
  }
  memset(&again, 0xa5, sizeof(again));
  FUZZ_CHECK(aws_cred_parse_json((const char *)data, size, &again, err2,
                                 sizeof(err2)) == rc);
  FUZZ_CHECK(!memcmp(&again, &out, sizeof(out)));
  aws_cred_wipe(&out);
  aws_cred_wipe(&again);
  return 0;
}
