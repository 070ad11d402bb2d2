#!/usr/bin/env python3
"""emulator.counting -- the S3 emulator with a request counter, for `make bench`.

Runs tests/emulator/emu.py's CLI unchanged (same flags, same ready line on
stdout, auth enforced), with one addition: a WSGI layer between the
emulator's /moto-api guard and moto that counts every S3 request by
operation and status, and answers

    GET /__bench/counts   ->  {"get_object": {"200": n, "304": n, ...},
                               "list_objects": {...}, "get_item": {...},
                               "scan": {...}, "other": {...}}

without touching moto (so the counter itself is not counted and needs no
signature). The bench reads it before and after a run to get the number of
S3 requests the emulator saw. (emu.py --verbose does not log requests with
werkzeug 3.1 here, so its log cannot be used for counting.)

It also turns on TCP_NODELAY for the emulator's connections (see
_tcp_nodelay; BENCH_EMU_NAGLE=1 leaves Nagle on, to see the difference).

Usage: python3 -m emulator.counting --port 0 --state-dir DIR
"""

from __future__ import annotations

import json
import os
import socket
import sys
import threading
from typing import Any

from emulator import emu

COUNTS_PATH = "/__bench/counts"


class Counter:
    """Counts S3 requests (GetObject, ListObjects, other) and DynamoDB ones
    (GetItem, Scan, other) by status."""

    def __init__(self, app: Any):
        self.app = app
        self.lock = threading.Lock()
        self.counts: dict[str, dict[str, int]] = {}

    @staticmethod
    def _op(environ: dict[str, Any]) -> str | None:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api"):
            return None
        target = environ.get("HTTP_X_AMZ_TARGET") or ""
        if target.startswith("DynamoDB_"):  # the DynamoDB store (issue 14)
            op = target.split(".", 1)[-1]
            return {"GetItem": "get_item", "Scan": "scan"}.get(op, "dynamodb_other")
        method = environ.get("REQUEST_METHOD", "")
        query = environ.get("QUERY_STRING", "")
        segs = [s for s in path.split("/") if s]
        if method in ("GET", "HEAD") and len(segs) >= 2 and not query:
            return "get_object" if method == "GET" else "head_object"
        if method == "GET" and len(segs) == 1 and "list-type" in query:
            return "list_objects"
        return "other"

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == COUNTS_PATH:
            with self.lock:
                body = json.dumps(self.counts).encode()
            start_response("200 OK", [("Content-Type", "application/json"),
                                      ("Content-Length", str(len(body)))])  # fmt: skip
            return [body]
        op = self._op(environ)
        if op is None:
            return self.app(environ, start_response)

        def counting_start_response(status: str, headers: Any, *exc: Any) -> Any:
            code = status.split(" ", 1)[0]
            with self.lock:
                per_op = self.counts.setdefault(op, {})
                per_op[code] = per_op.get(code, 0) + 1
            return start_response(status, headers, *exc)

        return self.app(environ, counting_start_response)


def _tcp_nodelay() -> None:
    """TCP_NODELAY on every accepted emulator connection.

    werkzeug's request handler sends the status line + headers and the body
    in separate send() calls on an unbuffered socket. With Nagle's algorithm
    on, the body waits for the ACK of the headers, which a keep-alive client
    delays by up to 40 ms (delayed ACK): every request but the first on a
    reused connection then takes ~44 ms however idle the emulator is
    (measured here with wrk -c1: 22 req/s). Real S3 has no such stall, and
    every keep-alive client (libcurl, urllib3, nginx, wrk) would be measuring
    it instead of itself. Auth and everything else stay as emu.py does them."""
    from werkzeug.serving import WSGIRequestHandler

    orig = WSGIRequestHandler.setup

    def setup(self: Any) -> None:
        try:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        orig(self)

    WSGIRequestHandler.setup = setup


def main() -> int:
    if os.environ.get("BENCH_EMU_NAGLE", "0") in ("", "0"):
        _tcp_nodelay()
    ctx = emu._moto_app()  # ContextMiddleware(_MotoApiGuard(moto))
    guard = ctx.app
    guard.app = Counter(guard.app)
    return emu.main()


if __name__ == "__main__":
    sys.exit(main())
