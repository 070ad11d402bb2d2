/* auth.h -- bearer-token authentication for the API (S3JSON_AUTH=jwt)
 *
 * The one entry point routes.c uses: auth_check() takes the Authorization
 * header and answers from the calling thread's memo of its last accepted
 * token (memo.h: a reused token costs a memcmp) when it can, else from the
 * shared token cache (tcache.h: a hash and a lock), else verifies the
 * token (verify.h) with the current key set (jwks.h) and caches the
 * result in both. A token naming a kid we lack triggers one key-set
 * refresh, rate-limited (jwks.h); since that blocks, auth_check() says
 * "would block" when called from an event loop, and the server re-runs the
 * request on a worker thread. Which names a token may read: scopes.h.
 */
#ifndef HEADER_S3JSON_AUTH_AUTH_H
#define HEADER_S3JSON_AUTH_AUTH_H

#include "jwks.h"
#include "scopes.h"
#include "verify.h"

struct auth_config {
  const char *issuer;
  const char *audience;
  const char *jwks_url;
  const char *ca_bundle; /* NULL = system store */
  long leeway_s;
  unsigned refresh_s;  /* unknown-kid refreshes at most this often */
  long timeout_ms;     /* one key-set fetch */
  auth_fetch_fn fetch; /* NULL = libcurl; tests pass their own */
  void *fetch_arg;
};

struct auth; /* opaque, thread-safe */

/* Copies nothing but the strings' pointers: they must outlive 'a'. Fetches
 * nothing yet. NULL when out of memory (or out of thread-specific keys). */
struct auth *auth_new(const struct auth_config *cfg);
/* Fetches the key set once (a failure is logged, start-up goes on: /readyz
 * reports it) and starts its refresh thread. 0, or -1 if no thread. */
int auth_start(struct auth *a);
/* Frees 'a' and the calling thread's memo. Every other thread that called
 * auth_check() on 'a' must have exited first (its memo is freed at its
 * exit; the server joins its threads before main.c frees 'a'). Accepts
 * NULL. */
void auth_free(struct auth *a);

/*
 * Authenticates the value of an Authorization header ('authz', NULL when
 * absent): "Bearer <token>" (scheme case-insensitive). On AUTH_OK, '*out'
 * gets the identity, borrowed from the calling thread's memo: valid on
 * this thread until its next auth_check() on 'a' (or auth_free), never
 * released by the caller nor handed to another thread. When answering
 * needs a key-set fetch and 'may_block' is 0, sets '*would_block' to 1 and
 * returns AUTH_UNKNOWN_KID without fetching: call again where blocking is
 * fine.
 */
enum auth_result auth_check(struct auth *a, const char *authz, int may_block,
                            const struct auth_identity **out, int *would_block);

/* 1 when a usable key set is held; else 0 and a reason in '*why'. */
int auth_ready(struct auth *a, const char **why);
struct auth_jwks *auth_get_jwks(struct auth *a); /* for tests and metrics */

#endif /* HEADER_S3JSON_AUTH_AUTH_H */
