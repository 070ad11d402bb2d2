"""S3JSON_STORE=dynamodb end to end: s3json against the emulator's DynamoDB
(a plain moto table created with boto3 through the signature-checking
in-process emulator), read by an IAM user allowed only dynamodb:GetItem,
Scan and DescribeTable. The full API and cache suites against both stores
are run elsewhere (issue 14); this proves the C side serves, revalidates,
lists, probes and maps errors.

moto checks DynamoDB actions against the resource "*" (../shared/NOTES.md),
so the user's policy names "*" here, not the table's ARN.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
import unittest

from harness import (BINARY, PREFIX, ROOT, Service, emulator, free_port,  # fmt: skip
                     sample_documents)

TABLE = "s3json-docs-smoke"
JSON_TYPE = "application/json; charset=utf-8"
READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:DescribeTable"]


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def create_table(emu, table: str) -> None:
    ddb = emu.client("dynamodb")
    try:
        ddb.delete_table(TableName=table)
        ddb.get_waiter("table_not_exists").wait(TableName=table)
    except ddb.exceptions.ResourceNotFoundException:
        pass
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )


def put(emu, table: str, name: str, body: bytes, digest: str | None = "auto") -> None:
    item = {"name": {"S": name}, "body": {"S": body.decode("utf-8")}}
    if digest == "auto":
        digest = sha(body)
    if digest is not None:
        item["sha256"] = {"S": digest}
    emu.client("dynamodb").put_item(TableName=table, Item=item)


def create_reader(emu, actions: list[str]) -> dict[str, str]:
    iam = emu.client("iam")
    name = emu._next_name("ddb-reader")
    iam.create_user(UserName=name)
    policy = {"Version": "2012-10-17",
              "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]}  # fmt: skip
    iam.put_user_policy(UserName=name, PolicyName="ddb-read", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}


def ddb_env(emu, creds: dict[str, str], **extra: str) -> dict[str, str]:
    env = {
        "S3JSON_STORE": "dynamodb",
        "S3JSON_TABLE": TABLE,
        "S3JSON_PREFIX": PREFIX,
        "AWS_REGION": emu.region,
        "AWS_ENDPOINT_URL_DYNAMODB": emu.endpoint,
        "AWS_ACCESS_KEY_ID": creds["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
    }
    if emu.ca_bundle:
        env["AWS_CA_BUNDLE"] = emu.ca_bundle
    env.update(extra)
    return env


class DynamoStoreTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        create_table(cls.emu, TABLE)
        cls.docs = sample_documents()
        for name, body in cls.docs.items():
            put(cls.emu, TABLE, PREFIX + name, body)
        put(cls.emu, TABLE, PREFIX + "nosha", b'{"sha":"none"}', digest=None)
        put(cls.emu, TABLE, PREFIX + "invalid", b"{not json")
        put(cls.emu, TABLE, PREFIX + "big", b'{"x":"' + b"a" * 2000 + b'"}')
        put(cls.emu, TABLE, PREFIX + "with space", b"{}")
        put(cls.emu, TABLE, "outside", b'{"secret":true}')
        cls.creds = create_reader(cls.emu, READ_ACTIONS)
        env = ddb_env(cls.emu, cls.creds, S3JSON_CACHE_TTL_SECONDS="1",
                      S3JSON_MAX_OBJECT_BYTES="1024")  # fmt: skip
        cls.svc = Service(env, wait_ready=True).start()

    @classmethod
    def tearDownClass(cls):
        rc = cls.svc.stop()
        assert rc == 0, f"exit {rc}: {cls.svc.stderr[-20:]}"

    def assertJsonError(self, r, status, code):
        self.assertEqual(r.status, status, r)
        self.assertEqual(r.headers["content-type"], JSON_TYPE)
        self.assertEqual(r.json()["error"], code, r)

    def test_get_serves_body_byte_for_byte_with_sha256_etag(self):
        r = self.svc.get("/api/foo")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, self.docs["foo"])
        self.assertEqual(r.headers["content-type"], JSON_TYPE)
        self.assertEqual(r.headers["etag"], '"%s"' % sha(self.docs["foo"]))
        self.assertNotIn("last-modified", r.headers)

    def test_missing_item_is_404(self):
        self.assertJsonError(self.svc.get("/api/no-such-doc"), 404, "not_found")

    def test_outside_prefix_is_404(self):
        self.assertJsonError(self.svc.get("/api/../outside"), 400, "bad_name")
        self.assertJsonError(self.svc.get("/api/outside"), 404, "not_found")

    def test_too_large_and_invalid(self):
        self.assertJsonError(self.svc.get("/api/big"), 502, "document_too_large")
        self.assertJsonError(self.svc.get("/api/invalid"), 502, "invalid_document")

    def test_conditional_get_304(self):
        etag = self.svc.get("/api/foo").headers["etag"]
        r = self.svc.get("/api/foo", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304, r)

    def test_revalidation_reads_sha256_only_then_whole_without_it(self):
        for name in ("bar", "nosha"):
            with self.subTest(name=name):
                self.assertEqual(self.svc.get(f"/api/{name}").status, 200)
                time.sleep(1.3)  # past the 1 s TTL
                r = self.svc.get(f"/api/{name}")
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.headers["x-cache"], "REVALIDATED")

    def test_changed_item_is_served_new(self):
        put(self.emu, TABLE, PREFIX + "changing", b'{"v":1}')
        self.assertEqual(self.svc.get("/api/changing").body, b'{"v":1}')
        put(self.emu, TABLE, PREFIX + "changing", b'{"v":2}')
        time.sleep(1.3)
        r = self.svc.get("/api/changing")
        self.assertEqual(r.body, b'{"v":2}')
        self.assertEqual(r.headers["x-cache"], "MISS")
        self.assertEqual(r.headers["etag"], '"%s"' % sha(b'{"v":2}'))

    def test_stale_sha256_is_warned_and_body_wins_on_a_full_read(self):
        # A writer that changed body but not sha256. (Revalidation trusts
        # sha256: such a writer's change shows once the entry is evicted.)
        put(self.emu, TABLE, PREFIX + "stale-sha", b'{"v":2}', digest=sha(b'{"v":1}'))
        r = self.svc.get("/api/stale-sha")
        self.assertEqual(r.body, b'{"v":2}')
        self.assertEqual(r.headers["etag"], '"%s"' % sha(b'{"v":2}'))
        d = self.svc.wait_event("ddb_sha256_mismatch", lambda d: d.get("key") == PREFIX + "stale-sha")
        self.assertEqual(d["stored"], sha(b'{"v":1}'))

    def test_listing_pages_cover_every_document_once(self):
        names, cursor, pages = [], None, 0
        while pages < 100:
            path = "/api?limit=3" + (f"&cursor={cursor}" if cursor else "")
            r = self.svc.get(path)
            self.assertEqual(r.status, 200, r)
            doc = r.json()
            names += doc["documents"]
            cursor, pages = doc["next_cursor"], pages + 1
            if not cursor:
                break
        self.assertGreater(pages, 1)
        self.assertEqual(len(names), len(set(names)))
        self.assertNotIn("with space", names)  # not a valid name: skipped
        self.assertNotIn("outside", names)
        self.assertTrue(set(self.docs) <= set(names), set(self.docs) - set(names))

    def test_bad_cursor_is_400(self):
        self.assertJsonError(self.svc.get("/api?cursor=!!"), 400, "bad_cursor")
        # well-formed base64url, but not a key DynamoDB could hold (not UTF-8)
        self.assertJsonError(self.svc.get("/api?cursor=__79"), 400, "bad_cursor")

    def test_readyz(self):
        self.assertEqual(self.svc.get("/readyz").status, 200)


class DynamoStoreErrorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        create_table(cls.emu, TABLE)
        put(cls.emu, TABLE, PREFIX + "foo", b"{}")

    def test_denied_is_502_upstream_forbidden_and_not_ready(self):
        creds = create_reader(self.emu, ["dynamodb:DescribeTable"])
        with Service(ddb_env(self.emu, creds)) as svc:
            r = svc.get("/api/foo")
            self.assertEqual(r.status, 502, r)
            self.assertEqual(r.json()["error"], "upstream_forbidden")
            r = svc.get("/api")
            self.assertEqual(r.json()["error"], "upstream_forbidden")

    def test_missing_table_is_not_ready_and_502(self):
        creds = create_reader(self.emu, READ_ACTIONS)
        with Service(ddb_env(self.emu, creds, S3JSON_TABLE="no-such-table")) as svc:
            self.assertEqual(svc.get("/api/foo").json()["error"], "upstream_error")
            d = svc.wait_event("ready_probe")
            self.assertEqual(d["s3_code"], "ResourceNotFoundException", d)
            r = svc.get("/readyz")
            self.assertEqual(r.status, 503)
            self.assertEqual(r.json()["reason"], "dynamodb_probe_failed")

    def test_settings_stop_start_up(self):
        cases = [
            ({"S3JSON_STORE": "dynamo"}, "S3JSON_STORE: expected s3 or dynamodb"),
            ({"S3JSON_STORE": "dynamodb"}, "S3JSON_TABLE: required with S3JSON_STORE=dynamodb"),
            ({"S3JSON_STORE": "dynamodb", "S3JSON_TABLE": "ab"}, "S3JSON_TABLE: expected"),
            ({"S3JSON_STORE": "dynamodb", "S3JSON_TABLE": "t", "AWS_ENDPOINT_URL_DYNAMODB": "x"},
             "S3JSON_TABLE: expected"),
            ({"S3JSON_STORE": "dynamodb", "S3JSON_TABLE": "tab", "AWS_ENDPOINT_URL_DYNAMODB": "ftp://x"},
             "AWS_ENDPOINT_URL_DYNAMODB: expected an http"),
        ]  # fmt: skip
        for env, want in cases:
            with self.subTest(env=env):
                full = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                        "S3JSON_PORT": str(free_port()), **env}  # fmt: skip
                p = subprocess.run([BINARY], env=full, capture_output=True, text=True, timeout=10)
                self.assertEqual(p.returncode, 2, p)
                self.assertIn(want, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)


ASAN = "/asan/" in os.environ.get("S3JSON_TEST_BINARY", "")
TOOL = os.path.join(ROOT, "build", "asan" if ASAN else "", "tools", "ddb_tool")


class DdbToolTest(unittest.TestCase):
    """ddb/client through build/tools/ddb_tool (what the fault tests drive)."""

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        cls.table = TABLE + "-tool"
        create_table(cls.emu, cls.table)
        put(cls.emu, cls.table, "t/with-sha", b'{"a":1}')
        put(cls.emu, cls.table, "t/no-sha", b'{"b":"\xc3\xa9"}', digest=None)
        put(cls.emu, cls.table, "u/other", b"{}")
        cls.env = dict(os.environ, **ddb_env(cls.emu, create_reader(cls.emu, READ_ACTIONS),
                                             S3JSON_TABLE=cls.table))  # fmt: skip
        subprocess.run(["make", "-s", os.path.relpath(TOOL, ROOT)], cwd=ROOT, check=True,
                       timeout=300)  # fmt: skip

    def tool(self, *args):
        p = subprocess.run([TOOL, *args], env=self.env, capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_get_and_revalidate(self):
        r = self.tool("get", "t/with-sha")
        self.assertEqual((r["code"], r["body"]), ("ok", '{"a":1}'), r)
        self.assertEqual(r["etag"], '"%s"' % sha(b'{"a":1}'))
        self.assertEqual(r["attempts"], 1)
        r = self.tool("get", "t/with-sha", "--if-none-match", r["etag"])
        self.assertEqual((r["code"], r["attempts"]), ("not_modified", 1), r)  # sha256 only
        r = self.tool("get", "t/no-sha", "--if-none-match", '"%s"' % sha(b'{"b":"\xc3\xa9"}'))
        self.assertEqual((r["code"], r["attempts"]), ("not_modified", 2), r)  # read whole
        self.assertEqual(self.tool("get", "t/none")["code"], "not_found")

    def test_scan_pages_and_describe(self):
        keys, start = [], "-"
        for _ in range(10):
            r = self.tool("scan", "t/", start, "1")
            self.assertEqual(r["code"], "ok", r)
            keys += r["keys"]
            if not r["next_start"]:
                break
            start = r["next_start"]
        self.assertEqual(sorted(keys), ["t/no-sha", "t/with-sha"])
        self.assertEqual(self.tool("describe")["code"], "ok")


if __name__ == "__main__":
    unittest.main()
