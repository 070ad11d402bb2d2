/* auth.c -- bearer-token authentication for the API (S3JSON_AUTH=jwt) */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "tcache.h"

struct auth {
  struct auth_policy policy;
  struct auth_jwks *jwks;
  struct auth_tcache *cache;
};

struct auth *auth_new(const struct auth_config *cfg)
{
  struct auth *a = calloc(1, sizeof(*a));
  struct auth_jwks_config jc = {cfg->jwks_url,  cfg->ca_bundle, cfg->timeout_ms,
                                cfg->refresh_s, cfg->fetch,     cfg->fetch_arg};

  if (!a)
    return NULL;
  a->policy.issuer = cfg->issuer;
  a->policy.audience = cfg->audience;
  a->policy.leeway_s = cfg->leeway_s;
  a->jwks = auth_jwks_new(&jc);
  a->cache = auth_tcache_new();
  if (!a->jwks || !a->cache) {
    auth_free(a);
    return NULL;
  }
  return a;
}

int auth_start(struct auth *a)
{
  return auth_jwks_start(a->jwks);
}

void auth_free(struct auth *a)
{
  if (!a)
    return;
  auth_jwks_free(a->jwks);
  auth_tcache_free(a->cache);
  free(a);
}

/* The token of "Bearer <token>" (RFC 6750 2.1), or NULL when 'authz' uses
 * another scheme or holds no token. '*len' gets its length. */
static const char *bearer_token(const char *authz, size_t *len)
{
  size_t n;

  if (strncasecmp(authz, "Bearer ", 7))
    return NULL;
  authz += 7;
  while (*authz == ' ')
    authz++;
  n = strlen(authz);
  while (n && (authz[n - 1] == ' ' || authz[n - 1] == '\t'))
    n--;
  *len = n;
  return n ? authz : NULL;
}

/* Verifies with the current set; caches what verifies. */
static enum auth_result verify(struct auth *a, const char *tok, size_t len,
                               long long now, struct auth_identity **out,
                               unsigned long *gen)
{
  struct auth_keyset *ks = auth_jwks_get(a->jwks, gen);
  struct auth_identity *id;
  enum auth_result r;

  id = auth_tcache_get(a->cache, tok, len, *gen, now);
  if (id) {
    auth_keyset_release(ks);
    *out = id;
    return AUTH_OK;
  }
  r = auth_verify_token(ks, tok, len, &a->policy, now, out);
  auth_keyset_release(ks);
  if (r == AUTH_OK)
    auth_tcache_put(a->cache, tok, len, *gen, now,
                    (*out)->exp + a->policy.leeway_s, *out);
  return r;
}

enum auth_result auth_check(struct auth *a, const char *authz, int may_block,
                            struct auth_identity **out, int *would_block)
{
  long long now = (long long)time(NULL);
  unsigned long gen = 0;
  const char *tok;
  size_t len = 0;
  enum auth_result r;

  *out = NULL;
  *would_block = 0;
  if (!authz)
    return AUTH_MISSING;
  tok = bearer_token(authz, &len);
  if (!tok)
    return AUTH_MALFORMED;
  if (len > AUTH_TOKEN_MAX)
    return AUTH_TOO_LARGE; /* before hashing or parsing it */
  r = verify(a, tok, len, now, out, &gen);
  if (r != AUTH_UNKNOWN_KID && r != AUTH_NO_KEYS)
    return r;
  /* A key we lack: maybe the issuer rotated. One fetch per interval at
   * most, whoever asks (jwks.h). */
  if (!auth_jwks_may_refresh(a->jwks))
    return r;
  if (!may_block) {
    *would_block = 1;
    return r;
  }
  if (auth_jwks_refresh_unknown(a->jwks, gen))
    r = verify(a, tok, len, now, out, &gen);
  return r;
}

int auth_ready(struct auth *a, const char **why)
{
  return auth_jwks_ready(a->jwks, why);
}

struct auth_jwks *auth_get_jwks(struct auth *a)
{
  return a->jwks;
}
