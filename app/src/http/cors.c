/* cors.c -- CORS for browsers: an exact allow-list of origins (pure: the
 * headers it adds to a reply are in cors_reply.c, so that settings.c and
 * the fuzzers can link this file without the HTTP server) */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cors.h"

static int host_char(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' ||
         ch == '-';
}

static int ipv6_char(char ch)
{
  return (ch >= 'a' && ch <= 'f') || (ch >= '0' && ch <= '9') || ch == ':' ||
         ch == '.';
}

/* Length of the host at 's' (a name, IPv4, or a bracketed IPv6), 0 when
 * there is none. */
static size_t host_len(const char *s, size_t n)
{
  size_t i = 0;

  if (n && s[0] == '[') {
    for (i = 1; i < n && ipv6_char(s[i]); i++)
      ;
    return (i > 1 && i < n && s[i] == ']') ? i + 1 : 0;
  }
  while (i < n && host_char(s[i]))
    i++;
  if (i == 0 || s[0] == '.' || s[0] == '-' || s[i - 1] == '.')
    return 0;
  return i;
}

/* 1 when s[0..n) is ":PORT", PORT 1..65535 without a leading zero. */
static int port_ok(const char *s, size_t n)
{
  unsigned long port = 0;
  size_t i;

  if (n < 2 || n > 6 || s[0] != ':' || s[1] == '0')
    return 0;
  for (i = 1; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return 0;
    port = port * 10 + (unsigned long)(s[i] - '0');
  }
  return port <= 65535;
}

/* Checks one origin s[0..n); NULL when valid, else what is wrong. */
static const char *origin_problem(const char *s, size_t n)
{
  size_t i, h;

  for (i = 0; i < n; i++) {
    if (s[i] == '*')
      return "is a wildcard (list exact origins)";
    if (s[i] >= 'A' && s[i] <= 'Z')
      return "has upper case (browsers send origins in lower case)";
  }
  if (n >= 7 && !strncmp(s, "http://", 7))
    i = 7;
  else if (n >= 8 && !strncmp(s, "https://", 8))
    i = 8;
  else
    return "is not http:// or https://";
  h = host_len(s + i, n - i);
  if (!h)
    return "has no valid host";
  i += h;
  if (i == n)
    return NULL;
  if (s[i] == '/' || s[i] == '?' || s[i] == '#')
    return "has a path (an origin is scheme://host[:port])";
  if (s[i] == ':' && port_ok(s + i, n - i))
    return NULL;
  return "is not scheme://host[:port]";
}

static void trim(const char **s, size_t *n)
{
  while (*n && (**s == ' ' || **s == '\t')) {
    (*s)++;
    (*n)--;
  }
  while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
    (*n)--;
}

/* Adds the entry s[0..n) to 'c'; -1 with 'why' filled when it is bad. */
static int add_origin(struct cors *c, const char *s, size_t n, char *why,
                      size_t whylen)
{
  const char *problem;

  trim(&s, &n);
  if (!n) {
    snprintf(why, whylen, "an empty entry (stray comma)");
    return -1;
  }
  if (n >= CORS_ORIGIN_MAX) {
    snprintf(why, whylen, "\"%.40s...\" is longer than %d bytes", s,
             CORS_ORIGIN_MAX - 1);
    return -1;
  }
  problem = origin_problem(s, n);
  if (problem) {
    snprintf(why, whylen, "\"%.*s\" %s", (int)(n > 64 ? 64 : n), s, problem);
    return -1;
  }
  if (c->n >= CORS_MAX_ORIGINS) {
    snprintf(why, whylen, "more than %d origins", CORS_MAX_ORIGINS);
    return -1;
  }
  memcpy(c->origins[c->n], s, n);
  c->origins[c->n][n] = '\0';
  c->n++;
  return 0;
}

int cors_parse(struct cors *c, const char *list, char *why, size_t whylen)
{
  const char *p = list, *comma;

  memset(c, 0, sizeof(*c));
  if (!list || !list[0])
    return 0;
  for (;;) {
    comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (add_origin(c, p, n, why, whylen)) {
      memset(c, 0, sizeof(*c));
      return -1;
    }
    if (!comma)
      return 0;
    p = comma + 1;
  }
}

int cors_origin_allowed(const struct cors *c, const char *origin)
{
  unsigned i;

  if (!origin)
    return 0;
  for (i = 0; i < c->n; i++)
    if (!strcmp(c->origins[i], origin))
      return 1;
  return 0;
}

enum cors_preflight cors_classify(const struct cors *c, const char *method,
                                  const char *path, const char *origin,
                                  const char *acrm)
{
  if (!c->n || strcmp(method, "OPTIONS"))
    return CORS_NOT_PREFLIGHT;
  if (strcmp(path, "/api") && strncmp(path, "/api/", 5))
    return CORS_NOT_PREFLIGHT;
  if (!cors_origin_allowed(c, origin) || !acrm)
    return CORS_PREFLIGHT_REFUSED;
  /* Methods are case-sensitive (RFC 9110 9.1); browsers send upper case. */
  if (strcmp(acrm, "GET") && strcmp(acrm, "HEAD"))
    return CORS_PREFLIGHT_REFUSED;
  return CORS_PREFLIGHT_OK;
}
