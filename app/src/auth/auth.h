/* auth.h -- bearer-token authentication for the API (S3JSON_AUTH=jwt)
 *
 * The one entry point routes.c uses: auth_check() takes the Authorization
 * header, answers from the token cache (tcache.h) when it can, else
 * verifies the token (verify.h) with the current key set (jwks.h) and
 * caches the result. A token naming a kid we lack triggers one key-set
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
 * nothing yet. NULL when out of memory. */
struct auth *auth_new(const struct auth_config *cfg);
/* Fetches the key set once (a failure is logged, start-up goes on: /readyz
 * reports it) and starts its refresh thread. 0, or -1 if no thread. */
int auth_start(struct auth *a);
void auth_free(struct auth *a); /* accepts NULL */

/*
 * Authenticates the value of an Authorization header ('authz', NULL when
 * absent): "Bearer <token>" (scheme case-insensitive). On AUTH_OK, '*out'
 * gets the identity, retained (auth_identity_release it). When answering
 * needs a key-set fetch and 'may_block' is 0, sets '*would_block' to 1 and
 * returns AUTH_UNKNOWN_KID without fetching: call again where blocking is
 * fine.
 */
enum auth_result auth_check(struct auth *a, const char *authz, int may_block,
                            struct auth_identity **out, int *would_block);

/* 1 when a usable key set is held; else 0 and a reason in '*why'. */
int auth_ready(struct auth *a, const char **why);
struct auth_jwks *auth_get_jwks(struct auth *a); /* for tests and metrics */

#endif /* HEADER_S3JSON_AUTH_AUTH_H */
