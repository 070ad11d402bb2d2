"""The HTTP API end to end: s3json against the signature-checking emulator,
with an IAM user allowed only s3:GetObject on the prefix and s3:ListBucket
(or, with S3JSON_TEST_STORE=dynamodb, only GetItem/Scan/DescribeTable on the
table: the same documents, the same assertions but for what only S3 has).
"""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import time
import unittest

from lib.harness import (BINARY, BUCKET, PREFIX, STORE, TABLE, Service, emulator,  # fmt: skip
                         seed_bucket, seed_store, service_env, skip_unless_s3, store_reader)

JSON_TYPE = "application/json; charset=utf-8"


class ApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        cls.docs = seed_store(cls.emu)
        cls.creds = store_reader(cls.emu)
        cls.svc = Service(service_env(cls.emu, cls.creds), wait_ready=True).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0, f"exit {rc}: {cls.svc.stderr[-20:]}"

    def assertJsonError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers["content-type"], JSON_TYPE)
        doc = r.json()
        self.assertEqual(doc["error"], code, doc)
        self.assertIsInstance(doc["message"], str)
        # Nothing of S3's own answer leaks to clients.
        self.assertNotIn(b"<", r.body)
        self.assertNotIn(self.creds["access_key_id"].encode(), r.body)

    # -- documents --------------------------------------------------------

    def test_get_foo_returns_bytes_unchanged(self):
        r = self.svc.get("/api/foo")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b'{"greeting":"I am the Foo"}')
        self.assertEqual(r.headers["content-type"], JSON_TYPE)
        if STORE == "dynamodb":  # the item's sha256; DynamoDB keeps no modification time
            self.assertEqual(r.headers["etag"], '"%s"' % hashlib.sha256(r.body).hexdigest())
            self.assertNotIn("last-modified", r.headers)
        else:
            self.assertRegex(r.headers["etag"], r'^"[0-9a-f]{32}"$')
            self.assertRegex(r.headers["last-modified"], r"^\w{3}, \d{2} \w{3} \d{4} ")
        self.assertRegex(r.headers["x-request-id"], r"^[0-9a-f]{32}$")

    def test_every_sample_document(self):
        for name, body in self.docs.items():
            r = self.svc.get(f"/api/{name}")
            self.assertEqual((r.status, r.body), (200, body), name)

    def test_nested_name_plain_and_encoded(self):
        a = self.svc.get("/api/team/platform")
        b = self.svc.get("/api/team%2Fplatform")
        self.assertEqual(a.status, 200)
        self.assertEqual(a.body, b.body)

    def test_head(self):
        g = self.svc.get("/api/foo")
        r = self.svc.request("HEAD", "/api/foo")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["content-length"], str(len(g.body)))
        self.assertEqual(r.headers["etag"], g.headers["etag"])

    def test_if_none_match(self):
        etag = self.svc.get("/api/foo").headers["etag"]
        r = self.svc.get("/api/foo", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.headers["etag"], etag)
        # Never "0": only the selected representation's length (RFC 9110 8.6).
        self.assertEqual(r.headers.get("content-length"), str(len(b'{"greeting":"I am the Foo"}')))
        r = self.svc.get("/api/foo", headers={"If-None-Match": '"0000"'})
        self.assertEqual(r.status, 200)

    @skip_unless_s3("DynamoDB items have no Last-Modified, so no If-Modified-Since")
    def test_if_modified_since(self):
        lm = self.svc.get("/api/foo").headers["last-modified"]
        r = self.svc.get("/api/foo", headers={"If-Modified-Since": lm})
        self.assertEqual(r.status, 304)
        r = self.svc.get("/api/foo", headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})
        self.assertEqual(r.status, 200)

    def test_missing_document(self):
        self.assertJsonError(self.svc.get("/api/nope"), 404, "not_found")
        self.assertJsonError(self.svc.get("/api/team/nope"), 404, "not_found")

    def test_bad_names(self):
        for path in ["/api/", "/api/..", "/api/%2e%2e", "/api/%2E%2E/secret",
                     "/api/a//b", "/api/a/./b", "/api/a%20b", "/api/a+b",
                     "/api/caf%C3%A9", "/api/a%zz", "/api/a%", "/api/foo%00",
                     "/api/" + "a" * 513, "/api/..%2fsecret", "/api/a\\b"]:  # fmt: skip
            with self.subTest(path=path):
                self.assertJsonError(self.svc.get(path), 400, "bad_name")
        r = self.svc.get("/api/" + "a" * 512)
        self.assertJsonError(r, 404, "not_found")

    def test_invalid_json_document(self):
        self.assertJsonError(self.svc.get("/api/invalid"), 502, "invalid_document")

    def test_too_large_document(self):
        self.assertJsonError(self.svc.get("/api/big"), 502, "document_too_large")

    # -- listing ----------------------------------------------------------

    def test_list(self):
        r = self.svc.get("/api")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers["content-type"], JSON_TYPE)
        doc = r.json()
        want = sorted(list(self.docs) + ["invalid", "big"])
        self.assertEqual(sorted(doc["documents"]), want)
        self.assertIsNone(doc["next_cursor"])

    def test_list_pages(self):
        seen, cursor, pages = [], None, 0
        while pages < 20:
            path = "/api?limit=2" + (f"&cursor={cursor}" if cursor else "")
            doc = self.svc.get(path).json()
            seen += doc["documents"]
            pages += 1
            cursor = doc["next_cursor"]
            if cursor is None:
                break
            self.assertRegex(cursor, r"^[A-Za-z0-9_-]+$")
        self.assertGreater(pages, 1)
        self.assertEqual(sorted(seen), sorted(list(self.docs) + ["invalid", "big"]))

    def test_list_bad_query(self):
        for q in ["limit=0", "limit=1001", "limit=abc", "limit=-1", "limit="]:
            with self.subTest(q=q):
                self.assertJsonError(self.svc.get("/api?" + q), 400, "bad_limit")
        for q in ["cursor=%%%", "cursor=a", "cursor=not+base64", "cursor="]:
            with self.subTest(q=q):
                self.assertJsonError(self.svc.get("/api?" + q), 400, "bad_cursor")

    # -- everything else --------------------------------------------------

    def test_methods(self):
        for m in ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"]:
            with self.subTest(method=m):
                r = self.svc.request(m, "/api/foo", body=b"{}")
                self.assertJsonError(r, 405, "method_not_allowed")
                self.assertEqual(r.headers["allow"], "GET, HEAD")

    def test_unknown_path(self):
        for p in ["/", "/nope", "/apix", "/api.json", "/healthz/x"]:
            with self.subTest(path=p):
                self.assertJsonError(self.svc.get(p), 404, "not_found")

    def test_health(self):
        r = self.svc.get("/healthz")
        self.assertEqual((r.status, r.json()), (200, {"status": "ok"}))
        r = self.svc.get("/readyz")
        self.assertEqual((r.status, r.json()), (200, {"status": "ready"}))

    def test_keep_alive(self):
        """Connections are reused (libmicrohttpd closes them when a reply is
        queued too early)."""
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.svc.port, timeout=5)
        try:
            for _ in range(3):
                conn.request("GET", "/api/foo")
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 200)
                self.assertNotEqual((r.getheader("connection") or "").lower(), "close")
        finally:
            conn.close()

    # -- logs -------------------------------------------------------------

    def test_access_log(self):
        self.svc.get("/api/foo", headers={
            "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
            "X-Forwarded-For": "10.0.0.1, 203.0.113.7"})  # fmt: skip
        line = self.svc.wait_event("access", lambda d: d.get("request_id") == "1-5759e988-bd862e3fe1be46a994272793")
        self.assertEqual(line["method"], "GET")
        self.assertEqual(line["path"], "/api/foo")
        self.assertEqual(line["status"], 200)
        self.assertEqual(line["bytes"], len(b'{"greeting":"I am the Foo"}'))
        self.assertEqual(line["client"], "203.0.113.7")
        self.assertEqual(line["s3_status"], 200)
        self.assertIsInstance(line["s3_ms"], int)
        self.assertIsInstance(line["duration_ms"], float)
        self.assertEqual(line["level"], "info")
        self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

    def test_forged_client_and_trace_id_are_not_logged(self):
        """Issue 9 item 5: the client writes the left of X-Forwarded-For and
        all of X-Amzn-Trace-Id; the log takes the address the ALB appended
        (right-most) and a Root only when well-formed."""
        cases = [
            # (X-Forwarded-For, X-Amzn-Trace-Id, client, request id or None = fresh)
            ("203.0.113.66, 198.51.100.7", "Root=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb",
             "198.51.100.7", "1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb"),
            ("198.51.100.8", "Root=forged-id-of-another-request", "198.51.100.8", None),
            ("198.51.100.9, not-an-ip", "Root=1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb;x=1",
             "127.0.0.1", "1-aaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbb"),
            ("", "1-5759e988-bd862e3fe1be46a994272793", "127.0.0.1", None),
        ]
        for i, (xff, trace, client, rid) in enumerate(cases):
            r = self.svc.get(f"/healthz?case={i}", headers={"X-Forwarded-For": xff, "X-Amzn-Trace-Id": trace})
            line = self.svc.wait_event("access", lambda d: d.get("path") == f"/healthz?case={i}")
            self.assertEqual(line["client"], client, (xff, line))
            self.assertEqual(r.headers["x-request-id"], line["request_id"])
            if rid:
                self.assertEqual(line["request_id"], rid)
            else:
                self.assertRegex(line["request_id"], r"^[0-9a-f]{32}$", trace)

    def test_trusted_proxies_setting(self):
        """S3JSON_TRUSTED_PROXIES=2 (e.g. CloudFront, then the ALB): the
        second entry from the right; 0: the TCP peer, whatever the header."""
        for n, want in (("2", "198.51.100.7"), ("0", "127.0.0.1")):
            with Service(service_env(self.emu, self.creds, S3JSON_TRUSTED_PROXIES=n)) as svc:
                svc.get("/healthz?t", headers={"X-Forwarded-For": "203.0.113.66, 198.51.100.7, 10.0.3.4"})
                line = svc.wait_event("access", lambda d: d.get("path") == "/healthz?t")
                self.assertEqual(line["client"], want, n)

    def test_hostile_bytes_stay_in_one_log_line(self):
        self.svc.get("/api/%0a%22x", headers={"X-Forwarded-For": "a\"b"})
        line = self.svc.wait_event("access", lambda d: "%0a" in d.get("path", ""))
        self.assertEqual(line["status"], 400)
        self.svc.events()  # every line parses as JSON

    def test_no_core_files(self):
        """A crash cannot write the keys to a core file: RLIMIT_CORE is 0
        (and the process is non-dumpable: test_wipe.c)."""
        with open(f"/proc/{self.svc.proc.pid}/limits") as f:
            line = next(l for l in f if l.startswith("Max core file size"))
        self.assertEqual(line.split()[4:6], ["0", "0"], line)

    def test_no_secrets_in_logs(self):
        self.svc.get("/api/foo")
        text = "\n".join(self.svc.lines + self.svc.stderr)
        self.assertNotIn(self.creds["secret_access_key"], text)
        start = self.svc.events("start")[0]
        self.assertEqual(start["credentials"], "env")
        if STORE == "dynamodb":
            self.assertEqual(start["table"], TABLE)
        else:
            self.assertEqual(start["bucket"], BUCKET)


