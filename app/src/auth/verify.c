/* verify.c -- one bearer token: signature, then claims */
#include <stdlib.h>
#include <string.h>

#include <cjose/header.h>
#include <cjose/jws.h>

#include "jwks.h"
#include "verify.h"

const char *auth_result_name(enum auth_result r)
{
  switch (r) {
  case AUTH_OK:
    return "ok";
  case AUTH_MISSING:
    return "missing";
  case AUTH_MALFORMED:
    return "malformed";
  case AUTH_TOO_LARGE:
    return "too_large";
  case AUTH_BAD_ALG:
    return "bad_alg";
  case AUTH_UNKNOWN_KID:
    return "unknown_kid";
  case AUTH_BAD_SIGNATURE:
    return "bad_signature";
  case AUTH_EXPIRED:
    return "expired";
  case AUTH_NOT_YET_VALID:
    return "not_yet_valid";
  case AUTH_WRONG_ISSUER:
    return "wrong_issuer";
  case AUTH_WRONG_AUDIENCE:
    return "wrong_audience";
  case AUTH_WRONG_TOKEN_USE:
    return "wrong_token_use";
  case AUTH_NO_KEYS:
    return "no_keys";
  case AUTH_INSUFFICIENT_SCOPE:
    return "insufficient_scope";
  case AUTH_RESULT_COUNT:
    break;
  }
  return "unknown";
}

const char *auth_result_message(enum auth_result r)
{
  switch (r) {
  case AUTH_OK:
    return "ok";
  case AUTH_MISSING:
    return "this API needs a bearer token (Authorization: Bearer ...)";
  case AUTH_MALFORMED:
    return "the bearer token is not a well-formed signed JWT";
  case AUTH_TOO_LARGE:
    return "the bearer token is too large";
  case AUTH_BAD_ALG:
    return "the token's algorithm does not match the signing key";
  case AUTH_UNKNOWN_KID:
    return "the token was signed by an unknown key";
  case AUTH_BAD_SIGNATURE:
    return "the token's signature is not valid";
  case AUTH_EXPIRED:
    return "the token has expired";
  case AUTH_NOT_YET_VALID:
    return "the token is not valid yet";
  case AUTH_WRONG_ISSUER:
    return "the token is from another issuer";
  case AUTH_WRONG_AUDIENCE:
    return "the token is for another audience";
  case AUTH_WRONG_TOKEN_USE:
    return "the token is not an access token";
  case AUTH_NO_KEYS:
    return "the signing keys are unavailable, try again";
  case AUTH_INSUFFICIENT_SCOPE:
    return "the token's scopes do not grant this document";
  case AUTH_RESULT_COUNT:
    break;
  }
  return "invalid token";
}

struct auth_identity *auth_identity_retain(struct auth_identity *id)
{
  if (id)
    atomic_fetch_add(&id->refs, 1);
  return id;
}

void auth_identity_release(struct auth_identity *id)
{
  if (id && atomic_fetch_sub(&id->refs, 1) == 1)
    free(id);
}

/*************************************************************************
 * Claims
 *************************************************************************/

/* A NumericDate claim (RFC 7519 2) as whole seconds; -1 when absent, -2
 * when not a number. */
static long long num_claim(const json_t *claims, const char *name)
{
  const json_t *v = json_object_get(claims, name);

  if (!v)
    return -1;
  if (json_is_integer(v))
    return json_integer_value(v) < 0 ? -2 : json_integer_value(v);
  if (json_is_real(v) && json_real_value(v) >= 0 && json_real_value(v) < 9.2e18)
    return (long long)json_real_value(v);
  return -2;
}

static int str_is(const json_t *v, const char *want)
{
  return json_is_string(v) && !strcmp(json_string_value(v), want);
}

static enum auth_result check_audience(const json_t *claims, const char *aud)
{
  const json_t *a = json_object_get(claims, "aud"), *v;
  size_t i;

  if (!a)
    return str_is(json_object_get(claims, "client_id"), aud)
               ? AUTH_OK
               : AUTH_WRONG_AUDIENCE;
  if (json_is_array(a)) {
    json_array_foreach(a, i, v)
    {
      if (str_is(v, aud))
        return AUTH_OK;
    }
    return AUTH_WRONG_AUDIENCE;
  }
  return str_is(a, aud) ? AUTH_OK : AUTH_WRONG_AUDIENCE;
}

static enum auth_result check_times(const json_t *claims, long long now,
                                    long leeway)
{
  long long exp = num_claim(claims, "exp"), nbf = num_claim(claims, "nbf");
  long long iat = num_claim(claims, "iat");

  if (exp < 0 || nbf == -2 || iat == -2)
    return AUTH_MALFORMED;
  if (now > exp + leeway)
    return AUTH_EXPIRED;
  if ((nbf >= 0 && nbf > now + leeway) || (iat >= 0 && iat > now + leeway))
    return AUTH_NOT_YET_VALID;
  return AUTH_OK;
}

