"""Fake AWS credential endpoints on 127.0.0.1, one implementation for every
test: the ECS container credentials endpoint and IMDSv2 on one port
(FakeEndpoint: made-up keys, failures, delays, every request recorded), and
StsEndpoint, the same serving the emulator's real temporary credentials.

    ep = FakeEndpoint(lifetime=60).start()   # ep.url, ep.full_uri
    ...
    ep.stop()
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ECS_PATH = "/v2/credentials/2c5a4e1b-test"
IMDS_ROLE = "s3json-test-role"

def iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


class FakeEndpoint(ThreadingHTTPServer):
    """ECS endpoint + IMDSv2 on one port. Thread-safe state under .lock."""

    daemon_threads = True

    def __init__(self, lifetime: int = 3600, port: int = 0):
        super().__init__(("127.0.0.1", port), Handler)
        self.lock = threading.Lock()
        self.lifetime = lifetime  # seconds from issue to Expiration
        self.auth_tokens: set[str] | None = None  # accepted, None = no check
        self.down = False  # True: every request gets down_status
        self.down_status = 503
        self.delay = 0.0  # seconds before each answer
        self.serial = 0  # keys issued
        self.issued: list[dict] = []  # every set of keys served
        self.requests: list[tuple[float, str, str, dict]] = []
        self.imds_tokens: set[str] = set()
        self.served: list[float] = []  # time.monotonic() of each ECS answer sent
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def full_uri(self) -> str:
        """For AWS_CONTAINER_CREDENTIALS_FULL_URI."""
        return self.url + "/full" + ECS_PATH

    @property
    def fetches(self) -> int:
        with self.lock:
            return len(self.requests)

    def start(self) -> "FakeEndpoint":
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():
            self.shutdown()
            self.thread.join(timeout=5)
        self.server_close()

    def set(self, **kw) -> None:
        with self.lock:
            for k, v in kw.items():
                setattr(self, k, v)

    def new_keys(self, imds: bool) -> dict:
        with self.lock:
            self.serial += 1
            n = self.serial
            now = time.time()
            keys = {
                "AccessKeyId": f"ASIATEST{n:08d}",
                "SecretAccessKey": f"secret-{n}-do-not-print",
                "Token": f"session-token-{n}-do-not-print",
                "Expiration": iso(now + self.lifetime),
            }
            self.issued.append(dict(keys, issued_at=now))
        if imds:
            keys = dict(
                Code="Success", LastUpdated=iso(now), Type="AWS-HMAC", **keys
            )
        else:
            keys["RoleArn"] = "arn:aws:iam::123456789012:role/test"
        return keys

    def paths(self) -> list[str]:
        with self.lock:
            return [f"{m} {p}" for _, m, p, _ in self.requests]


class Handler(BaseHTTPRequestHandler):
    server: FakeEndpoint
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet
        pass

    def reply(self, status: int, body: str, ctype: str = "text/plain") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def handle_any(self, method: str) -> None:
        s = self.server
        with s.lock:
            s.requests.append((time.time(), method, self.path, dict(self.headers)))
            down, delay = s.down, s.delay
        if delay:
            time.sleep(delay)
        if down:
            return self.reply(s.down_status, "down")
        if self.path == ECS_PATH or self.path == "/full" + ECS_PATH:
            return self.ecs(method)
        if self.path.startswith("/latest/"):
            return self.imds(method)
        self.reply(404, "no such path")

    def ecs(self, method: str) -> None:
        s = self.server
        with s.lock:
            accepted = s.auth_tokens
        if method != "GET":
            return self.reply(405, "")
        if accepted is not None and self.headers.get("Authorization") not in accepted:
            return self.reply(401, "bad token")
        try:
            self.reply(200, json.dumps(s.new_keys(False)), "application/json")
        except OSError:  # the client gave up waiting (its time budget)
            return
        with s.lock:
            s.served.append(time.monotonic())

    def imds(self, method: str) -> None:
        s = self.server
        if self.path == "/latest/api/token":
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if method != "PUT" or not ttl or not ttl.isdigit():
                return self.reply(400, "")
            tok = f"imds-token-{time.monotonic_ns()}"
            with s.lock:
                s.imds_tokens.add(tok)
            return self.reply(200, tok)
        with s.lock:
            ok = self.headers.get("X-aws-ec2-metadata-token") in s.imds_tokens
        if method != "GET" or not ok:
            return self.reply(401, "")  # IMDSv2 only
        base = "/latest/meta-data/iam/security-credentials/"
        if self.path == base:
            return self.reply(200, IMDS_ROLE)
        if self.path == base + IMDS_ROLE:
            return self.reply(200, json.dumps(s.new_keys(True)), "application/json")
        self.reply(404, "")

    def do_GET(self):
        self.handle_any("GET")

    def do_PUT(self):
        self.handle_any("PUT")


class StsEndpoint(FakeEndpoint):
    """The ECS endpoint, serving real temporary credentials of the emulator
    (STS AssumeRole on a restricted role) with a short declared Expiration.
    With expire=True a watchdog expires each session in the emulator as soon
    as its declared Expiration passes, so a request signed with old keys gets
    ExpiredToken."""

    def __init__(self, emu, bucket: str, prefix: str, lifetime: int, expire: bool = True):
        super().__init__(lifetime=lifetime)
        self.expire = expire
        self.emu = emu
        first = emu.assume_restricted_role(bucket, prefix)
        self.role_arn = first["role_arn"]
        self.expired: list[str] = []
        self.stopping = threading.Event()
        self.watchdog = threading.Thread(target=self.expire_loop, daemon=True)

    def new_keys(self, imds: bool) -> dict:
        c = self.emu.client("sts").assume_role(
            RoleArn=self.role_arn, RoleSessionName="s3json-ecs", DurationSeconds=3600
        )["Credentials"]
        now = time.time()
        keys = {
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["SessionToken"],
            "Expiration": iso(now + self.lifetime),
        }
        with self.lock:
            self.issued.append(dict(keys, issued_at=now, exp=int(now + self.lifetime)))
        return keys

    def expire_loop(self) -> None:
        while not self.stopping.wait(0.05):
            with self.lock:
                due = [k["AccessKeyId"] for k in self.issued
                       if k["exp"] <= time.time() and k["AccessKeyId"] not in self.expired]  # fmt: skip
            for akid in due:
                self.emu.expire_session(akid)
                with self.lock:
                    self.expired.append(akid)

    def start(self) -> "StsEndpoint":
        super().start()
        if self.expire:
            self.watchdog.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self.watchdog.is_alive():
            self.watchdog.join(timeout=5)
        super().stop()