@skip_unless_s3("S3 listing keys XML cannot carry (encoding-type=url); table names are JSON strings")
class OddKeysTest(unittest.TestCase):
    """Listings ask S3 for URL-encoded keys (encoding-type=url): a key that
    XML 1.0 cannot carry no longer breaks the page, and a prefix holding
    characters S3 encodes (space, '+', non-ASCII) still lists."""

    PREFIX = "odd \u00e9+x/"

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        s3 = cls.emu.client("s3")
        keys = ["a.json", "odd\x01name.json", "sp ace.json", "team/b+c.json",
                "team/d.json", "x.txt", "caf\u00e9.json"]  # fmt: skip
        for k in keys:
            s3.put_object(Bucket=BUCKET, Key=cls.PREFIX + k, Body=b"{}")
        cls.creds = cls.emu.create_restricted_user(BUCKET, cls.PREFIX)

    def test_list_with_odd_keys_and_prefix(self):
        env = service_env(self.emu, self.creds, S3JSON_PREFIX=self.PREFIX)
        with Service(env) as svc:
            for path in ("/api", "/api?limit=1000"):
                r = svc.get(path)
                self.assertEqual(r.status, 200, r)
                # only keys that make valid names; the others are left out
                self.assertEqual(r.json()["documents"], ["a", "team/d"])
            seen, cursor = [], None
            for _ in range(10):
                doc = svc.get("/api?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
                seen += doc["documents"]
                cursor = doc["next_cursor"]
                if cursor is None:
                    break
            self.assertEqual(seen, ["a", "team/d"])
            self.assertEqual(svc.get("/api/a").status, 200)
            self.assertEqual(svc.get("/api/team/d").body, b"{}")


class ForbiddenTest(unittest.TestCase):
    """A task role scoped to one prefix, a service configured with another:
    S3's 403 becomes 502 upstream_forbidden, and readiness says so."""

    def test_forbidden(self):
        emu = emulator()
        seed_store(emu)
        if STORE == "dynamodb":  # a task role for another table: AccessDeniedException (HTTP 400)
            from emulator.emu import ddb_restricted_policy

            creds, extra = emu.create_policy_user(ddb_restricted_policy("another-table")), {}
        else:
            creds, extra = emu.create_restricted_user(BUCKET, PREFIX), {"S3JSON_PREFIX": ""}
        with Service(service_env(emu, creds, **extra)) as svc:
            r = svc.get("/api/secret")
            self.assertEqual(r.status, 502)
            self.assertEqual(r.json()["error"], "upstream_forbidden")
            line = svc.wait_event("access", lambda d: d["path"] == "/api/secret")
            self.assertEqual(line["s3_status"], 400 if STORE == "dynamodb" else 403)

    def test_wrong_secret(self):
        emu = emulator()
        seed_store(emu)
        creds = dict(store_reader(emu))
        creds["secret_access_key"] = "x" * 40
        with Service(service_env(emu, creds)) as svc:
            r = svc.get("/api/foo")
            self.assertEqual((r.status, r.json()["error"]), (502, "upstream_forbidden"))
            r = svc.get("/readyz")
            self.assertEqual(r.status, 503)


class ProfileCredentialsTest(unittest.TestCase):
    """Credentials from a shared credentials file and a named profile."""

    def test_named_profile(self):
        import os
        import tempfile

        emu = emulator()
        seed_store(emu)
        creds = store_reader(emu)
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "credentials")
            with open(path, "w") as f:
                f.write("[default]\naws_access_key_id = AKIAWRONGWRONGWRONG0\n"
                        "aws_secret_access_key = wrong\n\n"
                        f"# the reader's profile\n[reader]\naws_access_key_id = {creds['access_key_id']}\n"
                        f"aws_secret_access_key = {creds['secret_access_key']}\n")  # fmt: skip
            env = service_env(emu, creds, AWS_PROFILE="reader", AWS_SHARED_CREDENTIALS_FILE=path,
                              AWS_CONFIG_FILE=os.path.join(d, "none"))  # fmt: skip
            del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]
            with Service(env) as svc:
                self.assertEqual(svc.get("/api/foo").status, 200)
                self.assertEqual(svc.events("start")[0]["credentials"], "profile")


