"""Access control (issue 15): S3JSON_AUTH=jwt against the real binary, the
emulator's S3 and a local key server (keyserver.py) that serves RS256 and
ES256 keys, rotates them, counts its requests and fails on demand.

What is proven here: every token the service must refuse is refused with
401 + WWW-Authenticate + a JSON body (expired, not yet valid, outside the
leeway, wrong issuer or audience, wrong signature, alg confusion, unknown
kid, oversized), a storm of unknown kids costs at most two key-set fetches,
rotation works both ways, a key server down at start is reported by
/readyz and recovered from, scopes grant exactly their names (listing
included), a cached document is never served to a token without its
scope, the internal routes follow S3JSON_AUTH_INTERNAL, outcomes are
counted by reason, and the access log carries sub but never the token.
Plus a smoke test of moto's Cognito key set URL and token shape.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import time
import unittest
import urllib.request
import uuid

from lib.harness import BINARY, BUCKET, SLOW, Service, emulator, seed_bucket, service_env
from lib.keyserver import Key, KeyServer, b64url_json, claims, mint

PREFIX = "auth/"  # a prefix of its own: the other suites list theirs
AUDIENCE = "s3json"
LEEWAY = 30
# Names under PREFIX the scope tests need, beyond data/ (bar, foo,
# team/platform) and seed_bucket()'s extras.
EXTRA = ["team/a", "team/b", "team/c", "teamx/a", "team.x", "teams"]


def _has_auth() -> bool:
    try:
        out = subprocess.run([BINARY, "--help"], capture_output=True, text=True, timeout=10)
    except OSError:
        return False
    return "S3JSON_AUTH" in out.stdout + out.stderr


HAS_AUTH = _has_auth()
SKIP_WHY = (f"{BINARY} has no S3JSON_AUTH setting: the JWT verification (branch auth-c, "
            "issue 15) is not in this build")  # fmt: skip


def seed() -> dict[str, str]:
    """The bucket under PREFIX, and a reader for it; returns its creds."""
    emu = emulator()
    seed_bucket(emu, prefix=PREFIX)
    s3 = emu.client("s3")
    for name in EXTRA:
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}{name}.json",
                      Body=json.dumps({"name": name}).encode())  # fmt: skip
    return emu.create_restricted_user(BUCKET, PREFIX)


def auth_env(ks: KeyServer, creds: dict[str, str], **extra: str) -> dict[str, str]:
    env = service_env(emulator(), creds, S3JSON_PREFIX=PREFIX, S3JSON_AUTH="jwt",
                      S3JSON_JWT_ISSUER=ks.issuer, S3JSON_JWT_AUDIENCE=AUDIENCE,
                      S3JSON_JWT_JWKS_URL=ks.jwks_url,
                      S3JSON_JWT_LEEWAY_SECONDS=str(LEEWAY),
                      S3JSON_JWT_JWKS_REFRESH_SECONDS="60")  # fmt: skip
    env.update(extra)
    return env


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def metric_lines(svc: Service, prefix: str) -> dict[str, int]:
    """'name{labels}' -> value for every sample whose name starts 'prefix'."""
    text = svc.get("/metrics").body.decode()
    return {m.group(1): int(float(m.group(2)))
            for m in re.finditer(rf"^({prefix}\S*) (\S+)$", text, re.M)}  # fmt: skip


def wait_until(pred, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout * SLOW
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


class AuthCase(unittest.TestCase):
    """A key server with one RS256 and one ES256 key, and a service."""

    extra_env: dict[str, str] = {}

    @classmethod
    def setUpClass(cls):
        if not HAS_AUTH:
            raise unittest.SkipTest(SKIP_WHY)
        cls.creds = seed()
        cls.ks = KeyServer().start()
        cls.rsa = cls.ks.add_key("rsa-1", "RS256")
        cls.ec = cls.ks.add_key("ec-1", "ES256")
        cls.svc = Service(auth_env(cls.ks, cls.creds, **cls.extra_env), wait_ready=True)
        try:
            cls.svc.start()
        except Exception:
            cls.ks.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        cls.ks.stop()
        assert rc == 0, f"exit {rc}: {cls.svc.stderr[-20:]}"

    def token(self, key: Key | None = None, **kw) -> str:
        extra_claims = kw.pop("claims", {})
        c = claims(self.ks.issuer, **kw)
        c.update(extra_claims)
        return mint(key or self.rsa, c)

    def get(self, path: str, token: str | None, **kw):
        return self.svc.get(path, headers=bearer(token) if token else {}, **kw)

    def assert401(self, r, msg=None):
        self.assertEqual(r.status, 401, msg or r)
        self.assertTrue(r.headers["www-authenticate"].startswith("Bearer"), r.headers)
        self.assertEqual(r.headers["content-type"], "application/json; charset=utf-8")
        doc = r.json()
        self.assertIsInstance(doc["error"], str)
        self.assertIsInstance(doc["message"], str)

    def assertInvalidToken(self, token: str, msg=None):
        r = self.get("/api/foo", token)
        self.assert401(r, msg)
        self.assertIn('error="invalid_token"', r.headers["www-authenticate"], msg)
        return r


class TokenTest(AuthCase):
    # -- valid tokens -----------------------------------------------------

    def test_valid_rs256_and_es256(self):
        for key in (self.rsa, self.ec):
            r = self.get("/api/foo", self.token(key))
            self.assertEqual((r.status, r.body), (200, b'{"greeting":"I am the Foo"}'), key.alg)

    def test_client_id_instead_of_aud(self):
        # Cognito's access tokens carry client_id and no aud.
        good = self.token(audience=None, claims={"client_id": AUDIENCE, "token_use": "access"})
        self.assertEqual(self.get("/api/foo", good).status, 200)
        self.assertInvalidToken(self.token(audience=None, claims={"client_id": "other"}))
        self.assertInvalidToken(self.token(audience=None), "neither aud nor client_id")

    def test_aud_as_list(self):
        self.assertEqual(self.get("/api/foo", self.token(audience=["x", AUDIENCE])).status, 200)

    # -- refused: missing, time, issuer, audience -------------------------

    def test_missing_and_malformed(self):
        r = self.get("/api/foo", None)
        self.assert401(r)
        for h in ({"Authorization": "Basic dTpw"}, {"Authorization": "Bearer"},
                  {"Authorization": "Bearer not.a.jwt"}, {"Authorization": "Bearer a.b"},
                  {"Authorization": "Bearer " + "."*2}):  # fmt: skip
            self.assert401(self.svc.get("/api/foo", headers=h), h)

    def test_expired_and_not_yet_valid(self):
        now = int(time.time())
        self.assertInvalidToken(self.token(claims={"exp": now - 3600}), "expired")
        self.assertInvalidToken(self.token(claims={"nbf": now + 3600}), "not yet valid")
        self.assertInvalidToken(self.token(claims={"exp": None}), "no exp")

    def test_leeway_edges(self):
        now = int(time.time())
        # Within the leeway (LEEWAY s) by a margin that a slow machine keeps.
        self.assertEqual(self.get("/api/foo", self.token(claims={"exp": now - LEEWAY + 10})).status, 200)
        self.assertEqual(self.get("/api/foo", self.token(claims={"nbf": now + LEEWAY - 10})).status, 200)
        self.assertInvalidToken(self.token(claims={"exp": now - LEEWAY - 10}), "exp past leeway")
        self.assertInvalidToken(self.token(claims={"nbf": now + LEEWAY + 10}), "nbf past leeway")

    def test_wrong_issuer_and_audience(self):
        self.assertInvalidToken(self.token(claims={"iss": self.ks.issuer + "/other"}))
        self.assertInvalidToken(self.token(claims={"iss": "https://evil.example"}))
        self.assertInvalidToken(self.token(audience="s3json-other"))
        self.assertInvalidToken(self.token(audience=["x", "y"]))

    # -- refused: signatures and alg confusion ----------------------------

    def test_wrong_signature(self):
        stranger = Key("rsa-1", "RS256")  # same kid, not the published key
        self.assertInvalidToken(mint(stranger, claims(self.ks.issuer)), "foreign key")
        good = self.token()
        h, p, s = good.split(".")
        forged = b64url_json({**claims(self.ks.issuer), "scope": "s3json/read:* admin"})
        self.assertInvalidToken(f"{h}.{forged}.{s}", "payload swapped")
        self.assertInvalidToken(f"{h}.{p}.{s[:-4]}AAAA", "signature altered")
        self.assertInvalidToken(f"{h}.{p}.", "signature removed")

    def test_alg_confusion(self):
        c = claims(self.ks.issuer)
        cases = {
            "none": mint(None, c, header={"kid": "rsa-1"}, signature=b""),
            "None": mint(None, c, header={"alg": "None", "kid": "rsa-1"}, signature=b""),
            "HS256 with the RSA public PEM as secret":
                mint(self.rsa, c, header={"alg": "HS256"}, hs256_secret=self.rsa.public_pem()),
            "HS256 with the RSA JWK as secret":
                mint(self.rsa, c, header={"alg": "HS256"},
                     hs256_secret=json.dumps(self.rsa.jwk()).encode()),
            "HS256 with the EC public PEM as secret":
                mint(self.ec, c, header={"alg": "HS256"}, hs256_secret=self.ec.public_pem()),
            # RS256 claimed on the EC key's kid, signed by some RSA key.
            "RS256 on an EC key": mint(Key("x", "RS256"), c, header={"kid": "ec-1"}),
            "ES256 on an RSA key": mint(Key("x", "ES256"), c, header={"kid": "rsa-1"}),
            "no kid": mint(self.rsa, c, header={"kid": None}),
            # A key embedded in the header is never trusted.
            "embedded jwk": _embedded_jwk(c),
        }  # fmt: skip
        for what, tok in cases.items():
            self.assertInvalidToken(tok, what)

    def test_oversized_token_refused_fast(self):
        # Under the 8 KiB head budget (so the service, not the HTTP layer,
        # answers) but far over any sane token size.
        c = claims(self.ks.issuer, pad="x" * 4500)
        tok = mint(self.rsa, c)
        self.assertTrue(4096 < len(tok) < 7500, len(tok))  # AUTH_TOKEN_MAX < it
        for _ in range(20):
            t0 = time.monotonic()
            r = self.get("/api/foo", tok)
            self.assertLess(time.monotonic() - t0, 2.0 * SLOW)
            self.assert401(r)
        self.assertEqual(self.svc.get("/healthz").status, 200)
        self.assertIsNone(self.svc.proc.poll())

    def test_401_body_and_header_shape(self):
        r = self.assertInvalidToken(self.token(claims={"exp": 1}))
        self.assertRegex(r.headers["www-authenticate"], r'^Bearer\b.*error="invalid_token"')
        self.assertNotIn(b"eyJ", r.body)  # the token is not echoed

    # -- the key set --------------------------------------------------------

    def test_unknown_kid_storm_costs_at_most_two_fetches(self):
        before = self.ks.count()
        c = claims(self.ks.issuer)
        for i in range(200):
            stranger = Key(f"k-{uuid.uuid4().hex}", "ES256") if i % 2 else None
            tok = (mint(stranger, c) if stranger
                   else mint(self.rsa, c, header={"kid": uuid.uuid4().hex}))  # fmt: skip
            self.assertInvalidToken(tok, i)
        fetched = self.ks.count() - before
        self.assertLessEqual(fetched, 2, f"{fetched} JWKS fetches for 200 unknown kids")
        # Known keys still work afterwards.
        self.assertEqual(self.get("/api/foo", self.token()).status, 200)


class ScopeTest(AuthCase):
    def names(self, token: str, limit: int) -> tuple[list[str], list[int]]:
        """Every name of the listing, following next_cursor; page sizes."""
        names, sizes, cursor = [], [], None
        for _ in range(100):
            path = f"/api?limit={limit}" + (f"&cursor={cursor}" if cursor else "")
            r = self.get(path, token)
            self.assertEqual(r.status, 200, r)
            doc = r.json()
            self.assertLessEqual(len(doc["documents"]), limit)
            names += doc["documents"]
            sizes.append(len(doc["documents"]))
            cursor = doc["next_cursor"]
            if cursor is None:
                return names, sizes
        self.fail("listing did not end in 100 pages")

    def test_team_star_grants_team_not_teamx(self):
        tok = self.token(scope="s3json/read:team:*")
        for name in ("team/a", "team/b", "team/platform"):
            self.assertEqual(self.get(f"/api/{name}", tok).status, 200, name)
        self.assertEqual(self.get("/api/team%2Fa", tok).status, 200)
        for name in ("teamx/a", "team.x", "teams", "foo", "no-such-doc", "team"):
            r = self.get(f"/api/{name}", tok)
            self.assertEqual(r.status, 403, (name, r))
            self.assertIsInstance(r.json()["error"], str)

    def test_exact_scope(self):
        tok = self.token(scope="s3json/read:team:platform")
        self.assertEqual(self.get("/api/team/platform", tok).status, 200)
        for name in ("team/a", "team/platformx", "team", "foo"):
            self.assertEqual(self.get(f"/api/{name}", tok).status, 403, name)

    def test_star_and_several_scopes(self):
        self.assertEqual(self.get("/api/teamx/a", self.token(scope="s3json/read:*")).status, 200)
        tok = self.token(scope="openid s3json/read:foo s3json/read:teamx:*")
        self.assertEqual(self.get("/api/foo", tok).status, 200)
        self.assertEqual(self.get("/api/teamx/a", tok).status, 200)
        self.assertEqual(self.get("/api/bar", tok).status, 403)

    def test_other_prefix_or_no_scope_is_403(self):
        for scope in ("", "other/read:*", "s3json/write:*", "s3json/read:", "S3JSON/READ:*",
                      "xs3json/read:*"):  # fmt: skip
            r = self.get("/api/foo", self.token(scope=scope))
            self.assertEqual(r.status, 403, (scope, r))

    def test_listing_filtered_pages_and_cursor(self):
        want = sorted(["team/a", "team/b", "team/c", "team/platform"])
        tok = self.token(scope="s3json/read:team:*")
        for limit in (1, 2, 3, 1000):
            names, sizes = self.names(tok, limit)
            self.assertEqual(sorted(names), want, limit)
            if limit < 1000:
                # S3's first page (bar, big, foo...) holds no name the token
                # may read: an empty page whose next_cursor still goes on.
                self.assertEqual(sizes[0], 0, sizes)
                self.assertGreater(len(sizes), 1, sizes)
        all_names, _ = self.names(self.token(scope="s3json/read:*"), 1000)
        self.assertIn("teamx/a", all_names)
        self.assertIn("foo", all_names)
        none, _ = self.names(self.token(scope="s3json/read:nothing:*"), 2)
        self.assertEqual(none, [])

    def test_cached_document_not_served_without_scope(self):
        name = "team/c"
        full = self.token(scope="s3json/read:*")
        first = self.get(f"/api/{name}", full)
        self.assertEqual(first.status, 200)
        again = self.get(f"/api/{name}", full)
        self.assertEqual(again.headers.get("x-cache", "").lower(), "hit")  # it is cached now
        hits = metric_lines(self.svc, "s3json_cache_hits_total")
        self.assertTrue(hits)
        narrow = self.token(scope="s3json/read:teamx:*")
        r = self.get(f"/api/{name}", narrow)
        self.assertEqual(r.status, 403, r)
        self.assertNotIn(b"team/c", r.body)
        self.assertNotIn("x-cache", r.headers)
        # Auth came first: the cache was not even asked.
        self.assertEqual(metric_lines(self.svc, "s3json_cache_hits_total"), hits)
        r = self.svc.get(f"/api/{name}", headers={"If-None-Match": first.headers["etag"]})
        self.assertEqual(r.status, 401, "a conditional request without a token")


class ObservabilityTest(AuthCase):
    def test_healthz_open_internal_open_by_default(self):
        self.assertEqual(self.svc.get("/healthz").status, 200)
        self.assertEqual(self.svc.get("/readyz").status, 200)
        self.assertEqual(self.svc.get("/metrics").status, 200)

    def test_metrics_count_outcomes_by_reason(self):
        before = metric_lines(self.svc, "s3json_auth")
        self.get("/api/foo", self.token())
        self.get("/api/foo", None)
        self.get("/api/foo", self.token(claims={"exp": 1}))
        self.get("/api/foo", self.token(audience="nope"))
        self.get("/api/foo", self.token(scope="s3json/read:team:*"))
        after = metric_lines(self.svc, "s3json_auth")
        grew = {k for k in after if after[k] > before.get(k, 0)}
        reasons = {m for k in grew for m in re.findall(r'(?:reason|outcome|result)="([^"]+)"', k)}
        # Five different outcomes: allowed, missing, expired, audience, scope.
        self.assertGreaterEqual(len(reasons), 5, sorted(grew))

    def test_access_log_has_sub_never_the_token(self):
        sub = f"client-{uuid.uuid4().hex[:8]}"
        tok = self.token(sub=sub)
        self.assertEqual(self.get("/api/bar", tok).status, 200)
        bad = self.token(sub=sub + "-x", claims={"exp": 1})
        self.get("/api/bar", bad)
        self.svc.wait_event("access", lambda d: d.get("sub") == sub, timeout=5)
        time.sleep(0.3)  # access lines are flushed within 200 ms
        log = "\n".join(self.svc.lines)
        for t in (tok, bad):
            self.assertNotIn(t.split(".")[2], log)  # no signature
            self.assertNotIn(t.split(".")[1][:40], log)  # no payload


class InternalTokenTest(AuthCase):
    extra_env = {"S3JSON_AUTH_INTERNAL": "token"}

    @classmethod
    def setUpClass(cls):
        if not HAS_AUTH:
            raise unittest.SkipTest(SKIP_WHY)
        cls.creds = seed()
        cls.ks = KeyServer().start()
        cls.rsa = cls.ks.add_key("rsa-1", "RS256")
        cls.ec = cls.ks.add_key("ec-1", "ES256")
        # /readyz needs a token here, so wait for /healthz only.
        cls.svc = Service(auth_env(cls.ks, cls.creds, **cls.extra_env)).start()

    def test_internal_routes_need_a_token(self):
        self.assertEqual(self.svc.get("/healthz").status, 200)
        for path in ("/readyz", "/metrics"):
            self.assert401(self.svc.get(path))
        tok = self.token()
        self.assertTrue(wait_until(lambda: self.get("/readyz", tok).status == 200, 15))
        r = self.get("/metrics", tok)
        self.assertEqual(r.status, 200)
        self.assertIn(b"s3json_http_requests_total", r.body)


class RotationTest(AuthCase):
    extra_env = {"S3JSON_JWT_JWKS_REFRESH_SECONDS": "1"}

    def test_new_key_then_old_key_retired(self):
        self.assertEqual(self.get("/api/foo", self.token(self.rsa)).status, 200)
        new = self.ks.add_key("rsa-2", "RS256")
        time.sleep(1.2)  # past the refresh interval: an unknown kid refreshes
        ok = wait_until(lambda: self.get("/api/foo", self.token(new)).status == 200, 10, 0.5)
        self.assertTrue(ok, "a token of the new key was refused after refresh")
        self.ks.retire("rsa-1")
        # The set changes only when the service refreshes: an unknown kid
        # after the interval makes it fetch; then the old key is gone.
        time.sleep(1.2)
        self.assertInvalidToken(mint(Key("rsa-3", "RS256"), claims(self.ks.issuer)))

        def old_refused():
            r = self.get("/api/foo", self.token(self.rsa))  # a fresh token each time
            return r.status == 401

        self.assertTrue(wait_until(old_refused, 10, 0.5), "the retired key still verifies")
        self.assertEqual(self.get("/api/foo", self.token(new)).status, 200)


class KeyServerDownTest(unittest.TestCase):
    """The key set cannot be fetched at start: /readyz says so, tokens get
    401 (not a crash, not a hang), and it recovers when the server does."""

    def test_down_at_start_then_recovers(self):
        if not HAS_AUTH:
            self.skipTest(SKIP_WHY)
        creds = seed()
        with KeyServer() as ks:
            key = ks.add_key("rsa-1", "RS256")
            ks.mode = "error"
            env = auth_env(ks, creds, S3JSON_JWT_JWKS_REFRESH_SECONDS="1")
            with Service(env) as svc:
                self.assertTrue(wait_until(lambda: ks.count() >= 1, 10))
                r = svc.get("/readyz")
                self.assertEqual(r.status, 503, r)
                tok = mint(key, claims(ks.issuer))
                r = svc.get("/api/foo", headers=bearer(tok))
                # Refused, never served: 503 auth_unavailable (the token may
                # be good; the keys are missing) or 401.
                self.assertIn(r.status, (401, 503), r)
                self.assertIn(r.json()["error"], ("auth_unavailable", "invalid_token",
                                                  "unauthorized"))  # fmt: skip
                self.assertEqual(svc.get("/healthz").status, 200)
                ks.mode = "ok"
                self.assertTrue(wait_until(lambda: svc.get("/readyz").status == 200, 30, 0.5),
                                svc.get("/readyz"))  # fmt: skip
                r = svc.get("/api/foo", headers=bearer(mint(key, claims(ks.issuer))))
                self.assertEqual(r.status, 200, r)

    def test_hanging_key_server_does_not_stall_probes(self):
        if not HAS_AUTH:
            self.skipTest(SKIP_WHY)
        creds = seed()
        with KeyServer() as ks:
            key = ks.add_key("rsa-1", "RS256")
            ks.mode, ks.hang_seconds = "hang", 20
            with Service(auth_env(ks, creds)) as svc:
                for _ in range(5):
                    t0 = time.monotonic()
                    self.assertEqual(svc.get("/healthz").status, 200)
                    self.assertLess(time.monotonic() - t0, 1.0 * SLOW)
                r = svc.get("/api/foo", headers=bearer(mint(key, claims(ks.issuer))), timeout=30)
                self.assertIn(r.status, (401, 503), r)
                ks.mode = "ok"


class SettingsTest(unittest.TestCase):
    def test_bad_settings_stop_start_up(self):
        if not HAS_AUTH:
            self.skipTest(SKIP_WHY)
        base = {"S3JSON_BUCKET": BUCKET, "PATH": "/usr/bin:/bin", "S3JSON_AUTH": "jwt",
                "S3JSON_JWT_ISSUER": "https://issuer.example", "S3JSON_JWT_AUDIENCE": "a"}  # fmt: skip
        cases = [({"S3JSON_AUTH": "maybe"}, "S3JSON_AUTH"),
                 ({"S3JSON_JWT_ISSUER": ""}, "S3JSON_JWT_ISSUER"),
                 ({"S3JSON_JWT_JWKS_URL": "http://keys.example/jwks.json"}, "S3JSON_JWT_JWKS_URL"),
                 ({"S3JSON_AUTH_INTERNAL": "sometimes"}, "S3JSON_AUTH_INTERNAL")]  # fmt: skip
        for change, var in cases:
            env = {**base, **change}
            p = subprocess.run([BINARY], env=env, capture_output=True, text=True, timeout=10)
            self.assertNotEqual(p.returncode, 0, (change, p))
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertIn(var, lines[0])


class CorsWithAuthTest(AuthCase):
    """A browser's preflight carries no token: it must not need one."""

    extra_env = {"S3JSON_CORS_ORIGINS": "https://app.example"}

    def test_preflight_without_token_and_401_readable(self):
        r = self.svc.request("OPTIONS", "/api/foo", headers={
            "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization"})  # fmt: skip
        self.assertEqual(r.status, 204, r)
        self.assertIn("Authorization", r.headers["access-control-allow-headers"])
        r = self.svc.get("/api/foo", headers={"Origin": "https://app.example"})
        self.assert401(r)
        self.assertEqual(r.headers["access-control-allow-origin"], "https://app.example")
        r = self.get("/api/foo", self.token())
        self.assertEqual(r.status, 200)


