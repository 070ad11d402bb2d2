/* memo.c -- one thread's last verified token, checked without a hash */
#include <stdlib.h>
#include <string.h>

#include "memo.h"

struct auth_memo {
  struct auth_identity *id; /* retained; NULL = empty */
  unsigned long gen;        /* key-set generation it was verified with */
  long long until;          /* epoch seconds; answers while now <= until */
  size_t len;               /* bytes of 'token' */
  char token[AUTH_TOKEN_MAX];
};

struct auth_memo *auth_memo_new(void)
{
  return calloc(1, sizeof(struct auth_memo));
}

void auth_memo_free(struct auth_memo *m)
{
  if (!m)
    return;
  auth_identity_release(m->id);
  free(m);
}

const struct auth_identity *auth_memo_get(const struct auth_memo *m,
                                          const char *token, size_t len,
                                          unsigned long gen, long long now)
{
  /* The cheap compares first: most misses are another length. */
  if (!m->id || m->len != len || m->gen != gen || now > m->until)
    return NULL;
  return memcmp(m->token, token, len) ? NULL : m->id;
}

const struct auth_identity *auth_memo_put(struct auth_memo *m,
                                          const char *token, size_t len,
                                          unsigned long gen, long long until,
                                          struct auth_identity *id)
{
  /* Retain before releasing: 'id' may be the identity already held. */
  struct auth_identity *old = m->id;

  m->id = NULL;
  if (id && len > 0 && len <= AUTH_TOKEN_MAX) {
    memcpy(m->token, token, len);
    m->len = len;
    m->gen = gen;
    m->until = until;
    m->id = auth_identity_retain(id);
  }
  auth_identity_release(old);
  return m->id;
}
