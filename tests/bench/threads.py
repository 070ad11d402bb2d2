#!/usr/bin/env python3
"""threads.py -- per-thread CPU and scheduler figures of a server under wrk.

For the 16-connection p99 question (docs/benchmarks.md): starts the S3
emulator and one contender of bench.py (same configuration, access log on
unless a -nolog contender), then RUNS times: a fresh server, 1 s warm-up,
`wrk -t2 -cC -dS`, and for every thread of the server (all processes of its
tree) and of wrk, the change over the middle half of the run of:

  tk      CPU ticks (utime + stime, /proc/PID/task/TID/stat): the share of
          the work, i.e. how the connections were split between threads
  run     time on a CPU (schedstat field 1)
  wait    time runnable but waiting for a CPU (schedstat field 2)
  slices  times it got a CPU (schedstat field 3); wait/slice = run-queue
          delay per wake-up, what a request waits before it is served
  invol   involuntary context switches (preempted while runnable)
  migr    migrations between CPUs
  cpu     the CPU it last ran on (at the end of the window): which
          threads shared a core

with req/s, p50/p90/p99/p99.9/max latency (whole run), the machine's busy cores and,
for s3json, its HTTP threads' yields per second (s3json_http_yields_total).
Threads that did nothing are left out. wrk's threads show whether the load
generator itself waits for a CPU (it shares the cores): a request it
cannot send or read in time is counted in the server's latency.

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
                "cpu": int(st[36]),
            }  # fmt: skip
    return out


def wrk_pids() -> list[int]:
    """wrk processes started by this one."""
    out = []
    for p in glob.glob("/proc/[0-9]*/stat"):
        try:
            with open(p) as f:
                st = f.read()
        except OSError:
            continue
        comm, rest = st[st.index("(") + 1:st.rindex(")")], st[st.rindex(")") + 2:].split()
        if comm == "wrk" and int(rest[1]) == os.getpid():
            out.append(int(p.split("/")[2]))
    return out


def http_yields(b: B.Bench, srv: B.Server, contender: str) -> float | None:
    """s3json_http_yields_total now; None for a contender that is not
    s3json (as bench.py's measure: nginx has no /metrics)."""
    if not contender.startswith("s3json"):
        return None
    return (b.s3json_metrics(srv) or {}).get("s3json_http_yields_total")


def run_with_split(b: B.Bench, srv: B.Server, conns: int, seconds: int,
                   pids: list[int]) -> tuple[dict, list[int], dict, dict, float]:  # fmt: skip
    """b.wrk, with the connection split sampled halfway through and the
    threads of 'pids' and of wrk over the middle half: (wrk's summary,
    split, before, after, seconds between them)."""
    import threading

    box: dict = {}
    t = threading.Thread(target=lambda: box.update(w=b.wrk(srv, conns, seconds)))
    t.start()
    time.sleep(seconds / 4)
    watched = pids + wrk_pids()
    t0, w0 = snapshot(watched), time.monotonic()
    time.sleep(seconds / 4)
    assert srv.proc is not None
    split = connection_split(srv.proc.pid)
    time.sleep(seconds / 4)
    t1, w1 = snapshot(watched), time.monotonic()
    t.join()
    return box["w"], split, t0, t1, w1 - w0


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
                y0 = http_yields(b, srv, a.contender)
                m0, w0 = B.machine_busy_s(), time.monotonic()
                w, split, t0, t1, window = run_with_split(b, srv, a.connections, a.seconds, pids)
                m1, w1 = B.machine_busy_s(), time.monotonic()
                y1 = http_yields(b, srv, a.contender)
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
                            f"({d['run'] / 1e7 / window:.0f}%) "
                            f"wait={d['wait'] / 1e6:.0f}ms slices={d['slices']} "
                            f"run/slice={d['run'] / max(1, d['slices']) / 1e3:.0f}us "
                            f"wait/slice={d['wait'] / max(1, d['slices']) / 1e3:.0f}us "
                            f"invol={d['invol']} migr={d['migr']} cpu={now['cpu']}")  # fmt: skip
            secs = w["duration_us"] / 1e6
            print(f"run {r + 1}: {w['requests'] / secs:.0f} req/s p50 {w['p50_us'] / 1000:.2f} "
                  f"p90 {w['p90_us'] / 1000:.2f} p99 {w['p99_us'] / 1000:.2f} "
                  f"p99.9 {w['p999_us'] / 1000:.2f} max {w['max_us'] / 1000:.1f} ms, machine "
                  f"{(m1 - m0) / (w1 - w0):.2f} cores busy, connection split "
                  f"{'/'.join(str(n) for n in split) or '-'}"
                  + (f", {(y1 - y0) / secs:.0f} yields/s" if y0 is not None and y1 is not None else ""),
                  flush=True)  # fmt: skip
            for row in rows:
                print("    " + row, flush=True)
    finally:
        B.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