class StartupTest(unittest.TestCase):
    def run_bin(self, env, *args):
        base = {"PATH": "/usr/bin:/bin", "AWS_EC2_METADATA_DISABLED": "true", "HOME": "/nonexistent"}
        base.update(env)
        return subprocess.run([BINARY, *args], env=base, capture_output=True, timeout=10)

    def test_bad_settings_stop_startup_with_one_line(self):
        cases = [
            ({}, "S3JSON_BUCKET"),
            ({"S3JSON_BUCKET": "b", }, "S3JSON_BUCKET"),
            ({"S3JSON_BUCKET": "bkt", "S3JSON_PORT": "http"}, "S3JSON_PORT"),
            ({"S3JSON_BUCKET": "bkt", "S3JSON_S3_TIMEOUT_MS": "0"}, "S3JSON_S3_TIMEOUT_MS"),
            ({"S3JSON_BUCKET": "bkt", "S3JSON_LOG_LEVEL": "chatty"}, "S3JSON_LOG_LEVEL"),
            ({"S3JSON_BUCKET": "bkt", "S3JSON_BIND": "localhost"}, "S3JSON_BIND"),
            ({"S3JSON_BUCKET": "bkt", "AWS_ACCESS_KEY_ID": "AKIA"}, "AWS_SECRET_ACCESS_KEY"),
        ]  # fmt: skip
        if STORE == "dynamodb":  # issue 14's settings
            cases += [
                ({"S3JSON_STORE": "mongodb", "S3JSON_TABLE": "t"}, "S3JSON_STORE"),
                ({"S3JSON_STORE": "dynamodb"}, "S3JSON_TABLE"),
                ({"S3JSON_STORE": "dynamodb", "S3JSON_TABLE": "a"}, "S3JSON_TABLE"),
            ]  # fmt: skip
        for env, var in cases:
            with self.subTest(var=var, env=env):
                p = self.run_bin(env)
                self.assertEqual(p.returncode, 2, p)
                err = p.stderr.decode().strip()
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertIn(var, err)

    def test_port_in_use(self):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            s.listen()
            port = s.getsockname()[1]
            p = self.run_bin({"S3JSON_BUCKET": "bkt", "S3JSON_BIND": "127.0.0.1",
                              "S3JSON_PORT": str(port), "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                              "AWS_SECRET_ACCESS_KEY": "x"})  # fmt: skip
            self.assertEqual(p.returncode, 1)
            self.assertIn("S3JSON_PORT", p.stderr.decode())

    def test_help_and_version(self):
        p = self.run_bin({}, "--help")
        self.assertEqual(p.returncode, 0)
        out = p.stdout.decode()
        for var in ["S3JSON_BUCKET", "S3JSON_PREFIX", "S3JSON_BIND", "S3JSON_PORT",
                    "S3JSON_THREADS", "S3JSON_LOG_LEVEL", "S3JSON_MAX_OBJECT_BYTES",
                    "S3JSON_S3_TIMEOUT_MS", "S3JSON_DRAIN_SECONDS", "AWS_REGION",
                    "AWS_ENDPOINT_URL_S3", "AWS_PROFILE", "AWS_SHARED_CREDENTIALS_FILE",
                    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]:  # fmt: skip
            self.assertIn(var, out)
        p = self.run_bin({}, "--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout.decode(), r"^s3json \d+\.\d+\.\d+ \(")
        p = self.run_bin({}, "--bogus")
        self.assertEqual(p.returncode, 2)

    def test_healthcheck_subcommand(self):
        emu = emulator()
        seed_store(emu)
        creds = store_reader(emu)
        with Service(service_env(emu, creds)) as svc:
            p = self.run_bin({"S3JSON_PORT": str(svc.port)}, "healthcheck")
            self.assertEqual(p.returncode, 0, p)
        p = self.run_bin({"S3JSON_PORT": str(svc.port)}, "healthcheck")
        self.assertEqual(p.returncode, 1)


class ShutdownTest(unittest.TestCase):
    def test_sigterm_exits_zero(self):
        emu = emulator()
        seed_store(emu)
        creds = store_reader(emu)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with self.subTest(sig=sig):
                svc = Service(service_env(emu, creds)).start()
                self.assertEqual(svc.get("/api/foo").status, 200)
                t0 = time.monotonic()
                rc = svc.stop(sig)
                self.assertEqual(rc, 0, svc.stderr[-20:])
                self.assertLess(time.monotonic() - t0, 5)
                svc.wait_event("drain")
                stop = svc.wait_event("stop")
                self.assertEqual(stop["abandoned"], 0)


if __name__ == "__main__":
    unittest.main()