class CognitoSmokeTest(unittest.TestCase):
    """moto's Cognito: its user pool key set, at the URL shape Cognito uses
    (/{pool_id}/.well-known/jwks.json), loads; and a token it issues (one
    fixed key, scope aws.cognito.signin.user.admin, client_id and no aud)
    verifies, then gets 403 for want of an s3json scope. moto has no token
    endpoint for client credentials, so scopes are tested above."""

    def test_moto_cognito_jwks_and_access_token(self):
        if not HAS_AUTH:
            self.skipTest(SKIP_WHY)
        emu = emulator()
        creds = seed()
        idp = emu.client("cognito-idp")
        pool = idp.create_user_pool(PoolName=f"s3json-{uuid.uuid4().hex[:6]}")["UserPool"]
        client = idp.create_user_pool_client(UserPoolId=pool["Id"], ClientName="m",
                                             ExplicitAuthFlows=["ADMIN_NO_SRP_AUTH"])  # fmt: skip
        client_id = client["UserPoolClient"]["ClientId"]
        jwks_url = f"{emu.endpoint}/{pool['Id']}/.well-known/jwks.json"
        with urllib.request.urlopen(jwks_url, timeout=10) as f:
            keys = json.load(f)["keys"]
        self.assertTrue(keys and keys[0]["kty"] == "RSA" and keys[0]["kid"])
        password = "Pw-" + uuid.uuid4().hex
        idp.admin_create_user(UserPoolId=pool["Id"], Username="reader",
                              TemporaryPassword=password, MessageAction="SUPPRESS")  # fmt: skip
        idp.admin_set_user_password(UserPoolId=pool["Id"], Username="reader",
                                    Password=password, Permanent=True)  # fmt: skip
        res = idp.admin_initiate_auth(UserPoolId=pool["Id"], ClientId=client_id,
                                      AuthFlow="ADMIN_NO_SRP_AUTH",
                                      AuthParameters={"USERNAME": "reader", "PASSWORD": password})
        access = res["AuthenticationResult"]["AccessToken"]
        iss = json.loads(_b64d(access.split(".")[1]))["iss"]
        env = service_env(emu, creds, S3JSON_PREFIX=PREFIX, S3JSON_AUTH="jwt",
                          S3JSON_JWT_ISSUER=iss, S3JSON_JWT_AUDIENCE=client_id,
                          S3JSON_JWT_JWKS_URL=jwks_url)  # fmt: skip
        with Service(env, wait_ready=True) as svc:
            r = svc.get("/api/foo", headers=bearer(access))
            self.assertEqual(r.status, 403, r)  # verified; no s3json scope
            r = svc.get("/api/foo", headers=bearer(access[:-8] + "AAAAAAAA"))
            self.assertEqual(r.status, 401, r)
        # The default key set URL: the issuer's /.well-known/jwks.json, as
        # Cognito publishes it (here the emulator's pool URL is the issuer).
        env = service_env(emu, creds, S3JSON_PREFIX=PREFIX, S3JSON_AUTH="jwt",
                          S3JSON_JWT_ISSUER=f"{emu.endpoint}/{pool['Id']}",
                          S3JSON_JWT_AUDIENCE=client_id)  # fmt: skip
        with Service(env, wait_ready=True) as svc:  # ready: the key set loaded
            r = svc.get("/api/foo", headers=bearer(access))
            self.assertEqual(r.status, 401, r)  # moto's iss is not this issuer


def _b64d(s: str) -> bytes:
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def _embedded_jwk(c: dict) -> str:
    """Signed by a stranger's key that the header itself carries."""
    k = Key("embedded", "RS256")
    return mint(k, c, header={"jwk": k.jwk()})

if __name__ == "__main__":
    unittest.main()
