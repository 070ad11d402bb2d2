/* fuzz_peer.c -- libFuzzer target: peer_client_from_xff and peer_trace_root
 * (X-Forwarded-For and X-Amzn-Trace-Id, straight from the client)
 *
 * Input: the last byte is the trusted-proxy count (0..16); the rest is the
 * header value (NUL-terminated copy, its own heap block). Checks, besides
 * the sanitizers:
 *   - peer_client_from_xff: on success, the output is an IPv4 or IPv6
 *     address that prints back to itself (canonical), shorter than
 *     PEER_TEXT_MAX; never a success with 0 trusted proxies;
 *   - peer_trace_root: on success, the output is 35 bytes, "1-" 8 hex "-"
 *     24 hex, and "Root=" + it occurs in the input;
 *   - outputs are heap blocks of exactly the documented size, so a write
 *     past them is an ASan report.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http/peer.h"

static int canonical(const char *s)
{
  unsigned char a[sizeof(struct in6_addr)];
  char back[PEER_TEXT_MAX];
  int af = strchr(s, ':') ? AF_INET6 : AF_INET;

  return inet_pton(af, s, a) == 1 && inet_ntop(af, a, back, sizeof(back)) &&
         !strcmp(back, s);
}

static int hex(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!strchr("0123456789abcdefABCDEF", s[i]) || !s[i])
      return 0;
  return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  unsigned trusted = size ? data[size - 1] % 17u : 1u;
  size_t n = size ? size - 1 : 0;
  char *in = malloc(n + 1), *ip = malloc(PEER_TEXT_MAX), *root = malloc(36);
  char needle[64];

  if (!in || !ip || !root)
    abort();
  memcpy(in, data, n);
  in[n] = '\0';
  if (peer_client_from_xff(in, trusted, ip, PEER_TEXT_MAX) == 0) {
    FUZZ_CHECK(trusted > 0);
    FUZZ_CHECK(strlen(ip) < PEER_TEXT_MAX);
    FUZZ_CHECK(canonical(ip));
  }
  if (peer_trace_root(in, root, 36) == 0) {
    FUZZ_CHECK(strlen(root) == 35);
    FUZZ_CHECK(root[0] == '1' && root[1] == '-' && root[10] == '-');
    FUZZ_CHECK(hex(root + 2, 8) && hex(root + 11, 24));
    snprintf(needle, sizeof(needle), "Root=%s", root);
    FUZZ_CHECK(strstr(in, needle) != NULL);
  }
  free(in);
  free(ip);
  free(root);
  return 0;
}
