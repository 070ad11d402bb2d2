/* profile.c -- static keys from the shared credentials and config files
 *
 * The INI dialect of the AWS SDKs:
 *   - "[name]" in the credentials file; "[profile name]" in the config file,
 *     where the default profile may also be "[default]". Names are
 *     case-sensitive, keys are not.
 *   - Lines starting with '#' or ';' are comments; so is the rest of a
 *     value from a '#' or ';' that follows a space or a tab.
 *   - Whitespace around names, keys and values is ignored; CRLF is fine.
 *   - An indented line after a property continues it (nested settings such
 *     as "s3 =\n  max_concurrent_requests = 10"); one of ours continued over
 *     several lines is an error.
 *   - A repeated section adds to the first; a repeated key replaces.
 * Anything else (a line without '=', a key before any section, a header
 * without ']') makes the whole file malformed, as in the SDKs. Messages name
 * the line number, never its content: the line may hold a secret.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "aws_internal.h"
#include "../settings.h"

/* The keys we read; the rest of a profile is ignored. */
enum prop {
  P_NONE = -1,
  P_KEY_ID = 0,
  P_SECRET,
  P_TOKEN,
  P_TOKEN_OLD, /* aws_security_token, botocore's legacy spelling */
  P_COUNT
};

/* What one file says about one profile: slices of the file's text. */
struct found {
  int section;     /* the profile's section appears */
  int unsupported; /* asks for role_arn, sso, credential_process, ... */
  const char *val[P_COUNT];
  size_t len[P_COUNT];
};

struct scan {
  const char *profile;
  int is_config;
  int in_target; /* the current section is the profile */
  int in_section;
  enum prop last;   /* property the next indented line would continue */
  int last_is_prop; /* a property was seen in the current section */
  unsigned line;
  struct found *f;
};

static int is_blank(char c)
{
  return c == ' ' || c == '\t';
}

/* Trims blanks (and a CR) on both sides of [*s, *e). */
static void trim(const char **s, const char **e)
{
  while (*s < *e && is_blank(**s))
    (*s)++;
  while (*e > *s && (is_blank((*e)[-1]) || (*e)[-1] == '\r'))
    (*e)--;
}

static int slice_eq(const char *s, size_t n, const char *lit)
{
  return strlen(lit) == n && !memcmp(s, lit, n);
}

static int slice_case_eq(const char *s, size_t n, const char *lit)
{
  return strlen(lit) == n && !strncasecmp(s, lit, n);
}

/* Does section name [s, s+n) denote the profile we look for? */
static int section_matches(const struct scan *sc, const char *s, size_t n)
{
  if (!sc->is_config)
    return slice_eq(s, n, sc->profile);
  if (!strcmp(sc->profile, "default") && slice_eq(s, n, "default"))
    return 1;
  /* "profile" then at least one blank, then the name. */
  if (n < 8 || memcmp(s, "profile", 7) || !is_blank(s[7]))
    return 0;
  s += 8;
  n -= 8;
  while (n && is_blank(*s))
    s++, n--;
  return slice_eq(s, n, sc->profile);
}

static int header_line(struct scan *sc, const char *s, const char *e, char *err,
                       size_t errlen)
{
  const char *close = memchr(s, ']', (size_t)(e - s));
  const char *ns = s + 1, *ne = close, *rest;

  if (!close) {
    aws_set_err(err, errlen, "line %u: section header without ']'", sc->line);
    return -1;
  }
  rest = close + 1;
  while (rest < e && is_blank(*rest))
    rest++;
  if (rest < e && *rest != '#' && *rest != ';') {
    aws_set_err(err, errlen, "line %u: text after the section header",
                sc->line);
    return -1;
  }
  trim(&ns, &ne);
  if (ns == ne) {
    aws_set_err(err, errlen, "line %u: empty section name", sc->line);
    return -1;
  }
  sc->in_section = 1;
  sc->in_target = section_matches(sc, ns, (size_t)(ne - ns));
  sc->last_is_prop = 0;
  sc->last = P_NONE;
  if (sc->in_target)
    sc->f->section = 1;
  return 0;
}

