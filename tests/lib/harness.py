"""Integration test harness: the real s3json binary against the emulator.

- emulator(): one strict, signature-checking AWS emulator per test process
  (tests/emulator/emu.py, in-process), shared by every test module.
- seed_bucket(): a bucket with the sample documents of data/ under a prefix
  plus the awkward objects the error paths need.
- Service: starts build/s3json (or $S3JSON_TEST_BINARY, e.g. the ASan build)
  on a free 127.0.0.1 port, collects its JSON log lines, stops it by PID.

Every wait here is bounded; every server binds 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

from emulator.emu import Emulator
from lib.net import free_port
from lib.proc import stop_pid

BUCKET = "s3json-docs"
PREFIX = "docs/"
BINARY = os.environ.get("S3JSON_TEST_BINARY", os.path.join(ROOT, "build", "s3json"))
# A command to run the binary under, e.g. "valgrind --error-exitcode=97".
WRAPPER = os.environ.get("S3JSON_TEST_WRAPPER", "").split()
# Under valgrind everything is ~20x slower: waits for start-up stretch.
SLOW = 10.0 if WRAPPER else 1.0
DATA = os.path.join(ROOT, "data")

_emu: Emulator | None = None
_emu_lock = threading.Lock()


def emulator() -> Emulator:
    """The shared in-process emulator (started on first use)."""
    global _emu
    with _emu_lock:
        if _emu is None:
            _emu = Emulator().start()
        return _emu


def sample_documents() -> dict[str, bytes]:
    """name -> bytes of every data/**/*.json."""
    docs = {}
    for dirpath, _, files in os.walk(DATA):
        for f in files:
            if f.endswith(".json"):
                path = os.path.join(dirpath, f)
                name = os.path.relpath(path, DATA)[: -len(".json")]
                with open(path, "rb") as fh:
                    docs[name] = fh.read()
    return docs


BIG_BYTES = 1024 * 1024 + 10


def seed_bucket(emu: Emulator, bucket: str = BUCKET, prefix: str = PREFIX) -> dict[str, bytes]:
    """Creates 'bucket' (if needed) with the sample documents under 'prefix',
    plus: invalid.json (not JSON), big.json (> 1 MiB), notes.txt (not a
    document), 'with space.json' (not a valid name), and secret.json outside
    the prefix. Returns the valid documents by name."""
    s3 = emu.client("s3")
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    docs = sample_documents()
    for name, body in docs.items():
        s3.put_object(Bucket=bucket, Key=f"{prefix}{name}.json", Body=body,
                      ContentType="application/json")  # fmt: skip
    s3.put_object(Bucket=bucket, Key=f"{prefix}invalid.json", Body=b'{"a": 1,}')
    big = b'{"pad":"' + b"x" * (BIG_BYTES - 10) + b'"}'
    s3.put_object(Bucket=bucket, Key=f"{prefix}big.json", Body=big)
    s3.put_object(Bucket=bucket, Key=f"{prefix}notes.txt", Body=b"not a document")
    s3.put_object(Bucket=bucket, Key=f"{prefix}with space.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="secret.json", Body=b'{"secret":true}')
    return docs


# -- the DynamoDB store (issue 14) ------------------------------------------

TABLE = "s3json-docs"
# S3JSON_TEST_STORE=dynamodb runs the store-parametrized suites (test_api,
# test_cache) against the emulator's DynamoDB instead of S3.
STORE = os.environ.get("S3JSON_TEST_STORE", "s3")
if STORE not in ("s3", "dynamodb"):
    raise SystemExit(f"S3JSON_TEST_STORE: expected s3 or dynamodb, got {STORE!r}")
# Items seeded WITHOUT sha256 (other writers may omit it): the service must
# still serve them, with an ETag computed from the body.
NO_SHA256 = ("bar", "team/platform")


def ddb_item(name: str, body: bytes, with_sha: bool = True) -> dict:
    item = {"name": {"S": name}, "body": {"S": body.decode("utf-8")}}
    if with_sha:
        item["sha256"] = {"S": hashlib.sha256(body).hexdigest()}
    return item


def create_table(emu: Emulator, table: str = TABLE) -> None:
    d = emu.client("dynamodb")
    try:
        d.create_table(TableName=table, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                       AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                       BillingMode="PAY_PER_REQUEST")  # fmt: skip
    except d.exceptions.ResourceInUseException:
        pass


def seed_table(emu: Emulator, table: str = TABLE, prefix: str = PREFIX) -> dict[str, bytes]:
    """The table twin of seed_bucket(): the same documents as items under
    'prefix' (sha256 on all but NO_SHA256), plus invalid (not JSON), big
    (> 1 MiB would not fit an item: 390 KB with S3JSON_MAX_OBJECT_BYTES set
    below it by the suites), 'with space' (not a valid name) and secret
    outside the prefix. Returns the valid documents by name."""
    create_table(emu, table)
    d = emu.client("dynamodb")
    docs = sample_documents()
    for name, body in docs.items():
        d.put_item(TableName=table, Item=ddb_item(prefix + name, body, name not in NO_SHA256))
    d.put_item(TableName=table, Item=ddb_item(prefix + "invalid", b'{"a": 1,}'))
    d.put_item(TableName=table, Item=ddb_item(prefix + "big", DDB_BIG))
    d.put_item(TableName=table, Item=ddb_item(prefix + "with space", b"{}"))
    d.put_item(TableName=table, Item=ddb_item("secret", b'{"secret":true}'))
    return docs


DDB_BIG_BYTES = 390 * 1024
DDB_BIG = b'{"pad":"' + b"x" * (DDB_BIG_BYTES - 10) + b'"}'


def create_table_reader(emu: Emulator, table: str = TABLE) -> dict[str, str]:
    """An IAM user with the task role's policy: GetItem, Scan, DescribeTable on 'table'."""
    from emulator.emu import ddb_restricted_policy

    return emu.create_policy_user(ddb_restricted_policy(table, emu.region, emu.account_id))


