/* memo.h -- one thread's last verified token, checked without a hash
 *
 * A client that reuses its bearer token sends the same bytes on every
 * request of a connection, and a connection stays on one HTTP thread. So
 * each thread remembers the last token it accepted: a copy of its bytes
 * (at most AUTH_TOKEN_MAX), the identity it verified to, the key-set
 * generation it was verified with and the time it stays good until. A
 * reuse is then a length check, a memcmp and two integer compares: no
 * SHA-256, no lock, no atomic on a line another thread writes (the shared
 * cache, tcache.h, costs all three).
 *
 * A memo is confined to one thread (auth.c keeps one per thread with a
 * pthread key) and owns one reference to its identity: what
 * auth_memo_get() returns is borrowed, valid until that thread's next
 * auth_memo_put() or auth_memo_free(). It never answers past 'until'
 * (which the caller sets to at most exp + leeway, and at most what the
 * shared cache would allow) nor for another generation (a new key set:
 * a removed key must stop admitting its tokens at once). Like the shared
 * cache, it does not look at the set's age: a token checked just before
 * the set went stale (jwks.h, AUTH_JWKS_MAX_STALE_S) is answered until
 * its 'until', at most AUTH_TCACHE_MAX_S after its signature was checked.
 */
#ifndef HEADER_S3JSON_AUTH_MEMO_H
#define HEADER_S3JSON_AUTH_MEMO_H

#include <stddef.h>

#include "verify.h"

struct auth_memo; /* opaque, one thread's */

/* An empty memo (it answers nothing), or NULL when out of memory. */
struct auth_memo *auth_memo_new(void);
/* Releases its identity and frees. Accepts NULL. */
void auth_memo_free(struct auth_memo *m);

/* The identity 'token' ('len' bytes) verified to, borrowed, when it is the
 * memo's token, 'gen' its generation and 'now' (epoch seconds) not past
 * its 'until'; else NULL. */
const struct auth_identity *auth_memo_get(const struct auth_memo *m,
                                          const char *token, size_t len,
                                          unsigned long gen, long long now);
/* Remembers 'token' for generation 'gen' until 'until' (epoch seconds),
 * retaining 'id' and releasing the identity it held. Returns the identity
 * now held (borrowed, as above), or NULL when 'token' is empty or longer
 * than AUTH_TOKEN_MAX: then the memo is left empty, never half-filled. */
const struct auth_identity *auth_memo_put(struct auth_memo *m,
                                          const char *token, size_t len,
                                          unsigned long gen, long long until,
                                          struct auth_identity *id);

#endif /* HEADER_S3JSON_AUTH_MEMO_H */