static enum prop prop_of(const char *k, size_t n)
{
  if (slice_case_eq(k, n, "aws_access_key_id"))
    return P_KEY_ID;
  if (slice_case_eq(k, n, "aws_secret_access_key"))
    return P_SECRET;
  if (slice_case_eq(k, n, "aws_session_token"))
    return P_TOKEN;
  if (slice_case_eq(k, n, "aws_security_token"))
    return P_TOKEN_OLD;
  return P_NONE;
}

/* Keys that make a profile mean "get keys some other way": we do not, and
 * falling through to another source would sign with the wrong identity. */
static int is_unsupported(const char *k, size_t n)
{
  static const char *const keys[] = {
      "role_arn",      "credential_process",      "sso_session",
      "sso_start_url", "web_identity_token_file", "login_session"};
  size_t i;

  for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
    if (slice_case_eq(k, n, keys[i]))
      return 1;
  return 0;
}

/* Cuts a value at a '#' or ';' that follows a blank (an inline comment). */
static const char *value_end(const char *v, const char *e)
{
  const char *p;

  for (p = v + 1; p < e; p++)
    if ((*p == '#' || *p == ';') && is_blank(p[-1]))
      return p;
  return e;
}

static int property_line(struct scan *sc, const char *s, const char *e,
                         char *err, size_t errlen)
{
  const char *eq = memchr(s, '=', (size_t)(e - s));
  const char *ks = s, *ke = eq, *vs, *ve;
  enum prop p;

  if (!sc->in_section) {
    aws_set_err(err, errlen, "line %u: property before any [section]",
                sc->line);
    return -1;
  }
  if (!eq) {
    aws_set_err(err, errlen, "line %u: expected key = value", sc->line);
    return -1;
  }
  trim(&ks, &ke);
  if (ks == ke) {
    aws_set_err(err, errlen, "line %u: empty key", sc->line);
    return -1;
  }
  vs = eq + 1;
  ve = e;
  trim(&vs, &ve);
  if (vs < ve)
    ve = value_end(vs, ve);
  trim(&vs, &ve);
  sc->last_is_prop = 1;
  sc->last = P_NONE;
  if (!sc->in_target)
    return 0;
  p = prop_of(ks, (size_t)(ke - ks));
  sc->last = p;
  if (is_unsupported(ks, (size_t)(ke - ks)))
    sc->f->unsupported = 1;
  if (p != P_NONE) {
    sc->f->val[p] = vs;
    sc->f->len[p] = (size_t)(ve - vs);
  }
  return 0;
}

static int scan_line(struct scan *sc, const char *s, const char *e, char *err,
                     size_t errlen)
{
  int indented = s < e && is_blank(*s);

  if (memchr(s, '\0', (size_t)(e - s))) {
    aws_set_err(err, errlen, "line %u: NUL byte", sc->line);
    return -1;
  }
  trim(&s, &e);
  if (s == e || *s == '#' || *s == ';')
    return 0;
  if (*s == '[')
    return header_line(sc, s, e, err, errlen);
  if (indented && sc->last_is_prop) {
    if (sc->last != P_NONE) {
      aws_set_err(err, errlen, "line %u: indented line continues a key",
                  sc->line);
      return -1;
    }
    return 0; /* a nested setting of another key */
  }
  return property_line(sc, s, e, err, errlen);
}

/* Scans one file for 'profile'. Returns 0, or -1 with 'err' set. */
static int scan_file(const char *text, size_t len, const char *profile,
                     int is_config, struct found *f, char *err, size_t errlen)
{
  struct scan sc;
  const char *p = text, *end = text + len;

  memset(&sc, 0, sizeof(sc));
  memset(f, 0, sizeof(*f));
  sc.profile = profile;
  sc.is_config = is_config;
  sc.last = P_NONE;
  sc.f = f;
  if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) /* UTF-8 BOM */
    p += 3;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    sc.line++;
    if (scan_line(&sc, p, le, err, errlen))
      return -1;
    p = nl ? nl + 1 : end;
  }
  return 0;
}

/* 'hi' (credentials file) wins over 'lo' (config file), key by key. */
static void merge(struct found *lo, const struct found *hi)
{
  int i;

  lo->section |= hi->section;
  lo->unsupported |= hi->unsupported;
  for (i = 0; i < P_COUNT; i++) {
    if (hi->val[i]) {
      lo->val[i] = hi->val[i];
      lo->len[i] = hi->len[i];
    }
  }
}

