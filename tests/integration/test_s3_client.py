"""test_s3_client.py -- s3/client through build/tools/s3_tool.

Two halves:
- EmulatorTest: the signature-checking emulator (tests/emulator/emu.py, its
  own subprocess, TLS on, so the CA bundle option is exercised): keys with
  spaces, unicode, + = & ~ %, 404, 403 with a wrong secret or a restricted
  user, STS session-token credentials, conditional 304, too-large objects,
  pagination over >1000 keys with continuation tokens, prefixes that need
  encoding, and many threads on one client.
- FaultTest: a tiny scripted HTTP server on 127.0.0.1 for what the emulator
  cannot do: 503 then 200 (retries), 5xx until attempts run out, a server
  that never answers (timeout), refused connections, lying Content-Length,
  cut-off bodies, garbage XML. It also re-verifies every request it gets
  with botocore, over the path and query exactly as received.

Run from the repository root:
    PYTHONPATH=tests python3 -m unittest tests/integration/test_s3_client.py -v
$S3_TOOL picks another build of the tool (e.g. one built with ASan).
"""

import concurrent.futures
import datetime
import hashlib
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import unittest
from unittest import mock
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
from emulator.emu import Emulator
from lib.harness import built_tool
from lib.net import free_port

# With the ASan build of s3json under test (tests/steps/41-*), the tool
# is the ASan build too, so leaks and overflows in s3/client fail the test.
BUCKET = "s3json-client-test"
MAX_BYTES = 64 * 1024
PAGE_KEYS = 1205
TOOL_TIMEOUT = 60  # seconds; every tool run is bounded
WATCHDOG_S = 600  # the emulator half may take this long in all

AWKWARD_KEYS = [
    "v1/plain.json",
    "v1/with space.json",
    "v1/two  spaces .json",
    "v1/\u00fcn\u00efc\u00f8d\u00e9 \u65e5\u672c.json",
    "v1/plus+sign.json",
    "v1/eq=amp&tilde~pct%.json",
    "v1/pct%20not-a-space.json",
    "v1/nested/deep/er/x.json",
    "v1/dots/../kept.json",
    "v1/emoji\U0001f600.json",
    "v1/q?hash#.json",
]


def ensure_tool():
    """The tool's path (lib.harness.built_tool; $S3_TOOL picks another build)."""
    return built_tool("s3_tool", "S3_TOOL")


