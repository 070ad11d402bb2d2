/* tcache.c -- verified tokens, so a reused token pays the signature once */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "tcache.h"

#define STRIPES 64 /* locks; a slot's lock is slot % STRIPES */

struct slot {
  unsigned char hash[32];   /* SHA-256 of the token */
  unsigned long gen;        /* key-set generation it was verified with */
  long long until;          /* epoch seconds */
  struct auth_identity *id; /* NULL = empty */
};

struct auth_tcache {
  /* SHA-256, fetched once: EVP_sha256() makes EVP_Digest look the
   * implementation up in OpenSSL's provider tables (locks, string
   * compares) on every call. */
  EVP_MD *sha256;
  pthread_mutex_t locks[STRIPES];
  struct slot slots[AUTH_TCACHE_SLOTS];
};

struct auth_tcache *auth_tcache_new(void)
{
  struct auth_tcache *c = calloc(1, sizeof(*c));
  size_t i;

  if (!c)
    return NULL;
  c->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  if (!c->sha256) {
    free(c);
    return NULL;
  }
  for (i = 0; i < STRIPES; i++)
    pthread_mutex_init(&c->locks[i], NULL);
  return c;
}

void auth_tcache_free(struct auth_tcache *c)
{
  size_t i;

  if (!c)
    return;
  for (i = 0; i < AUTH_TCACHE_SLOTS; i++)
    auth_identity_release(c->slots[i].id);
  for (i = 0; i < STRIPES; i++)
    pthread_mutex_destroy(&c->locks[i]);
  EVP_MD_free(c->sha256);
  free(c);
}

/* Hashes 'token'; returns its slot index, or -1 if hashing failed. */
static long slot_of(const struct auth_tcache *c, const char *token, size_t len,
                    unsigned char h[32])
{
  unsigned int hl = 0;
  uint32_t idx;

  if (!EVP_Digest(token, len, h, &hl, c->sha256, NULL) || hl != 32)
    return -1;
  memcpy(&idx, h, sizeof(idx));
  return (long)(idx % AUTH_TCACHE_SLOTS);
}

struct auth_identity *auth_tcache_get(struct auth_tcache *c, const char *token,
                                      size_t len, unsigned long gen,
                                      long long now, long long *until)
{
  unsigned char h[32];
  long i = slot_of(c, token, len, h);
  struct auth_identity *id = NULL;
  struct slot *s;

  if (i < 0)
    return NULL;
  s = &c->slots[i];
  pthread_mutex_lock(&c->locks[i % STRIPES]);
  if (s->id && s->gen == gen && now <= s->until && !memcmp(s->hash, h, 32)) {
    id = auth_identity_retain(s->id);
    if (until)
      *until = s->until;
  }
  pthread_mutex_unlock(&c->locks[i % STRIPES]);
  return id;
}

long long auth_tcache_put(struct auth_tcache *c, const char *token, size_t len,
                          unsigned long gen, long long now, long long until,
                          struct auth_identity *id)
{
  unsigned char h[32];
  long i = slot_of(c, token, len, h);
  struct auth_identity *old;
  struct slot *s;

  if (until > now + AUTH_TCACHE_MAX_S)
    until = now + AUTH_TCACHE_MAX_S;
  if (i < 0 || !id)
    return until;
  s = &c->slots[i];
  pthread_mutex_lock(&c->locks[i % STRIPES]);
  old = s->id;
  memcpy(s->hash, h, 32);
  s->gen = gen;
  s->until = until;
  s->id = auth_identity_retain(id);
  pthread_mutex_unlock(&c->locks[i % STRIPES]);
  auth_identity_release(old);
  return until;
}
