"""S3JSON_AUTH=jwt end to end, the smoke test of the C side (issue 15).

The service runs against the emulator with a key set served by a local
http.server on 127.0.0.1; tokens are RS256 JWTs signed here with a key
generated per run (python3 `cryptography`). The full suite (rotation,
storms, every refusal) is test_auth.py's; this proves the wiring: 401
without a token, 200 with a valid one, 403 outside its scopes, a filtered
listing, the token never logged and its `sub` logged.
"""

from __future__ import annotations

import base64
import http.server
import json
import subprocess
import threading
import time
import unittest

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from lib.harness import BINARY, BUCKET, PREFIX, Service, emulator, free_port, seed_bucket, service_env

ISSUER = "https://issuer.test/pool"
AUDIENCE = "s3json-client"


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_int(n: int) -> str:
    return b64u(n.to_bytes((n.bit_length() + 7) // 8, "big"))


class KeyServer:
    """One RSA key, its JWKS on http://127.0.0.1:PORT/jwks.json."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = "k1"
        pub = self.key.public_key().public_numbers()
        self.jwks = json.dumps({"keys": [{"kty": "RSA", "kid": self.kid, "alg": "RS256", "use": "sig",
                                          "n": b64u_int(pub.n), "e": b64u_int(pub.e)}]}).encode()  # fmt: skip
        self.fetches = 0
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                owner.fetches += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(owner.jwks)))
                self.end_headers()
                self.wfile.write(owner.jwks)

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/jwks.json"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def token(self, scope: str, sub: str = "user-1", **claims) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "client_id": AUDIENCE, "token_use": "access", "sub": sub,
                "scope": scope, "iat": now, "exp": now + 600}  # fmt: skip
        body.update(claims)
        head = b64u(json.dumps({"alg": "RS256", "kid": self.kid}).encode())
        signing = f"{head}.{b64u(json.dumps(body).encode())}"
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing}.{b64u(sig)}"


class AuthSmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        cls.docs = seed_bucket(cls.emu)
        cls.creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        cls.keys = KeyServer()

    @classmethod
    def tearDownClass(cls):
        cls.keys.close()

    def service(self, wait_ready: bool = True, **extra) -> Service:
        env = {"S3JSON_AUTH": "jwt", "S3JSON_JWT_ISSUER": ISSUER, "S3JSON_JWT_AUDIENCE": AUDIENCE,
               "S3JSON_JWT_JWKS_URL": self.keys.url}  # fmt: skip
        env.update(extra)
        return Service(service_env(self.emu, self.creds, **env), wait_ready=wait_ready)

    def bearer(self, tok: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tok}"}

    def test_missing_token_401_valid_token_200(self):
        with self.service() as svc:
            r = svc.get("/api/foo")
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.headers["www-authenticate"], "Bearer")
            self.assertEqual(r.json()["error"], "missing_token")
            tok = self.keys.token("s3json/read:*", sub='al"ice')
            r = svc.get("/api/foo", headers=self.bearer(tok))
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.body, self.docs["foo"])
            self.assertEqual(svc.get("/healthz").status, 200)
            line = svc.wait_event("access", lambda d: d.get("status") == 200 and d.get("path") == "/api/foo")
            self.assertEqual((line["sub"], line["auth"]), ('al"ice', "ok"))
            self.assertFalse(any(tok in l or tok.split(".")[2] in l for l in svc.lines))

    def test_invalid_token_and_scope(self):
        with self.service() as svc:
            good = self.keys.token("s3json/read:team:*")
            bad_sig = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
            r = svc.get("/api/foo", headers=self.bearer(bad_sig))
            self.assertEqual(r.status, 401, r)
            self.assertEqual(r.headers["www-authenticate"], 'Bearer error="invalid_token"')
            self.assertEqual(r.json()["error"], "invalid_token")
            # foo in the cache (read with a token that may), then asked for
            # with one that may not: the scope is checked before the cache.
            every = self.keys.token("s3json/read:*")
            self.assertEqual(svc.get("/api/foo", headers=self.bearer(every)).status, 200)
            r = svc.get("/api/foo", headers=self.bearer(every))
            self.assertEqual((r.status, r.headers.get("x-cache")), (200, "HIT"))
            r = svc.get("/api/foo", headers=self.bearer(good))
            self.assertEqual(r.status, 403, r)
            self.assertNotIn(self.docs["foo"], r.body)
            self.assertEqual(r.headers["www-authenticate"], 'Bearer error="insufficient_scope"')
            team = [n for n in self.docs if n.startswith("team/")]
            self.assertTrue(team)
            self.assertEqual(svc.get("/api/" + team[0], headers=self.bearer(good)).status, 200)
            listing = svc.get("/api", headers=self.bearer(good)).json()["documents"]
            self.assertEqual(sorted(listing), sorted(team))
            text = svc.get("/metrics").body.decode()
            for reason in ("bad_signature", "insufficient_scope", "ok"):
                self.assertIn(f's3json_auth_total{{result="{reason}"}}', text)

    def test_internal_routes_need_a_token_when_asked(self):
        with self.service(wait_ready=False, S3JSON_AUTH_INTERNAL="token") as svc:
            self.assertEqual(svc.get("/healthz").status, 200)
            for path in ("/readyz", "/metrics"):
                self.assertEqual(svc.get(path).status, 401, path)
            tok = self.keys.token("openid")  # valid, no document scope
            self.assertEqual(svc.get("/metrics", headers=self.bearer(tok)).status, 200)
            self.assertEqual(svc.get("/api", headers=self.bearer(tok)).status, 403)

    def test_unreachable_key_set(self):
        dead = f"http://127.0.0.1:{free_port()}/jwks.json"
        with self.service(wait_ready=False, S3JSON_JWT_JWKS_URL=dead) as svc:
            # Once the bucket probe has run (slower under ASan), the reason
            # left is the key set.
            deadline = time.monotonic() + 10
            r = svc.get("/readyz")
            while r.json().get("reason") == "no_probe_yet" and time.monotonic() < deadline:
                time.sleep(0.1)
                r = svc.get("/readyz")
            self.assertEqual((r.status, r.json()["reason"]), (503, "jwks_unavailable"))
            r = svc.get("/api/foo", headers=self.bearer(self.keys.token("s3json/read:*")))
            self.assertEqual((r.status, r.json()["error"]), (503, "auth_unavailable"))
            self.assertTrue(svc.events("jwks_fetch_failed"))

    def test_bad_setting_stops_startup(self):
        env = service_env(self.emu, self.creds, S3JSON_AUTH="jwt", S3JSON_JWT_AUDIENCE="c",
                          S3JSON_JWT_ISSUER="http://issuer.test", S3JSON_PORT=str(free_port()),
                          S3JSON_BIND="127.0.0.1", PATH="/usr/bin:/bin")  # fmt: skip
        p = subprocess.run([BINARY], env=env, capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 2, p)
        self.assertEqual(p.stderr.count("\n"), 1, p.stderr)
        self.assertIn("S3JSON_JWT_ISSUER: expected an https:// URL", p.stderr)


if __name__ == "__main__":
    unittest.main()
