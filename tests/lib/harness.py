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

import http.client
import json
import os
import signal
import subprocess
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


def service_env(emu: Emulator, creds: dict[str, str], **extra: str) -> dict[str, str]:
    """The environment of a service reading BUCKET/PREFIX with 'creds'."""
    env = {
        "S3JSON_BUCKET": BUCKET,
        "S3JSON_PREFIX": PREFIX,
        "AWS_REGION": emu.region,
        "AWS_ENDPOINT_URL_S3": emu.endpoint,
        "AWS_ACCESS_KEY_ID": creds["access_key_id"],
        "AWS_SECRET_ACCESS_KEY": creds["secret_access_key"],
    }
    if creds.get("session_token"):
        env["AWS_SESSION_TOKEN"] = creds["session_token"]
    if emu.ca_bundle:
        env["AWS_CA_BUNDLE"] = emu.ca_bundle
    env.update(extra)
    return env
