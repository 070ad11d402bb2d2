/* tcache.h -- verified tokens, so a reused token pays the signature once
 *
 * Keyed by the SHA-256 of the token (the token itself is never stored), an
 * entry holds the identity the token verified to, until min(exp + leeway,
 * AUTH_TCACHE_MAX_S after it was verified), and only for the key-set
 * generation it was verified with: a new key set (a key removed) empties
 * the cache in effect. A fixed number of slots, direct-mapped on the hash:
 * a new token takes its slot from whatever held it (eviction is as random
 * as the hash), so memory is bounded and lookups are O(1). Thread-safe
 * (striped locks); a hit costs a hash and one reference count.
 */
#ifndef HEADER_S3JSON_AUTH_TCACHE_H
#define HEADER_S3JSON_AUTH_TCACHE_H

#include <stddef.h>

#include "verify.h"

/* Re-verify a cached token at least this often, whatever its exp says. */
#define AUTH_TCACHE_MAX_S 300
#define AUTH_TCACHE_SLOTS 4096 /* at most 4096 tokens x (~200 B + scope) */

struct auth_tcache; /* opaque, thread-safe */

/* NULL when out of memory or OpenSSL has no SHA-256. */
struct auth_tcache *auth_tcache_new(void);
void auth_tcache_free(struct auth_tcache *c); /* accepts NULL */

/* The identity 'token' ('len' bytes) verified to, retained, if cached for
 * generation 'gen' and still valid at 'now' (epoch seconds); else NULL.
 * On a hit, '*until' (may be NULL) gets the entry's end (epoch seconds). */
struct auth_identity *auth_tcache_get(struct auth_tcache *c, const char *token,
                                      size_t len, unsigned long gen,
                                      long long now, long long *until);
/* Remembers 'id' (retained by the cache) for 'token' until 'until' (epoch
 * seconds; capped at now + AUTH_TCACHE_MAX_S). Returns that end, capped,
 * so a caller that keeps the result elsewhere (memo.h) keeps it no longer
 * than the cache does. */
long long auth_tcache_put(struct auth_tcache *c, const char *token, size_t len,
                          unsigned long gen, long long now, long long until,
                          struct auth_identity *id);

#endif /* HEADER_S3JSON_AUTH_TCACHE_H */