def base_env(**extra):
    """A clean environment: nothing from this machine's AWS setup leaks in."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": "/nonexistent",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_REGION": "us-east-1",
        "S3JSON_BUCKET": BUCKET,
        "S3JSON_S3_TIMEOUT_MS": "5000",
        "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=1",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    }
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def run_tool(env, *args):
    p = subprocess.run([ensure_tool(), *args], env=env, capture_output=True,
                       timeout=TOOL_TIMEOUT)
    if p.returncode != 0:
        raise AssertionError("s3_tool %s exited %d: %s" % (
            args, p.returncode, p.stderr.decode(errors="replace")))
    # the result is the last line (log lines of other modules may precede)
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# Against the emulator
# ---------------------------------------------------------------------------

class EmulatorTest(unittest.TestCase):
    emu = None

    @classmethod
    def setUpClass(cls):
        cls.emu = Emulator(subprocess=True, tls=True).start()
        # If the emulator ever stops answering, end it: blocked calls then
        # fail fast instead of hanging the suite (seen once under load).
        cls.watchdog = threading.Timer(WATCHDOG_S, cls.emu.close)
        cls.watchdog.daemon = True
        cls.watchdog.start()
        cls.s3 = cls.emu.client("s3")
        cls.s3.create_bucket(Bucket=BUCKET)
        cls.bodies = {}
        for k in AWKWARD_KEYS:
            cls.put(k, json.dumps({"key": k}).encode())
        cls.put("v1/at-limit.json", b"x" * MAX_BYTES)
        cls.put("v1/over-limit.json", b"x" * (MAX_BYTES + 1))
        cls.put("secret/outside.json", b'{"secret": true}')
        with concurrent.futures.ThreadPoolExecutor(16) as ex:
            list(ex.map(lambda i: cls.s3.put_object(
                Bucket=BUCKET, Key="page/k%05d.json" % i, Body=b"{}"),
                range(PAGE_KEYS)))

    @classmethod
    def tearDownClass(cls):
        cls.watchdog.cancel()
        cls.emu.close()

    @classmethod
    def put(cls, key, body):
        cls.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        cls.bodies[key] = body

    def env(self, creds=None, **extra):
        c = creds or self.emu.admin
        return base_env(AWS_ENDPOINT_URL=self.emu.endpoint,
                        AWS_CA_BUNDLE=self.emu.ca_bundle,
                        AWS_ACCESS_KEY_ID=c["access_key_id"],
                        AWS_SECRET_ACCESS_KEY=c["secret_access_key"],
                        AWS_SESSION_TOKEN=c.get("session_token"),
                        S3JSON_MAX_OBJECT_BYTES=str(MAX_BYTES),
                        # generous: the emulator is slow on a loaded machine
                        S3JSON_S3_TIMEOUT_MS="20000", **extra)

    def get(self, key, *args, env=None):
        return run_tool(env or self.env(), "get", key, *args)

    def test_awkward_keys(self):
        for key in AWKWARD_KEYS:
            with self.subTest(key=key):
                r = self.get(key)
                self.assertEqual(r["code"], "ok", r)
                self.assertEqual(r["attempts"], 1)
                self.assertEqual(r["sha256"],
                                 hashlib.sha256(self.bodies[key]).hexdigest())
                self.assertTrue(r["etag"].startswith('"'))
                self.assertIn("GMT", r["last_modified"])

    def test_not_found_is_not_retried(self):
        r = self.get("v1/missing.json")
        self.assertEqual((r["code"], r["status"], r["attempts"]),
                         ("not_found", 404, 1))
        self.assertEqual(r["error_code"], "NoSuchKey")

    def test_wrong_secret_is_forbidden(self):
        creds = dict(self.emu.admin, secret_access_key="x" * 40)
        r = self.get("v1/plain.json", env=self.env(creds))
        self.assertEqual((r["code"], r["status"], r["attempts"]),
                         ("forbidden", 403, 1))
        self.assertEqual(r["error_code"], "SignatureDoesNotMatch")

    def test_restricted_user(self):
        creds = self.emu.create_restricted_user(BUCKET, "v1/")
        self.assertEqual(self.get("v1/plus+sign.json",
                                  env=self.env(creds))["code"], "ok")
        r = self.get("secret/outside.json", env=self.env(creds))
        self.assertEqual((r["code"], r["error_code"]),
                         ("forbidden", "AccessDenied"))

    def test_session_token_credentials(self):
        creds = self.emu.assume_restricted_role(BUCKET, "v1/")
        self.assertTrue(creds["access_key_id"].startswith("ASIA"))
        env = self.env(creds)
        self.assertEqual(self.get("v1/with space.json", env=env)["code"], "ok")
        r = run_tool(env, "list", "v1/nested/")
        self.assertEqual(r["keys"], ["v1/nested/deep/er/x.json"])
        self.assertEqual(self.get("secret/outside.json", env=env)["code"],
                         "forbidden")
        # the token is signed and checked: without it, or altered, no access
        no_token = dict(creds, session_token=None)
        self.assertEqual(self.get("v1/plain.json", env=self.env(no_token))
                         ["code"], "forbidden")
        bad = dict(creds, session_token=creds["session_token"][:-4] + "AAAA")
        self.assertEqual(self.get("v1/plain.json", env=self.env(bad))["code"],
                         "forbidden")

    def test_conditional_get(self):
        first = self.get("v1/plain.json")
        r = self.get("v1/plain.json", "--if-none-match", first["etag"])
        self.assertEqual((r["code"], r["status"]), ("not_modified", 304))
        self.assertEqual(r["etag"], first["etag"])
        r = self.get("v1/plain.json", "--if-none-match", '"0000"')
        self.assertEqual(r["code"], "ok")
        r = self.get("v1/plain.json", "--if-modified-since",
                     "Fri, 01 Jan 2100 00:00:00 GMT")
        self.assertEqual(r["code"], "not_modified")
        r = self.get("v1/plain.json", "--if-modified-since",
                     "Sat, 01 Jan 2000 00:00:00 GMT")
        self.assertEqual(r["code"], "ok")

    def test_object_size_limit(self):
        self.assertEqual(self.get("v1/at-limit.json")["len"], MAX_BYTES)
        r = self.get("v1/over-limit.json")
        self.assertEqual((r["code"], r["attempts"]), ("too_large", 1))

    def test_pagination_over_1000_keys(self):
        env = self.env()
        seen, token, pages = [], "-", 0
        while pages < 10:
            r = run_tool(env, "list", "page/", token)
            self.assertEqual(r["code"], "ok", r)
            seen += r["keys"]
            pages += 1
            if not r["truncated"]:
                self.assertIsNone(r["next_token"])
                break
            self.assertTrue(r["next_token"])
            token = r["next_token"]
        self.assertEqual(pages, 2)
        self.assertEqual(seen, ["page/k%05d.json" % i for i in range(PAGE_KEYS)])

    def test_pagination_small_pages(self):
        env = self.env()
        seen, token = [], "-"
        for _ in range(20):
            r = run_tool(env, "list", "page/", token, "100")
            self.assertLessEqual(len(r["keys"]), 100)
            seen += r["keys"]
            if not r["truncated"]:
                break
            token = r["next_token"]
        self.assertEqual(len(seen), PAGE_KEYS)
        self.assertEqual(len(set(seen)), PAGE_KEYS)

    def test_list_prefixes_that_need_encoding(self):
        env = self.env()
        for key in AWKWARD_KEYS:
            prefix = key[:-len(".json")]
            with self.subTest(prefix=prefix):
                r = run_tool(env, "list", prefix)
                self.assertEqual(r["code"], "ok", r)
                self.assertIn(key, r["keys"])
                self.assertTrue(all(k.startswith(prefix) for k in r["keys"]))

    def test_list_empty(self):
        # (a forged continuation token is tested against the fault server:
        # moto answers it with a 500 where S3 says 400 InvalidArgument)
        r = run_tool(self.env(), "list", "nothing-here/")
        self.assertEqual((r["code"], r["keys"], r["truncated"]),
                         ("ok", [], False))

    def test_many_threads_one_client(self):
        r = run_tool(self.env(), "par", "8", "25", "v1/with space.json")
        self.assertEqual((r["ok"], r["failed"]), (200, 0))


# ---------------------------------------------------------------------------
# Against a scripted fault server
# ---------------------------------------------------------------------------

AKID, SECRET, TOKEN = "AKIDFAULT", "fault/secret+key", "tok/+=en"
NO_ANSWER_S = 10  # the silent server gives up after this (bounded)


class FaultServer(http.server.ThreadingHTTPServer):
    """Answers each request with the next scripted action; records requests.

    Actions: (status, body) | ("hang",) | ("length", claimed, sent) |
    ("chunked", nbytes)."""

    daemon_threads = True

    def __init__(self, script):
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.script = list(script)
        self.requests = []
        self.peers = set()  # (ip, port) of each connection seen
        self.times = []  # time.monotonic() of each request
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self.serve_forever,
                                       kwargs={"poll_interval": 0.05})

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def next_action(self):
        with self.lock:
            return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.shutdown()
        self.server_close()
        self.thread.join(5)


class FaultHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers.items())))
        self.server.peers.add(self.client_address)
        self.server.times.append(time.monotonic())
        try:
            self.act(self.server.next_action())
        except ConnectionError:  # the client gave up on purpose (too large)
            self.close_connection = True

    def act(self, action):
        if action[0] == "hang":
            self.server.stop_event.wait(NO_ANSWER_S)
            return
        if action[0] == "length":
            self.send_response(200)
            self.send_header("Content-Length", str(action[1]))
            self.end_headers()
            self.wfile.write(b"x" * action[2])
            self.wfile.flush()
            self.server.stop_event.wait(0.2)
            self.close_connection = True
            return
        if action[0] == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"y" * 4096
            for _ in range(action[1] // 4096):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            return
        status, body = action
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", '"abc"')
        self.send_header("x-amz-request-id", "REQ%d" % len(self.server.requests))
        self.end_headers()
        self.wfile.write(body)


def error_xml(code):
    return ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code>"
            "<Message>scripted</Message></Error>" % code).encode()


def list_xml(keys, token=None):
    parts = ["<ListBucketResult><IsTruncated>%s</IsTruncated>"
             % ("true" if token else "false")]
    if token:
        parts.append("<NextContinuationToken>%s</NextContinuationToken>" % token)
    parts += ["<Contents><Key>%s</Key></Contents>" % k for k in keys]
    parts.append("</ListBucketResult>")
    return "".join(parts).encode()


def botocore_signature(path_and_query, headers):
    """botocore's signature for a GET as received (raw path and query)."""
    url = "http://%s%s" % (headers["host"], path_and_query)
    sign_headers = {k: v for k, v in headers.items()
                    if k.lower() in ("host", "if-none-match",
                                     "if-modified-since")}
    req = AWSRequest(method="GET", url=url, headers=sign_headers)
    auth = S3SigV4Auth(Credentials(AKID, SECRET, TOKEN), "s3", "us-east-1")
    when = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        auth.add_auth(req)
    return req.headers["Authorization"]


