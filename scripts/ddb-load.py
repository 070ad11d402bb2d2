#!/usr/bin/env python3
"""ddb-load: copy JSON documents into s3json's DynamoDB table (issue 14).

    scripts/ddb-load.py SOURCE --table TABLE [--prefix P] [--region R]
                        [--max-object-bytes N] [--dry-run]

SOURCE is a folder (every **/*.json below it) or s3://bucket/prefix (every
key ending in .json under it). Each file becomes one item in the layout the
service reads (docs/operations.md):

    name   (S)  --prefix + the path below SOURCE without ".json" ("team/platform")
    body   (S)  the file's exact text
    sha256 (S)  lowercase hex SHA-256 of body (the service revalidates with it)

A file is refused, with one line saying why, when it is not UTF-8, not one
strict JSON value (NaN and Infinity are not JSON), larger than
--max-object-bytes (the service's S3JSON_MAX_OBJECT_BYTES, default 1048576),
when the item would pass DynamoDB's 400 KB item limit, or when its name is not
one the API can serve ([A-Za-z0-9._-] segments joined by '/', at most 512
bytes). Idempotent: an item whose sha256 already matches is left alone (a
strongly consistent read of sha256 alone; DynamoDB still
charges 1 read unit per started 4 KB of the stored item), so a second run writes nothing and
says so. Exit status: 0 all loaded or unchanged, 1 any file refused or
failed, 2 usage.

Needs Python 3.8+ and boto3 (pip install boto3). Credentials and region come
from the usual AWS chain (AWS_PROFILE, env, SSO...); AWS_ENDPOINT_URL_DYNAMODB
(and AWS_ENDPOINT_URL_S3) point it elsewhere, e.g. at the test emulator.
IAM: dynamodb:GetItem and dynamodb:PutItem on the table; for an s3:// source
also s3:ListBucket and s3:GetObject.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
from typing import Any, Iterator

ITEM_LIMIT = 400 * 1024  # DynamoDB: attribute names + values, UTF-8 bytes
NAME_MAX = 512  # app/src/http/names.h NAMES_MAX
DEFAULT_MAX_OBJECT_BYTES = 1048576  # S3JSON_MAX_OBJECT_BYTES default
# Errors that every further file would get too (wrong table, credentials).
FATAL = ("ResourceNotFoundException", "UnrecognizedClientException", "InvalidSignatureException",
         "ExpiredTokenException", "MissingAuthenticationTokenException")  # fmt: skip
_SEGMENT = re.compile(r"^[A-Za-z0-9._-]+$")


class Refused(Exception):
    """A document the service would not serve: the message says why."""


def name_problem(name: str) -> str | None:
    """Why the API cannot serve `name` (None: it can). Mirrors names_decode."""
    if not name:
        return "empty name"
    if len(name.encode()) > NAME_MAX:
        return f"name longer than {NAME_MAX} bytes"
    for seg in name.split("/"):
        if seg in ("", ".", ".."):
            return "name has an empty, '.' or '..' segment"
        if not _SEGMENT.match(seg):
            return "name has a character outside [A-Za-z0-9._-] and '/'"
    return None


def _no_constants(token: str) -> Any:
    raise ValueError(f"{token} is not JSON")


def item_size(name: str, body: str, sha: str) -> int:
    return sum(len(s.encode()) for s in ("name", name, "body", body, "sha256", sha))


def make_item(name: str, data: bytes, max_bytes: int) -> dict[str, dict[str, str]]:
    """The item for document `name` (already prefixed), or Refused."""
    if len(data) > max_bytes:
        raise Refused(f"{len(data)} bytes, more than --max-object-bytes {max_bytes}")
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise Refused(f"not UTF-8 (byte {e.start})") from None
    try:
        json.loads(body, parse_constant=_no_constants)
    except ValueError as e:
        raise Refused(f"not valid JSON: {e}") from None
    sha = hashlib.sha256(data).hexdigest()
    size = item_size(name, body, sha)
    if size > ITEM_LIMIT:
        raise Refused(f"item would be {size} bytes, more than DynamoDB's {ITEM_LIMIT} (400 KB)")
    return {"name": {"S": name}, "body": {"S": body}, "sha256": {"S": sha}}


def local_documents(root: str) -> Iterator[tuple[str, Any]]:
    """(name without .json, reader) for every *.json below root, sorted."""
    found = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        for f in files:
            if f.endswith(".json"):
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                found.append((rel[: -len(".json")], path))
    for name, path in sorted(found):
        yield name, (lambda p=path: open(p, "rb").read())


def s3_documents(session: Any, url: str) -> Iterator[tuple[str, Any]]:
    bucket, _, prefix = url[len("s3://"):].partition("/")  # fmt: skip
    s3 = session.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith(".json"):
                rel = key[len(prefix):].lstrip("/")  # fmt: skip
                yield rel[: -len(".json")], (lambda k=key: s3.get_object(Bucket=bucket, Key=k)["Body"].read())


class Loader:
    def __init__(self, ddb: Any, table: str, prefix: str, max_bytes: int, dry_run: bool, out: Any):
        self.ddb, self.table, self.prefix = ddb, table, prefix
        self.max_bytes, self.dry_run, self.out = max_bytes, dry_run, out
        self.counts = {"written": 0, "unchanged": 0, "refused": 0, "failed": 0}
        self.fatal = ""  # an error every further file would repeat: stop

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)

    def stored_sha(self, name: str) -> str | None:
        r = self.ddb.get_item(TableName=self.table, Key={"name": {"S": name}}, ConsistentRead=True,
                              ProjectionExpression="#s", ExpressionAttributeNames={"#s": "sha256"})  # fmt: skip
        return r.get("Item", {}).get("sha256", {}).get("S")

    def load_one(self, n: int, total: str, rel: str, read: Any) -> None:
        name = self.prefix + rel
        where = f"[{n}{total}] {rel}.json"
        try:
            problem = name_problem(rel)
            if problem:
                raise Refused(problem)
            item = make_item(name, read(), self.max_bytes)
        except Refused as e:
            self.counts["refused"] += 1
            self.say(f"{where}: REFUSED: {e}")
            return
        sha = item["sha256"]["S"]
        try:
            if self.stored_sha(name) == sha:
                self.counts["unchanged"] += 1
                self.say(f"{where}: unchanged ({name})")
                return
            if not self.dry_run:
                self.ddb.put_item(TableName=self.table, Item=item)
        except Exception as e:  # botocore ClientError, connection errors
            self.counts["failed"] += 1
            self.say(f"{where}: FAILED: {e}")
            code = getattr(e, "response", {}).get("Error", {}).get("Code", "")
            if code in FATAL:
                self.fatal = code
            return
        self.counts["written"] += 1
        verb = "would write" if self.dry_run else "written"
        self.say(f"{where}: {verb} as {name} ({len(item['body']['S'].encode())} bytes, sha256 {sha[:12]})")

    def summary(self) -> str:
        c = self.counts
        total = sum(c.values())
        verb = "would be written" if self.dry_run else "written"
        line = (f"{total} documents: {c['written']} {verb}, {c['unchanged']} unchanged, "
                f"{c['refused']} refused, {c['failed']} failed")  # fmt: skip
        if total and c["written"] == 0 and c["refused"] == 0 and c["failed"] == 0:
            line += " -- nothing changed, the table already holds every document"
        return line


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="ddb-load.py", description="copy *.json documents into s3json's DynamoDB table (see docs/operations.md)"
    )
    p.add_argument("source", help="a folder, or s3://bucket/prefix")
    p.add_argument("--table", required=True, help="the table (infra output documents_table)")
    p.add_argument("--prefix", default="", help="put in front of every name: the service's S3JSON_PREFIX")
    p.add_argument("--region", default=None, help="AWS region (default: the AWS chain's)")
    p.add_argument("--max-object-bytes", type=int, default=DEFAULT_MAX_OBJECT_BYTES,
                   help="refuse documents larger than this: the service's S3JSON_MAX_OBJECT_BYTES")  # fmt: skip
    p.add_argument("--dry-run", action="store_true", help="validate and compare, write nothing")
    a = p.parse_args(argv)
    if a.max_object_bytes < 1:
        p.error("--max-object-bytes must be a positive number of bytes")
    if not a.source.startswith("s3://") and not os.path.isdir(a.source):
        p.error(f"source {a.source!r} is not a folder or s3://bucket/prefix")
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    try:
        import boto3
    except ImportError:
        print("ddb-load.py needs boto3: pip install boto3", file=sys.stderr)
        return 2
    session = boto3.session.Session(region_name=a.region)
    loader = Loader(session.client("dynamodb"), a.table, a.prefix, a.max_object_bytes, a.dry_run, sys.stdout)
    if a.source.startswith("s3://"):
        docs: Any = s3_documents(session, a.source)
        total = ""  # listed as it goes
    else:
        docs = list(local_documents(a.source))
        total = f"/{len(docs)}"
    loader.say(f"loading {a.source} into table {a.table} (prefix {a.prefix!r})" + (" -- dry run" if a.dry_run else ""))
    for n, (rel, read) in enumerate(docs, 1):
        loader.load_one(n, total, rel, read)
        if loader.fatal:
            loader.say(f"stopped after {loader.fatal}: check --table, --region and the credentials")
            break
    loader.say(loader.summary())
    return 1 if loader.counts["refused"] or loader.counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
