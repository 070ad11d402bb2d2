/* fuzz_jwks.c -- libFuzzer target: auth_keyset_parse (the issuer's key
 * set, fetched over the network: auth/jwks.h)
 *
 * Input: the JWKS document. Checks, besides the sanitizers and the leak
 * checker:
 *   - at most AUTH_JWKS_MAX_KEYS keys; each has a non-empty kid,
 *     NUL-terminated inside its array, unique in the set, found by
 *     auth_keyset_find, with RS256 or ES256 and a cjose key;
 *   - a key kept as RS256 is an RSA key, one kept as ES256 a P-256 key,
 *     whatever its JSON claimed;
 *   - a second parse keeps the same kids in the same order.
 */
#include <stdint.h>
#include <string.h>

#include <cjose/jwk.h>

#include "auth/jwks.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  struct auth_keyset *ks, *again;
  size_t i, n;

  ks = auth_keyset_parse((const char *)data, size);
  if (!ks)
    return 0;
  FUZZ_CHECK(auth_keyset_count(ks) <= AUTH_JWKS_MAX_KEYS);
  again = auth_keyset_parse((const char *)data, size);
  FUZZ_CHECK(again);
  n = auth_keyset_count(ks);
  FUZZ_CHECK(auth_keyset_count(again) == n);
  for (i = 0; i < n; i++) {
    const struct auth_key *k = auth_keyset_key(ks, i);
    const struct auth_key *k2 = auth_keyset_key(again, i);
    cjose_err err;
    size_t len = strnlen(k->kid, sizeof(k->kid));

    FUZZ_CHECK(len > 0 && len < sizeof(k->kid));
    FUZZ_CHECK(auth_keyset_find(ks, k->kid) == k); /* unique: first wins */
    FUZZ_CHECK(!strcmp(k->kid, k2->kid) && k->alg == k2->alg);
    FUZZ_CHECK(k->jwk);
    if (k->alg == AUTH_ALG_RS256) {
      FUZZ_CHECK(cjose_jwk_get_kty(k->jwk, &err) == CJOSE_JWK_KTY_RSA);
    } else {
      FUZZ_CHECK(k->alg == AUTH_ALG_ES256);
      FUZZ_CHECK(cjose_jwk_get_kty(k->jwk, &err) == CJOSE_JWK_KTY_EC);
      FUZZ_CHECK(cjose_jwk_EC_get_curve(k->jwk, &err) == CJOSE_JWK_EC_P_256);
    }
  }
  auth_keyset_release(again);
  auth_keyset_release(ks);
  return 0;
}