class FaultTest(unittest.TestCase):
    def env(self, server_or_url, **extra):
        url = getattr(server_or_url, "endpoint", server_or_url)
        e = dict(AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID=AKID,
                 AWS_SECRET_ACCESS_KEY=SECRET, AWS_SESSION_TOKEN=TOKEN,
                 S3JSON_MAX_OBJECT_BYTES=str(MAX_BYTES))
        e.update(extra)
        return base_env(**e)

    def test_requests_are_signed_as_sent(self):
        with FaultServer([(200, b"{}")]) as srv:
            self.assertEqual(run_tool(self.env(srv), "get",
                                      "a b/c+d=e&f~g%h/\u00e9.json")["code"], "ok")
            self.assertEqual(run_tool(self.env(srv), "list", "p/a b+",
                                      "tok+/=", "7")["code"], "bad_response")
            run_tool(self.env(srv), "get", "k.json", "--if-none-match",
                     '"etag  value"')
        self.assertEqual(len(srv.requests), 3)
        for path, headers in srv.requests:
            headers = {k.lower(): v for k, v in headers.items()}
            with self.subTest(path=path):
                self.assertEqual(headers["authorization"],
                                 botocore_signature(path, headers))
                self.assertEqual(headers["x-amz-security-token"], TOKEN)
                self.assertEqual(headers["x-amz-content-sha256"],
                                 hashlib.sha256(b"").hexdigest())
        self.assertEqual(srv.requests[0][0], "/%s/a%%20b/c%%2Bd%%3De%%26f~g%%25h/"
                         "%%C3%%A9.json" % BUCKET)
        self.assertEqual(urlsplit(srv.requests[1][0]).query,
                         "continuation-token=tok%2B%2F%3D&encoding-type=url&"
                         "list-type=2&max-keys=7&prefix=p%2Fa%20b%2B")

    def test_503_then_200_is_retried(self):
        with FaultServer([(503, error_xml("SlowDown")), (200, b'{"ok":1}')]) as srv:
            r = run_tool(self.env(srv), "get", "k.json")
        self.assertEqual((r["code"], r["attempts"], r["status"]), ("ok", 2, 200))
        self.assertEqual(r["body"], '{"ok":1}')
        self.assertEqual(len(srv.requests), 2)
        # each attempt is signed afresh
        self.assertTrue(all("authorization" in {k.lower() for k in h}
                            for _, h in srv.requests))

    def test_5xx_until_attempts_run_out(self):
        with FaultServer([(500, error_xml("InternalError"))]) as srv:
            r = run_tool(self.env(srv, S3JSON_S3_MAX_ATTEMPTS="4"), "get", "k")
        self.assertEqual((r["code"], r["attempts"], r["status"]),
                         ("unavailable", 4, 500))
        self.assertEqual(r["error_code"], "InternalError")
        self.assertEqual(len(srv.requests), 4)

    def test_throttling_400_is_retried_other_4xx_not(self):
        with FaultServer([(400, error_xml("RequestTimeout")), (200, b"{}")]) as srv:
            self.assertEqual(run_tool(self.env(srv), "get", "k")["attempts"], 2)
        with FaultServer([(400, error_xml("InvalidArgument"))]) as srv:
            r = run_tool(self.env(srv), "get", "k")
            self.assertEqual((r["code"], r["attempts"]), ("bad_request", 1))
            # S3's answer to a forged continuation token
            r = run_tool(self.env(srv), "list", "p/", "forged+/=")
            self.assertEqual((r["code"], r["attempts"]), ("bad_request", 1))
        with FaultServer([(404, error_xml("NoSuchBucket"))]) as srv:
            r = run_tool(self.env(srv), "get", "k")
        self.assertEqual((r["code"], r["attempts"]), ("bad_request", 1))
        with FaultServer([(400, error_xml("ExpiredToken"))]) as srv:
            self.assertEqual(run_tool(self.env(srv), "get", "k")["code"],
                             "forbidden")

    def test_retries_stay_within_the_budget(self):
        with FaultServer([(503, error_xml("SlowDown"))]) as srv:
            r = run_tool(self.env(srv, S3JSON_S3_MAX_ATTEMPTS="10",
                                  S3JSON_S3_TIMEOUT_MS="1000"), "get", "k")
        # the last attempt either got its 503 or ran into the deadline
        self.assertIn(r["code"], ("unavailable", "timeout"))
        self.assertGreater(r["attempts"], 1)
        self.assertEqual(len(srv.times), r["attempts"])
        # No attempt starts after the budget. Measured where the requests
        # arrive, so a loaded machine (2 CPUs shared with other suites)
        # stalling the tool after its last request does not fail the test.
        self.assertLess(srv.times[-1] - srv.times[0], 1.2)

    def test_no_answer_times_out(self):
        with FaultServer([("hang",)]) as srv:
            t0 = time.monotonic()
            r = run_tool(self.env(srv, S3JSON_S3_TIMEOUT_MS="500"), "get", "k")
            took = time.monotonic() - t0
        self.assertEqual((r["code"], r["attempts"], r["status"]),
                         ("timeout", 1, 0))
        self.assertGreaterEqual(r["elapsed_ms"], 450)
        self.assertLess(took, NO_ANSWER_S - 2)  # did not wait for the server

    def test_refused_connection(self):
        port = free_port()  # a port nobody listens on
        r = run_tool(self.env("http://127.0.0.1:%d" % port), "get", "k")
        self.assertEqual((r["code"], r["status"], r["attempts"]),
                         ("unavailable", 0, 3))
        self.assertTrue(r["detail"])

    def test_too_large_by_content_length_aborts_early(self):
        with FaultServer([("length", 50 * 1024 * 1024, 10)]) as srv:
            r = run_tool(self.env(srv, S3JSON_S3_TIMEOUT_MS="5000"), "get", "k")
        # without the early abort this would be a short body: bad_response
        self.assertEqual((r["code"], r["attempts"]), ("too_large", 1))
        self.assertLess(r["elapsed_ms"], 5000)

    def test_too_large_without_length(self):
        with FaultServer([("chunked", MAX_BYTES * 4)]) as srv:
            r = run_tool(self.env(srv), "get", "k")
        self.assertEqual((r["code"], r["attempts"]), ("too_large", 1))

    def test_cut_off_body(self):
        with FaultServer([("length", 100, 10)]) as srv:
            r = run_tool(self.env(srv, S3JSON_S3_MAX_ATTEMPTS="2"), "get", "k")
        self.assertEqual((r["code"], r["attempts"]), ("bad_response", 2))

    def test_listing_answers(self):
        with FaultServer([(200, list_xml(["a.json", "b c.json"], "T+/="))]) as srv:
            r = run_tool(self.env(srv), "list", "")
        self.assertEqual((r["keys"], r["truncated"], r["next_token"]),
                         (["a.json", "b c.json"], True, "T+/="))
        # keys are asked for URL-encoded (a key XML cannot carry would
        # otherwise break the page); a listing that says so is decoded
        self.assertEqual(srv.requests[0][0], "/%s?encoding-type=url&list-type=2" % BUCKET)
        with FaultServer([(200, list_xml(["a%2Bb%01.json", "b+c.json", "n%00"], None)
                           .replace(b"</ListBucketResult>",
                                    b"<EncodingType>url</EncodingType></ListBucketResult>"))]) as srv:  # fmt: skip
            r = run_tool(self.env(srv), "list", "")
        self.assertEqual(r["keys"], ["a+b\x01.json", "b c.json"])
        for body in [b"garbage", b"<ListBucketResult>", b"",
                     b"<ListBucketResult><IsTruncated>true</IsTruncated>"
                     b"</ListBucketResult>"]:
            with FaultServer([(200, body)]) as srv:
                r = run_tool(self.env(srv), "list", "p/")
            self.assertEqual(r["code"], "bad_response", body)

    def test_error_body_is_diagnostic_only(self):
        with FaultServer([(403, error_xml("AccessDenied"))]) as srv:
            r = run_tool(self.env(srv), "get", "k")
        self.assertEqual((r["code"], r["error_code"], r["error_message"]),
                         ("forbidden", "AccessDenied", "scripted"))
        self.assertEqual(r["request_id"], "REQ1")  # for the logs
        self.assertNotIn("body", r)

    def test_connections_are_reused_per_thread(self):
        with FaultServer([(200, b"{}")]) as srv:
            r = run_tool(self.env(srv), "par", "1", "20", "k")
            self.assertEqual((r["ok"], len(srv.requests)), (20, 20))
            self.assertEqual(len(srv.peers), 1)
            srv.peers.clear()
            r = run_tool(self.env(srv), "par", "4", "10", "k")
            self.assertEqual(r["ok"], 40)
            self.assertLessEqual(len(srv.peers), 4)

    def test_no_credentials(self):
        env = self.env("http://127.0.0.1:9")
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                  "AWS_SESSION_TOKEN"):
            del env[k]
        r = run_tool(env, "get", "k")
        self.assertEqual((r["code"], r["status"]), ("no_credentials", 0))
        # a credentials endpoint that is down: same outcome, no S3 request
        env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/c"
        self.assertEqual(run_tool(env, "get", "k")["code"], "no_credentials")

    def test_bad_arguments_make_no_request(self):
        with FaultServer([(200, b"{}")]) as srv:
            self.assertEqual(run_tool(self.env(srv), "get", "k" * 1025)["code"],
                             "bad_request")
            self.assertEqual(run_tool(self.env(srv), "list", "p", "-", "1001")
                             ["code"], "bad_request")
        self.assertEqual(srv.requests, [])


if __name__ == "__main__":
    unittest.main()