class Response:
    def __init__(self, status: int, headers: dict[str, str], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.body[:200]!r}>"


class Service:
    """build/s3json as a child process. Use as a context manager."""

    def __init__(self, env: dict[str, str], port: int | None = None, wait_ready: bool = False):
        self.port = port or free_port()
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "S3JSON_BIND": "127.0.0.1",
            "S3JSON_PORT": str(self.port),
            "S3JSON_LOG_LEVEL": "debug",
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": "/nonexistent",
            "ASAN_OPTIONS": "detect_leaks=1:abort_on_error=0:exitcode=99",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=98",
        }
        self.env.update(env)
        self.wait_ready = wait_ready
        self.proc: subprocess.Popen[bytes] | None = None
        self.lines: list[str] = []
        self.stderr: list[str] = []
        self._threads: list[threading.Thread] = []

    # -- life cycle -------------------------------------------------------

    def start(self, timeout: float = 15.0) -> Service:
        timeout *= SLOW
        self.proc = subprocess.Popen([*WRAPPER, BINARY], env=self.env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.stderr)):
            t = threading.Thread(target=self._pump, args=(stream, sink), daemon=True)
            t.start()
            self._threads.append(t)
        deadline = time.monotonic() + timeout
        path = "/readyz" if self.wait_ready else "/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"s3json exited {self.proc.returncode}: {self.stderr} {self.lines}")
            try:
                if self.request("GET", path, timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop(signal.SIGKILL)
        raise RuntimeError(f"s3json not {'ready' if self.wait_ready else 'up'} in {timeout}s: {self.lines[-5:]}")

    @staticmethod
    def _pump(stream, sink: list[str]) -> None:
        for raw in iter(stream.readline, b""):
            sink.append(raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Sends 'sig' to the process (by PID) and waits for it to exit."""
        timeout *= SLOW
        if self.proc is None:
            return 0
        stop_pid(self.proc, timeout, sig)
        for t in self._threads:
            t.join(5)
        return self.proc.returncode

    def __enter__(self) -> Service:
        return self.start()

    def __exit__(self, *exc) -> None:
        rc = self.stop()
        if rc not in (0, -signal.SIGKILL) and exc[0] is None:
            raise AssertionError(f"s3json exited {rc}; stderr: {self.stderr[-20:]}")

    # -- HTTP -------------------------------------------------------------

    def request(self, method: str, path: str, headers: dict[str, str] | None = None,
                timeout: float = 10.0, body: bytes | None = None) -> Response:  # fmt: skip
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in (headers or {}).items():
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def metric(self, name: str, labels: str = "") -> float:
        """The value of one series from GET /metrics, summed over its labels
        unless 'labels' picks one (0 when absent)."""
        text = self.get("/metrics").body.decode()
        pat = re.escape(name) + (re.escape("{" + labels + "}") if labels else r"(\{[^}]*\})?") + r" (\S+)$"
        total = 0.0
        for line in text.splitlines():
            m = re.match(pat, line)
            if m:
                total += float(m.groups()[-1])
        return total

    # -- logs -------------------------------------------------------------

    def events(self, event: str | None = None) -> list[dict]:
        out = []
        for line in list(self.lines):
            try:
                doc = json.loads(line)
            except ValueError:
                raise AssertionError(f"log line is not JSON: {line!r}")
            if event is None or doc.get("event") == event:
                out.append(doc)
        return out

    def wait_event(self, event: str, pred=lambda d: True, timeout: float = 5.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for d in self.events(event):
                if pred(d):
                    return d
            time.sleep(0.02)
        raise AssertionError(f"no {event} log line matching in {timeout}s; last: {self.lines[-5:]}")


# With the DynamoDB store the suites' too-large item ("big", 390 KB: an item
# cannot hold more than 400 KB) must pass the service's limit.
DDB_MAX_OBJECT_BYTES = str(256 * 1024)


def service_env(emu: Emulator, creds: dict[str, str], store: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a service reading BUCKET/PREFIX (or, with the
    DynamoDB store, TABLE/PREFIX) with 'creds'."""
    if (store or STORE) == "dynamodb":
        env = {
            "S3JSON_STORE": "dynamodb",
            "S3JSON_TABLE": TABLE,
            "AWS_ENDPOINT_URL_DYNAMODB": emu.endpoint,
            "S3JSON_MAX_OBJECT_BYTES": DDB_MAX_OBJECT_BYTES,
        }
    else:
        env = {"S3JSON_BUCKET": BUCKET, "AWS_ENDPOINT_URL_S3": emu.endpoint}
    env.update({
        "S3JSON_PREFIX": PREFIX,
        "AWS_REGION": emu.region,
        "AWS_ACCESS_KEY_ID": creds["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
    })  # fmt: skip
    if creds.get("session_token"):
        env["AWS_SESSION_TOKEN"] = creds["session_token"]
    if emu.ca_bundle:
        env["AWS_CA_BUNDLE"] = emu.ca_bundle
    env.update(extra)
    return env


# -- the store under test (S3JSON_TEST_STORE) --------------------------------


def seed_store(emu: Emulator) -> dict[str, bytes]:
    """seed_bucket() or seed_table(): the same documents either way."""
    return seed_table(emu) if STORE == "dynamodb" else seed_bucket(emu)


def store_reader(emu: Emulator) -> dict[str, str]:
    """Credentials allowed exactly what the service's task role is."""
    return create_table_reader(emu) if STORE == "dynamodb" else emu.create_restricted_user(BUCKET, PREFIX)


def put_document(emu: Emulator, name: str, body: bytes, with_sha: bool = True) -> None:
    """Write (or replace) document 'name' in the store under test, as the
    loader does (sha256 kept in step unless with_sha=False)."""
    if STORE == "dynamodb":
        emu.client("dynamodb").put_item(TableName=TABLE, Item=ddb_item(PREFIX + name, body, with_sha))
    else:
        emu.client("s3").put_object(Bucket=BUCKET, Key=f"{PREFIX}{name}.json", Body=body)


def skip_unless_s3(reason: str):
    """A test of S3 behaviour: skipped, with the reason printed, when the
    suite runs against DynamoDB."""
    import unittest

    return unittest.skipIf(STORE != "s3", f"S3 only: {reason}")


def projected_fields(request: dict) -> set[str] | None:
    """The attributes a GetItem/Scan asked for (None: the whole item)."""
    proj = request.get("ProjectionExpression")
    if not proj:
        return None
    names = request.get("ExpressionAttributeNames", {})
    return {names.get(f.strip(), f.strip()) for f in proj.split(",") if f.strip()}


def ddb_reads(emu: Emulator, since: int, name: str | None = None, with_body: bool | None = None) -> list[dict]:
    """GetItem requests the emulator served on TABLE after position 'since'
    (len(emu.dynamodb_requests()) taken before), optionally for document
    'name', and only those that transfer `body` (with_body=True: a document
    read) or only those that do not (False: e.g. a sha256 revalidation)."""
    out = []
    for op, doc, _ in emu.dynamodb_requests()[since:]:
        if op != "GetItem" or doc.get("TableName") != TABLE:
            continue
        if name is not None and doc.get("Key", {}).get("name", {}).get("S") != PREFIX + name:
            continue
        fields = projected_fields(doc)
        if with_body is not None and (fields is None or "body" in fields) != with_body:
            continue
        out.append(doc)
    return out


_tools: dict[str, str] = {}


def built_tool(name: str, override_env: str) -> str:
    """The path of build/tools/<name> (build/asan/tools/<name> when the
    binary under test is the ASan build), (re)built by make once per run;
    falls back to the plain build when the ASan one cannot be made. The
    environment variable `override_env` names another build and skips make."""
    if os.environ.get(override_env):
        return os.environ[override_env]
    if name in _tools:
        return _tools[name]
    asan = "/asan/" in os.environ.get("S3JSON_TEST_BINARY", "")
    target = ("build/asan/tools/" if asan else "build/tools/") + name
    p = subprocess.run(["make", "-s", target], cwd=ROOT, timeout=300)
    if p.returncode != 0 and asan:
        print(f"note: cannot build {target}; using build/tools/{name}", file=sys.stderr)
        target = "build/tools/" + name
        subprocess.run(["make", "-s", target], cwd=ROOT, check=True, timeout=300)
    elif p.returncode != 0:
        raise RuntimeError(f"make {target} failed")
    _tools[name] = os.path.join(ROOT, target)
    return _tools[name]
