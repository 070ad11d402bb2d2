#!/usr/bin/env python3
"""callgrind.py -- instructions per request, a figure a loaded machine
cannot blur (wall-clock benchmarks can: see docs/benchmarks.md).

Starts the S3 emulator as bench.py does, then each contender under
`valgrind --tool=callgrind`: s3json (cached, access log on or off, or
with S3JSON_AUTH=jwt and every request carrying the same valid RS256
token, as bench.py's s3json-cached-jwt), nginx (the bench's configuration but one process: master_process off,
worker_processes 1) or bench.py's h2o-cached (s3json's cache hit on h2o's
library, build/bench/h2o_cached). It warms the server, zeroes callgrind's counters
(callgrind_control -z), sends REQUESTS cached `GET /api/foo` (nginx:
`/foo.json`) spread round-robin over CONNS keep-alive connections, each
request as wrk sends it and its reply read to its length, dumps the
counters (callgrind_control -d) and stops the server by PID. Prints the
instructions per request (Ir / REQUESTS) and, with --top, the functions
with the largest inclusive cost per request (callgrind_annotate).

  tests/bench/callgrind.py [--contender s3json-cached[-nolog|-jwt] |
      nginx-static[-nolog]] [--binary build/s3json] [--requests 20000]
      [--conns 16] [--top 25] [--keep DIR]

Everything binds 127.0.0.1; the client is this Python process (not
counted: callgrind measures the server only).
"""

from __future__ import annotations

import argparse
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import bench as B  # run as a script: its own directory is first on the path

STRACE = False  # --strace: count system calls instead of instructions
CONTENDERS = ("s3json-cached", "s3json-cached-nolog", B.JWT, "nginx-static", "nginx-static-nolog",
              "h2o-cached", "h2o-cached-nolog")  # fmt: skip


def read_reply(s: socket.socket, buf: bytearray) -> None:
    """Reads one HTTP reply (head and Content-Length body) from 's';
    bytes past it stay in 'buf'."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", bytes(buf[:end]))
            if not m:
                raise RuntimeError(f"reply without Content-Length: {bytes(buf[:200])!r}")
            if not buf.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(f"not a 200: {bytes(buf[:200])!r}")
            total = end + 4 + int(m.group(1))
            while len(buf) < total:
                chunk = s.recv(65536)
                if not chunk:
                    raise RuntimeError("connection closed mid-reply")
                buf += chunk
            del buf[:total]
            return
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed before a reply")
        buf += chunk


def load(port: int, path: str, requests: int, conns: int, headers: dict[str, str] | None = None) -> float:
    """'requests' GETs round-robin over 'conns' keep-alive connections,
    one outstanding per connection (as wrk), each with 'headers'. Returns
    the seconds taken."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    req = f"GET {path} HTTP/1.1\r\nHost: {B.HOST}:{port}\r\n{extra}\r\n".encode()
    socks = [socket.create_connection((B.HOST, port), timeout=60) for _ in range(conns)]
    bufs = [bytearray() for _ in socks]
    t0 = time.monotonic()
    try:
        sent = 0
        while sent < requests:
            batch = min(conns, requests - sent)
            for s in socks[:batch]:
                s.sendall(req)
            for s, b in zip(socks[:batch], bufs):
                read_reply(s, b)
            sent += batch
    finally:
        for s in socks:
            s.close()
    return time.monotonic() - t0


def valgrind_argv(out: str) -> list[str]:
    if STRACE:
        # System calls are what callgrind does not see (the kernel's share).
        return ["strace", "-f", "-c", "-o", out.replace("%p", "strace")]
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
            "--dump-instr=no", "--vgdb=yes", "--separate-threads=no"]  # fmt: skip


def start(b: B.Bench, name: str, binary: str, out: str,
          headers: dict[str, str]) -> tuple[subprocess.Popen[bytes], int, str]:  # fmt: skip
    port = B.free_port()
    if name.startswith("s3json"):
        env = b.s3json_env(port, 3600, name not in B.NOLOG)
        if name == B.JWT:
            env.update(b.jwt_env())
        with open(B.access_log_path(b.wd, name), "ab") as log:
            p = B.spawn(valgrind_argv(out) + [binary], os.path.join(b.wd, f"{name}.cg.log"),
                        env=env, stdout=log)  # fmt: skip
        path = f"/api/{b.cfg.doc}"
        B.wait_http(port, "/readyz", p, 120, name)
    elif name.startswith("h2o"):
        # bench.py's h2o contender (the engine alone), 2 threads as s3json.
        body = os.path.join(b.wd, "docroot", f"{b.cfg.doc}.json")
        log = "-" if name in B.NOLOG else B.access_log_path(b.wd, name)
        p = B.spawn(valgrind_argv(out) + [B.H2O_BINARY, str(port), body, log, "2"],
                    os.path.join(b.wd, f"{name}.cg.log"))  # fmt: skip
        path = f"/api/{b.cfg.doc}"
        B.wait_http(port, path, p, 120, name)
    else:
        body = f"""\
  open_file_cache max=64 inactive=60s;
  server {{
    listen {B.HOST}:{port} backlog=4096;
    {B.nginx_access_log(b.wd, name)}
    root {b.wd}/docroot;
  }}"""
        conf = B.nginx_conf(b.wd, name, body)
        # One process, so callgrind sees every request.
        with open(conf) as f:
            text = f.read().replace("master_process on;", "master_process off;")
        text = text.replace("worker_processes 2;", "worker_processes 1;")
        with open(conf, "w") as f:
            f.write(text)
        p = B.spawn(valgrind_argv(out) + ["nginx", "-c", conf, "-p", b.wd],
                    os.path.join(b.wd, f"{name}.cg.log"))  # fmt: skip
        path = f"/{b.cfg.doc}.json"
    B.wait_http(port, path, p, 120, name, headers)
    return p, port, path