static struct auth_identity *identity_new(const json_t *claims)
{
  const json_t *sub = json_object_get(claims, "sub");
  const json_t *scope = json_object_get(claims, "scope");
  const char *sc = json_is_string(scope) ? json_string_value(scope) : "";
  size_t n = strlen(sc);
  struct auth_identity *id = malloc(sizeof(*id) + n + 1);

  if (!id)
    return NULL;
  atomic_init(&id->refs, 1);
  id->exp = num_claim(claims, "exp");
  snprintf(id->sub, sizeof(id->sub), "%s",
           json_is_string(sub) ? json_string_value(sub) : "");
  memcpy(id->scope, sc, n + 1);
  return id;
}

enum auth_result auth_claims_check(const json_t *claims,
                                   const struct auth_policy *p, long long now,
                                   struct auth_identity **out)
{
  const json_t *use = json_object_get(claims, "token_use");
  enum auth_result r;

  if (!json_is_object(claims))
    return AUTH_MALFORMED;
  if (!str_is(json_object_get(claims, "iss"), p->issuer))
    return AUTH_WRONG_ISSUER;
  r = check_audience(claims, p->audience);
  if (r != AUTH_OK)
    return r;
  if (use && !str_is(use, "access"))
    return AUTH_WRONG_TOKEN_USE;
  r = check_times(claims, now, p->leeway_s);
  if (r != AUTH_OK)
    return r;
  if (out) {
    *out = identity_new(claims);
    if (!*out)
      return AUTH_MALFORMED; /* out of memory: refuse, never admit */
  }
  return AUTH_OK;
}

/*************************************************************************
 * Token
 *************************************************************************/

/* Three unpadded base64url parts, non-empty header and payload, none of a
 * length no encoding has (4n+1): the shape of a compact JWS. Checked before
 * cjose sees the bytes (its decoder asserts on some malformed input, see
 * jwks.c b64url_ok). */
static int compact_shape(const char *t, size_t len)
{
  size_t i, dots = 0, part = 0;

  for (i = 0; i < len; i++) {
    char c = t[i];
    if (c == '.') {
      if (part == 0 || part % 4 == 1)
        return 0;
      dots++;
      part = 0;
    } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
               (c >= '0' && c <= '9') || c == '-' || c == '_') {
      part++;
    } else {
      return 0;
    }
  }
  return dots == 2 && part > 0 && part % 4 != 1;
}

/* The header checks: a kid we know, and the key's own algorithm. */
static enum auth_result check_header(cjose_jws_t *jws,
                                     const struct auth_keyset *ks,
                                     const struct auth_key **key)
{
  json_t *h = (json_t *)cjose_jws_get_protected(jws);
  const json_t *alg = json_object_get(h, "alg");
  const json_t *kid = json_object_get(h, "kid");

  if (!json_is_string(alg) || json_object_get(h, "crit"))
    return AUTH_MALFORMED; /* we understand no critical extension */
  if (!json_is_string(kid))
    return AUTH_UNKNOWN_KID;
  *key = auth_keyset_find(ks, json_string_value(kid));
  if (!*key)
    return AUTH_UNKNOWN_KID;
  if (strcmp(json_string_value(alg), auth_alg_name((*key)->alg)))
    return AUTH_BAD_ALG;
  return AUTH_OK;
}

static enum auth_result check_payload(cjose_jws_t *jws,
                                      const struct auth_policy *p,
                                      long long now, struct auth_identity **out)
{
  uint8_t *plain = NULL;
  size_t plen = 0;
  cjose_err e;
  json_t *claims;
  enum auth_result r;

  if (!cjose_jws_get_plaintext(jws, &plain, &plen, &e))
    return AUTH_MALFORMED;
  claims = json_loadb((const char *)plain, plen, JSON_REJECT_DUPLICATES, NULL);
  r = json_is_object(claims) ? auth_claims_check(claims, p, now, out)
                             : AUTH_MALFORMED;
  json_decref(claims);
  return r;
}

enum auth_result auth_verify_token(const struct auth_keyset *ks,
                                   const char *token, size_t len,
                                   const struct auth_policy *p, long long now,
                                   struct auth_identity **out)
{
  const struct auth_key *key = NULL;
  cjose_jws_t *jws;
  cjose_err e;
  enum auth_result r;

  if (len > AUTH_TOKEN_MAX)
    return AUTH_TOO_LARGE;
  if (!compact_shape(token, len))
    return AUTH_MALFORMED;
  if (!ks)
    return AUTH_NO_KEYS;
  jws = cjose_jws_import(token, len, &e);
  if (!jws)
    return AUTH_MALFORMED;
  r = check_header(jws, ks, &key);
  if (r == AUTH_OK && !cjose_jws_verify(jws, key->jwk, &e))
    r = AUTH_BAD_SIGNATURE;
  if (r == AUTH_OK)
    r = check_payload(jws, p, now, out);
  cjose_jws_release(jws);
  return r;
}
