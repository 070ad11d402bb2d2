"""CORS (issue 15): S3JSON_CORS_ORIGINS against the real binary and the
emulator's S3. A preflight is answered without S3 (and, with auth on,
without a token: test_auth.py); every reply carries Vary: Origin; only an
allowed origin is echoed; with CORS off OPTIONS stays 405.
"""

from __future__ import annotations

import re
import subprocess
import unittest

from lib.harness import BINARY, BUCKET, PREFIX, Service, emulator, seed_bucket, service_env

ORIGIN = "https://app.example"
OTHER = "https://evil.example"


def s3_calls(svc: Service) -> int:
    """Sum of s3json_s3_requests_total over every operation and outcome."""
    text = svc.get("/metrics").body.decode()
    return sum(int(m) for m in re.findall(r"^s3json_s3_requests_total\{[^}]*\} (\d+)$",
                                          text, re.M))  # fmt: skip


class CorsOnTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        cls.creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        env = service_env(cls.emu, cls.creds,
                          S3JSON_CORS_ORIGINS=f"{ORIGIN}, http://localhost:3000")  # fmt: skip
        cls.svc = Service(env, wait_ready=True).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0, f"exit {rc}: {cls.svc.stderr[-20:]}"

    def preflight(self, path="/api/foo", origin=ORIGIN, method="GET"):
        h = {"Access-Control-Request-Headers": "authorization"}
        if origin is not None:
            h["Origin"] = origin
        if method is not None:
            h["Access-Control-Request-Method"] = method
        return self.svc.request("OPTIONS", path, headers=h)

    def test_preflight_allowed_is_204_without_s3(self):
        before = s3_calls(self.svc)
        for path in ("/api/foo", "/api/team/platform", "/api", "/api/no-such-doc"):
            for method in ("GET", "HEAD"):
                r = self.preflight(path, method=method)
                self.assertEqual(r.status, 204, (path, r))
                self.assertEqual(r.body, b"")
                self.assertEqual(r.headers["access-control-allow-origin"], ORIGIN)
                self.assertEqual(r.headers["access-control-allow-methods"], "GET, HEAD")
                self.assertIn("Authorization", r.headers["access-control-allow-headers"])
                self.assertIn("If-None-Match", r.headers["access-control-allow-headers"])
                self.assertEqual(r.headers["access-control-max-age"], "600")
                self.assertIn("Origin", r.headers["vary"])
                self.assertNotIn("access-control-allow-credentials", r.headers)
        self.assertEqual(s3_calls(self.svc), before, "a preflight called S3")

    def test_preflight_refused_is_403_json(self):
        cases = [(OTHER, "GET"), (ORIGIN, "PUT"), (ORIGIN, "DELETE"), (None, "GET"),
                 (ORIGIN, None), ("https://app.example.evil", "GET"), ("null", "GET")]  # fmt: skip
        for origin, method in cases:
            r = self.preflight(origin=origin, method=method)
            self.assertEqual(r.status, 403, (origin, method, r))
            self.assertEqual(r.json()["error"], "cors_refused")
            # An allowed origin may read the error; no other origin is echoed.
            if origin != ORIGIN:
                self.assertNotIn("access-control-allow-origin", r.headers)
            self.assertNotIn("access-control-allow-methods", r.headers)
            self.assertIn("Origin", r.headers["vary"])

    def test_options_outside_api_stays_405(self):
        r = self.svc.request("OPTIONS", "/healthz", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})  # fmt: skip
        self.assertEqual(r.status, 405)

    def test_get_allowed_origin_echoed_and_etag_exposed(self):
        r = self.svc.get("/api/foo", headers={"Origin": ORIGIN})
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'{"greeting":"I am the Foo"}')
        self.assertEqual(r.headers["access-control-allow-origin"], ORIGIN)
        expose = r.headers["access-control-expose-headers"]
        self.assertIn("ETag", expose)
        self.assertIn("X-Request-Id", expose)
        # The document's own Vary is extended, not replaced.
        self.assertEqual(r.headers["vary"], "Accept-Encoding, Origin")
        r = self.svc.get("/api/foo", headers={"Origin": "http://localhost:3000"})
        self.assertEqual(r.headers["access-control-allow-origin"], "http://localhost:3000")

    def test_get_other_origin_gets_vary_only(self):
        for origin in (OTHER, None):
            r = self.svc.get("/api/foo", headers={"Origin": origin} if origin else {})
            self.assertEqual(r.status, 200)
            self.assertNotIn("access-control-allow-origin", r.headers)
            self.assertNotIn("access-control-expose-headers", r.headers)
            self.assertEqual(r.headers["vary"], "Accept-Encoding, Origin")

    def test_errors_and_listing_carry_cors(self):
        # A browser must be able to read an error (404 here, 401 with auth).
        for path in ("/api/no-such-doc", "/api", "/api?limit=0"):
            r = self.svc.get(path, headers={"Origin": ORIGIN})
            self.assertEqual(r.headers["access-control-allow-origin"], ORIGIN, (path, r))
            self.assertIn("Origin", r.headers["vary"])

    def test_revalidation_304_carries_cors(self):
        etag = self.svc.get("/api/foo").headers["etag"]
        r = self.svc.get("/api/foo", headers={"Origin": ORIGIN, "If-None-Match": etag})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.headers["access-control-allow-origin"], ORIGIN)


class CorsOffTest(unittest.TestCase):
    """The default: no CORS header anywhere, OPTIONS is 405 as before."""

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        cls.creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        cls.svc = Service(service_env(cls.emu, cls.creds)).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0, f"exit {rc}: {cls.svc.stderr[-20:]}"

    def test_options_405_and_no_cors_headers(self):
        r = self.svc.request("OPTIONS", "/api/foo", headers={
            "Origin": ORIGIN, "Access-Control-Request-Method": "GET"})  # fmt: skip
        self.assertEqual(r.status, 405)
        self.assertEqual(r.headers["allow"], "GET, HEAD")
        r = self.svc.get("/api/foo", headers={"Origin": ORIGIN})
        self.assertEqual(r.status, 200)
        self.assertNotIn("access-control-allow-origin", r.headers)
        self.assertEqual(r.headers["vary"], "Accept-Encoding")


class CorsSettingTest(unittest.TestCase):
    """A bad list stops start-up with one line naming the variable."""

    def test_bad_origins_refused_at_start(self):
        for bad, why in (("*", "wildcard"), ("https://app.example/", "has a path"),
                         ("app.example", "http:// or https://")):  # fmt: skip
            env = {"S3JSON_BUCKET": BUCKET, "S3JSON_CORS_ORIGINS": bad, "PATH": "/usr/bin:/bin"}
            p = subprocess.run([BINARY], env=env, capture_output=True, timeout=10, text=True)
            self.assertEqual(p.returncode, 2, p)
            lines = p.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, p.stderr)
            self.assertTrue(lines[0].startswith("s3json: S3JSON_CORS_ORIGINS: expected"), lines)
            self.assertIn(why, lines[0])


if __name__ == "__main__":
    unittest.main()
