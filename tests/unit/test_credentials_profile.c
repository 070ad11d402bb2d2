/* test_credentials_profile.c -- unit tests of the shared-file (INI) parser
 * of aws/credentials: one table of files and what each must give */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/credentials.h"
#include "log.h"

#define OK AWS_CRED_OK
#define NONE AWS_CRED_UNAVAILABLE
#define BAD AWS_CRED_BAD_CONFIG

struct pcase {
  const char *name;
  const char *text;
  const char *profile; /* NULL = "default" */
  int is_config;
  enum aws_cred_code rc;
  const char *key_id; /* when OK */
  const char *secret;
  const char *token;
  const char *err; /* substring of the message when not OK */
};

#define KS "aws_access_key_id = AKIA\naws_secret_access_key = SECRET\n"

static const struct pcase cases[] = {
    /* the basics */
    {"basic", "[default]\n" KS, NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"token", "[default]\n" KS "aws_session_token = TOK\n", NULL, 0, OK, "AKIA",
     "SECRET", "TOK", NULL},
    {"named", "[a]\nx = 1\n[dev]\n" KS "[b]\n", "dev", 0, OK, "AKIA", "SECRET",
     "", NULL},
    {"no newline at end",
     "[default]\naws_access_key_id=AKIA\naws_secret_access_key=SECRET", NULL, 0,
     OK, "AKIA", "SECRET", "", NULL},
    {"crlf",
     "[default]\r\naws_access_key_id = AKIA\r\n"
     "aws_secret_access_key = SECRET\r\n",
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"bom", "\xEF\xBB\xBF[default]\n" KS, NULL, 0, OK, "AKIA", "SECRET", "",
     NULL},
    {"blanks everywhere",
     "\n\n  [  default  ]  \naws_access_key_id\t=\tAKIA\t \n"
     "aws_secret_access_key=SECRET   \n\n",
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"keys are case-insensitive",
     "[default]\nAWS_ACCESS_KEY_ID = AKIA\nAws_Secret_Access_Key = SECRET\n",
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"names are case-sensitive", "[Default]\n" KS, NULL, 0, NONE, NULL, NULL,
     NULL, "not found"},
    {"value with =",
     "[default]\naws_access_key_id = AKIA\n"
     "aws_secret_access_key = ab=c==\n",
     NULL, 0, OK, "AKIA", "ab=c==", "", NULL},
    /* comments */
    {"comments",
     "# top\n; also\n[default] # the default\n  # indented comment\n"
     "aws_access_key_id = AKIA # inline\n"
     "aws_secret_access_key = SECRET\t; inline\n",
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"# inside a value is not a comment",
     "[default]\naws_access_key_id = AKIA\naws_secret_access_key = S#x;y\n",
     NULL, 0, OK, "AKIA", "S#x;y", "", NULL},
    {"commented-out key", "[default]\n#aws_access_key_id = OLD\n" KS, NULL, 0,
     OK, "AKIA", "SECRET", "", NULL},
    /* repeats */
    {"repeated key: last wins",
     "[default]\naws_access_key_id = OLD\n" KS "aws_access_key_id = NEW\n",
     NULL, 0, OK, "NEW", "SECRET", "", NULL},
    {"repeated section adds",
     "[default]\naws_access_key_id = AKIA\n[x]\n[default]\n"
     "aws_secret_access_key = SECRET\n",
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"legacy token name", "[default]\n" KS "aws_security_token = OLDTOK\n",
     NULL, 0, OK, "AKIA", "SECRET", "OLDTOK", NULL},
    {"session token wins over legacy",
     "[default]\n" KS "aws_security_token = OLDTOK\naws_session_token = T\n",
     NULL, 0, OK, "AKIA", "SECRET", "T", NULL},
    {"empty token = none", "[default]\n" KS "aws_session_token =\n", NULL, 0,
     OK, "AKIA", "SECRET", "", NULL},
    /* nested settings */
    {"nested block of another key",
     "[default]\nregion = eu-west-1\ns3 =\n  max_concurrent_requests = 10\n"
     "  addressing_style = path\n" KS,
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"indented first key",
     "[default]\n  aws_access_key_id = AKIA\n"
     "aws_secret_access_key = SECRET\n",
     NULL, 0, OK, "AKIA", "SECRET", "", NULL},
    {"indented key continues ours",
     "[default]\naws_access_key_id = AKIA\n  aws_secret_access_key = S\n", NULL,
     0, BAD, NULL, NULL, NULL, "line 3"},
    /* config file names */
    {"config: [profile x]", "[profile dev]\n" KS, "dev", 1, OK, "AKIA",
     "SECRET", "", NULL},
    {"config: blanks after profile", "[profile \t  dev]\n" KS, "dev", 1, OK,
     "AKIA", "SECRET", "", NULL},
    {"config: [default]", "[default]\n" KS, NULL, 1, OK, "AKIA", "SECRET", "",
     NULL},
    {"config: [profile default]", "[profile default]\n" KS, NULL, 1, OK, "AKIA",
     "SECRET", "", NULL},
    {"config: [x] is not profile x", "[dev]\n" KS, "dev", 1, NONE, NULL, NULL,
     NULL, "not found"},
    {"config: [profiledev]", "[profiledev]\n" KS, "dev", 1, NONE, NULL, NULL,
     NULL, "not found"},
    {"config: sso-session sections ignored",
     "[sso-session dev]\nsso_start_url = https://x\n[profile dev]\n" KS, "dev",
     1, OK, "AKIA", "SECRET", "", NULL},
    {"credentials: [profile x] is literal", "[profile dev]\n" KS, "dev", 0,
     NONE, NULL, NULL, NULL, "not found"},
    {"credentials: literal [profile x] name", "[profile dev]\n" KS,
     "profile dev", 0, OK, "AKIA", "SECRET", "", NULL},
    /* absent or keyless */
    {"empty file", "", NULL, 0, NONE, NULL, NULL, NULL, "not found"},
    {"only comments", "# nothing\n; here\n", NULL, 0, NONE, NULL, NULL, NULL,
     "not found"},
    {"other profile only", "[dev]\n" KS, NULL, 0, NONE, NULL, NULL, NULL,
     "not found"},
    {"keyless profile", "[default]\nregion = us-east-1\n", NULL, 0, NONE, NULL,
     NULL, NULL, "no aws_access_key_id"},
    {"empty key id = keyless",
     "[default]\naws_access_key_id =\naws_secret_access_key =\n", NULL, 0, NONE,
     NULL, NULL, NULL, "no aws_access_key_id"},
    /* malformed: the whole file, whichever section */
    {"header without ]", "[default\n" KS, NULL, 0, BAD, NULL, NULL, NULL,
     "line 1"},
    {"text after header", "[default] junk\n" KS, NULL, 0, BAD, NULL, NULL, NULL,
     "line 1"},
    {"empty section name", "[]\n" KS, NULL, 0, BAD, NULL, NULL, NULL, "line 1"},
    {"blank section name", "[   ]\n" KS, NULL, 0, BAD, NULL, NULL, NULL,
     "empty section"},
    {"key before any section", KS "[default]\n" KS, NULL, 0, BAD, NULL, NULL,
     NULL, "before any"},
    {"line without =", "[default]\n" KS "garbage\n", NULL, 0, BAD, NULL, NULL,
     NULL, "line 4"},
    {"empty key", "[default]\n = value\n" KS, NULL, 0, BAD, NULL, NULL, NULL,
     "line 2"},
    {"malformed in another section", "[default]\n" KS "[other]\noops\n", NULL,
     0, BAD, NULL, NULL, NULL, "line 5"},
    {"NUL byte", "[default]\n" KS "x = a\0b\n", NULL, 0, BAD, NULL, NULL, NULL,
     "NUL"},
    /* half pairs and bad values */
    {"key id without secret", "[default]\naws_access_key_id = AKIA\n", NULL, 0,
     BAD, NULL, NULL, NULL, "without aws_secret_access_key"},
    {"secret without key id", "[default]\naws_secret_access_key = SECRET\n",
     NULL, 0, BAD, NULL, NULL, NULL, "without aws_access_key_id"},
    {"secret with a space",
     "[default]\naws_access_key_id = AKIA\n"
     "aws_secret_access_key = SUPER SECRET\n",
     NULL, 0, BAD, NULL, NULL, NULL, "aws_secret_access_key"},
    {"non-ASCII secret",
     "[default]\naws_access_key_id = AKIA\naws_secret_access_key = s\xC3\xA9"
     "\n",
     NULL, 0, BAD, NULL, NULL, NULL, "printable"},
    /* SDK features we do not have must not be skipped silently */
    {"role_arn",
     "[default]\nrole_arn = arn:aws:iam::1:role/r\n"
     "source_profile = base\n",
     NULL, 0, BAD, NULL, NULL, NULL, "role_arn"},
    {"credential_process", "[profile dev]\ncredential_process = /bin/creds\n",
     "dev", 1, BAD, NULL, NULL, NULL, "credential_process"},
    {"sso", "[profile dev]\nsso_session = corp\n", "dev", 1, BAD, NULL, NULL,
     NULL, "sso"},
    {"role_arn elsewhere is fine",
     "[other]\nrole_arn = arn:aws:iam::1:role/r\n[default]\n" KS, NULL, 0, OK,
     "AKIA", "SECRET", "", NULL},
};

