"""A fault-injecting HTTP proxy in front of the S3 emulator.

The service under test points AWS_ENDPOINT_URL_S3 at FaultProxy.endpoint.
By default every request is forwarded unchanged to the emulator (the Host
header included, so SigV4 signatures stay valid). A test queues faults for
the requests whose path contains 'match' (so the service's own readiness
probe does not take them); each such request pops the next one (or, with
`always`, keeps getting it):

  ("status", 503, code)   an S3 error document with that status and <Code>
  ("hang", seconds)       read the request, answer nothing for that long
  ("delay", seconds)      forward, but only after that long
  ("truncate",)           forward, then send half the body and close
  ("garbage",)            answer bytes that are not HTTP and close
  ("body", status, bytes) answer 'bytes' with that status (e.g. bad XML)
  ("headers", {name: value})  forward, then replace those response headers
                          (value None: drop the header)
  ("ddb", status, type)   a DynamoDB JSON error: {"__type": type, "message"}
                          (type in full, e.g. "com.amazonaws.dynamodb.v20120810#
                          ProvisionedThroughputExceededException")

DynamoDB requests all go to "/": for them 'match' (and count()) is looked
for in the operation (X-Amz-Target) and the JSON body too, e.g.
match='"docs/foo"' or match="Scan".

Everything binds 127.0.0.1; every wait is bounded.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_XML = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>%s</Code>'
             b"<Message>injected by the fault proxy</Message>"
             b"<RequestId>FAULT</RequestId></Error>")  # fmt: skip


class FaultProxy:
    def __init__(self, upstream: str):
        u = urllib.parse.urlsplit(upstream)
        self.upstream = (u.hostname, u.port)
        self.faults: list[tuple] = []
        self.sticky: tuple | None = None
        self.match = ""
        self.seen: list[tuple[str, str]] = []  # (method, path + target + body) per request
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_one(self):
                proxy._handle(self)

            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = handle_one

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()

    # -- control ------------------------------------------------------------

    def queue(self, *faults: tuple, match: str = "") -> None:
        with self.lock:
            self.faults.extend(faults)
            self.match = match

    def always(self, fault: tuple | None, match: str = "") -> None:
        with self.lock:
            self.sticky = fault
            self.match = match

    def count(self, path_part: str = "") -> int:
        with self.lock:
            return sum(1 for _, p in self.seen if path_part in p)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.sticky = None
            self.match = ""
            self.seen.clear()

    # -- serving ------------------------------------------------------------

    def _next_fault(self, path: str) -> tuple | None:
        """'path': the request's path, plus for DynamoDB its target and body."""
        with self.lock:
            self.seen.append(("", path))
            if self.match not in path:
                return None
            if self.faults:
                return self.faults.pop(0)
            return self.sticky

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        n = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(n) if n else b""
        target = h.headers.get("X-Amz-Target")
        what = h.path if not target else f"{h.path}\n{target}\n{body.decode('utf-8', 'replace')}"
        fault = self._next_fault(what)
        kind = fault[0] if fault else None
        if kind == "status":
            doc = ERROR_XML % fault[2].encode()
            self._answer(h, fault[1], doc, {"Content-Type": "application/xml"})
        elif kind == "ddb":
            doc = json.dumps({"__type": fault[2], "message": "injected by the fault proxy"}).encode()
            self._answer(h, fault[1], doc, {"Content-Type": "application/x-amz-json-1.0"})
        elif kind == "hang":
            self.stopping.wait(fault[1])
            h.close_connection = True
        elif kind == "garbage":
            h.wfile.write(b"\x00\x01NOT-HTTP garbage\r\n\r\n")
            h.close_connection = True
        elif kind == "body":
            self._answer(h, fault[1], fault[2], {"Content-Type": "application/xml"})
        else:
            if kind == "delay":
                self.stopping.wait(fault[1])
            status, headers, data = self._forward(h, body)
            if kind == "headers":
                headers = {k: v for k, v in headers.items()
                           if k.lower() not in {n.lower() for n in fault[1]}}  # fmt: skip
                headers.update({k: v for k, v in fault[1].items() if v is not None})
            if kind == "truncate" and len(data) > 1:
                self._answer(h, status, data, headers, send=len(data) // 2)
                h.close_connection = True
            else:
                self._answer(h, status, data, headers)

    def _forward(self, h, body: bytes):
        conn = http.client.HTTPConnection(*self.upstream, timeout=30)
        try:
            conn.putrequest(h.command, h.path, skip_host=True, skip_accept_encoding=True)
            for k, v in h.headers.items():
                if k.lower() not in ("connection", "content-length"):
                    conn.putheader(k, v)
            conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            data = r.read()
            headers = {k: v for k, v in r.getheaders()
                       if k.lower() not in ("connection", "content-length", "transfer-encoding")}  # fmt: skip
            return r.status, headers, data if h.command != "HEAD" else b""
        finally:
            conn.close()

    @staticmethod
    def _answer(h, status: int, data: bytes, headers: dict, send: int | None = None) -> None:
        try:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            if h.command != "HEAD":
                h.wfile.write(data if send is None else data[:send])
            h.wfile.flush()
        except OSError:
            pass


class HangingServer:
    """Accepts connections and never answers: a black-holed S3."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.conns: list[socket.socket] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                continue

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(2)
        for c in self.conns:
            c.close()
        self.sock.close()


def rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def threads_of(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    return 0


def wait_for(pred, timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()
