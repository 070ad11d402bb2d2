/* tcache_tool.c -- N hits of the shared token cache (auth/tcache.h), for
 * tests/integration/test_request_cost.py: run under callgrind twice (two
 * N), the difference is the instructions one hit costs.
 *
 *   build/tools/tcache_tool N LEN   N hits of one cached LEN-byte token
 *
 * Exits 0 when every lookup hit, 1 otherwise, 2 on bad arguments.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tcache.h"

#define NOW 1700000000LL

int main(int argc, char **argv)
{
  long n = argc == 3 ? strtol(argv[1], NULL, 10) : -1, i, hits = 0;
  long len = argc == 3 ? strtol(argv[2], NULL, 10) : -1;
  struct auth_tcache *c;
  struct auth_identity *id;
  char *tok;

  if (n < 0 || len < 1 || len > AUTH_TOKEN_MAX) {
    fprintf(stderr, "usage: tcache_tool N LEN (1..%d)\n", AUTH_TOKEN_MAX);
    return 2;
  }
  c = auth_tcache_new();
  id = calloc(1, sizeof(*id) + 1);
  tok = malloc((size_t)len);
  if (!c || !id || !tok)
    return 1;
  atomic_init(&id->refs, 1);
  memset(tok, 'a', (size_t)len);
  auth_tcache_put(c, tok, (size_t)len, 1, NOW, NOW + 60, id);
  for (i = 0; i < n; i++) {
    struct auth_identity *got =
        auth_tcache_get(c, tok, (size_t)len, 1, NOW, NULL);
    hits += got == id;
    auth_identity_release(got);
  }
  auth_identity_release(id);
  auth_tcache_free(c);
  free(tok);
  return hits == n ? 0 : 1;
}
