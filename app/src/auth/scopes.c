/* scopes.c -- which document names a token's `scope` claim grants */
#include <string.h>

#include "scopes.h"

/* Does the scope body 'r' ('n' bytes, after the prefix) follow the grammar:
 * "*", or segments of anything but '*', '/' and ':' joined by ':', ending
 * in ":*" or not? */
static int body_ok(const char *r, size_t n)
{
  size_t i, seg = 0;

  if (n == 1 && r[0] == '*')
    return 1;
  if (n >= 2 && r[n - 2] == ':' && r[n - 1] == '*')
    n -= 2;
  if (n == 0)
    return 0;
  for (i = 0; i < n; i++) {
    if (r[i] == '*' || r[i] == '/')
      return 0;
    if (r[i] == ':') {
      if (seg == 0)
        return 0; /* an empty segment: "::", ":a" */
      seg = 0;
    } else {
      seg++;
    }
  }
  return seg > 0;
}

/* Does the scope body 'r' ('n' bytes, body_ok) grant 'name'? */
static int body_grants(const char *r, size_t n, const char *name)
{
  size_t i, nlen = strlen(name);
  int dir = 0;

  if (n == 1 && r[0] == '*')
    return 1;
  if (n >= 2 && r[n - 1] == '*') {
    dir = 1; /* "a:b:*" -> "a/b/" followed by at least one byte */
    n -= 1;
  }
  if (dir ? nlen <= n : nlen != n)
    return 0;
  for (i = 0; i < n; i++)
    if (name[i] != (r[i] == ':' ? '/' : r[i]))
      return 0;
  return 1;
}

/* Calls 'fn' on each scope body with 'prefix'; stops at the first 1. */
static int each_body(const char *scopes, const char *prefix, const char *name,
                     int (*fn)(const char *, size_t, const char *))
{
  size_t plen = strlen(prefix);
  const char *p = scopes;

  while (p && *p) {
    size_t n;

    while (*p == ' ')
      p++;
    n = strcspn(p, " ");
    if (n > plen && !memcmp(p, prefix, plen) && body_ok(p + plen, n - plen) &&
        fn(p + plen, n - plen, name))
      return 1;
    p += n;
  }
  return 0;
}

static int any(const char *r, size_t n, const char *name)
{
  (void)r;
  (void)n;
  (void)name;
  return 1;
}

int auth_scope_allows(const char *scopes, const char *prefix, const char *name)
{
  return name && name[0] && each_body(scopes, prefix, name, body_grants);
}

int auth_scope_any(const char *scopes, const char *prefix)
{
  return each_body(scopes, prefix, "", any);
}