static enum aws_cred_code copy_keys(const struct found *f,
                                    struct aws_credentials *c, char *err,
                                    size_t errlen)
{
  enum prop tok = f->len[P_TOKEN] ? P_TOKEN : P_TOKEN_OLD;
  enum aws_cred_code rc;

  if (!f->len[P_KEY_ID] || !f->len[P_SECRET]) {
    aws_set_err(
        err, errlen, "%s without %s",
        f->len[P_KEY_ID] ? "aws_access_key_id" : "aws_secret_access_key",
        f->len[P_KEY_ID] ? "aws_secret_access_key" : "aws_access_key_id");
    return AWS_CRED_BAD_CONFIG;
  }
  if ((rc = aws_cred_copy_field(c->access_key_id, sizeof(c->access_key_id),
                                f->val[P_KEY_ID], f->len[P_KEY_ID],
                                "aws_access_key_id", err, errlen)) ||
      (rc = aws_cred_copy_field(
           c->secret_access_key, sizeof(c->secret_access_key), f->val[P_SECRET],
           f->len[P_SECRET], "aws_secret_access_key", err, errlen)))
    return rc;
  if (f->len[tok])
    rc = aws_cred_copy_field(c->session_token, sizeof(c->session_token),
                             f->val[tok], f->len[tok], "aws_session_token", err,
                             errlen);
  return rc;
}

/* Turns what was found into a state and, for AWS_PROFILE_KEYS, keys. */
static enum aws_cred_code finish(const struct found *f,
                                 struct aws_credentials *out,
                                 enum aws_profile_state *state, char *err,
                                 size_t errlen)
{
  struct aws_credentials c;
  enum aws_cred_code rc;

  if (!f->section) {
    *state = AWS_PROFILE_ABSENT;
    return AWS_CRED_OK;
  }
  if (f->unsupported) {
    *state = AWS_PROFILE_UNSUPPORTED;
    return AWS_CRED_OK;
  }
  if (!f->len[P_KEY_ID] && !f->len[P_SECRET]) {
    *state = AWS_PROFILE_NO_KEYS;
    return AWS_CRED_OK;
  }
  memset(&c, 0, sizeof(c));
  rc = copy_keys(f, &c, err, errlen);
  if (rc == AWS_CRED_OK) {
    memcpy(out, &c, sizeof(c));
    *state = AWS_PROFILE_KEYS;
  }
  aws_cred_wipe(&c);
  return rc;
}

enum aws_cred_code aws_cred_parse_profile(const char *text, size_t len,
                                          const char *profile, int is_config,
                                          struct aws_credentials *out,
                                          char *err, size_t errlen)
{
  struct found f;
  enum aws_profile_state st = AWS_PROFILE_ABSENT;
  enum aws_cred_code rc;

  if (!text || !profile || !out) {
    aws_set_err(err, errlen, "profile: no input");
    return AWS_CRED_BAD_CONFIG;
  }
  if (scan_file(text, len, profile, is_config, &f, err, errlen))
    return AWS_CRED_BAD_CONFIG;
  rc = finish(&f, out, &st, err, errlen);
  if (rc != AWS_CRED_OK)
    return rc;
  switch (st) {
  case AWS_PROFILE_KEYS:
    return AWS_CRED_OK;
  case AWS_PROFILE_ABSENT:
    aws_set_err(err, errlen, "profile \"%.64s\" not found", profile);
    return AWS_CRED_UNAVAILABLE;
  case AWS_PROFILE_NO_KEYS:
    aws_set_err(err, errlen, "profile \"%.64s\" has no aws_access_key_id",
                profile);
    return AWS_CRED_UNAVAILABLE;
  case AWS_PROFILE_UNSUPPORTED:
    aws_set_err(err, errlen,
                "profile \"%.64s\" uses role_arn, sso or credential_process, "
                "which s3json does not support",
                profile);
    return AWS_CRED_BAD_CONFIG;
  }
  return AWS_CRED_BAD_CONFIG;
}

