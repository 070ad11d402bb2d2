/* fuzz_jwt.c -- libFuzzer target: bearer tokens and their claims
 * (auth/verify.h), and the scope grammar (auth/scopes.h)
 *
 * The first byte picks the path, the rest is its input:
 *   0  a token for auth_verify_token, against a key set of one RSA key
 *      ("k1") and one P-256 key ("e1") generated at start-up, so headers
 *      naming them reach the algorithm check and cjose_jws_verify
 *   1  a claims object (JSON text) for auth_claims_check
 *   2  "scopes\nname" for auth_scope_allows / auth_scope_any
 * Checks, besides the sanitizers and the leak checker:
 *   - a token never verifies: without the private keys (made here and
 *     never exported) no input can be AUTH_OK; every result is an
 *     enum value, and one over AUTH_TOKEN_MAX is AUTH_TOO_LARGE;
 *   - claims: AUTH_OK gives an identity whose `sub` is NUL-terminated
 *     inside its array and whose scope is the claim's; the answer is the
 *     same twice;
 *   - scopes: whatever grants a name also counts for auth_scope_any, and
 *     no name is granted by a list without the prefix.
 */
#include <stdint.h>
#include <string.h>

#include <cjose/jwk.h>
#include <jansson.h>

#include "auth/jwks.h"
#include "auth/scopes.h"
#include "auth/verify.h"
#include "fuzz.h"

#define ISS "https://issuer.test/pool"
#define PREFIX "s3json/read:"

static const struct auth_policy policy = {ISS, "c1", 60};
static struct auth_keyset *keys;

/* The public half of a fresh key as a JWK object with 'kid'. */
static json_t *public_jwk(cjose_jwk_t *k, const char *kid)
{
  cjose_err err;
  char *s = cjose_jwk_to_json(k, false, &err);
  json_t *o = s ? json_loads(s, 0, NULL) : NULL;

  free(s);
  FUZZ_CHECK(o);
  json_object_set_new(o, "kid", json_string(kid));
  cjose_jwk_release(k);
  return o;
}

static void make_keys(void)
{
  static const uint8_t e[] = {1, 0, 1};
  cjose_err err;
  json_t *doc = json_pack(
      "{s:[o,o]}", "keys",
      public_jwk(cjose_jwk_create_RSA_random(2048, e, 3, &err), "k1"),
      public_jwk(cjose_jwk_create_EC_random(CJOSE_JWK_EC_P_256, &err), "e1"));
  char *text = json_dumps(doc, JSON_COMPACT);

  keys = auth_keyset_parse(text, strlen(text));
  FUZZ_CHECK(keys && auth_keyset_count(keys) == 2);
  free(text);
  json_decref(doc);
}

static void fuzz_token(const char *p, size_t n)
{
  struct auth_identity *id = NULL;
  enum auth_result r = auth_verify_token(keys, p, n, &policy, 1700000000, &id);

  FUZZ_CHECK(r != AUTH_OK && !id);
  FUZZ_CHECK((int)r >= 0 && r < AUTH_RESULT_COUNT);
  FUZZ_CHECK(n <= AUTH_TOKEN_MAX || r == AUTH_TOO_LARGE);
}

static void fuzz_claims(const char *p, size_t n)
{
  json_t *c = json_loadb(p, n, 0, NULL);
  struct auth_identity *id = NULL;
  enum auth_result r, again;

  if (!c)
    return;
  r = auth_claims_check(c, &policy, 1700000000, &id);
  again = auth_claims_check(c, &policy, 1700000000, NULL);
  FUZZ_CHECK(r == again);
  if (r == AUTH_OK) {
    const char *sc = json_string_value(json_object_get(c, "scope"));
    FUZZ_CHECK(id && memchr(id->sub, '\0', sizeof(id->sub)));
    FUZZ_CHECK(!strcmp(id->scope, sc ? sc : ""));
  } else {
    FUZZ_CHECK(!id);
  }
  auth_identity_release(id);
  json_decref(c);
}

static void fuzz_scopes(const char *p, size_t n)
{
  const char *nl = memchr(p, '\n', n);
  char *scopes, *name;

  if (!nl)
    return;
  scopes = strndup(p, (size_t)(nl - p));
  name = strndup(nl + 1, n - (size_t)(nl - p) - 1);
  FUZZ_CHECK(scopes && name);
  if (auth_scope_allows(scopes, PREFIX, name)) {
    FUZZ_CHECK(auth_scope_any(scopes, PREFIX));
    FUZZ_CHECK(strstr(scopes, PREFIX));
  }
  free(scopes);
  free(name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  char *p;

  if (!keys)
    make_keys();
  if (size < 1)
    return 0;
  /* Its own block of exactly the input's size, so ASan sees any
   * over-read (parsers here take lengths, not NUL-terminated strings). */
  p = malloc(size - 1 ? size - 1 : 1);
  FUZZ_CHECK(p);
  memcpy(p, data + 1, size - 1);
  switch (data[0] % 3) {
  case 0:
    fuzz_token(p, size - 1);
    break;
  case 1:
    fuzz_claims(p, size - 1);
    break;
  default:
    fuzz_scopes(p, size - 1);
    break;
  }
  free(p);
  return 0;
}
