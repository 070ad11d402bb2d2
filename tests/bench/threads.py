#!/usr/bin/env python3
"""threads.py -- per-thread CPU and scheduler figures of a server under wrk.

For the 16-connection p99 question (docs/benchmarks.md): starts the S3
emulator and one contender of bench.py (same configuration, access log on
unless a -nolog contender), then RUNS times: a fresh server, 1 s warm-up,
`wrk -t2 -cC -dS`, and for every thread of the server (all processes of its
tree) the change during the measured run of:

  tk      CPU ticks (utime + stime, /proc/PID/task/TID/stat): the share of
          the work, i.e. how the connections were split between threads
  run     time on a CPU (schedstat field 1)
  wait    time runnable but waiting for a CPU (schedstat field 2)
  slices  times it got a CPU (schedstat field 3); wait/slice = run-queue
          delay per wake-up, what a request waits before it is served
  invol   involuntary context switches (preempted while runnable)
  migr    migrations between CPUs

with req/s, p50/p99/max latency and the machine's busy cores. Threads that
did nothing are left out.

Then the connection split, counted, not timed: halfway through the run,
for each epoll instance of the server (libmicrohttpd: one per HTTP
thread), the TCP connections registered in it (from /proc/PID/fdinfo: its
"tfd" entries that are established sockets; the listening socket and
eventfds are not counted). "split 40/24" means one thread serves 40 of
the 64 connections for their whole life. Everything binds 127.0.0.1 and is stopped by PID.

  tests/bench/threads.py [--contender s3json-cached] [--runs 6]
                           [--seconds 4] [--connections 16]
"""

from __future__ import annotations

import argparse
import glob
import os
import sys
import time

import bench as B
from lib.proc import connection_split

KEYS = ("ticks", "run", "wait", "slices", "invol", "migr")


def snapshot(pids: list[int]) -> dict[int, dict[str, int | str]]:
    out: dict[int, dict[str, int | str]] = {}
    for pid in pids:
        for t in glob.glob(f"/proc/{pid}/task/*"):
            try:
                with open(f"{t}/comm") as f:
                    comm = f.read().strip()
                with open(f"{t}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()
                with open(f"{t}/schedstat") as f:
                    run, wait, slices = (int(x) for x in f.read().split())
                sched = {}
                with open(f"{t}/sched") as f:
                    for line in f:
                        k, _, v = line.partition(":")
                        sched[k.strip()] = v.strip()
            except (OSError, ValueError):
                continue  # the thread ended
            out[int(os.path.basename(t))] = {
                "comm": comm, "ticks": int(st[11]) + int(st[12]), "run": run, "wait": wait,
                "slices": slices, "invol": int(float(sched.get("nr_involuntary_switches", 0))),
                "migr": int(float(sched.get("se.nr_migrations", 0))),
            }  # fmt: skip
    return out


def run_with_split(b: B.Bench, srv: B.Server, conns: int, seconds: int) -> tuple[dict, list[int]]:
    """b.wrk, with the connection split sampled halfway through."""
    import threading

    box: dict = {}
    t = threading.Thread(target=lambda: box.update(w=b.wrk(srv, conns, seconds)))
    t.start()
    time.sleep(seconds / 2)
    assert srv.proc is not None
    split = connection_split(srv.proc.pid)
    t.join()
    return box["w"], split


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--contender", default="s3json-cached", choices=B.ALL_CONTENDERS)
    ap.add_argument("--runs", type=int, default=6, choices=range(1, 21), metavar="1..20")
    ap.add_argument("--seconds", type=int, default=4, choices=range(1, 31), metavar="1..30")
    ap.add_argument("--connections", type=int, default=16, choices=range(1, 1025), metavar="1..1024")
    a = ap.parse_args()
    cfg = B.Config()
    cfg.workdir = os.path.join(B.ROOT, "build", "bench-threads")
    b = B.Bench(cfg)
    b.wd = cfg.workdir
    try:
        b.setup()
        for r in range(a.runs):
            srv = b.start(a.contender)
            try:
                b.wrk(srv, a.connections, 1)
                assert srv.proc is not None
                pids = B.tree_pids(srv.proc.pid)
                t0, m0, w0 = snapshot(pids), B.machine_busy_s(), time.monotonic()
                w, split = run_with_split(b, srv, a.connections, a.seconds)
                t1, m1, w1 = snapshot(pids), B.machine_busy_s(), time.monotonic()
            finally:
                B.stop(srv.proc)
                b.drop_access_log(a.contender)
            rows = []
            for tid, now in sorted(t1.items()):
                was = t0.get(tid)
                if not was:
                    continue
                d = {k: int(now[k]) - int(was[k]) for k in KEYS}
                if d["ticks"] == 0 and d["slices"] < 10:
                    continue
                rows.append(f"{now['comm']}/{tid}: tk={d['ticks']} run={d['run'] / 1e6:.0f}ms "
                            f"wait={d['wait'] / 1e6:.0f}ms slices={d['slices']} "
                            f"wait/slice={d['wait'] / max(1, d['slices']) / 1e3:.0f}us "
                            f"invol={d['invol']} migr={d['migr']}")  # fmt: skip
            secs = w["duration_us"] / 1e6
            print(f"run {r + 1}: {w['requests'] / secs:.0f} req/s p50 {w['p50_us'] / 1000:.2f} "
                  f"p99 {w['p99_us'] / 1000:.2f} max {w['max_us'] / 1000:.1f} ms, machine "
                  f"{(m1 - m0) / (w1 - w0):.2f} cores busy, connection split "
                  f"{'/'.join(str(n) for n in split) or '-'}", flush=True)  # fmt: skip
            for row in rows:
                print("    " + row, flush=True)
    finally:
        B.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