def control(pid: int, flag: str) -> None:
    if STRACE:
        return
    subprocess.run(["callgrind_control", flag, str(pid)], check=True,
                   capture_output=True, timeout=120)  # fmt: skip


def total_ir(files: list[str]) -> int:
    n = 0
    for f in files:
        with open(f) as fh:
            for line in fh:
                if line.startswith(("summary:", "totals:")):
                    n += int(line.split()[1])
                    break
    return n


def annotate(files: list[str], top: int, requests: int) -> list[str]:
    r = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=99",
                        *files], capture_output=True, text=True, timeout=300)  # fmt: skip
    rows = []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)", line)
        if m and "PROGRAM TOTALS" not in line:
            ir = int(m.group(1).replace(",", ""))
            rows.append(f"{ir / requests:10.0f} {m.group(2):>6}%  {m.group(3)[:110]}")
        if len(rows) >= top:
            break
    return rows


def print_strace(path: str, a: argparse.Namespace) -> int:
    """strace -c's table as calls per request."""
    print(f"{a.contender}: {a.requests} requests over {a.conns} connections, "
          f"system calls per request (start-up and warm-up included):")  # fmt: skip
    with open(path) as f:
        for line in f:
            cols = line.split()
            if len(cols) >= 5 and cols[3].isdigit():
                name = cols[-1]
                print(f"  {int(cols[3]) / a.requests:8.3f}  {name}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contender", default="s3json-cached", choices=CONTENDERS)
    ap.add_argument("--binary", default=os.path.join(B.ROOT, "build", "s3json"))
    ap.add_argument("--requests", type=int, default=20000, choices=range(100, 200001), metavar="100..200000")
    ap.add_argument("--conns", type=int, default=16, choices=range(1, 513), metavar="1..512")
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--strace", action="store_true",
                    help="system calls per request (strace -f -c, start-up included) instead")
    ap.add_argument("--keep", default="", help="copy the callgrind files to this directory")
    a = ap.parse_args()
    global STRACE
    STRACE = a.strace
    cfg = B.Config()
    cfg.workdir = os.path.join(B.ROOT, "build", "bench-callgrind")
    b = B.Bench(cfg)
    b.wd = cfg.workdir
    cfg.contenders = [a.contender]  # the key server only for the JWT one
    out = os.path.join(b.wd, f"callgrind.{a.contender}.%p")
    try:
        b.setup()
        for f in glob.glob(os.path.join(b.wd, "callgrind.*")):
            os.unlink(f)
        headers = b.jwt_headers() if a.contender == B.JWT else {}
        p, port, path = start(b, a.contender, a.binary, out, headers)
        try:
            load(port, path, 200, a.conns, headers)  # warm: cache filled, threads up
            control(p.pid, "-z")
            secs = load(port, path, a.requests, a.conns, headers)
            control(p.pid, "-d")
        finally:
            if STRACE:  # the server first, so that strace writes its table
                for kid in B.tree_pids(p.pid)[1:]:
                    os.kill(kid, signal.SIGTERM)
                p.wait(60)
            B.stop(p, 60)
            lines = B.access_log_path(b.wd, a.contender)
            if os.path.exists(lines):
                os.unlink(lines)
        if STRACE:
            return print_strace(os.path.join(b.wd, f"callgrind.{a.contender}.strace"), a)
        # The dump after -z holds the measured requests only.
        files = sorted(f for f in glob.glob(os.path.join(b.wd, f"callgrind.{a.contender}.*"))
                       if re.search(r"\.\d+\.1$", f))  # fmt: skip
        if not files:
            raise RuntimeError("callgrind wrote no dump")
        ir = total_ir(files)
        what = a.binary if a.contender.startswith("s3json") else a.contender.split("-")[0]
        print(f"{a.contender} ({what}): "
              f"{a.requests} requests over {a.conns} connections in {secs:.1f} s under callgrind: "
              f"{ir / a.requests:.0f} instructions per request")  # fmt: skip
        for row in annotate(files, a.top, a.requests):
            print("  " + row)
        if a.keep:
            os.makedirs(a.keep, exist_ok=True)
            for f in files:
                shutil.copy(f, a.keep)
    finally:
        B.stop_all()
        if b.keyserver is not None:
            b.keyserver.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