static void run_case(const struct pcase *c, size_t len)
{
  struct aws_credentials out;
  char err[256] = "";
  enum aws_cred_code rc;

  memset(&out, 'x', sizeof(out));
  rc = aws_cred_parse_profile(c->text, len, c->profile ? c->profile : "default",
                              c->is_config, &out, err, sizeof(err));
  if (rc != c->rc)
    fail_msg("%s: rc %d, want %d (%s)", c->name, rc, c->rc, err);
  if (rc == OK) {
    assert_string_equal(out.access_key_id, c->key_id);
    assert_string_equal(out.secret_access_key, c->secret);
    assert_string_equal(out.session_token, c->token);
    assert_int_equal(out.expiration, 0);
    return;
  }
  if (!strstr(err, c->err))
    fail_msg("%s: message \"%s\" lacks \"%s\"", c->name, err, c->err);
  if (strstr(err, "SECRET"))
    fail_msg("%s: secret in message \"%s\"", c->name, err);
  assert_int_equal(out.access_key_id[0], 'x'); /* untouched */
}

static void test_table(void **state)
{
  size_t i;

  (void)state;
  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    /* The NUL-byte case needs its real length; others are C strings. */
    size_t len = strlen(cases[i].text);
    if (!strcmp(cases[i].name, "NUL byte"))
      len += 1 + strlen(cases[i].text + len + 1);
    run_case(&cases[i], len);
  }
}

