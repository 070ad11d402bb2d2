#!/usr/bin/env python3
"""soak.py -- `make soak`: a long mixed load against s3json, on 127.0.0.1.

Starts the S3 emulator and s3json (cache on, default TTL), then for
SOAK_SECONDS (default 300) runs, all at once:
  - wrk on cached documents (hits), bounded by the duration;
  - client threads mixing misses (404, intended), lists with paging, bad
    requests (400, intended), and documents that are rewritten meanwhile;
  - an updater that rewrites one document every 2 s and measures how long
    until s3json serves the new version (freshness).
Reports errors (anything but the intended statuses; must be 0), RSS at
start (after warm-up) and at the end (growth must stay < 2 MiB), and the
worst freshness (must be <= TTL + 1 s). Exits non-zero when a bound fails.

Usage: SOAK_SECONDS=300 tests/soak/soak.py
"""

from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

from lib.faults import rss_kb
from lib.harness import BUCKET, PREFIX, Service, emulator, seed_bucket, service_env

SECONDS = int(os.environ.get("SOAK_SECONDS", "300"))
TTL = 5


class Mixed(threading.Thread):
    """One keep-alive client mixing request kinds; counts unexpected
    statuses as errors."""

    KINDS = [("hit", 50), ("miss", 15), ("list", 15), ("bad", 10), ("hot", 10)]

    def __init__(self, port: int, stop: threading.Event, seed: int):
        super().__init__(daemon=True)
        self.port, self.stop, self.rng = port, stop, random.Random(seed)
        self.counts: dict[str, int] = {}
        self.errors: list[str] = []

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        cursor = None
        kinds = [k for k, w in self.KINDS for _ in range(w)]
        while not self.stop.is_set():
            kind = self.rng.choice(kinds)
            if kind == "hit":
                path, want = "/api/" + self.rng.choice(["foo", "bar", "team/platform"]), 200
            elif kind == "miss":
                path, want = f"/api/missing-{self.rng.randrange(1000)}", 404
            elif kind == "list":
                path, want = "/api?limit=2" + (f"&cursor={cursor}" if cursor else ""), 200
            elif kind == "bad":
                path, want = self.rng.choice(["/api/%2e%2e", "/api/a//b", "/api?limit=0"]), 400
            else:
                path, want = "/api/hot", 200
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read()
            except (OSError, http.client.HTTPException) as e:
                self.errors.append(f"{path}: {e!r}")
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
                continue
            self.counts[kind] = self.counts.get(kind, 0) + 1
            if r.status != want:
                self.errors.append(f"{path}: {r.status}")
            if kind == "list" and r.status == 200:
                import json

                cursor = json.loads(body)["next_cursor"]
        conn.close()


def main() -> int:
    emu = emulator()
    seed_bucket(emu)
    s3 = emu.client("s3")
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}hot.json", Body=b'{"version":0}')
    creds = emu.create_restricted_user(BUCKET, PREFIX)
    svc = Service(service_env(emu, creds, S3JSON_LOG_LEVEL="warn",
                              S3JSON_CACHE_TTL_SECONDS=str(TTL))).start()  # fmt: skip
    stop = threading.Event()
    fresh: list[float] = []
    try:
        # Warm-up: the same mixed load for a while, so every thread's
        # allocator arena, connection and cache entry exists before RSS is
        # taken as the baseline.
        warm = max(5, min(30, SECONDS // 5))
        warm_clients = [Mixed(svc.port, stop, 100 + i) for i in range(4)]
        for c in warm_clients:
            c.start()
        time.sleep(warm)
        stop.set()
        for c in warm_clients:
            c.join(15)
        stop.clear()
        rss0 = rss_kb(svc.proc.pid)
        print(f"soak: {SECONDS} s after {warm} s of warm-up, s3json pid {svc.proc.pid}, "
              f"RSS {rss0} KiB", flush=True)  # fmt: skip
        wrk = None
        if shutil.which("wrk"):
            wrk = subprocess.Popen(["wrk", "-t1", "-c16", f"-d{SECONDS}s",
                                    f"http://127.0.0.1:{svc.port}/api/foo"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
        clients = [Mixed(svc.port, stop, i) for i in range(4)]
        for c in clients:
            c.start()
        t_end = time.monotonic() + SECONDS
        version = 0
        while time.monotonic() < t_end - 2:
            version += 1
            body = b'{"version":%d}' % version
            s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}hot.json", Body=body)
            t0 = time.monotonic()
            while time.monotonic() - t0 < TTL + 5 and svc.get("/api/hot").body != body:
                time.sleep(0.05)
            fresh.append(time.monotonic() - t0)
            time.sleep(max(0.0, 2 - (time.monotonic() - t0)))
        while time.monotonic() < t_end:
            time.sleep(0.2)
        stop.set()
        for c in clients:
            c.join(15)
        wrk_out = wrk.communicate(timeout=30)[0].decode() if wrk else "wrk not installed"
        rss1 = rss_kb(svc.proc.pid)
    finally:
        stop.set()
        rc = svc.stop()
    errors = [e for c in clients for e in c.errors]
    counts: dict[str, int] = {}
    for c in clients:
        for k, v in c.counts.items():
            counts[k] = counts.get(k, 0) + v
    wrk_reqs = re.search(r"(\d+) requests in", wrk_out)
    wrk_bad = re.search(r"Non-2xx or 3xx responses: (\d+)", wrk_out)
    wrk_err = re.search(r"Socket errors: (.*)", wrk_out)
    print(f"mixed clients: {counts}, errors {len(errors)} {errors[:5]}")
    print(f"wrk hits: {wrk_reqs.group(1) if wrk_reqs else '?'} requests, "
          f"non-2xx {wrk_bad.group(1) if wrk_bad else 0}, socket errors {wrk_err.group(1) if wrk_err else 'none'}")  # fmt: skip
    print(f"RSS: start {rss0} KiB, end {rss1} KiB, growth {rss1 - rss0} KiB")
    print(f"freshness: {len(fresh)} updates, worst {max(fresh):.2f} s (bound {TTL + 1} s)")
    print(f"exit code {rc}")
    ok = (not errors and not wrk_bad and not wrk_err and rss1 - rss0 < 2048
          and max(fresh) <= TTL + 1 and rc == 0)  # fmt: skip
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
