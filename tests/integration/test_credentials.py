"""Integration tests of aws/credentials: the chain against a fake endpoint.

A local HTTP server on 127.0.0.1 stands in for both the ECS container
credentials endpoint and EC2 IMDSv2. It checks the Authorization header (ECS)
and the session token (IMDS), serves credentials with a short Expiration and
issues new keys at each fetch. build/tools/creds_tool resolves credentials
from its environment N times and prints one line per call (source, key id,
SHA-256 prefixes of the secret and token, expiration); the tests read those
lines. Every wait is bounded; the server is stopped at the end of each test.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
import unittest

from lib.ecs import ECS_PATH, IMDS_ROLE, FakeEndpoint, StsEndpoint

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# $S3JSON_CREDS_TOOL picks another build (e.g. one with ASan).
TOOL = os.environ.get("S3JSON_CREDS_TOOL", os.path.join(ROOT, "build", "tools", "creds_tool"))


def sha12(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()[:12]


def build_tool() -> None:
    if not os.access(TOOL, os.X_OK):
        subprocess.run(
            ["make", "-C", ROOT, "build/tools/creds_tool"],
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=300,
        )


def parse_line(line: str) -> dict:
    out = {}
    rest = line
    if ' err="' in rest:
        head, _, tail = rest.partition(' err="')
        err, _, rest2 = tail.partition('" ')
        out["err"] = err
        rest = head + " " + rest2
    for part in rest.split():
        k, _, v = part.partition("=")
        out[k] = v
    return out


class ToolRun:
    """creds_tool started in the background; lines parsed when done."""

    def __init__(self, env: dict, n: int, interval_ms: int, threads: int = 1):
        self.proc = subprocess.Popen(
            [TOOL, "-n", str(n), "-i", str(interval_ms), "-p", str(threads)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.budget = n * interval_ms / 1000 + 30

    def wait(self) -> tuple[int, list[dict], str, str]:
        out, err = self.proc.communicate(timeout=self.budget)
        lines = [parse_line(l) for l in out.splitlines() if l.startswith("call=")]
        return self.proc.returncode, lines, out, err


class CredentialsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        build_tool()

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.home = self.tmp.name
        self.server = FakeEndpoint().start()

    def tearDown(self):
        self.server.stop()
        self.tmp.cleanup()

    # -- helpers ---------------------------------------------------------

    def env(self, **kw) -> dict:
        """A clean environment: no real ~/.aws, IMDS off unless asked."""
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "S3JSON_BUCKET": "creds-test",
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS", "TSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        e.update({k: v for k, v in kw.items() if v is not None})
        return {k: v for k, v in e.items() if v != ""}

    def ecs_env(self, **kw) -> dict:
        return self.env(
            AWS_CONTAINER_CREDENTIALS_FULL_URI=self.server.url + "/full" + ECS_PATH,
            **kw,
        )

    def run_tool(self, env: dict, n: int = 1, interval_ms: int = 0, threads: int = 1):
        return ToolRun(env, n, interval_ms, threads).wait()

    def write(self, rel: str, text: str) -> str:
        path = os.path.join(self.home, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def assert_no_secrets(self, *texts: str) -> None:
        for t in texts:
            self.assertNotIn("do-not-print", t)
            self.assertNotIn("secret-", t)

    def issued_by_key(self) -> dict[str, dict]:
        with self.server.lock:
            return {k["AccessKeyId"]: k for k in self.server.issued}

    def assert_matches_issued(self, line: dict) -> None:
        """The key printed is one we served, with its secret and token."""
        k = self.issued_by_key()[line["akid"]]
        self.assertEqual(line["secret_sha256"], sha12(k["SecretAccessKey"]))
        self.assertEqual(line["token_sha256"], sha12(k["Token"]))

    # -- the order of sources -------------------------------------------

    def test_source_order(self):
        self.write(
            ".aws/credentials",
            "[default]\naws_access_key_id = AKIAPROFILE\n"
            "aws_secret_access_key = profile-secret-do-not-print\n",
        )
        imds = {"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": self.server.url}
        cases = [
            ("env", dict(AWS_ACCESS_KEY_ID="AKIAENV", AWS_SECRET_ACCESS_KEY="env-secret-do-not-print"), True, True),
            ("profile", {}, True, True),
            ("ecs", {}, False, True),
            ("imds", {}, False, False),
        ]
        for want, extra, with_profile, with_ecs in cases:
            with self.subTest(source=want):
                e = self.env(**extra, **imds)
                if not with_profile:
                    e["HOME"] = os.path.join(self.home, "empty")
                if with_ecs:
                    e["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = self.server.url + "/full" + ECS_PATH
                before = len(self.server.paths())
                rc, lines, out, err = self.run_tool(e)
                self.assertEqual(rc, 0, err)
                self.assertEqual(lines[0]["source"], want, out)
                self.assertEqual(lines[0]["rc"], "ok", out)
                self.assert_no_secrets(out, err)
                new = self.server.paths()[before:]
                if want in ("env", "profile"):
                    self.assertEqual(new, [])  # nothing fetched
                if want == "ecs":
                    self.assertEqual(new, ["GET /full" + ECS_PATH])
                if want == "imds":  # IMDSv2 only, and only as the last resort
                    self.assertEqual(len(new), 3, new)
                    self.assertEqual(new[0], "PUT /latest/api/token")
        rc, lines, out, _ = self.run_tool(self.env(HOME=os.path.join(self.home, "empty")))
        self.assertEqual((rc, lines[0]["source"], lines[0]["rc"]), (0, "none", "unavailable"))

    def test_profile_errors_stop_startup(self):
        self.write(".aws/config", "[profile dev]\naws_access_key_id = A\n")
        for env, msg in [
            (self.env(AWS_PROFILE="missing"), "not found"),
            (self.env(AWS_PROFILE="dev"), "without aws_secret_access_key"),
            (self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://example.com/x"), "FULL_URI"),
            (self.env(AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="no-slash"), "RELATIVE_URI"),
        ]:
            with self.subTest(msg=msg):
                rc, lines, out, err = self.run_tool(env)
                self.assertEqual(rc, 2, out)
                self.assertIn(msg, err)
        self.assertEqual(self.server.paths(), [])

    def test_relative_uri(self):
        e = self.env(
            AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=ECS_PATH,
            S3JSON_ECS_CREDENTIALS_HOST=f"127.0.0.1:{self.server.port}",
        )
        rc, lines, out, err = self.run_tool(e)
        self.assertEqual(rc, 0, err)
        self.assertEqual((lines[0]["source"], lines[0]["rc"]), ("ecs", "ok"), out)
        self.assertEqual(self.server.paths(), ["GET " + ECS_PATH])
        self.assert_matches_issued(lines[0])

    # -- ECS authorization -----------------------------------------------

    def test_ecs_authorization_token(self):
        self.server.set(auth_tokens={"Bearer right"})
        rc, lines, out, err = self.run_tool(self.ecs_env(AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer right"))
        self.assertEqual(lines[0]["rc"], "ok", out + err)
        self.assert_matches_issued(lines[0])
        rc, lines, out, err = self.run_tool(self.ecs_env(AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer wrong"))
        self.assertEqual(lines[0]["rc"], "unavailable")
        self.assertIn("HTTP 401", lines[0]["err"])
        self.assertNotIn("wrong", out + err)  # the token is a secret too
        rc, lines, out, err = self.run_tool(self.ecs_env())
        self.assertEqual(lines[0]["rc"], "unavailable")

    def test_token_file_reread_at_each_fetch(self):
        tokfile = self.write("token", "tok-1\n")
        self.server.set(lifetime=4, auth_tokens={"tok-1"})
        e = self.ecs_env(AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tokfile, AWS_CONTAINER_AUTHORIZATION_TOKEN="ignored")
        run = ToolRun(e, n=12, interval_ms=500)
        time.sleep(1.0)  # the first fetch (tok-1) is done by now
        with open(tokfile + ".new", "w") as f:
            f.write("tok-2")
        os.rename(tokfile + ".new", tokfile)  # atomic, as kubelet does
        self.server.set(auth_tokens={"tok-2"})  # tok-1 is now revoked
        rc, lines, out, err = run.wait()
        self.assertEqual(rc, 0, err)
        self.assertTrue(all(l["rc"] == "ok" for l in lines), out + err)
        with self.server.lock:
            auths = [h.get("Authorization") for _, _, p, h in self.server.requests]
        self.assertGreaterEqual(len(auths), 2, out)
        self.assertEqual(auths[0], "tok-1")
        self.assertEqual(set(auths[1:]), {"tok-2"})
        self.assertGreater(len({l["akid"] for l in lines}), 1)
        self.assertNotIn("tok-", out + err)

    # -- refresh ----------------------------------------------------------

    def test_rotation_before_expiry(self):
        self.server.set(lifetime=5)  # refreshed at 80%: 4 s after the fetch
        rc, lines, out, err = self.run_tool(self.ecs_env(), n=20, interval_ms=500)
        self.assertEqual(rc, 0, err)
        self.assertTrue(all(l["rc"] == "ok" for l in lines), out + err)
        keys = [l["akid"] for l in lines]
        self.assertGreaterEqual(len(set(keys)), 2, out)
        self.assertLessEqual(len(set(keys)), 4, out)  # not one per call
        for l in lines:
            self.assert_matches_issued(l)
            # never handed out keys at or past their Expiration
            self.assertLess(float(l["now"]), int(l["exp"]), l)
        self.assertEqual(int(lines[-1]["refreshes"]), len(set(keys)) - 1)
        # each key is used until shortly before its expiry, then replaced
        issued = self.issued_by_key()
        for a, b in zip(keys, keys[1:]):
            if a != b:
                self.assertGreater(issued[b]["issued_at"], issued[a]["issued_at"])
        self.assert_no_secrets(out, err)

    def test_endpoint_down_at_refresh(self):
        """Old keys until they expire, then unavailable, then recovery."""
        # Keys live 5 s (4-5 s: Expiration has whole seconds), refresh is
        # due 1 s before; fetches then fail at refresh time R, at expiry
        # (R + 1) and would be retried at R + 3: the endpoint is back by then.
        self.server.set(lifetime=5)
        run = ToolRun(self.ecs_env(), n=40, interval_ms=250)  # 10 s
        time.sleep(1.0)
        self.server.set(down=True)
        down_at = time.time()
        time.sleep(4.5)  # past the first keys' Expiration
        with self.server.lock:
            hits_while_down = sum(1 for t, *_ in self.server.requests if t >= down_at)
        self.server.set(down=False)
        rc, lines, out, err = run.wait()
        self.assertEqual(rc, 0, err)
        first = lines[0]["akid"]
        exp1 = int(lines[0]["exp"])
        states = []
        for l in lines:
            state = "old" if l.get("akid") == first else "new" if l["rc"] == "ok" else "none"
            if not states or states[-1] != state:
                states.append(state)
            if state == "old":
                self.assertLess(float(l["now"]), exp1)
            if state == "none":
                self.assertGreaterEqual(float(l["now"]), exp1 - 0.01)
        self.assertEqual(states, ["old", "none", "new"], out)
        # Back-off: ~18 calls while down, two or three fetches.
        self.assertLessEqual(hits_while_down, 6, out)
        self.assertGreaterEqual(hits_while_down, 2, out)
        self.assertIn("HTTP 503", [l for l in lines if l["rc"] != "ok"][0]["err"])
        self.assertIn("aws_credentials_fetch_failed", err)  # logged, as warn
        self.assert_no_secrets(out, err)

    def test_endpoint_gone_then_back(self):
        """Connection refused at first: unavailable; recovery once it
        listens again on the same port."""
        port = self.server.port
        self.server.stop()
        e = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=f"http://127.0.0.1:{port}/full{ECS_PATH}")
        run = ToolRun(e, n=24, interval_ms=250)  # fetches at 0, 1, 3 s
        time.sleep(1.5)
        try:
            self.server = FakeEndpoint(port=port).start()
        except OSError:
            run.wait()
            self.skipTest("the port was taken meanwhile")
        rc, lines, out, err = run.wait()
        self.assertEqual(rc, 0, err)
        self.assertEqual(lines[0]["rc"], "unavailable", out)
        self.assertIn("connect", lines[0]["err"].lower())
        self.assertEqual(lines[-1]["rc"], "ok", out + err)
        # retried with back-off while refused: a few fetches, not 6+ calls
        self.assertLessEqual(err.count("aws_credentials_fetch_failed"), 3, err)

    # -- IMDSv2 -----------------------------------------------------------

    def test_imds_v2_flow_and_rotation(self):
        self.server.set(lifetime=5)
        e = self.env(AWS_EC2_METADATA_DISABLED="", AWS_EC2_METADATA_SERVICE_ENDPOINT=self.server.url + "/")
        rc, lines, out, err = self.run_tool(e, n=14, interval_ms=500)
        self.assertEqual(rc, 0, err)
        self.assertTrue(all(l["rc"] == "ok" and l["source"] == "imds" for l in lines), out + err)
        self.assertGreaterEqual(len({l["akid"] for l in lines}), 2, out)
        for l in lines:
            self.assert_matches_issued(l)
        paths = self.server.paths()
        base = "/latest/meta-data/iam/security-credentials/"
        self.assertEqual(paths[:3], ["PUT /latest/api/token", "GET " + base, "GET " + base + IMDS_ROLE])
        with self.server.lock:
            for _, m, p, h in self.server.requests:
                if m == "PUT":
                    self.assertEqual(h.get("X-aws-ec2-metadata-token-ttl-seconds"), "21600")
                else:
                    self.assertIn(h.get("X-aws-ec2-metadata-token"), self.server.imds_tokens)
        self.assertNotIn("imds-token", out + err)

    def test_imds_disabled(self):
        e = self.env(AWS_EC2_METADATA_SERVICE_ENDPOINT=self.server.url)  # disabled
        rc, lines, out, _ = self.run_tool(e)
        self.assertEqual((lines[0]["source"], lines[0]["rc"]), ("none", "unavailable"))
        self.assertEqual(self.server.paths(), [])

    # -- concurrency ------------------------------------------------------

    def test_no_thundering_herd(self):
        self.server.set(delay=0.3)
        rc, lines, out, err = self.run_tool(self.ecs_env(), n=3, interval_ms=100, threads=16)
        self.assertEqual(rc, 0, err)
        self.assertTrue(all(l["rc"] == "ok" and l["agree"] == "1" for l in lines), out)
        self.assertEqual(len(self.server.paths()), 1)  # 48 gets, one fetch

        self.server.set(down=True, requests=[])
        e = self.env(AWS_CONTAINER_CREDENTIALS_FULL_URI=self.server.url + "/full" + ECS_PATH)
        rc, lines, out, err = self.run_tool(e, n=3, interval_ms=100, threads=16)
        self.assertTrue(all(l["rc"] == "unavailable" and l["agree"] == "1" for l in lines), out)
        self.assertEqual(len(self.server.paths()), 1)  # backed off after it


# -- end to end: s3json signing with container credentials -----------------


class ServiceWithContainerCredentialsTest(unittest.TestCase):
    """build/s3json with AWS_CONTAINER_CREDENTIALS_FULL_URI against the
    strict emulator: keys rotate under load and no request is ever signed
    with keys past their Expiration (the emulator would say ExpiredToken)."""

    DOC = "foo"

    @classmethod
    def setUpClass(cls):
        try:
            from lib import harness
        except ImportError as e:  # no moto here: nothing to sign against
            raise unittest.SkipTest(f"emulator unavailable: {e}")
        if not os.access(harness.BINARY, os.X_OK):
            raise unittest.SkipTest(f"{harness.BINARY} not built")
        cls.harness = harness
        cls.emu = harness.emulator()
        cls.docs = harness.seed_bucket(cls.emu)

    def setUp(self):
        h = self.harness
        self.ep = StsEndpoint(self.emu, h.BUCKET, h.PREFIX, lifetime=5).start()
        self.env = {
            "S3JSON_BUCKET": h.BUCKET,
            "S3JSON_PREFIX": h.PREFIX,
            "AWS_REGION": self.emu.region,
            "AWS_ENDPOINT_URL_S3": self.emu.endpoint,
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": self.ep.url + "/full" + ECS_PATH,
            "S3JSON_CACHE_TTL_SECONDS": "0",  # every GET goes to S3
            "S3JSON_STALE_IF_ERROR_SECONDS": "0",
        }
        if self.emu.ca_bundle:
            self.env["AWS_CA_BUNDLE"] = self.emu.ca_bundle

    def tearDown(self):
        self.ep.stop()

    def poll(self, svc, seconds: float, during=None) -> list[tuple[float, int, dict]]:
        """GET the document every 200 ms for 'seconds'; 'during(t)' is
        called with the elapsed time before each GET."""
        out = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            if during:
                during(time.monotonic() - t0)
            r = svc.get(f"/api/{self.DOC}")
            if r.status == 200:
                self.assertEqual(r.body, self.docs[self.DOC])
            body = r.json() if r.status != 200 else {}
            out.append((time.time(), r.status, body))
            time.sleep(0.2)
        return out

    def assert_no_secrets_logged(self, svc) -> None:
        text = "\n".join(svc.lines + svc.stderr)
        with self.ep.lock:
            for k in self.ep.issued:
                self.assertNotIn(k["SecretAccessKey"], text)
                self.assertNotIn(k["Token"], text)

    def test_rotation_under_load(self):
        with self.harness.Service(self.env) as svc:
            results = self.poll(svc, 12)
        bad = [r for r in results if r[1] != 200]
        self.assertEqual(bad, [], bad[:3])
        with self.ep.lock:
            issued, expired = len(self.ep.issued), len(self.ep.expired)
        self.assertGreaterEqual(issued, 3)  # 12 s of 5 s keys
        self.assertLessEqual(issued, 6)  # refreshed ahead, not per request
        self.assertGreaterEqual(expired, 2)  # old keys are dead, yet all 200
        fetched = svc.events("aws_credentials_fetched")
        self.assertGreaterEqual(len(fetched), issued - 1)
        self.assert_no_secrets_logged(svc)

    def test_endpoint_outage(self):
        """200 on the old keys until their Expiration, then 503
        no_credentials (never 403: nothing signed with expired keys), then
        200 again once the endpoint is back."""

        # Down for 6 s, longer than any key lives (5 s), so the keys current
        # when it goes down expire during the outage (at E <= 6 s). Fetches
        # are retried at E, E + 2, E + 6: one of them falls in [7, 12) s.
        def during(t: float) -> None:
            if 1.0 <= t < 7.0:
                self.ep.set(down=True)
            elif t >= 7.0:
                self.ep.set(down=False)

        with self.harness.Service(self.env) as svc:
            results = self.poll(svc, 14, during)
        states = []
        for _, status, body in results:
            key = status if status == 200 else (status, body.get("error"))
            if not states or states[-1] != key:
                states.append(key)
        self.assertEqual(states, [200, (503, "no_credentials"), 200], results)
        self.assertIn("aws_credentials_fetch_failed", "\n".join(svc.lines))
        self.assert_no_secrets_logged(svc)


if __name__ == "__main__":
    unittest.main()
