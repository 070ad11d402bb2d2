"""scripts/ddb-load.py (issue 14) against the emulator's DynamoDB, run as a
user runs it: a child process with AWS_ENDPOINT_URL_DYNAMODB and credentials
allowed only GetItem/PutItem on the table (and S3 reads for an s3:// source).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from lib.harness import DATA, ROOT, create_table, emulator, sample_documents

LOADER = os.path.join(ROOT, "scripts", "ddb-load.py")


def writer_policy(table: str, emu, bucket: str | None = None) -> dict:
    arn = f"arn:aws:dynamodb:{emu.region}:{emu.account_id}:table/{table}"
    st = [{"Effect": "Allow", "Action": ["dynamodb:GetItem", "dynamodb:PutItem"], "Resource": arn}]
    if bucket:
        st += [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{bucket}"},
               {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]  # fmt: skip
    return {"Version": "2012-10-17", "Statement": st}


class LoaderTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        cls.tmp = tempfile.mkdtemp(prefix="ddb-load-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def table(self, name: str) -> str:
        t = f"load-{name}-{os.getpid()}"
        create_table(self.emu, t)
        return t

    def run_loader(self, table: str, source: str, *args: str, bucket: str | None = None):
        creds = self.emu.create_policy_user(writer_policy(table, self.emu, bucket))
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.emu.env(creds))
        env.pop("AWS_ENDPOINT_URL")
        env["AWS_ENDPOINT_URL_DYNAMODB"] = self.emu.endpoint
        env["AWS_ENDPOINT_URL_S3"] = self.emu.endpoint
        p = subprocess.run([sys.executable, LOADER, source, "--table", table, *args], env=env,
                           capture_output=True, text=True, timeout=120)  # fmt: skip
        return p.returncode, p.stdout, p.stderr

    def items(self, table: str) -> dict[str, dict]:
        d = self.emu.client("dynamodb")
        out, start = {}, None
        for _ in range(100):
            r = d.scan(TableName=table, **({"ExclusiveStartKey": start} if start else {}))
            out.update({i["name"]["S"]: i for i in r["Items"]})
            start = r.get("LastEvaluatedKey")
            if not start:
                return out
        self.fail("scan did not end")

    def test_folder_is_loaded_then_a_second_run_changes_nothing(self):
        t = self.table("data")
        rc, out, err = self.run_loader(t, DATA, "--prefix", "docs/")
        self.assertEqual(rc, 0, out + err)
        docs = sample_documents()
        items = self.items(t)
        self.assertEqual(set(items), {"docs/" + n for n in docs})
        for name, body in docs.items():
            item = items["docs/" + name]
            self.assertEqual(item["body"]["S"].encode(), body, name)  # byte for byte
            self.assertEqual(item["sha256"]["S"], hashlib.sha256(body).hexdigest())
        self.assertIn(f"[1/{len(docs)}]", out)
        self.assertIn(f"{len(docs)} documents: {len(docs)} written, 0 unchanged, 0 refused", out)
        rc, out2, _ = self.run_loader(t, DATA, "--prefix", "docs/")
        self.assertEqual(rc, 0, out2)
        self.assertIn(f"0 written, {len(docs)} unchanged", out2)
        self.assertIn("nothing changed", out2)
        self.assertNotIn("written as", out2)

    def test_changed_document_is_rewritten_and_refused_files_are_named(self):
        src = os.path.join(self.tmp, "mixed")
        os.makedirs(os.path.join(src, "team"))
        files = {
            "ok.json": b'{"v":1}',
            "team/nested.json": b'[1,2]',
            "invalid.json": b'{"a": 1,}',
            "nan.json": b'{"a": NaN}',
            "latin1.json": b'{"a":"\xe9"}',
            "too big.json": b"{}",
            "big.json": b'{"pad":"' + b"x" * 300_000 + b'"}',
            "huge.json": b'{"pad":"' + b"x" * 420_000 + b'"}',
            "notes.txt": b"not a document",
        }
        for rel, body in files.items():
            with open(os.path.join(src, rel), "wb") as f:
                f.write(body)
        t = self.table("mixed")
        rc, out, _ = self.run_loader(t, src, "--max-object-bytes", "200000")
        self.assertEqual(rc, 1, out)
        lines = {ln.split("] ", 1)[1].split(":", 1)[0]: ln for ln in out.splitlines() if ln.startswith("[")}
        self.assertIn("REFUSED: not valid JSON", lines["invalid.json"])
        self.assertIn("REFUSED: not valid JSON", lines["nan.json"])
        self.assertIn("REFUSED: not UTF-8", lines["latin1.json"])
        self.assertIn("REFUSED: name has a character outside", lines["too big.json"])
        self.assertIn("more than --max-object-bytes 200000", lines["big.json"])
        self.assertIn("more than --max-object-bytes 200000", lines["huge.json"])
        self.assertNotIn("notes.txt", out)
        self.assertEqual(set(self.items(t)), {"ok", "team/nested"})
        self.assertIn("8 documents: 2 written, 0 unchanged, 6 refused", out)
        # With the service's default limit, only DynamoDB's 400 KB item limit refuses huge.json.
        with open(os.path.join(src, "ok.json"), "wb") as f:
            f.write(b'{"v":2}')
        rc, out, _ = self.run_loader(t, src)
        self.assertEqual(rc, 1, out)
        self.assertIn("more than DynamoDB's 409600 (400 KB)", out)
        self.assertIn("ok.json: written as ok", out)
        self.assertIn("team/nested.json: unchanged", out)
        self.assertEqual(self.items(t)["ok"]["body"]["S"], '{"v":2}')

    def test_s3_prefix_source(self):
        bucket, t = f"load-src-{os.getpid()}", self.table("s3")
        s3 = self.emu.client("s3")
        s3.create_bucket(Bucket=bucket)
        s3.put_object(Bucket=bucket, Key="v1/a.json", Body=b'{"a":1}')
        s3.put_object(Bucket=bucket, Key="v1/sub/b.json", Body=b'{"b":2}')
        s3.put_object(Bucket=bucket, Key="v2/c.json", Body=b"{}")
        rc, out, err = self.run_loader(t, f"s3://{bucket}/v1/", "--prefix", "p/", bucket=bucket)
        self.assertEqual(rc, 0, out + err)
        self.assertEqual({k: json.loads(v["body"]["S"]) for k, v in self.items(t).items()},
                         {"p/a": {"a": 1}, "p/sub/b": {"b": 2}})  # fmt: skip

    def test_missing_table_and_bad_usage_say_what_is_wrong(self):
        rc, out, _ = self.run_loader(f"no-such-{os.getpid()}", DATA)
        self.assertEqual(rc, 1)
        self.assertIn("ResourceNotFoundException", out)
        self.assertEqual(len([ln for ln in out.splitlines() if "FAILED" in ln]), 1, out)
        rc, _, err = self.run_loader("t", os.path.join(self.tmp, "nope"))
        self.assertEqual(rc, 2)
        self.assertIn("is not a folder or s3://bucket/prefix", err)
