/* jwks.h -- the issuer's signing keys: parsed, fetched, refreshed
 *
 * A key set (struct auth_keyset) is immutable once parsed and
 * reference-counted, so a request keeps using the set it looked up while a
 * refresh swaps in a new one. Parsing accepts only keys we verify with, and
 * pins each key's algorithm (the token's `alg` must match it, never choose
 * it):
 *   kty RSA, alg RS256 or absent, at least 2048 bits   -> RS256
 *   kty EC, crv P-256, alg ES256 or absent              -> ES256
 *   use "sig" or absent, a non-empty kid (unique: the first one wins)
 * Any other key (oct, RSA-OAEP, P-384, "use":"enc", ...) is skipped. JWK
 * import is cjose's (cjose_jwk_import_json).
 *
 * The fetcher (struct auth_jwks) gets the set over libcurl (TLS verified,
 * the CA bundle of S3) at start-up, then every AUTH_JWKS_POLL_S, and on a
 * token with an unknown kid -- at most once per 'refresh_s', whoever asks,
 * so a stream of random kids cannot become a stream of fetches. A failed
 * fetch keeps the last good set until it is AUTH_JWKS_MAX_STALE_S old;
 * after that (or before the first good fetch) there is no set, and
 * auth_jwks_ready() says so for /readyz.
 */
#ifndef HEADER_S3JSON_AUTH_JWKS_H
#define HEADER_S3JSON_AUTH_JWKS_H

#include <stddef.h>

#include <cjose/jwk.h>

#define AUTH_KID_MAX 128          /* bytes of a kid, NUL included */
#define AUTH_JWKS_MAX_KEYS 32     /* keys kept from one set */
#define AUTH_JWKS_MAX_BYTES 65536 /* a larger reply is refused */
/* Cognito rotates by adding a key long before using it: an hourly poll is
 * ample, and the unknown-kid refresh covers a faster rotation. */
#define AUTH_JWKS_POLL_S 3600
/* How long a set is used while every fetch fails: one day of an issuer
 * outage is served; past that a removed (maybe leaked) key would be
 * trusted for too long. */
#define AUTH_JWKS_MAX_STALE_S 86400

enum auth_alg { AUTH_ALG_RS256 = 0, AUTH_ALG_ES256 };

struct auth_key {
  char kid[AUTH_KID_MAX];
  enum auth_alg alg; /* from the key, never from a token */
  cjose_jwk_t *jwk;
};

struct auth_keyset; /* opaque, immutable, reference-counted */

/*
 * Parses a JWKS document ('json', 'len' bytes). Returns the set (refs 1,
 * holding 0 or more keys), or NULL when the document is not a JSON object
 * with a "keys" array, is larger than AUTH_JWKS_MAX_BYTES, or memory ran
 * out. Free with auth_keyset_release().
 */
struct auth_keyset *auth_keyset_parse(const char *json, size_t len);
size_t auth_keyset_count(const struct auth_keyset *ks);
/* Key 'i' (< auth_keyset_count), in the document's order. */
const struct auth_key *auth_keyset_key(const struct auth_keyset *ks, size_t i);
/* The key with 'kid', or NULL. Valid while the caller holds 'ks'. */
const struct auth_key *auth_keyset_find(const struct auth_keyset *ks,
                                        const char *kid);
struct auth_keyset *auth_keyset_retain(struct auth_keyset *ks);
void auth_keyset_release(struct auth_keyset *ks); /* accepts NULL */
const char *auth_alg_name(enum auth_alg alg);

/* Fetches 'url' into a malloc'd '*body' of '*len' bytes; 0 or -1 (with a
 * short reason in 'err'). Tests pass their own; NULL = libcurl. */
typedef int (*auth_fetch_fn)(void *arg, const char *url, char **body,
                             size_t *len, char *err, size_t errlen);

struct auth_jwks_config {
  const char *url;       /* https://, or http:// on loopback */
  const char *ca_bundle; /* NULL = system store */
  long timeout_ms;       /* one fetch */
  unsigned refresh_s;    /* fetches on unknown kid at most this often */
  auth_fetch_fn fetch;   /* NULL = libcurl */
  void *fetch_arg;
};

struct auth_jwks; /* opaque, thread-safe */

/* Copies 'cfg'. Fetches nothing yet. NULL when out of memory. */
struct auth_jwks *auth_jwks_new(const struct auth_jwks_config *cfg);
/* Fetches once now (start-up: a failure is logged, not fatal), then
 * starts the poll thread. Returns -1 if the thread could not start. */
int auth_jwks_start(struct auth_jwks *j);
/* Stops the poll thread and frees. Accepts NULL. */
void auth_jwks_free(struct auth_jwks *j);

/* The current set, retained (release it), or NULL when there is none (never
 * fetched, or stale past AUTH_JWKS_MAX_STALE_S). '*gen' (may be NULL) gets
 * its generation, which changes with every new set. */
struct auth_keyset *auth_jwks_get(struct auth_jwks *j, unsigned long *gen);
/* The current generation (as auth_jwks_get's '*gen'), read without the
 * lock or a reference to the set: a thread that verified a token with
 * generation G may reuse that result while this still says G. */
unsigned long auth_jwks_generation(struct auth_jwks *j);
/* Would auth_jwks_refresh_unknown() fetch now (the interval has passed)? */
int auth_jwks_may_refresh(struct auth_jwks *j);
/* A token named a kid the current set lacks: fetches again unless a fetch
 * began less than 'refresh_s' ago. Blocks up to the fetch timeout. Returns
 * 1 when a set newer than the caller's (generation 'gen') is now current,
 * else 0. */
int auth_jwks_refresh_unknown(struct auth_jwks *j, unsigned long gen);
/* 1 when a usable set is held; else 0 with a reason ("jwks_unavailable")
 * in '*why'. */
int auth_jwks_ready(struct auth_jwks *j, const char **why);
/* Fetches attempted so far (tests, metrics). */
unsigned long auth_jwks_fetches(struct auth_jwks *j);

#endif /* HEADER_S3JSON_AUTH_JWKS_H */
