/* peer.c -- who sent a request: client address and request id (pure) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "peer.h"

#define TRACE_ROOT_LEN 35 /* "1-5759e988-bd862e3fe1be46a994272793" */

static int is_ows(char c)
{
  return c == ' ' || c == '\t';
}

/* Parses [s, s+n) as an IPv4 or IPv6 address and writes it canonical. */
static int canonical_ip(const char *s, size_t n, char *out, size_t cap)
{
  char tmp[PEER_TEXT_MAX];
  unsigned char addr[sizeof(struct in6_addr)];

  while (n && is_ows(*s)) {
    s++;
    n--;
  }
  while (n && is_ows(s[n - 1]))
    n--;
  if (n == 0 || n >= sizeof(tmp) || cap < PEER_TEXT_MAX)
    return -1;
  memcpy(tmp, s, n);
  tmp[n] = '\0';
  if (inet_pton(AF_INET, tmp, addr) == 1)
    return inet_ntop(AF_INET, addr, out, (socklen_t)cap) ? 0 : -1;
  if (inet_pton(AF_INET6, tmp, addr) == 1)
    return inet_ntop(AF_INET6, addr, out, (socklen_t)cap) ? 0 : -1;
  return -1;
}

int peer_client_from_xff(const char *xff, unsigned trusted, char *out,
                         size_t cap)
{
  const char *end, *p;
  unsigned seen = 0;

  if (!xff || !xff[0] || trusted == 0)
    return -1;
  /* Walk entries from the right; stop at the trusted-th. */
  end = xff + strlen(xff);
  for (;;) {
    p = end;
    while (p > xff && p[-1] != ',')
      p--;
    if (++seen == trusted || p == xff)
      return canonical_ip(p, (size_t)(end - p), out, cap);
    end = p - 1; /* before the comma */
  }
}

static int is_hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
          (s[i] >= 'A' && s[i] <= 'F')))
      return 0;
  return 1;
}

int peer_trace_root(const char *trace, char *out, size_t cap)
{
  const char *p = trace;

  if (!trace || cap <= TRACE_ROOT_LEN)
    return -1;
  /* Fields are "Key=Value" separated by ';'; Root may be anywhere. */
  while (*p) {
    while (*p == ';' || is_ows(*p))
      p++;
    if (!strncmp(p, "Root=", 5)) {
      const char *v = p + 5;
      size_t n = strcspn(v, ";");
      while (n && is_ows(v[n - 1]))
        n--;
      if (n != TRACE_ROOT_LEN || v[0] != '1' || v[1] != '-' || v[10] != '-' ||
          !is_hex(v + 2, 8) || !is_hex(v + 11, 24))
        return -1;
      memcpy(out, v, n);
      out[n] = '\0';
      return 0;
    }
    p += strcspn(p, ";");
  }
  return -1;
}
