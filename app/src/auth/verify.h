/* verify.h -- one bearer token: signature, then claims
 *
 * auth_verify_token() refuses a token larger than AUTH_TOKEN_MAX before
 * parsing it, parses the JWS with cjose, looks its kid up in our key set
 * and requires the header's `alg` to equal the algorithm of OUR key (RS256
 * for RSA, ES256 for P-256): `none`, HS256 signed with the public key as
 * secret, or RS256 against an EC key are refused before any verification.
 * Then cjose_jws_verify, then the claims (auth_claims_check):
 *   iss     exactly the configured issuer
 *   aud     the audience, or one of them when an array; without `aud`,
 *           `client_id` must be the audience (Cognito access tokens)
 *   exp     required; expired when now > exp + leeway
 *   nbf/iat when present, not after now + leeway
 *   token_use when present, "access" (a Cognito id token is refused)
 * Everything here is pure (no clock, no I/O): the caller passes 'now'.
 */
#ifndef HEADER_S3JSON_AUTH_VERIFY_H
#define HEADER_S3JSON_AUTH_VERIFY_H

#include <stdatomic.h>
#include <stddef.h>

#include <jansson.h>

struct auth_keyset;

/* Larger tokens are refused unparsed. A Cognito access token is ~1 KiB;
 * 4 KiB leaves room for many scopes and stays inside the server's 8 KiB
 * request head (a larger head gets 431 before we see it). */
#define AUTH_TOKEN_MAX 4096
#define AUTH_SUB_MAX 128 /* bytes of `sub` kept for the log, NUL included */

/* Outcomes, also the label values of s3json_auth_total{result=...}. */
enum auth_result {
  AUTH_OK = 0,
  AUTH_MISSING,            /* no Authorization header */
  AUTH_MALFORMED,          /* not "Bearer <JWS>", or bad JSON/claims types */
  AUTH_TOO_LARGE,          /* over AUTH_TOKEN_MAX */
  AUTH_BAD_ALG,            /* header alg is not our key's */
  AUTH_UNKNOWN_KID,        /* no key with that kid, even after a refresh */
  AUTH_BAD_SIGNATURE,      /* cjose_jws_verify said no */
  AUTH_EXPIRED,            /* exp + leeway passed */
  AUTH_NOT_YET_VALID,      /* nbf or iat in the future (beyond leeway) */
  AUTH_WRONG_ISSUER,       /* iss */
  AUTH_WRONG_AUDIENCE,     /* aud / client_id */
  AUTH_WRONG_TOKEN_USE,    /* token_use other than "access" */
  AUTH_NO_KEYS,            /* we hold no usable key set */
  AUTH_INSUFFICIENT_SCOPE, /* valid, but no scope grants the name */
  AUTH_RESULT_COUNT
};

const char *auth_result_name(enum auth_result r);
/* A sentence for the client's error body (never echoes token content). */
const char *auth_result_message(enum auth_result r);

struct auth_policy {
  const char *issuer;
  const char *audience;
  long leeway_s;
};

/* What a verified token says, shared by the token cache and the requests
 * using it: immutable once built, reference-counted. */
struct auth_identity {
  atomic_int refs;
  long long exp;          /* seconds since the epoch */
  char sub[AUTH_SUB_MAX]; /* "" when absent; cut to fit */
  char scope[];           /* the `scope` claim, "" when absent */
};

struct auth_identity *auth_identity_retain(struct auth_identity *id);
void auth_identity_release(struct auth_identity *id); /* accepts NULL */

/* Checks the claims object 'claims' against 'p' at 'now' (epoch seconds).
 * On AUTH_OK, '*out' (may be NULL) gets a new identity (refs 1). */
enum auth_result auth_claims_check(const json_t *claims,
                                   const struct auth_policy *p, long long now,
                                   struct auth_identity **out);

/* Verifies 'token' ('len' bytes, the part after "Bearer ") with the keys of
 * 'ks' (NULL: AUTH_NO_KEYS) and checks its claims, as above. On AUTH_OK,
 * '*out' gets a new identity (refs 1). */
enum auth_result auth_verify_token(const struct auth_keyset *ks,
                                   const char *token, size_t len,
                                   const struct auth_policy *p, long long now,
                                   struct auth_identity **out);

#endif /* HEADER_S3JSON_AUTH_VERIFY_H */