/* 'len' bounds the parse: bytes after it are never read. */
static void test_length_bound(void **state)
{
  static const char text[] = "[default]\naws_access_key_id = AKIA\n"
                             "aws_secret_access_key = SXYZ";
  struct aws_credentials out;
  char err[128];

  (void)state;
  assert_int_equal(aws_cred_parse_profile(text, sizeof(text) - 4, "default", 0,
                                          &out, err, sizeof(err)),
                   OK);
  assert_string_equal(out.secret_access_key, "S");
}

/* Values at and past the size limits. */
static void test_sizes(void **state)
{
  size_t n = AWS_TOKEN_MAX + 64, cap = n + 256;
  char *text = malloc(cap), *tok = malloc(n + 1), err[128];
  struct aws_credentials out;

  (void)state;
  assert_non_null(text);
  assert_non_null(tok);
  memset(tok, 'T', n);
  tok[AWS_TOKEN_MAX - 1] = '\0';
  snprintf(text, cap, "[default]\n" KS "aws_session_token = %s\n", tok);
  assert_int_equal(aws_cred_parse_profile(text, strlen(text), "default", 0,
                                          &out, err, sizeof(err)),
                   OK);
  assert_int_equal(strlen(out.session_token), AWS_TOKEN_MAX - 1);
  tok[AWS_TOKEN_MAX - 1] = 'T';
  tok[AWS_TOKEN_MAX] = '\0';
  snprintf(text, cap, "[default]\n" KS "aws_session_token = %s\n", tok);
  assert_int_equal(aws_cred_parse_profile(text, strlen(text), "default", 0,
                                          &out, err, sizeof(err)),
                   BAD);
  assert_non_null(strstr(err, "too long"));
  free(text);
  free(tok);
}

/* Random bytes and random mixes of INI pieces: never a crash. */
static void test_fuzz(void **state)
{
  static const char *const parts[] = {"[",
                                      "]",
                                      "default",
                                      "profile ",
                                      "=",
                                      "\n",
                                      "\r\n",
                                      " ",
                                      "\t",
                                      "#",
                                      ";",
                                      "aws_access_key_id",
                                      "aws_secret_access_key",
                                      "AKIA",
                                      "\0",
                                      "aws_session_token",
                                      "role_arn",
                                      "  ",
                                      "[default]\n"};
  char buf[512], err[128];
  struct aws_credentials out;
  unsigned seed = 12345;
  int i;

  (void)state;
  for (i = 0; i < 20000; i++) {
    size_t len = 0;
    while (len < sizeof(buf) - 32) {
      const char *p;
      seed = seed * 1103515245u + 12345u;
      if ((seed >> 16) % 8 == 0)
        break;
      p = parts[(seed >> 16) % (sizeof(parts) / sizeof(parts[0]))];
      if (!*p)
        buf[len++] = '\0';
      else {
        memcpy(buf + len, p, strlen(p));
        len += strlen(p);
      }
      if (i % 2)
        buf[len++] = (char)(seed >> 8);
    }
    aws_cred_parse_profile(buf, len, "default", i % 3 == 0, &out, err,
                           sizeof(err));
  }
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),
      cmocka_unit_test(test_length_bound),
      cmocka_unit_test(test_sizes),
      cmocka_unit_test(test_fuzz),
  };

  log_init(LOG_ERROR, 2);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
