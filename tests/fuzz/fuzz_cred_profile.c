/* fuzz_cred_profile.c -- libFuzzer target: aws_cred_parse_profile (the
 * shared credentials and config files, INI)
 *
 * The files are local, but they are written by people and tools, and this
 * parser is the only thing between them and the keys we sign with.
 *
 * Input: "profile-name\0file text", or just the file text (then the
 * profiles "default" and "dev" are looked up). Each lookup runs as a
 * credentials file and as a config file (is_config 0 and 1). Checks,
 * besides the sanitizers:
 *   - AWS_CRED_OK: key id and secret are non-empty, every field is printable
 *     ASCII without spaces and NUL-terminated inside its array, and
 *     expiration is 0 (profile keys do not expire);
 *   - any error: a code the parser may return, 'out' unchanged to the byte,
 *     'err' a non-empty string that fits, which never quotes a key: no
 *     value of an aws_* key line that holds '/', '+' or '=' and no blank
 *     (as real keys do, and no message does) is in it, unless it is part
 *     of the profile name, which messages do name;
 * The text is libFuzzer's exact-size buffer, so an over-read is an ASan
 * report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int blank(char c)
{
  return c == ' ' || c == '\t' || c == '\r';
}

/* Every "aws_... = value" line of 'text': its value is not in 'err'. */
static void check_not_quoted(const char *text, size_t len, const char *profile,
                             const char *err)
{
  const char *p = text, *end = text + len;

  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end, *eq = memchr(p, '=', (size_t)(le - p));
    const char *ks = p, *vs, *ve = le;

    p = nl ? nl + 1 : end;
    if (!eq)
      continue;
    while (ks < eq && blank(*ks))
      ks++;
    vs = eq + 1;
    while (vs < ve && blank(*vs))
      vs++;
    while (ve > vs && blank(ve[-1]))
      ve--;
    if (eq - ks >= 4 && !strncasecmp(ks, "aws_", 4) && ve - vs >= 4 &&
        !memchr(vs, '\0', (size_t)(ve - vs))) {
      char *v = strndup(vs, (size_t)(ve - vs));

      FUZZ_CHECK(v != NULL);
      /* Keys hold no blanks; a value that does can match a message's own
       * words ("expected key = value") without quoting anything. */
      if (strpbrk(v, "/+=") && !strpbrk(v, " \t") && !strstr(profile, v))
        FUZZ_CHECK(!strstr(err, v));
      free(v);
    }
  }
}

static void lookup(const char *text, size_t len, const char *profile,
                   int is_config)
{
  static struct aws_credentials out, before;
  char err[160];
  enum aws_cred_code rc;

  memset(&out, 0xa5, sizeof(out));
  memcpy(&before, &out, sizeof(out));
  memset(err, 0x5a, sizeof(err));
  rc = aws_cred_parse_profile(text, len, profile, is_config, &out, err,
                              sizeof(err));
  if (rc == AWS_CRED_OK) {
    check_field(out.access_key_id, sizeof(out.access_key_id), 0);
    check_field(out.secret_access_key, sizeof(out.secret_access_key), 0);
    check_field(out.session_token, sizeof(out.session_token), 1);
    FUZZ_CHECK(out.expiration == 0);
  } else {
    FUZZ_CHECK(rc == AWS_CRED_UNAVAILABLE || rc == AWS_CRED_BAD_CONFIG ||
               rc == AWS_CRED_NO_MEMORY);
    FUZZ_CHECK(!memcmp(&out, &before, sizeof(out)));
    FUZZ_CHECK(memchr(err, '\0', sizeof(err)) && err[0]);
    check_not_quoted(text, len, profile, err);
  }
  aws_cred_wipe(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  const char *text = (const char *)data;
  const uint8_t *nul = memchr(data, '\0', size);
  size_t len = size;
  int cfg;

  if (nul) {
    char *profile = fuzz_strndup(data, (size_t)(nul - data));

    if (!profile)
      return 0;
    text = (const char *)nul + 1;
    len = size - (size_t)(nul - data) - 1;
    for (cfg = 0; cfg <= 1; cfg++)
      lookup(text, len, profile, cfg);
    free(profile);
    return 0;
  }
  for (cfg = 0; cfg <= 1; cfg++) {
    lookup(text, len, "default", cfg);
    lookup(text, len, "dev", cfg);
  }
  return 0;
}
