"""Tests for the strict AWS emulator (tests/emulator).

Run: PYTHONPATH=tests python3 -m unittest -v tests/emulator/test_emu.py
Each test class proves one fix over stock moto 5.2 (see patches.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))

from emulator import emu, sigv4
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore import UNSIGNED
from botocore.exceptions import ClientError

EMU: emu.Emulator | None = None
HTTP_ENDPOINT = ""


def setUpModule() -> None:
    global EMU, HTTP_ENDPOINT
    EMU = emu.Emulator(tls=True)
    EMU.start()
    HTTP_ENDPOINT = EMU.add_listener(tls=False)


def tearDownModule() -> None:
    if EMU is not None:
        EMU.close()
        shutil.rmtree(EMU.state_dir, ignore_errors=True)


def uniq(base: str) -> str:
    return f"{base}-{uuid.uuid4().hex[:10]}"


def error_of(fn, *a, **kw) -> tuple[int, str]:
    try:
        fn(*a, **kw)
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    return 200, "OK"


def raw_s3(
    method: str,
    sent_target: str,
    signed_target: str | None = None,
    creds: dict | None = None,
    body: bytes = b"",
    endpoint: str | None = None,
    drop: tuple[str, ...] = (),
    override: dict | None = None,
    when: dt.datetime | None = None,
) -> tuple[int, bytes]:
    """Sign `signed_target` (path?query, already encoded) with botocore's
    S3SigV4Auth, then send `sent_target` on the wire."""
    endpoint = endpoint or EMU.endpoint
    c = creds or EMU.admin
    req = AWSRequest(method=method, url=endpoint + (signed_target or sent_target), data=body)
    auth = S3SigV4Auth(
        Credentials(c["access_key_id"], c["secret_access_key"], c.get("session_token")),
        "s3",
        EMU.region,
    )
    if when is not None:
        import botocore.auth as ba

        saved = ba.get_current_datetime
        ba.get_current_datetime = lambda: when  # type: ignore[assignment]
        try:
            auth.add_auth(req)
        finally:
            ba.get_current_datetime = saved
    else:
        auth.add_auth(req)
    headers = {k: v for k, v in req.headers.items() if k.lower() not in drop}
    headers.update(override or {})
    host, port = endpoint.split("://")[1].split(":")
    if endpoint.startswith("https"):
        ctx = ssl.create_default_context(cafile=EMU.ca_bundle)
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(host, int(port), context=ctx, timeout=30)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request(method, sent_target, body=body or None, headers=headers)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


class TestLifecycle(unittest.TestCase):
    def test_ready_document(self) -> None:
        d = EMU.ready
        self.assertEqual(d["event"], "ready")
        self.assertTrue(d["endpoint"].startswith("https://127.0.0.1:"))
        self.assertTrue(os.path.exists(d["ca_bundle"]))
        self.assertTrue(d["admin"]["access_key_id"].startswith("AKIA"))

    def test_admin_is_authenticated_admin(self) -> None:
        arn = EMU.client("sts").get_caller_identity()["Arn"]
        self.assertTrue(arn.endswith(":user/" + emu.ADMIN_USER), arn)
        pols = EMU.client("iam").list_attached_user_policies(UserName=emu.ADMIN_USER)
        self.assertIn("AdministratorAccess", [p["PolicyName"] for p in pols["AttachedPolicies"]])

    def test_stop_start_same_port_keeps_state(self) -> None:
        s3 = EMU.client("s3")
        b = uniq("restart")
        s3.create_bucket(Bucket=b)
        s3.put_object(Bucket=b, Key="k", Body=b"v")
        port = EMU.port
        EMU.stop()
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
        EMU.start()
        self.assertEqual(EMU.port, port)
        self.assertEqual(s3.get_object(Bucket=b, Key="k")["Body"].read(), b"v")

    def test_stop_drops_keepalive_connections(self) -> None:
        ctx = ssl.create_default_context(cafile=EMU.ca_bundle)
        conn = http.client.HTTPSConnection("127.0.0.1", EMU.port, context=ctx, timeout=10)
        conn.request("GET", "/")
        conn.getresponse().read()
        EMU.stop()
        try:
            with self.assertRaises((OSError, http.client.HTTPException)):
                conn.request("GET", "/")
                conn.getresponse().read()
        finally:
            conn.close()
            EMU.start()

    def test_keep_alive(self) -> None:
        s3 = EMU.client("s3")
        b = uniq("keepalive")
        s3.create_bucket(Bucket=b)
        ctx = ssl.create_default_context(cafile=EMU.ca_bundle)
        conn = http.client.HTTPSConnection("127.0.0.1", EMU.port, context=ctx, timeout=10)
        try:
            sock = None
            for method, target, body, want in [
                ("PUT", f"/{b}/k", b"x" * 70000, 200),
                ("HEAD", f"/{b}/k", b"", 200),
                ("GET", f"/{b}/k", b"", 200),
                ("HEAD", f"/{b}/missing", b"", 404),
                ("GET", f"/{b}?list-type=2&prefix=k", b"", 200),
                ("GET", f"/{b}/missing", b"", 404),
                ("GET", "/", b"", 200),
            ]:
                req = AWSRequest(method=method, url=EMU.endpoint + target, data=body)
                S3SigV4Auth(Credentials(EMU.admin["access_key_id"], EMU.admin["secret_access_key"]), "s3", EMU.region).add_auth(req)
                conn.request(method, target, body=body or None, headers=dict(req.headers))
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, want, (method, target))
                self.assertNotEqual((r.getheader("Connection") or "").lower(), "close")
                sock = sock or conn.sock
                self.assertIs(conn.sock, sock, "connection was not kept alive")
        finally:
            conn.close()

    def test_reset_auth_refused_and_reset_keeps_admin(self) -> None:
        import urllib.request

        req = urllib.request.Request(HTTP_ENDPOINT + "/moto-api/reset-auth", data=b"1000", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 403)

    def test_subprocess_cli(self) -> None:
        d = tempfile.mkdtemp(prefix="emu-cli-")
        try:
            e = emu.Emulator(subprocess=True, state_dir=d)
            e.start()
            try:
                with open(os.path.join(d, "ready.json")) as f:
                    doc = json.load(f)
                self.assertEqual(doc["endpoint"], e.endpoint)
                self.assertEqual(doc["admin"], e.admin)
                self.assertIsNone(doc["ca_bundle"])
                s3 = e.client("s3")
                s3.create_bucket(Bucket="cli-bucket")
                s3.put_object(Bucket="cli-bucket", Key="dir/a+b.json", Body=b"{}")
                port = e.port
                e.stop()  # SIGUSR1: down, state kept
                with self.assertRaises(OSError):
                    socket.create_connection(("127.0.0.1", port), timeout=2).close()
                e.start()  # SIGUSR2
                self.assertEqual(e.port, port)
                keys = [o["Key"] for o in s3.list_objects_v2(Bucket="cli-bucket", Prefix="dir/")["Contents"]]
                self.assertEqual(keys, ["dir/a+b.json"])
                self.assertEqual(error_of(e.client("s3", creds={**e.admin, "secret_access_key": "x" * 40}).list_buckets)[0], 403)
                admin = dict(e.admin)
                proc = e._proc
            finally:
                e.close()
            self.assertEqual(proc.returncode, 0)
            self.assertFalse(os.path.exists(os.path.join(d, "ready.json")))
            # a restart with the same state dir keeps the admin keys
            e2 = emu.Emulator(subprocess=True, state_dir=d)
            e2.start()
            try:
                self.assertEqual(e2.admin, admin)
                e2.client("sts").get_caller_identity()
                e2.client("s3").create_bucket(Bucket="before-reset")
                # /moto-api/reset wipes the state but keeps the admin and its keys
                import urllib.request

                req = urllib.request.Request(e2.endpoint + "/moto-api/reset", data=b"", method="POST")
                self.assertEqual(urllib.request.urlopen(req, timeout=30).status, 200)
                self.assertEqual(e2.client("s3").list_buckets()["Buckets"], [])
                self.assertTrue(e2.client("sts").get_caller_identity()["Arn"].endswith(":user/" + emu.ADMIN_USER))
            finally:
                e2.close()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_cli_prints_exactly_one_line(self) -> None:
        d = tempfile.mkdtemp(prefix="emu-cli-")
        p = subprocess.Popen(
            [sys.executable, "-m", "emulator.emu", "--port", "0", "--state-dir", d],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            doc = emu._read_ready_line(p, 90, "-")
            with open(os.path.join(d, "ready.json")) as f:
                self.assertEqual(json.loads(f.read()), doc)
            e = emu.Emulator(port=doc["port"])
            e.admin = doc["admin"]
            e.client("s3").list_buckets()  # moto would print to stdout here if it could
            p.send_signal(signal.SIGINT)
            out, _ = p.communicate(timeout=20)
            self.assertEqual(p.returncode, 0)
            self.assertEqual(out.strip(), b"")  # nothing after the ready line
        finally:
            if p.poll() is None:
                p.kill()
                p.wait(10)
            shutil.rmtree(d, ignore_errors=True)

    def test_emulator_sh(self) -> None:
        d = tempfile.mkdtemp(prefix="emu-sh-")
        sh = os.path.join(HERE, "emulator.sh")
        try:
            r = subprocess.run([sh, "start", d, "--tls"], capture_output=True, text=True, timeout=120)
            self.assertEqual(r.returncode, 0, r.stderr)
            doc = json.loads(r.stdout)
            env = subprocess.run([sh, "env", d], capture_output=True, text=True, timeout=30).stdout
            self.assertIn(f"export AWS_ENDPOINT_URL={doc['endpoint']}", env)
            self.assertIn("export AWS_CA_BUNDLE=", env)
            script = f'eval "$({sh} env {d})"; python3 -c "import boto3; print(boto3.client(\'sts\').get_caller_identity()[\'Arn\'])"'
            r2 = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60)
            self.assertIn(":user/" + emu.ADMIN_USER, r2.stdout, r2.stderr)
            self.assertEqual(subprocess.run([sh, "pause", d], timeout=30).returncode, 0)
            self.assertEqual(subprocess.run([sh, "resume", d], timeout=30).returncode, 0)
            self.assertEqual(subprocess.run([sh, "stop", d], timeout=30).returncode, 0)
            self.assertFalse(os.path.exists(os.path.join(d, "emu.pid")))
            with self.assertRaises(OSError):
                socket.create_connection(("127.0.0.1", doc["port"]), timeout=2).close()
        finally:
            subprocess.run([sh, "stop", d], timeout=30)
            shutil.rmtree(d, ignore_errors=True)


class TestSigV4RawEncoding(unittest.TestCase):
    """moto bug: signature recomputed over a decoded URL."""

    KEYS = [
        "a+b.json",
        "dir/x.json",
        "dir/sub/y.json",
        "ünïcødé/ключ.json",
        "sp ace.json",
        "q?x=1&y=2.json",
        "tilde~/semi;colon=eq,comma.json",
        "pct%41.json",
        "star*paren().json",
    ]

    @classmethod
    def setUpClass(cls) -> None:
        cls.bucket = uniq("sigv4")
        cls.s3 = EMU.client("s3")
        cls.s3.create_bucket(Bucket=cls.bucket)
        for k in cls.KEYS:
            cls.s3.put_object(Bucket=cls.bucket, Key=k, Body=k.encode())

    def test_get_head_every_key(self) -> None:
        for k in self.KEYS:
            with self.subTest(key=k):
                self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read(), k.encode())
                self.s3.head_object(Bucket=self.bucket, Key=k)

    def test_list_with_encoded_prefixes(self) -> None:
        for prefix, want in [
            ("dir/", ["dir/sub/y.json", "dir/x.json"]),
            ("a+", ["a+b.json"]),
            ("ünïcødé/", ["ünïcødé/ключ.json"]),
            ("q?x=1&", ["q?x=1&y=2.json"]),
            ("sp ", ["sp ace.json"]),
        ]:
            with self.subTest(prefix=prefix):
                got = self.s3.list_objects_v2(Bucket=self.bucket, Prefix=prefix).get("Contents", [])
                self.assertEqual(sorted(o["Key"] for o in got), want)
        r = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="dir/", Delimiter="/")
        self.assertEqual([p["Prefix"] for p in r["CommonPrefixes"]], ["dir/sub/"])

    def test_pagination_start_after_and_tokens(self) -> None:
        keys, token = [], None
        for _ in range(20):
            kw = {"Bucket": self.bucket, "MaxKeys": 2, "StartAfter": "a+b.json"}
            if token:
                kw["ContinuationToken"] = token
            r = self.s3.list_objects_v2(**kw)
            keys += [o["Key"] for o in r.get("Contents", [])]
            token = r.get("NextContinuationToken")
            if token:  # like real S3's, our tokens need query encoding
                self.assertTrue(set("+/=") <= set(token), token)
            if not token:
                break
        self.assertEqual(keys, sorted(k for k in self.KEYS if k > "a+b.json"))

    def test_list_encoding_type_url(self) -> None:
        """With encoding-type=url every field AWS encodes comes encoded
        (boto3 decodes only when it set EncodingType itself, so these are
        the raw values); the continuation token does not."""
        r = self.s3.list_objects_v2(Bucket=self.bucket, EncodingType="url", StartAfter="sp ac",
                                    Delimiter="+", Prefix="sp ", MaxKeys=1000)  # fmt: skip
        self.assertEqual(r["EncodingType"], "url")
        self.assertEqual(r["StartAfter"], "sp%20ac")
        self.assertEqual(r["Delimiter"], "%2B")
        self.assertEqual(r["Prefix"], "sp%20")
        self.assertEqual([o["Key"] for o in r["Contents"]], ["sp%20ace.json"])
        r = self.s3.list_objects_v2(Bucket=self.bucket, EncodingType="url", MaxKeys=1)
        self.assertEqual(r["Contents"][0]["Key"], "a%2Bb.json")
        self.assertIn("+", r["NextContinuationToken"])  # never encoded
        # Without it, nothing is encoded (boto3 asks itself and decodes).
        r = self.s3.list_objects_v2(Bucket=self.bucket, StartAfter="sp ac", Delimiter="+")
        self.assertEqual((r["StartAfter"], r["Delimiter"]), ("sp ac", "+"))

    def test_continuation_token_encoding(self) -> None:
        r = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=1)
        token = r["NextContinuationToken"]
        from urllib.parse import quote

        st, body = raw_s3("GET", f"/{self.bucket}?list-type=2&max-keys=1&continuation-token={quote(token, safe='')}")
        self.assertEqual(st, 200, body)
        # signed over a canonical query that leaves + / = bare: rejected
        st, body = raw_s3(
            "GET",
            f"/{self.bucket}?list-type=2&max-keys=1&continuation-token={quote(token, safe='')}",
            signed_target=f"/{self.bucket}?list-type=2&max-keys=1&continuation-token={token}",
        )
        self.assertEqual(st, 403, body)
        self.assertEqual(error_of(self.s3.list_objects_v2, Bucket=self.bucket, ContinuationToken="1bogus+/=="), (400, "InvalidArgument"))

    def test_raw_request_as_signed(self) -> None:
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json")
        self.assertEqual((st, body), (200, b"a+b.json"))
        st, body = raw_s3("GET", f"/{self.bucket}?list-type=2&prefix=dir%2F")
        self.assertEqual(st, 200, body)
        self.assertIn(b"<Key>dir/x.json</Key>", body)

    def test_path_signed_one_way_sent_another_is_rejected(self) -> None:
        # '+' and '%2B' are different canonical URIs for S3
        st, body = raw_s3("GET", f"/{self.bucket}/a+b.json", signed_target=f"/{self.bucket}/a%2Bb.json")
        self.assertEqual(st, 403, body)
        self.assertIn(b"SignatureDoesNotMatch", body)
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json", signed_target=f"/{self.bucket}/a+b.json")
        self.assertEqual(st, 403, body)
        st, body = raw_s3(
            "GET", f"/{self.bucket}/dir%2Fx.json", signed_target=f"/{self.bucket}/dir/x.json"
        )
        self.assertEqual(st, 403, body)

    def test_query_signed_unencoded_is_rejected(self) -> None:
        # A client that puts `prefix=dir/` into its canonical query (not the
        # AWS encoding) computes a different signature: AWS rejects it.
        st, body = raw_s3(
            "GET",
            f"/{self.bucket}?list-type=2&prefix=dir%2F",
            signed_target=f"/{self.bucket}?list-type=2&prefix=dir/",
        )
        self.assertEqual(st, 403, body)
        self.assertIn(b"SignatureDoesNotMatch", body)
        # The query is re-encoded the AWS way: an unencoded '/' on the wire
        # with a correct (encoded) canonical query is accepted, as by AWS.
        st, body = raw_s3(
            "GET",
            f"/{self.bucket}?list-type=2&prefix=dir/",
            signed_target=f"/{self.bucket}?list-type=2&prefix=dir%2F",
        )
        self.assertEqual(st, 200, body)
        # '+' in a query is a literal plus (%2B), never a space
        st, body = raw_s3(
            "GET",
            f"/{self.bucket}?list-type=2&prefix=a%2B",
            signed_target=f"/{self.bucket}?list-type=2&prefix=a%20",
        )
        self.assertEqual(st, 403, body)

    def test_wrong_secret_is_rejected(self) -> None:
        bad = {**EMU.admin, "secret_access_key": "A" * 40}
        self.assertEqual(error_of(EMU.client("s3", creds=bad).list_objects_v2, Bucket=self.bucket), (403, "SignatureDoesNotMatch"))
        self.assertEqual(error_of(EMU.client("s3", creds=bad).get_object, Bucket=self.bucket, Key="a+b.json")[0], 403)
        self.assertEqual(error_of(EMU.client("iam", creds=bad).list_users), (403, "SignatureDoesNotMatch"))
        self.assertEqual(error_of(EMU.client("sts", creds=bad).get_caller_identity), (403, "SignatureDoesNotMatch"))

    def test_unknown_key_is_rejected(self) -> None:
        bad = {"access_key_id": "AKIAIOSFODNN7EXAMPLE", "secret_access_key": "x" * 40}
        self.assertEqual(error_of(EMU.client("s3", creds=bad).list_buckets), (403, "InvalidAccessKeyId"))

    def test_tampered_or_missing_signed_header(self) -> None:
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json", override={"X-Amz-Date": "20200101T000000Z"})
        self.assertEqual(st, 403, body)
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json", drop=("x-amz-date",))
        self.assertEqual(st, 403, body)
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json", override={"Host": f"localhost:{EMU.port}"})
        self.assertEqual(st, 403, body)
        self.assertIn(b"SignatureDoesNotMatch", body)

    def test_content_sha256_required_and_verified(self) -> None:
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json", drop=("x-amz-content-sha256",))
        self.assertEqual(st, 400, body)
        self.assertIn(b"<Code>InvalidRequest</Code>", body)
        self.assertIn(b"x-amz-content-sha256", body)
        # a body that does not match the signed hash
        st, body = raw_s3(
            "PUT", f"/{self.bucket}/tampered.json", body=b"good",
            override={"X-Amz-Content-SHA256": hashlib.sha256(b"evil").hexdigest()},
        )  # fmt: skip
        self.assertEqual(st, 400, body)
        self.assertIn(b"<Code>XAmzContentSHA256Mismatch</Code>", body)

    def test_request_time_too_skewed(self) -> None:
        old = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=20)
        st, body = raw_s3("GET", f"/{self.bucket}/a%2Bb.json", when=old)
        self.assertEqual(st, 403, body)
        self.assertIn(b"<Code>RequestTimeTooSkewed</Code>", body)
        self.assertTrue(body.startswith(b"<?xml"), body)

    def test_anonymous_is_denied(self) -> None:
        for target in (f"/{self.bucket}/a%2Bb.json", f"/{self.bucket}?list-type=2", "/"):
            with self.subTest(target=target):
                ctx = ssl.create_default_context(cafile=EMU.ca_bundle)
                c = http.client.HTTPSConnection("127.0.0.1", EMU.port, context=ctx, timeout=10)
                c.request("GET", target)
                r = c.getresponse()
                r.read()
                c.close()
                self.assertEqual(r.status, 403)

    def test_sigv4_module_matches_botocore(self) -> None:
        # the canonical query of botocore's own (already encoded) URLs is stable
        for q in ["list-type=2&prefix=dir%2F", "a=1&A=2&b=%E2%9C%93", "acl", "x=a%20b&x=a%2Bb"]:
            req = AWSRequest(method="GET", url="https://h/b?" + q)
            self.assertEqual(sigv4.canonical_query(q), S3SigV4Auth(None, "s3", "us-east-1").canonical_query_string(req))
        self.assertEqual(sigv4.canonical_query("prefix=dir/&b=a+b"), "b=a%2Bb&prefix=dir%2F")
        # non-S3 services: normalised and URI-encoded once more, as botocore does
        from botocore.auth import SigV4Auth

        for path in ["/2015-03-31/functions/my%2Bfn/invocations", "/a/b%20c/../d", "/x/%E2%9C%93/", "/"]:
            want = SigV4Auth(Credentials("a", "b"), "lambda", "us-east-1").canonical_request(
                AWSRequest(method="GET", url="https://h" + path)
            ).split("\n")[1]
            self.assertEqual(sigv4.canonical_uri(path, "lambda"), want, path)
            self.assertEqual(sigv4.canonical_uri(path, "s3"), path)  # S3: as sent

    def test_chunked_request_body(self) -> None:
        bucket = uniq("chunked")
        self.s3.create_bucket(Bucket=bucket)
        # signed over the body's sha256, sent with Transfer-Encoding: chunked
        req = AWSRequest(method="PUT", url=f"{EMU.endpoint}/{bucket}/chunked.json", data=b'{"a":1}')
        S3SigV4Auth(Credentials(EMU.admin["access_key_id"], EMU.admin["secret_access_key"]), "s3", EMU.region).add_auth(req)
        ctx = ssl.create_default_context(cafile=EMU.ca_bundle)
        c = http.client.HTTPSConnection("127.0.0.1", EMU.port, context=ctx, timeout=10)
        try:
            c.request("PUT", f"/{bucket}/chunked.json", body=iter([b'{"a":', b"1}"]),
                      headers={**dict(req.headers), "Transfer-Encoding": "chunked"}, encode_chunked=True)  # fmt: skip
            r = c.getresponse()
            self.assertEqual(r.status, 200, r.read())
            r.read()
        finally:
            c.close()
        self.assertEqual(self.s3.get_object(Bucket=bucket, Key="chunked.json")["Body"].read(), b'{"a":1}')


class TestSessionTokens(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.bucket = uniq("sts")
        s3 = EMU.client("s3")
        s3.create_bucket(Bucket=cls.bucket)
        s3.put_object(Bucket=cls.bucket, Key="v1/a+b.json", Body=b"{}")
        cls.creds = EMU.assume_restricted_role(cls.bucket, "v1/")

    def test_temporary_credentials_work(self) -> None:
        self.assertTrue(self.creds["access_key_id"].startswith("ASIA"))
        s3 = EMU.client("s3", creds=self.creds)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="v1/a+b.json")["Body"].read(), b"{}")
        st, body = raw_s3("GET", f"/{self.bucket}/v1/a%2Bb.json", creds=self.creds)
        self.assertEqual(st, 200, body)

    def test_missing_session_token_is_rejected(self) -> None:
        c = {k: v for k, v in self.creds.items() if k != "session_token"}
        st, code = error_of(EMU.client("s3", creds=c).get_object, Bucket=self.bucket, Key="v1/a+b.json")
        self.assertEqual(st, 403, code)

    def test_wrong_session_token_is_rejected(self) -> None:
        c = {**self.creds, "session_token": self.creds["session_token"][:-4] + "AAAA"}
        st, code = error_of(EMU.client("s3", creds=c).list_objects_v2, Bucket=self.bucket)
        self.assertIn(st, (400, 403))
        self.assertEqual(code, "InvalidToken")

    def test_expired_session_is_rejected(self) -> None:
        c = EMU.assume_restricted_role(self.bucket, "v1/")
        s3 = EMU.client("s3", creds=c)
        s3.get_object(Bucket=self.bucket, Key="v1/a+b.json")
        EMU.expire_session(c["access_key_id"])
        self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v1/a+b.json"), (400, "ExpiredToken"))
        self.assertEqual(error_of(EMU.client("sts", creds=c).get_caller_identity), (403, "ExpiredToken"))

    def test_session_token_with_long_term_key_is_rejected(self) -> None:
        c = {**EMU.admin, "session_token": self.creds["session_token"]}
        st, code = error_of(EMU.client("s3", creds=c).list_buckets)
        self.assertIn(st, (400, 403))
        self.assertEqual(code, "InvalidToken")


class TestRestrictedUser(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.bucket = uniq("restricted")
        s3 = EMU.client("s3")
        s3.create_bucket(Bucket=cls.bucket)
        for k in ["v1/a.json", "v1/sub/b+c.json", "v2/x.json", "v1"]:
            s3.put_object(Bucket=cls.bucket, Key=k, Body=b"{}")
        cls.other = uniq("other")
        s3.create_bucket(Bucket=cls.other)
        s3.put_object(Bucket=cls.other, Key="v1/a.json", Body=b"{}")
        cls.user = EMU.create_restricted_user(cls.bucket, "v1/")
        cls.role = EMU.assume_restricted_role(cls.bucket, "v1/")

    def check(self, creds: dict) -> None:
        s3 = EMU.client("s3", creds=creds)
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="v1/a.json")["Body"].read(), b"{}")
        self.assertEqual(s3.get_object(Bucket=self.bucket, Key="v1/sub/b+c.json")["Body"].read(), b"{}")
        s3.head_object(Bucket=self.bucket, Key="v1/a.json")
        s3.head_bucket(Bucket=self.bucket)  # s3:ListBucket, as on AWS
        self.assertEqual(error_of(s3.head_bucket, Bucket=self.other)[0], 403)
        self.assertEqual(error_of(s3.list_objects, Bucket=self.other)[0], 403)
        s3.list_objects(Bucket=self.bucket, Prefix="v1/")
        r = s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "v1/a.json"}]})  # 200 + per-key errors
        self.assertEqual([(e["Key"], e["Code"]) for e in r["Errors"]], [("v1/a.json", "AccessDenied")])
        self.assertEqual(r.get("Deleted", []), [])
        self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v2/x.json"), (403, "AccessDenied"))
        self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v1"), (403, "AccessDenied"))
        self.assertEqual(error_of(s3.get_object, Bucket=self.other, Key="v1/a.json"), (403, "AccessDenied"))
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=self.bucket, Prefix="v1/")["Contents"]]
        self.assertEqual(keys, ["v1/a.json", "v1/sub/b+c.json"])
        self.assertEqual(error_of(s3.list_objects_v2, Bucket=self.other)[0], 403)
        self.assertEqual(error_of(s3.put_object, Bucket=self.bucket, Key="v1/new.json", Body=b"x")[0], 403)
        self.assertEqual(error_of(s3.delete_object, Bucket=self.bucket, Key="v1/a.json")[0], 403)
        self.assertEqual(error_of(s3.list_buckets)[0], 403)
        self.assertEqual(error_of(EMU.client("iam", creds=creds).list_users)[0], 403)

    def test_restricted_user(self) -> None:
        self.assertTrue(self.user["access_key_id"].startswith("AKIA"))
        self.check(self.user)

    def test_restricted_role(self) -> None:
        self.check(self.role)



class TestConditionOperators(unittest.TestCase):
    """moto bug: only StringEquals is evaluated; iam_policy implements the rest."""

    CTX = {
        "aws:securetransport": ["false"],
        "aws:sourceip": ["127.0.0.1"],
        "aws:username": ["alice"],
        "aws:currenttime": ["2026-06-01T12:00:00Z"],
        "aws:epochtime": ["1780315200"],
        "s3:prefix": ["v1/data/"],
        "s3:max-keys": ["100"],
        "aws:principalarn": ["arn:aws:iam::123456789012:user/alice"],
        "aws:tagkeys": ["env", "team"],
    }

    def ev(self, op: str, key: str, value) -> bool:
        from emulator import iam_policy

        return iam_policy.evaluate_condition(op, key, value, self.CTX)

    def test_string(self) -> None:
        self.assertTrue(self.ev("StringEquals", "aws:username", "alice"))
        self.assertTrue(self.ev("StringEquals", "aws:UserName", ["bob", "alice"]))  # keys: any case
        self.assertFalse(self.ev("StringEquals", "aws:username", "Alice"))
        self.assertTrue(self.ev("StringNotEquals", "aws:username", ["bob", "carol"]))
        self.assertFalse(self.ev("StringNotEquals", "aws:username", ["bob", "alice"]))  # NOR
        self.assertTrue(self.ev("StringEqualsIgnoreCase", "aws:username", "ALICE"))
        self.assertFalse(self.ev("StringNotEqualsIgnoreCase", "aws:username", "ALICE"))
        self.assertTrue(self.ev("StringLike", "s3:prefix", "v1/*"))
        self.assertTrue(self.ev("StringLike", "s3:prefix", "v?/data/"))
        self.assertFalse(self.ev("StringLike", "s3:prefix", "v2/*"))
        self.assertFalse(self.ev("StringLike", "s3:prefix", "v1/"))  # whole-string match
        self.assertTrue(self.ev("StringNotLike", "s3:prefix", ["v2/*", "v3/*"]))
        self.assertFalse(self.ev("StringNotLike", "s3:prefix", ["v2/*", "v1/*"]))
        self.assertTrue(self.ev("StringLike", "s3:prefix", "v1/${aws:username,'x'}*") is False)
        self.assertTrue(self.ev("StringLike", "aws:principalarn", "arn:aws:iam::*:user/${aws:username}"))
        self.assertFalse(self.ev("StringLike", "s3:prefix", "v1/data/${*}"))  # ${*} is a literal '*'
        self.assertTrue(self.ev("StringLike", "s3:prefix", "v1/dat${?}/") is False)
        from emulator import iam_policy

        self.assertTrue(iam_policy.evaluate_condition("StringLike", "k", "a${*}b", {"k": ["a*b"]}))
        self.assertTrue(iam_policy.evaluate_condition("StringEquals", "k", "a${*}b", {"k": ["a*b"]}))

    def test_missing_keys(self) -> None:
        self.assertFalse(self.ev("StringEquals", "aws:referer", "x"))
        self.assertFalse(self.ev("StringLike", "aws:referer", "*"))
        self.assertTrue(self.ev("StringNotEquals", "aws:referer", "x"))  # negated: true when absent
        self.assertTrue(self.ev("StringNotLike", "aws:referer", "x"))
        self.assertTrue(self.ev("StringEqualsIfExists", "aws:referer", "x"))
        self.assertFalse(self.ev("StringEqualsIfExists", "aws:username", "bob"))
        self.assertTrue(self.ev("BoolIfExists", "aws:multifactorauthpresent", "true"))
        self.assertTrue(self.ev("Null", "aws:referer", "true"))
        self.assertFalse(self.ev("Null", "aws:referer", "false"))
        self.assertTrue(self.ev("Null", "aws:username", "false"))
        self.assertFalse(self.ev("Null", "aws:username", True))

    def test_bool(self) -> None:
        self.assertTrue(self.ev("Bool", "aws:SecureTransport", "false"))
        self.assertTrue(self.ev("Bool", "aws:SecureTransport", False))
        self.assertFalse(self.ev("Bool", "aws:SecureTransport", "true"))
        self.assertFalse(self.ev("Bool", "aws:MultiFactorAuthPresent", "false"))  # absent

    def test_numeric(self) -> None:
        self.assertTrue(self.ev("NumericEquals", "s3:max-keys", "100"))
        self.assertTrue(self.ev("NumericLessThanEquals", "s3:max-keys", 100))
        self.assertFalse(self.ev("NumericLessThan", "s3:max-keys", "100"))
        self.assertTrue(self.ev("NumericGreaterThan", "s3:max-keys", "99.5"))
        self.assertTrue(self.ev("NumericGreaterThanEquals", "s3:max-keys", "100"))
        self.assertTrue(self.ev("NumericNotEquals", "s3:max-keys", ["1", "2"]))
        self.assertFalse(self.ev("NumericEquals", "s3:max-keys", "abc"))

    def test_date(self) -> None:
        self.assertTrue(self.ev("DateGreaterThan", "aws:CurrentTime", "2026-01-01T00:00:00Z"))
        self.assertFalse(self.ev("DateLessThan", "aws:CurrentTime", "2026-01-01T00:00:00Z"))
        self.assertTrue(self.ev("DateLessThanEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z"))
        self.assertTrue(self.ev("DateEquals", "aws:CurrentTime", "1780315200"))  # epoch form
        self.assertTrue(self.ev("DateGreaterThanEquals", "aws:EpochTime", "2026-06-01T12:00:00+00:00"))
        self.assertTrue(self.ev("DateNotEquals", "aws:CurrentTime", "2020-01-01"))

    def test_ip(self) -> None:
        self.assertTrue(self.ev("IpAddress", "aws:SourceIp", "127.0.0.0/8"))
        self.assertTrue(self.ev("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "127.0.0.1/32"]))
        self.assertFalse(self.ev("IpAddress", "aws:SourceIp", "10.0.0.0/8"))
        self.assertTrue(self.ev("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"))
        self.assertFalse(self.ev("NotIpAddress", "aws:SourceIp", "127.0.0.1"))
        self.assertFalse(self.ev("IpAddress", "aws:SourceIp", "::1/128"))

    def test_arn(self) -> None:
        self.assertTrue(self.ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:user/*"))
        self.assertTrue(self.ev("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::123456789012:user/alice"))
        self.assertFalse(self.ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*"))
        self.assertTrue(self.ev("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*"))
        self.assertFalse(self.ev("ArnLike", "aws:PrincipalArn", "arn:aws:iam"))

    def test_set_operators(self) -> None:
        self.assertTrue(self.ev("ForAnyValue:StringEquals", "aws:TagKeys", ["team", "x"]))
        self.assertFalse(self.ev("ForAnyValue:StringEquals", "aws:TagKeys", ["x"]))
        self.assertTrue(self.ev("ForAllValues:StringEquals", "aws:TagKeys", ["env", "team", "x"]))
        self.assertFalse(self.ev("ForAllValues:StringEquals", "aws:TagKeys", ["env"]))
        self.assertTrue(self.ev("ForAllValues:StringLike", "aws:TagKeys", ["*"]))
        self.assertTrue(self.ev("ForAllValues:StringEquals", "aws:absentkey", ["x"]))  # vacuous
        self.assertFalse(self.ev("ForAnyValue:StringEquals", "aws:absentkey", ["x"]))
        self.assertTrue(self.ev("ForAnyValue:StringNotEquals", "aws:TagKeys", ["env"]))
        self.assertFalse(self.ev("ForAllValues:StringNotEquals", "aws:TagKeys", ["env"]))

    def test_statements(self) -> None:
        from emulator import iam_policy as ip

        ctx = dict(self.CTX)
        st = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/a+b.json",
              "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}  # fmt: skip
        self.assertIsNone(ip.evaluate_statement(st, "s3:GetObject", "arn:aws:s3:::b/a+b.json", None, ctx, True))
        st["Condition"] = {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}
        self.assertEqual(ip.evaluate_statement(st, "S3:getobject", "arn:aws:s3:::b/a+b.json", None, ctx, True), "Allow")
        self.assertIsNone(ip.evaluate_statement(st, "s3:GetObject", "arn:aws:s3:::b/aab.json", None, ctx, True))
        nr = {"Effect": "Deny", "Action": "s3:*", "NotResource": "arn:aws:s3:::b/public/*"}
        self.assertEqual(ip.evaluate_statement(nr, "s3:GetObject", "arn:aws:s3:::b/x", None, ctx, True), "Deny")
        self.assertIsNone(ip.evaluate_statement(nr, "s3:GetObject", "arn:aws:s3:::b/public/x", None, ctx, True))
        na = {"Effect": "Deny", "NotAction": ["s3:Get*", "s3:List*"], "Resource": "*"}
        self.assertIsNone(ip.evaluate_statement(na, "s3:GetObject", "x", None, ctx, True))
        self.assertEqual(ip.evaluate_statement(na, "s3:PutObject", "x", None, ctx, True), "Deny")
        unknown = {"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringFancy": {"a": "b"}}}
        self.assertIsNone(ip.evaluate_statement(unknown, "s3:GetObject", "x", None, ctx, True))
        var = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/home/${aws:username}/*"}
        self.assertEqual(ip.evaluate_statement(var, "s3:GetObject", "arn:aws:s3:::b/home/alice/x", None, ctx, True), "Allow")
        self.assertIsNone(ip.evaluate_statement(var, "s3:GetObject", "arn:aws:s3:::b/home/bob/x", None, ctx, True))

    def test_principals(self) -> None:
        from emulator import iam_policy as ip

        user = "arn:aws:iam::123456789012:user/alice"
        sess = "arn:aws:sts::123456789012:assumed-role/reader/s1"
        self.assertTrue(ip.principal_matches("*", None))
        self.assertTrue(ip.principal_matches({"AWS": "*"}, user))
        self.assertTrue(ip.principal_matches({"AWS": "arn:aws:iam::123456789012:root"}, user))
        self.assertTrue(ip.principal_matches({"AWS": "123456789012"}, sess))
        self.assertFalse(ip.principal_matches({"AWS": "arn:aws:iam::111111111111:root"}, user))
        self.assertTrue(ip.principal_matches({"AWS": [user]}, user))
        self.assertFalse(ip.principal_matches({"AWS": "arn:aws:iam::123456789012:user/ali"}, user))
        self.assertTrue(ip.principal_matches({"AWS": "arn:aws:iam::123456789012:role/reader"}, sess))
        self.assertFalse(ip.principal_matches({"Service": "ecs-tasks.amazonaws.com"}, user))
        self.assertFalse(ip.principal_matches({"AWS": "arn:aws:iam::123456789012:root"}, None))


def put_user_policy(statements: list) -> dict:
    iam = EMU.client("iam")
    name = uniq("cond")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}))  # fmt: skip
    k = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key_id": k["AccessKeyId"], "secret_access_key": k["SecretAccessKey"]}


class TestSecureTransportAndConditions(unittest.TestCase):
    """Conditions evaluated on real requests: aws:SecureTransport from the scheme."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.bucket = uniq("tls-only")
        s3 = EMU.client("s3")
        s3.create_bucket(Bucket=cls.bucket)
        for k in ["v1/a.json", "v2/b.json"]:
            s3.put_object(Bucket=cls.bucket, Key=k, Body=b"{}")
        s3.put_bucket_policy(Bucket=cls.bucket, Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{cls.bucket}", f"arn:aws:s3:::{cls.bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        }))  # fmt: skip
        cls.reader = EMU.create_restricted_user(cls.bucket, "v1/")

    def test_https_allowed(self) -> None:
        for creds in (EMU.admin, self.reader):
            s3 = EMU.client("s3", creds=creds)
            self.assertEqual(s3.get_object(Bucket=self.bucket, Key="v1/a.json")["Body"].read(), b"{}")
            s3.head_object(Bucket=self.bucket, Key="v1/a.json")
            s3.list_objects_v2(Bucket=self.bucket, Prefix="v1/")
        EMU.client("s3").put_object(Bucket=self.bucket, Key="v1/new.json", Body=b"1")
        EMU.client("s3").get_bucket_policy(Bucket=self.bucket)

    def test_http_denied(self) -> None:
        for creds in (EMU.admin, self.reader):
            s3 = EMU.client("s3", creds=creds, endpoint=HTTP_ENDPOINT)
            self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v1/a.json"), (403, "AccessDenied"))
            self.assertEqual(error_of(s3.head_object, Bucket=self.bucket, Key="v1/a.json")[0], 403)
            self.assertEqual(error_of(s3.list_objects_v2, Bucket=self.bucket, Prefix="v1/"), (403, "AccessDenied"))
        s3 = EMU.client("s3", endpoint=HTTP_ENDPOINT)
        self.assertEqual(error_of(s3.put_object, Bucket=self.bucket, Key="v1/x", Body=b"1")[0], 403)
        # other buckets are still reachable over http
        s3.list_buckets()

    def test_s3_prefix_condition(self) -> None:
        creds = put_user_policy([{
            "Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{self.bucket}",
            "Condition": {"StringLike": {"s3:prefix": ["v1/*"]}},
        }])  # fmt: skip
        s3 = EMU.client("s3", creds=creds)
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket=self.bucket, Prefix="v1/a")["Contents"]], ["v1/a.json"])
        self.assertEqual(error_of(s3.list_objects_v2, Bucket=self.bucket, Prefix="v2/")[0], 403)
        self.assertEqual(error_of(s3.list_objects_v2, Bucket=self.bucket)[0], 403)  # no prefix: key absent

    def test_allow_with_unmatched_condition_is_not_a_deny(self) -> None:
        creds = put_user_policy([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{self.bucket}/v1/*"},
        ])  # fmt: skip
        s3 = EMU.client("s3", creds=creds)
        s3.get_object(Bucket=self.bucket, Key="v1/a.json")
        self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v2/b.json")[0], 403)

    def test_identity_policy_conditions(self) -> None:
        creds = put_user_policy([
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{self.bucket}/v1/*",
             "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"},
                           "DateGreaterThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"},
                           "StringEquals": {"aws:PrincipalType": "User"}}},
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{self.bucket}/v2/*",
             "Condition": {"DateLessThan": {"aws:CurrentTime": "2000-01-01T00:00:00Z"}}},
            {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*",
             "Condition": {"StringNotLike": {"aws:username": "cond-*"}}},
        ])  # fmt: skip
        s3 = EMU.client("s3", creds=creds)
        s3.get_object(Bucket=self.bucket, Key="v1/a.json")
        self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v2/b.json")[0], 403)

    def test_deny_not_ip(self) -> None:
        creds = put_user_policy([
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
             "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}},
        ])  # fmt: skip
        s3 = EMU.client("s3", creds=creds)
        self.assertEqual(error_of(s3.get_object, Bucket=self.bucket, Key="v1/a.json")[0], 403)


class TestTLS(unittest.TestCase):
    def test_certificate_verifies_strictly(self) -> None:
        ctx = ssl.create_default_context(cafile=EMU.ca_bundle)
        ctx.verify_flags |= ssl.VERIFY_X509_STRICT
        for host in ("127.0.0.1", "localhost"):
            with self.subTest(host=host):
                with socket.create_connection(("127.0.0.1", EMU.port), timeout=10) as raw:
                    with ctx.wrap_socket(raw, server_hostname=host) as tls:
                        cert = tls.getpeercert()
                        self.assertIn(("IP Address", "127.0.0.1"), cert["subjectAltName"])
                        self.assertIn(("DNS", "localhost"), cert["subjectAltName"])

    def test_untrusted_without_ca(self) -> None:
        with socket.create_connection(("127.0.0.1", EMU.port), timeout=10) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ssl.create_default_context().wrap_socket(raw, server_hostname="127.0.0.1")

    def test_openssl_cli_verifies(self) -> None:
        r = subprocess.run(
            ["openssl", "verify", "-CAfile", EMU.ca_bundle, "-purpose", "sslserver",
             os.path.join(EMU.state_dir, "tls", "server.pem")],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_silent_client_does_not_block_others(self) -> None:
        idle = socket.create_connection(("127.0.0.1", EMU.port), timeout=10)
        try:
            EMU.client("sts").get_caller_identity()  # served while `idle` never handshakes
        finally:
            idle.close()

    def test_plain_http_on_tls_port_fails_cleanly(self) -> None:
        c = http.client.HTTPConnection("127.0.0.1", EMU.port, timeout=10)
        with self.assertRaises((OSError, http.client.HTTPException)):
            c.request("GET", "/")
            c.getresponse().read()
        c.close()
        EMU.client("sts").get_caller_identity()


class TestAutoscalingTags(unittest.TestCase):
    """moto lacks Tag/Untag/ListTagsForResource and drops RegisterScalableTarget Tags."""

    @classmethod
    def setUpClass(cls) -> None:
        ecs = EMU.client("ecs")
        cls.cluster = uniq("cl")
        ecs.create_cluster(clusterName=cls.cluster)
        td = ecs.register_task_definition(
            family=uniq("td"),
            containerDefinitions=[{"name": "app", "image": "app:1", "memory": 128}],
        )["taskDefinition"]["taskDefinitionArn"]
        cls.service = uniq("svc")
        ecs.create_service(cluster=cls.cluster, serviceName=cls.service, taskDefinition=td, desiredCount=1)
        cls.rid = f"service/{cls.cluster}/{cls.service}"
        cls.aas = EMU.client("application-autoscaling")

    def test_tags_round_trip(self) -> None:
        aas = self.aas
        arn = aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=self.rid, ScalableDimension="ecs:service:DesiredCount",
            MinCapacity=1, MaxCapacity=4, Tags={"Name": "s3json", "env": "test"},
        )["ScalableTargetARN"]  # fmt: skip
        self.assertTrue(arn.startswith("arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/"))
        t = aas.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[self.rid])["ScalableTargets"]
        self.assertEqual(len(t), 1)
        self.assertEqual(t[0]["ScalableTargetARN"], arn)
        self.assertIn("AWSServiceRoleForApplicationAutoScaling_ECSService", t[0]["RoleARN"])
        self.assertEqual(aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"Name": "s3json", "env": "test"})
        aas.tag_resource(ResourceARN=arn, Tags={"env": "prod", "team": "infra"})
        self.assertEqual(aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"Name": "s3json", "env": "prod", "team": "infra"})
        aas.untag_resource(ResourceARN=arn, TagKeys=["Name", "missing"])
        self.assertEqual(aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"env": "prod", "team": "infra"})
        # re-registering (update) keeps the ARN and the tags
        arn2 = aas.register_scalable_target(
            ServiceNamespace="ecs", ResourceId=self.rid, ScalableDimension="ecs:service:DesiredCount", MaxCapacity=6,
        )["ScalableTargetARN"]  # fmt: skip
        self.assertEqual(arn2, arn)
        self.assertEqual(aas.list_tags_for_resource(ResourceARN=arn)["Tags"], {"env": "prod", "team": "infra"})
        aas.deregister_scalable_target(ServiceNamespace="ecs", ResourceId=self.rid, ScalableDimension="ecs:service:DesiredCount")
        self.assertEqual(error_of(aas.list_tags_for_resource, ResourceARN=arn), (400, "ResourceNotFoundException"))

    def test_unknown_arn(self) -> None:
        bad = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/nope"
        self.assertEqual(error_of(self.aas.list_tags_for_resource, ResourceARN=bad), (400, "ResourceNotFoundException"))
        self.assertEqual(error_of(self.aas.tag_resource, ResourceARN=bad, Tags={"a": "b"})[1], "ResourceNotFoundException")

    def test_tagging_requires_auth(self) -> None:
        bad = {**EMU.admin, "secret_access_key": "z" * 40}
        arn = "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/nope"
        st, code = error_of(EMU.client("application-autoscaling", creds=bad).list_tags_for_resource, ResourceARN=arn)
        self.assertEqual(st, 403, code)


class TestVersionBehindDeleteMarker(unittest.TestCase):
    """Fix 14: DeleteObjects on a bucket whose versioning was suspended
    deletes the versions it names while delete markers are there (moto
    5.2.1: a 500, `FakeDeleteMarker` has no `dispose`). Destroying the
    Terraform state bucket does exactly that: the versioning resource goes
    first (Suspended), then force_destroy empties the bucket."""

    def test_old_versions_deleted_and_bucket_emptied(self) -> None:
        s3 = EMU.client("s3")
        bucket = uniq("ver")
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        v1 = s3.put_object(Bucket=bucket, Key="state.tflock", Body=b"lock")["VersionId"]
        s3.delete_object(Bucket=bucket, Key="state.tflock")  # leaves a delete marker
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
        listed = s3.list_object_versions(Bucket=bucket)
        objects = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                   for v in listed.get("Versions", []) + listed.get("DeleteMarkers", [])]  # fmt: skip
        self.assertIn({"Key": "state.tflock", "VersionId": v1}, objects)
        out = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
        self.assertEqual(out.get("Errors", []), [])
        self.assertEqual(len(out["Deleted"]), len(objects))
        listed = s3.list_object_versions(Bucket=bucket)
        self.assertEqual(listed.get("Versions", []) + listed.get("DeleteMarkers", []), [])
        s3.delete_bucket(Bucket=bucket)


class TestStoredAttributes(unittest.TestCase):
    """moto drops attributes that Terraform then diffs forever."""

    def test_ecs_service_keeps_create_parameters(self) -> None:
        ecs = EMU.client("ecs")
        ec2 = EMU.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(GroupName=uniq("sg"), Description="d", VpcId=vpc)["GroupId"]
        cluster = uniq("cl")
        ecs.create_cluster(clusterName=cluster)
        td = ecs.register_task_definition(
            family=uniq("td"), requiresCompatibilities=["FARGATE"], networkMode="awsvpc", cpu="256", memory="512",
            containerDefinitions=[{"name": "app", "image": "app:1", "essential": True}],
        )["taskDefinition"]["taskDefinitionArn"]  # fmt: skip
        name = uniq("svc")
        ecs.create_service(
            cluster=cluster, serviceName=name, taskDefinition=td, desiredCount=1, launchType="FARGATE",
            healthCheckGracePeriodSeconds=30, availabilityZoneRebalancing="ENABLED", enableExecuteCommand=True,
            networkConfiguration={"awsvpcConfiguration": {"subnets": [subnet], "securityGroups": [sg]}},
        )  # fmt: skip
        svc = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        self.assertEqual(svc["healthCheckGracePeriodSeconds"], 30)
        self.assertEqual(svc["availabilityZoneRebalancing"], "ENABLED")
        self.assertTrue(svc["enableExecuteCommand"])
        ecs.update_service(cluster=cluster, service=name, healthCheckGracePeriodSeconds=60)
        svc = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        self.assertEqual(svc["healthCheckGracePeriodSeconds"], 60)

    def test_alb_scheme_defaults_to_internet_facing(self) -> None:
        ec2 = EMU.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.8.{i}.0/24", AvailabilityZone=f"us-east-1{az}")["Subnet"]["SubnetId"]
            for i, az in ((1, "a"), (2, "b"))
        ]
        elb = EMU.client("elbv2")
        lb = elb.create_load_balancer(Name=uniq("alb")[:32], Subnets=subnets)["LoadBalancers"][0]
        self.assertEqual(lb["Scheme"], "internet-facing")
        got = elb.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]
        self.assertEqual(got["Scheme"], "internet-facing")
        internal = elb.create_load_balancer(Name=uniq("int")[:32], Subnets=subnets, Scheme="internal")["LoadBalancers"][0]
        self.assertEqual(internal["Scheme"], "internal")


def _tf_mirror() -> str | None:
    for root, _dirs, files in os.walk("/opt"):
        for f in files:
            if f.startswith("terraform-provider-aws_v5.100.0"):
                # <mirror>/registry.terraform.io/hashicorp/aws/<v>/<os_arch>/<binary>
                return os.path.abspath(os.path.join(root, *[".."] * 5))
    return None


@unittest.skipUnless(shutil.which("terraform"), "terraform not on PATH")
@unittest.skipIf(os.environ.get("EMU_TF_SMOKE") == "0", "EMU_TF_SMOKE=0: Terraform against the emulator runs in step 60-infra-e2e")
class TestTerraformProvider(unittest.TestCase):
    """AWS provider 5.100 against a subprocess emulator: apply, empty plan, destroy."""

    def test_apply_plan_destroy(self) -> None:
        mirror = _tf_mirror()
        if mirror is None:
            self.skipTest("no terraform-provider-aws 5.100.0 mirror under /opt")
        work = tempfile.mkdtemp(prefix="emu-tf-")
        e = emu.Emulator(subprocess=True, tls=True, http_port=0, state_dir=os.path.join(work, "emu"))
        e.start()
        try:
            shutil.copy(os.path.join(HERE, "tf-smoke", "main.tf"), work)
            rc = os.path.join(work, "cli.tfrc")
            with open(rc, "w") as f:
                f.write(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n'
                        f'    include = ["registry.terraform.io/*/*"]\n  }}\n}}\n')  # fmt: skip
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TF_"))}
            env.update(e.env())
            env.pop("AWS_ENDPOINT_URL")  # the config names every endpoint itself
            env.update({"TF_CLI_CONFIG_FILE": rc, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0",
                        "TF_VAR_endpoint": e.endpoint, "TF_VAR_ca_bundle": e.ca_bundle})  # fmt: skip

            def tf(*args: str, timeout: int = 600) -> subprocess.CompletedProcess:
                return subprocess.run(["terraform", f"-chdir={work}", *args, "-no-color"],
                                      env=env, capture_output=True, text=True, timeout=timeout)  # fmt: skip

            r = tf("init", "-input=false")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = tf("apply", "-auto-approve", "-input=false")
            self.assertEqual(r.returncode, 0, r.stdout[-4000:] + r.stderr[-4000:])
            r = tf("plan", "-detailed-exitcode", "-input=false")
            self.assertEqual(r.returncode, 0, "plan not empty:\n" + r.stdout[-4000:] + r.stderr[-2000:])

            aas = e.client("application-autoscaling")
            t = aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"][0]
            self.assertEqual(aas.list_tags_for_resource(ResourceARN=t["ScalableTargetARN"])["Tags"],
                             {"Name": "tf-smoke", "env": "test"})  # fmt: skip
            key = "v1/a+b \u00fc.json"
            self.assertEqual(e.client("s3").get_object(Bucket="tf-smoke-bucket", Key=key)["Body"].read(),
                             b'{"hello":"world"}')  # fmt: skip
            insecure = e.client("s3", endpoint=e.http_endpoint)
            self.assertEqual(error_of(insecure.get_object, Bucket="tf-smoke-bucket", Key=key), (403, "AccessDenied"))

            r = tf("destroy", "-auto-approve", "-input=false")
            self.assertEqual(r.returncode, 0, r.stdout[-4000:] + r.stderr[-4000:])
            self.assertNotIn("tf-smoke-bucket", [b["Name"] for b in e.client("s3").list_buckets()["Buckets"]])
        finally:
            e.close()
            shutil.rmtree(work, ignore_errors=True)


class TestRequestParameterKeys(unittest.TestCase):
    """Patch 3b: tag and boundary condition keys come from the request (issue 12)."""

    BOUNDARY = "arn:aws:iam::123456789012:policy/t-staging-workload-boundary"

    def test_iam_permissions_boundary(self) -> None:
        creds = put_user_policy([{
            "Effect": "Allow", "Action": "iam:CreateRole", "Resource": "arn:aws:iam::123456789012:role/t-staging-*",
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": self.BOUNDARY}},
        }])  # fmt: skip
        iam = EMU.client("iam", creds=creds)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
        name = uniq("t-staging")
        self.assertEqual(error_of(iam.create_role, RoleName=name, AssumeRolePolicyDocument=trust)[0], 403)
        self.assertEqual(error_of(iam.create_role, RoleName=name, AssumeRolePolicyDocument=trust,
                                  PermissionsBoundary=self.BOUNDARY.replace("staging", "prod"))[0], 403)  # fmt: skip
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, PermissionsBoundary=self.BOUNDARY)

    def test_iam_role_policy_needs_the_roles_boundary(self) -> None:
        """PutRolePolicy is evaluated with the role's current boundary (Patch 13b)."""
        creds = put_user_policy([{
            "Effect": "Allow", "Action": "iam:PutRolePolicy", "Resource": "arn:aws:iam::123456789012:role/t-staging-*",
            "Condition": {"StringEquals": {"iam:PermissionsBoundary": self.BOUNDARY}},
        }])  # fmt: skip
        admin, iam = EMU.client("iam"), EMU.client("iam", creds=creds)
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]})  # fmt: skip
        bounded, free = uniq("t-staging"), uniq("t-staging")
        admin.create_role(RoleName=bounded, AssumeRolePolicyDocument=trust, PermissionsBoundary=self.BOUNDARY)
        admin.create_role(RoleName=free, AssumeRolePolicyDocument=trust)
        doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
        self.assertEqual(error_of(iam.put_role_policy, RoleName=free, PolicyName="p", PolicyDocument=doc)[0], 403)
        iam.put_role_policy(RoleName=bounded, PolicyName="p", PolicyDocument=doc)

    def test_ec2_request_and_resource_tags(self) -> None:
        def tagged(env: str) -> list:
            return [{"ResourceType": "security-group", "Tags": [{"Key": "Environment", "Value": env}]}]

        creds = put_user_policy([
            {"Effect": "Allow", "Action": ["ec2:CreateSecurityGroup", "ec2:CreateTags"], "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/Environment": "staging"}}},
            {"Effect": "Allow", "Action": "ec2:DeleteSecurityGroup", "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "staging"}}},
        ])  # fmt: skip
        admin, ec2 = EMU.client("ec2"), EMU.client("ec2", creds=creds)
        vpc = admin.create_vpc(CidrBlock="10.12.0.0/16")["Vpc"]["VpcId"]
        prod = admin.create_security_group(GroupName=uniq("p"), Description="p", VpcId=vpc,
                                           TagSpecifications=tagged("prod"))["GroupId"]  # fmt: skip
        untagged = admin.create_security_group(GroupName=uniq("u"), Description="u", VpcId=vpc)["GroupId"]
        self.assertEqual(error_of(ec2.create_security_group, GroupName=uniq("s"), Description="s", VpcId=vpc)[0], 403)
        self.assertEqual(error_of(ec2.create_security_group, GroupName=uniq("s"), Description="s", VpcId=vpc,
                                  TagSpecifications=tagged("prod"))[0], 403)  # fmt: skip
        own = ec2.create_security_group(GroupName=uniq("s"), Description="s", VpcId=vpc,
                                        TagSpecifications=tagged("staging"))["GroupId"]  # fmt: skip
        self.assertEqual(error_of(ec2.delete_security_group, GroupId=prod)[0], 403)
        self.assertEqual(error_of(ec2.delete_security_group, GroupId=untagged)[0], 403)
        ec2.delete_security_group(GroupId=own)

    def test_ec2_every_named_resource_must_carry_the_tag(self) -> None:
        def tagged(kind: str, env: str) -> list:
            return [{"ResourceType": kind, "Tags": [{"Key": "Environment", "Value": env}]}]

        creds = put_user_policy([{"Effect": "Allow", "Action": "ec2:AttachInternetGateway", "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "staging"}}}])  # fmt: skip
        admin, ec2 = EMU.client("ec2"), EMU.client("ec2", creds=creds)
        vpcs = {env: admin.create_vpc(CidrBlock="10.13.0.0/16", TagSpecifications=tagged("vpc", env))["Vpc"]["VpcId"]
                for env in ("staging", "prod")}  # fmt: skip
        igws = [admin.create_internet_gateway(TagSpecifications=tagged("internet-gateway", "staging"))
                ["InternetGateway"]["InternetGatewayId"] for _ in range(2)]  # fmt: skip
        self.assertEqual(error_of(ec2.attach_internet_gateway, InternetGatewayId=igws[0], VpcId=vpcs["prod"])[0], 403)
        ec2.attach_internet_gateway(InternetGatewayId=igws[1], VpcId=vpcs["staging"])
        # DisassociateRouteTable names only the association: its route table and subnet decide.
        creds = put_user_policy([{"Effect": "Allow", "Action": "ec2:DisassociateRouteTable", "Resource": "*",
                                  "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "staging"}}}])  # fmt: skip
        ec2 = EMU.client("ec2", creds=creds)
        assoc = {}
        for env, cidr in (("staging", "10.13.1.0/24"), ("prod", "10.13.2.0/24")):
            vpc = vpcs[env]
            subnet = admin.create_subnet(VpcId=vpc, CidrBlock=cidr,
                                         TagSpecifications=tagged("subnet", env))["Subnet"]["SubnetId"]  # fmt: skip
            rtb = admin.create_route_table(VpcId=vpc, TagSpecifications=tagged("route-table", env))["RouteTable"]["RouteTableId"]
            assoc[env] = admin.associate_route_table(RouteTableId=rtb, SubnetId=subnet)["AssociationId"]
        self.assertEqual(error_of(ec2.disassociate_route_table, AssociationId=assoc["prod"])[0], 403)
        ec2.disassociate_route_table(AssociationId=assoc["staging"])

    def test_web_identity_checks_the_trust_policy(self) -> None:
        import base64

        def token(**claims: str) -> str:
            enc = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode().rstrip("=")  # noqa: E731
            return f"{enc({'alg': 'RS256'})}.{enc(claims)}.sig"

        host = "token.actions.githubusercontent.com"
        iam = EMU.client("iam")
        try:
            iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["sts.amazonaws.com"],
                                                ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"])  # fmt: skip
        except ClientError:
            pass  # another test made it (one per URL)
        name = uniq("wi")
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Federated": f"arn:aws:iam::123456789012:oidc-provider/{host}"},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {"StringEquals": {f"{host}:aud": "sts.amazonaws.com", f"{host}:sub": "repo:o/r:environment:staging"}},
        }]}))["Role"]["Arn"]  # fmt: skip
        sts = EMU.client("sts", signature_version=UNSIGNED)  # AWS takes this call unsigned

        def assume(**claims: str) -> tuple[int, str]:
            return error_of(sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="e2e",
                            WebIdentityToken=token(**claims))  # fmt: skip

        good = {"iss": f"https://{host}", "aud": "sts.amazonaws.com", "sub": "repo:o/r:environment:staging"}
        self.assertEqual(assume(**good), (200, "OK"))
        self.assertEqual(assume(**{**good, "sub": "repo:o/r:pull_request"}), (403, "AccessDenied"))
        self.assertEqual(assume(**{**good, "aud": "other"}), (403, "AccessDenied"))
        self.assertEqual(assume(**{**good, "iss": "https://other.example"}), (403, "AccessDenied"))



class TestServiceResourceScoping(unittest.TestCase):
    """Patch 13b (service_auth.py): ELB, ECS, logs, CloudWatch, SNS, Application
    Auto Scaling, WAFv2 and KMS requests are checked against the ARNs they
    name, with aws:RequestTag / aws:ResourceTag, and roles handed to a
    service as iam:PassRole with iam:PassedToService. Stock moto checks
    them against `*` with no such key: every scoped Allow below would be
    refused and the prod requests' outcome decided by nothing."""

    ACCT = "123456789012"
    R = "us-east-1"

    @staticmethod
    def tags(env: str, k: str = "Key", v: str = "Value") -> list:
        return [{k: "Environment", v: env}]

    def allow_tagged(self, create: list, change: list, extra: list | None = None) -> dict:
        """A user allowed CREATE with aws:RequestTag and CHANGE with
        aws:ResourceTag Environment=staging (as modules/ci-deploy-policy)."""
        return put_user_policy([st for st in [
            {"Effect": "Allow", "Action": create, "Resource": "*",
             "Condition": {"StringEquals": {"aws:RequestTag/Environment": "staging"}}},
            {"Effect": "Allow", "Action": change, "Resource": "*",
             "Condition": {"StringEquals": {"aws:ResourceTag/Environment": "staging"}}},
        ] if st["Action"]] + (extra or []))  # fmt: skip

    def refused(self, fn, *a, **kw) -> None:
        status, code = error_of(fn, *a, **kw)
        self.assertEqual(status, 403, code)

    def test_elb_request_and_resource_tags(self) -> None:
        creds = self.allow_tagged(["elasticloadbalancing:CreateTargetGroup"], ["elasticloadbalancing:DeleteTargetGroup"])
        admin, elb = EMU.client("elbv2"), EMU.client("elbv2", creds=creds)
        vpc = EMU.client("ec2").create_vpc(CidrBlock="10.14.0.0/16")["Vpc"]["VpcId"]
        tg = dict(Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
        prod = admin.create_target_group(Name=uniq("p"), Tags=self.tags("prod"), **tg)["TargetGroups"][0]["TargetGroupArn"]
        self.refused(elb.create_target_group, Name=uniq("s"), **tg)
        self.refused(elb.create_target_group, Name=uniq("s"), Tags=self.tags("prod"), **tg)
        own = elb.create_target_group(Name=uniq("s"), Tags=self.tags("staging"), **tg)["TargetGroups"][0]["TargetGroupArn"]
        self.refused(elb.delete_target_group, TargetGroupArn=prod)
        elb.delete_target_group(TargetGroupArn=own)

    def test_ecs_tags_and_passed_roles(self) -> None:
        role = f"arn:aws:iam::{self.ACCT}:role/t-staging-task"
        creds = self.allow_tagged(
            ["ecs:CreateCluster", "ecs:RegisterTaskDefinition"], ["ecs:DeleteCluster"],
            [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{self.ACCT}:role/t-staging-*",
              "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}])  # fmt: skip
        admin, ecs = EMU.client("ecs"), EMU.client("ecs", creds=creds)
        prod = uniq("t-prod")
        admin.create_cluster(clusterName=prod, tags=self.tags("prod", "key", "value"))
        self.refused(ecs.create_cluster, clusterName=uniq("t-staging"))
        self.refused(ecs.create_cluster, clusterName=uniq("t-staging"), tags=self.tags("prod", "key", "value"))
        own = uniq("t-staging")
        ecs.create_cluster(clusterName=own, tags=self.tags("staging", "key", "value"))
        self.refused(ecs.delete_cluster, cluster=prod)
        ecs.delete_cluster(cluster=own)
        td = dict(family=uniq("t-staging"), containerDefinitions=[{"name": "c", "image": "i", "memory": 64}],
                  tags=self.tags("staging", "key", "value"))  # fmt: skip
        self.refused(ecs.register_task_definition, taskRoleArn=role.replace("staging", "prod"), **td)
        self.refused(ecs.register_task_definition, executionRoleArn=f"arn:aws:iam::{self.ACCT}:role/admin", **td)
        ecs.register_task_definition(taskRoleArn=role, executionRoleArn=role, **td)
        # the role may be passed to ECS tasks only, not to another service
        creds = put_user_policy([
            {"Effect": "Allow", "Action": "ec2:CreateFlowLogs", "Resource": "*"},
            {"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
             "Condition": {"StringEquals": {"iam:PassedToService": "ecs-tasks.amazonaws.com"}}}])  # fmt: skip
        vpc = EMU.client("ec2").create_vpc(CidrBlock="10.15.0.0/16")["Vpc"]["VpcId"]
        self.refused(EMU.client("ec2", creds=creds).create_flow_logs, ResourceIds=[vpc], ResourceType="VPC",
                     TrafficType="ALL", LogGroupName="/vpc/x", DeliverLogsPermissionArn=role)  # fmt: skip

    def test_logs_named_groups(self) -> None:
        creds = put_user_policy([{"Effect": "Allow", "Action": ["logs:CreateLogGroup", "logs:DeleteLogGroup"],
                                  "Resource": f"arn:aws:logs:{self.R}:{self.ACCT}:log-group:/ecs/t-staging*"}])  # fmt: skip
        admin, logs = EMU.client("logs"), EMU.client("logs", creds=creds)
        prod = "/ecs/" + uniq("t-prod")
        admin.create_log_group(logGroupName=prod)
        self.refused(logs.create_log_group, logGroupName="/ecs/" + uniq("t-prod"))
        own = "/ecs/" + uniq("t-staging")
        logs.create_log_group(logGroupName=own)
        self.refused(logs.delete_log_group, logGroupName=prod)
        logs.delete_log_group(logGroupName=own)

    def test_cloudwatch_named_alarms_and_dashboards(self) -> None:
        creds = put_user_policy([{
            "Effect": "Allow", "Action": ["cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:PutDashboard"],
            "Resource": [f"arn:aws:cloudwatch:{self.R}:{self.ACCT}:alarm:t-staging-*",
                         f"arn:aws:cloudwatch::{self.ACCT}:dashboard/t-staging*"]}])  # fmt: skip
        admin, cw = EMU.client("cloudwatch"), EMU.client("cloudwatch", creds=creds)
        alarm = dict(MetricName="m", Namespace="n", Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1.0,
                     ComparisonOperator="GreaterThanThreshold")  # fmt: skip
        prod, own = uniq("t-prod"), uniq("t-staging")
        admin.put_metric_alarm(AlarmName=prod, **alarm)
        self.refused(cw.put_metric_alarm, AlarmName=uniq("t-prod"), **alarm)
        cw.put_metric_alarm(AlarmName=own, **alarm)
        self.refused(cw.delete_alarms, AlarmNames=[own, prod])  # every named alarm must be allowed
        cw.delete_alarms(AlarmNames=[own])
        body = json.dumps({"widgets": []})
        self.refused(cw.put_dashboard, DashboardName=uniq("t-prod"), DashboardBody=body)
        cw.put_dashboard(DashboardName=uniq("t-staging"), DashboardBody=body)

    def test_sns_named_topics(self) -> None:
        creds = put_user_policy([{"Effect": "Allow", "Action": ["sns:CreateTopic", "sns:SetTopicAttributes"],
                                  "Resource": f"arn:aws:sns:{self.R}:{self.ACCT}:t-staging-*"}])  # fmt: skip
        admin, sns = EMU.client("sns"), EMU.client("sns", creds=creds)
        prod = admin.create_topic(Name=uniq("t-prod"))["TopicArn"]
        self.refused(sns.create_topic, Name=uniq("t-prod"))
        own = sns.create_topic(Name=uniq("t-staging"))["TopicArn"]
        self.refused(sns.set_topic_attributes, TopicArn=prod, AttributeName="DisplayName", AttributeValue="x")
        sns.set_topic_attributes(TopicArn=own, AttributeName="DisplayName", AttributeValue="x")

    def test_autoscaling_target_tags(self) -> None:
        creds = self.allow_tagged(["application-autoscaling:RegisterScalableTarget"],
                                  ["application-autoscaling:DeregisterScalableTarget"])  # fmt: skip
        admin = EMU.client("application-autoscaling")
        aas = EMU.client("application-autoscaling", creds=creds)
        target = dict(ServiceNamespace="ecs", ScalableDimension="ecs:service:DesiredCount", MinCapacity=1, MaxCapacity=2)
        ecs = EMU.client("ecs")
        family = ecs.register_task_definition(family=uniq("t"), containerDefinitions=[{"name": "c", "image": "i", "memory": 64}])

        def service() -> str:  # moto registers targets of existing services only
            cluster = ecs.create_cluster(clusterName=uniq("t"))["cluster"]["clusterName"]
            ecs.create_service(cluster=cluster, serviceName="svc", desiredCount=1,
                               taskDefinition=family["taskDefinition"]["taskDefinitionArn"])  # fmt: skip
            return f"service/{cluster}/svc"

        prod = service()
        admin.register_scalable_target(ResourceId=prod, Tags={"Environment": "prod"}, **target)
        other = service()
        self.refused(aas.register_scalable_target, ResourceId=other, **target)
        self.refused(aas.register_scalable_target, ResourceId=other, Tags={"Environment": "prod"}, **target)
        own = service()
        aas.register_scalable_target(ResourceId=own, Tags={"Environment": "staging"}, **target)
        dim = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}
        self.refused(aas.deregister_scalable_target, ResourceId=prod, **dim)
        aas.deregister_scalable_target(ResourceId=own, **dim)

    def test_wafv2_web_acl_tags(self) -> None:
        creds = self.allow_tagged(["wafv2:CreateWebACL"], ["wafv2:DeleteWebACL"])
        admin, waf = EMU.client("wafv2"), EMU.client("wafv2", creds=creds)
        acl = dict(Scope="REGIONAL", DefaultAction={"Allow": {}},
                   VisibilityConfig={"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "m"})  # fmt: skip
        prod = admin.create_web_acl(Name=uniq("p"), Tags=self.tags("prod"), **acl)["Summary"]
        self.refused(waf.create_web_acl, Name=uniq("s"), **acl)
        self.refused(waf.create_web_acl, Name=uniq("s"), Tags=self.tags("prod"), **acl)
        own = waf.create_web_acl(Name=uniq("s"), Tags=self.tags("staging"), **acl)["Summary"]
        for summary, call in ((prod, self.refused), (own, lambda fn, **kw: fn(**kw))):
            call(waf.delete_web_acl, Name=summary["Name"], Id=summary["Id"], Scope="REGIONAL", LockToken=summary["LockToken"])

    def test_kms_key_tags(self) -> None:
        creds = self.allow_tagged(["kms:CreateKey"], ["kms:ScheduleKeyDeletion"])
        admin, kms = EMU.client("kms"), EMU.client("kms", creds=creds)
        prod = admin.create_key(Tags=self.tags("prod", "TagKey", "TagValue"))["KeyMetadata"]["KeyId"]
        self.refused(kms.create_key)
        self.refused(kms.create_key, Tags=self.tags("prod", "TagKey", "TagValue"))
        own = kms.create_key(Tags=self.tags("staging", "TagKey", "TagValue"))["KeyMetadata"]["KeyId"]
        # an alias: its name (aliases have no tags) and its key's tag
        creds = self.allow_tagged([], ["kms:CreateAlias", "kms:DeleteAlias"], [
            {"Effect": "Allow", "Action": ["kms:CreateAlias", "kms:DeleteAlias"],
             "Resource": f"arn:aws:kms:{self.R}:{self.ACCT}:alias/t-staging-*"}])  # fmt: skip
        kms = EMU.client("kms", creds=creds)
        self.refused(kms.create_alias, AliasName=f"alias/{uniq('t-staging')}", TargetKeyId=prod)
        self.refused(kms.create_alias, AliasName=f"alias/{uniq('t-prod')}", TargetKeyId=own)
        prod_alias = f"alias/{uniq('t-staging')}"
        admin.create_alias(AliasName=prod_alias, TargetKeyId=prod)
        self.refused(kms.delete_alias, AliasName=prod_alias)
        own_alias = f"alias/{uniq('t-staging')}"
        kms.create_alias(AliasName=own_alias, TargetKeyId=own)
        kms.delete_alias(AliasName=own_alias)
        kms = EMU.client("kms", creds=self.allow_tagged(["kms:CreateKey"], ["kms:ScheduleKeyDeletion"]))
        self.refused(kms.schedule_key_deletion, KeyId=prod, PendingWindowInDays=7)
        kms.schedule_key_deletion(KeyId=own, PendingWindowInDays=7)


if __name__ == "__main__":
    unittest.main()


def raw_ddb(target: str, doc: dict, creds: dict | None = None, sign: bool = True) -> tuple[int, dict, dict]:
    """A DynamoDB JSON-protocol request on the wire: (status, headers, JSON body)."""
    from botocore.auth import SigV4Auth

    c = creds or EMU.admin
    body = json.dumps(doc).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"DynamoDB_20120810.{target}"}
    if sign:
        req = AWSRequest(method="POST", url=HTTP_ENDPOINT + "/", data=body, headers=headers)
        SigV4Auth(Credentials(c["access_key_id"], c["secret_access_key"], c.get("session_token")),
                  "dynamodb", EMU.region).add_auth(req)  # fmt: skip
        headers = dict(req.headers.items())
    conn = http.client.HTTPConnection("127.0.0.1", int(HTTP_ENDPOINT.rsplit(":", 1)[1]), timeout=30)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        r = conn.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, json.loads(r.read() or b"{}")
    finally:
        conn.close()


def ddb_table(name: str, n: int) -> None:
    d = EMU.client("dynamodb")
    d.create_table(TableName=name, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")  # fmt: skip
    for i in range(n):
        d.put_item(TableName=name, Item={"name": {"S": f"docs/d{i:02d}"}, "body": {"S": f'{{"i":{i}}}'},
                                         "sha256": {"S": hashlib.sha256(f'{{"i":{i}}}'.encode()).hexdigest()}})  # fmt: skip


class TestDynamoDBAuth(unittest.TestCase):
    """Patch 10: IAM checked on the table's ARN, auth failures as DynamoDB answers them."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.table, cls.other = uniq("docs"), uniq("other")
        ddb_table(cls.table, 3)
        ddb_table(cls.other, 1)
        cls.ro = EMU.create_policy_user(emu.ddb_restricted_policy(cls.table))

    def test_policy_naming_the_table_allows_its_read_actions(self) -> None:
        d = EMU.client("dynamodb", creds=self.ro)
        item = d.get_item(TableName=self.table, Key={"name": {"S": "docs/d01"}}, ConsistentRead=True)["Item"]
        self.assertEqual(item["body"]["S"], '{"i":1}')
        self.assertEqual(d.scan(TableName=self.table)["Count"], 3)
        self.assertEqual(d.describe_table(TableName=self.table)["Table"]["TableName"], self.table)

    def test_other_table_and_other_actions_are_refused(self) -> None:
        d = EMU.client("dynamodb", creds=self.ro)
        self.assertEqual(error_of(d.get_item, TableName=self.other, Key={"name": {"S": "docs/d00"}}),
                         (400, "AccessDeniedException"))  # fmt: skip
        self.assertEqual(error_of(d.put_item, TableName=self.table, Item={"name": {"S": "x"}}),
                         (400, "AccessDeniedException"))  # fmt: skip
        self.assertEqual(error_of(d.list_tables), (400, "AccessDeniedException"))

    def test_policy_naming_another_table_is_refused(self) -> None:
        c = EMU.create_policy_user(emu.ddb_restricted_policy(self.other))
        d = EMU.client("dynamodb", creds=c)
        self.assertEqual(error_of(d.scan, TableName=self.table), (400, "AccessDeniedException"))
        self.assertEqual(d.scan(TableName=self.other)["Count"], 1)

    def test_access_denied_on_the_wire(self) -> None:
        st, h, doc = raw_ddb("GetItem", {"TableName": self.other, "Key": {"name": {"S": "docs/d00"}}}, self.ro)
        self.assertEqual(st, 400)
        self.assertIn("json", h["content-type"])
        self.assertEqual(doc["__type"], "com.amazon.coral.service#AccessDeniedException")
        self.assertIn(f"on resource: {emu.ddb_table_arn(self.other)}", doc["Message"])

    def test_wrong_secret_is_invalid_signature(self) -> None:
        c = {**self.ro, "secret_access_key": "x" * 40}
        st, _, doc = raw_ddb("GetItem", {"TableName": self.table, "Key": {"name": {"S": "docs/d00"}}}, c)
        self.assertEqual((st, doc["__type"]), (400, "com.amazon.coral.service#InvalidSignatureException"))

    def test_unknown_key_is_unrecognized_client(self) -> None:
        c = {"access_key_id": "AKIAEMUUNKNOWN000000", "secret_access_key": "x" * 40}
        st, _, doc = raw_ddb("Scan", {"TableName": self.table}, c)
        self.assertEqual((st, doc["__type"]), (400, "com.amazon.coral.service#UnrecognizedClientException"))
        self.assertEqual(error_of(EMU.client("dynamodb", creds=c).scan, TableName=self.table),
                         (400, "UnrecognizedClientException"))  # fmt: skip

    def test_unsigned_is_missing_authentication_token(self) -> None:
        st, _, doc = raw_ddb("Scan", {"TableName": self.table}, sign=False)
        self.assertEqual((st, doc["__type"]), (400, "com.amazon.coral.service#MissingAuthenticationTokenException"))

    def test_expired_session_is_expired_token_exception(self) -> None:
        iam, sts = EMU.client("iam"), EMU.client("sts")
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{EMU.account_id}:root"}}]}  # fmt: skip
        role = iam.create_role(RoleName=uniq("ddb-task"), AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        iam.put_role_policy(RoleName=role["RoleName"], PolicyName="p",
                            PolicyDocument=json.dumps(emu.ddb_restricted_policy(self.table)))  # fmt: skip
        c = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="task")["Credentials"]
        creds = {"access_key_id": c["AccessKeyId"], "secret_access_key": c["SecretAccessKey"],
                 "session_token": c["SessionToken"]}  # fmt: skip
        d = EMU.client("dynamodb", creds=creds)
        self.assertEqual(d.scan(TableName=self.table)["Count"], 3)
        EMU.expire_session(creds["access_key_id"])
        self.assertEqual(error_of(d.scan, TableName=self.table), (400, "ExpiredTokenException"))


class TestDynamoDBScan(unittest.TestCase):
    """Patch 11: Scan pages as DynamoDB's: unordered, Limit before the filter,
    LastEvaluatedKey whenever Limit is reached, 1 MB pages."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.table = uniq("scan")
        ddb_table(cls.table, 12)
        cls.d = EMU.client("dynamodb")

    def pages(self, **kw) -> list[dict]:
        out, start = [], None
        for _ in range(50):
            r = self.d.scan(TableName=self.table, **kw, **({"ExclusiveStartKey": start} if start else {}))
            out.append(r)
            start = r.get("LastEvaluatedKey")
            if not start:
                return out
        self.fail("Scan never ended")

    def test_order_is_not_the_key_order_and_pages_cover_every_item_once(self) -> None:
        names = [i["name"]["S"] for p in self.pages(Limit=5) for i in p["Items"]]
        self.assertEqual(sorted(names), [f"docs/d{i:02d}" for i in range(12)])
        self.assertNotEqual(names, sorted(names))
        whole = [i["name"]["S"] for i in self.d.scan(TableName=self.table)["Items"]]
        self.assertEqual(whole, names)  # a stable order, the same paged or not

    def test_limit_reached_on_the_last_item_still_returns_last_evaluated_key(self) -> None:
        first = self.d.scan(TableName=self.table, Limit=12)
        self.assertEqual(first["Count"], 12)
        self.assertIn("LastEvaluatedKey", first)
        last = self.d.scan(TableName=self.table, Limit=12, ExclusiveStartKey=first["LastEvaluatedKey"])
        self.assertEqual((last["Count"], last["ScannedCount"]), (0, 0))
        self.assertNotIn("LastEvaluatedKey", last)
        self.assertNotIn("LastEvaluatedKey", self.d.scan(TableName=self.table, Limit=13))

    def test_limit_applies_before_the_filter(self) -> None:
        r = self.d.scan(TableName=self.table, Limit=4, FilterExpression="#n = :v",
                        ExpressionAttributeNames={"#n": "name"},
                        ExpressionAttributeValues={":v": {"S": "no-such-doc"}})  # fmt: skip
        self.assertEqual((r["Count"], r["ScannedCount"]), (0, 4))
        self.assertIn("LastEvaluatedKey", r)
        found = [i for p in self.pages(Limit=4, FilterExpression="#n = :v", ExpressionAttributeNames={"#n": "name"},
                                       ExpressionAttributeValues={":v": {"S": "docs/d07"}}) for i in p["Items"]]  # fmt: skip
        self.assertEqual([i["name"]["S"] for i in found], ["docs/d07"])

    def test_exclusive_start_key_of_a_deleted_item_resumes_after_its_position(self) -> None:
        t = uniq("scan-del")
        ddb_table(t, 6)
        first = self.d.scan(TableName=t, Limit=3)
        self.d.delete_item(TableName=t, Key=first["LastEvaluatedKey"])
        rest = self.d.scan(TableName=t, ExclusiveStartKey=first["LastEvaluatedKey"])
        names = [i["name"]["S"] for i in first["Items"][:2] + rest["Items"]]
        self.assertEqual(sorted(names), sorted({f"docs/d{i:02d}" for i in range(6)} - {first["LastEvaluatedKey"]["name"]["S"]}))

    def test_pages_stop_at_one_megabyte_read(self) -> None:
        t = uniq("scan-big")
        ddb_table(t, 0)
        for i in range(4):
            self.d.put_item(TableName=t, Item={"name": {"S": f"big{i}"}, "body": {"S": "x" * 390_000}})
        r = self.d.scan(TableName=t, ProjectionExpression="#n", ExpressionAttributeNames={"#n": "name"})
        self.assertEqual(r["Count"], 2)  # 2 x 390 KB read; a third would pass 1 MB
        self.assertIn("LastEvaluatedKey", r)
        self.assertEqual(set(r["Items"][0]), {"name"})

    def test_projection_with_attribute_names_and_consistent_read(self) -> None:
        r = self.d.get_item(TableName=self.table, Key={"name": {"S": "docs/d03"}}, ConsistentRead=True,
                            ProjectionExpression="#s", ExpressionAttributeNames={"#s": "sha256"})  # fmt: skip
        self.assertEqual(r["Item"], {"sha256": {"S": hashlib.sha256(b'{"i":3}').hexdigest()}})
        # `name` is a reserved word: it must go through ExpressionAttributeNames, as on AWS
        self.assertEqual(error_of(self.d.get_item, TableName=self.table, Key={"name": {"S": "docs/d03"}},
                                  ProjectionExpression="name"), (400, "ValidationException"))  # fmt: skip
        r = self.d.scan(TableName=self.table, ConsistentRead=True, ProjectionExpression="#n, sha256",
                        ExpressionAttributeNames={"#n": "name"})  # fmt: skip
        self.assertEqual({frozenset(i) for i in r["Items"]}, {frozenset({"name", "sha256"})})
        self.assertNotIn("Item", self.d.get_item(TableName=self.table, Key={"name": {"S": "docs/nope"}}))


class TestDynamoDBRequestLog(unittest.TestCase):
    def test_requests_are_logged_with_their_body_and_status(self) -> None:
        t = uniq("log")
        ddb_table(t, 1)
        n = len(EMU.dynamodb_requests())
        d = EMU.client("dynamodb")
        d.get_item(TableName=t, Key={"name": {"S": "docs/d00"}}, ProjectionExpression="#s",
                   ExpressionAttributeNames={"#s": "sha256"})  # fmt: skip
        error_of(d.get_item, TableName=uniq("none"), Key={"name": {"S": "x"}})
        log = EMU.dynamodb_requests()[n:]
        self.assertEqual([(op, st) for op, _, st in log], [("GetItem", 200), ("GetItem", 400)])
        self.assertEqual(log[0][1]["ProjectionExpression"], "#s")
        self.assertEqual(log[0][1]["TableName"], t)