int aws_read_file(const char *path, size_t max, char **out, size_t *len)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC), e = 0;
  struct stat st;
  size_t size = 0, n = 0;
  char *buf = NULL;

  if (fd < 0)
    return errno;
  if (fstat(fd, &st))
    e = errno ? errno : EIO;
  else if (!S_ISREG(st.st_mode))
    e = EINVAL;
  else if ((unsigned long long)st.st_size > max)
    e = EFBIG;
  else if (!(buf = malloc((size = (size_t)st.st_size) + 1)))
    e = ENOMEM;
  /* Bytes past st_size (a file growing meanwhile) are not read. */
  while (!e && n < size) {
    ssize_t r = read(fd, buf + n, size - n);
    if (r < 0 && errno != EINTR)
      e = errno;
    else if (r == 0)
      break;
    else if (r > 0)
      n += (size_t)r;
  }
  close(fd);
  if (e || !buf) {
    aws_free_file(buf, size + 1);
    return e ? e : EIO;
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return 0;
}

void aws_free_file(char *data, size_t len)
{
  if (data) {
    OPENSSL_cleanse(data, len);
    free(data);
  }
}

/* A file's text: read once, wiped and freed by text_free(). */
struct text {
  char *data;
  size_t len;
};

static void text_free(struct text *t)
{
  aws_free_file(t->data, t->len);
  memset(t, 0, sizeof(*t));
}

/* Reads 'path'. A missing file is empty, as in the SDKs. 'what' names the
 * variable. */
static enum aws_cred_code read_text(const char *path, const char *what,
                                    struct text *t, char *err, size_t errlen)
{
  int e;

  memset(t, 0, sizeof(*t));
  e = aws_read_file(path, AWS_PROFILE_FILE_MAX, &t->data, &t->len);
  if (e == 0 || e == ENOENT)
    return AWS_CRED_OK;
  aws_set_err(err, errlen, "%s %.200s: %s", what, path,
              e == EFBIG    ? "larger than 1 MiB"
              : e == EINVAL ? "not a regular file"
                            : strerror(e));
  return e == ENOMEM ? AWS_CRED_NO_MEMORY : AWS_CRED_BAD_CONFIG;
}

/* The file to read: 'given' (with "~/" expanded) or ~/.aws/'name'.
 * Returns 0 when there is none (no HOME). */
static int file_path(const char *given, const char *home, const char *name,
                     char *out, size_t n)
{
  int w;

  if (given && given[0] == '~' && given[1] == '/' && home)
    w = snprintf(out, n, "%s%s", home, given + 1);
  else if (given)
    w = snprintf(out, n, "%s", given);
  else if (home && home[0])
    w = snprintf(out, n, "%s/.aws/%s", home, name);
  else
    return 0;
  return w > 0 && (size_t)w < n;
}

/* Reads and scans one of the two files into 'f'. */
static enum aws_cred_code scan_one(const char *given, const char *home,
                                   const char *name, const char *what,
                                   const char *profile, int is_config,
                                   struct text *t, struct found *f, char *err,
                                   size_t errlen)
{
  char path[4096], why[160];
  enum aws_cred_code rc;

  memset(f, 0, sizeof(*f));
  memset(t, 0, sizeof(*t));
  if (!file_path(given, home, name, path, sizeof(path)))
    return AWS_CRED_OK;
  if ((rc = read_text(path, what, t, err, errlen)) != AWS_CRED_OK)
    return rc;
  if (t->data &&
      scan_file(t->data, t->len, profile, is_config, f, why, sizeof(why))) {
    aws_set_err(err, errlen, "%s %.200s: %s", what, path, why);
    return AWS_CRED_BAD_CONFIG;
  }
  return AWS_CRED_OK;
}

enum aws_cred_code aws_profile_resolve(const struct aws_env *env,
                                       struct aws_credentials *out,
                                       enum aws_profile_state *state, char *err,
                                       size_t errlen)
{
  const char *profile =
      env->profile && env->profile[0] ? env->profile : "default";
  struct text ct, kt;
  struct found cf, kf;
  enum aws_cred_code rc;

  *state = AWS_PROFILE_ABSENT;
  rc = scan_one(env->config_file, env->home, "config", "AWS_CONFIG_FILE",
                profile, 1, &ct, &cf, err, errlen);
  if (rc == AWS_CRED_OK)
    rc = scan_one(env->shared_credentials_file, env->home, "credentials",
                  "AWS_SHARED_CREDENTIALS_FILE", profile, 0, &kt, &kf, err,
                  errlen);
  else
    memset(&kt, 0, sizeof(kt));
  if (rc == AWS_CRED_OK) {
    merge(&cf, &kf);
    rc = finish(&cf, out, state, err, errlen);
  }
  text_free(&ct);
  text_free(&kt);
  return rc;
}
