/* auth.c -- bearer-token authentication for the API (S3JSON_AUTH=jwt) */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "memo.h"
#include "tcache.h"

struct auth {
  struct auth_policy policy;
  struct auth_jwks *jwks;
  struct auth_tcache *cache;
  pthread_key_t memo_key; /* each thread's struct auth_memo (memo.h) */
  int has_key;            /* memo_key was created */
};

/* A thread's memo is freed when the thread exits (the key's destructor);
 * the HTTP and worker threads are joined before auth_free(). */
static void memo_destroy(void *m)
{
  auth_memo_free(m);
}

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
  a->has_key = pthread_key_create(&a->memo_key, memo_destroy) == 0;
  if (!a->jwks || !a->cache || !a->has_key) {
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
  if (a->has_key) {
    /* The calling thread's memo: no thread exit will free it for us (a
     * deleted key runs no destructors). */
    auth_memo_free(pthread_getspecific(a->memo_key));
    pthread_key_delete(a->memo_key);
  }
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

/* This thread's memo, made on its first request; NULL if out of memory. */
static struct auth_memo *thread_memo(struct auth *a)
{
  struct auth_memo *m = pthread_getspecific(a->memo_key);

  if (!m) {
    m = auth_memo_new();
    if (m && pthread_setspecific(a->memo_key, m)) {
      auth_memo_free(m);
      m = NULL;
    }
  }
  return m;
}

/* Answers from the shared cache, else verifies with the current set and
 * caches what verifies; either way the thread's memo 'm' then holds the
 * token until the end the shared cache gave it (so a memo never outlives
 * exp + leeway, nor AUTH_TCACHE_MAX_S after the signature was checked),
 * and '*out' is borrowed from the memo. */
static enum auth_result verify(struct auth *a, struct auth_memo *m,
                               const char *tok, size_t len, long long now,
                               const struct auth_identity **out,
                               unsigned long *gen)
{
  struct auth_keyset *ks = auth_jwks_get(a->jwks, gen);
  struct auth_identity *id;
  long long until = 0;
  enum auth_result r = AUTH_OK;

  id = auth_tcache_get(a->cache, tok, len, *gen, now, &until);
  if (!id) {
    r = auth_verify_token(ks, tok, len, &a->policy, now, &id);
    if (r == AUTH_OK)
      until = auth_tcache_put(a->cache, tok, len, *gen, now,
                              id->exp + a->policy.leeway_s, id);
  }
  auth_keyset_release(ks);
  if (r != AUTH_OK)
    return r;
  *out = auth_memo_put(m, tok, len, *gen, until, id);
  auth_identity_release(id); /* the memo holds its own reference */
  return *out ? AUTH_OK : AUTH_MALFORMED;
}

enum auth_result auth_check(struct auth *a, const char *authz, int may_block,
                            const struct auth_identity **out, int *would_block)
{
  long long now = (long long)time(NULL);
  unsigned long gen = 0;
  struct auth_memo *m;
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
  m = thread_memo(a);
  if (!m)
    return AUTH_MALFORMED; /* out of memory: refuse, never admit */
  /* The client's last token on this thread, under the same key set: no
   * hash, no lock, no reference counting (memo.h). */
  *out = auth_memo_get(m, tok, len, auth_jwks_generation(a->jwks), now);
  if (*out)
    return AUTH_OK;
  r = verify(a, m, tok, len, now, out, &gen);
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
    r = verify(a, m, tok, len, now, out, &gen);
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
