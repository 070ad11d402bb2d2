#!/usr/bin/env python3
"""bench.py -- `make bench`: s3json against nginx, an nginx S3 cache and Flask.

Starts everything on 127.0.0.1 (the S3 emulator with auth enforced, then
each contender in turn), runs wrk at several connection counts and prints
one table per connection count: req/s, p50/p99 latency, errors (non-2xx +
socket errors), the server's peak RSS, the S3 requests the emulator saw,
and every figure as a ratio to the baselines measured in the same run.
Then start-to-ready time, image size, the S3 request bound of the cache
and a pass/fail line per target of issues 5 and 11.

Production configuration (issue 11): every contender writes a JSON access
line per request to a file, with the fields s3json logs (nginx: `log_format
escape=json`, unbuffered; s3json: S3JSON_LOG_LEVEL=info, stdout to a file),
except flask-boto3 and the -nolog contenders, which form the second,
logs-off comparison. Access log files are deleted after each run.

Contenders (all serve the same document, BENCH_DOC, default "foo"):
  nginx-static       nginx (Debian) serving the file, keep-alive, 2 workers
  nginx-proxy-cache  nginx proxy_cache (TTL = BENCH_TTL) in front of the
                     emulator, as an nginx S3 gateway does (see
                     docs/benchmarks.md for how it authenticates)
  flask-boto3        the original exercise: Flask dev server, boto3
                     get_object per request (tests/bench/flask_app.py)
  s3json-nocache     s3json with S3JSON_CACHE_TTL_SECONDS=0
  s3json-cached      s3json with S3JSON_CACHE_TTL_SECONDS=BENCH_TTL; plus one
                     run over every document in turn at the largest
                     connection count, for the S3 request bound
  s3json-cached-jwt  s3json-cached with S3JSON_AUTH=jwt (issue 15): every request
                     carries the same valid bearer token (RS256, from a local
                     key server, tests/lib/keyserver.py), set with
                     wrk -H so wrk keeps its pre-built request; its req/s is
                     shown as a ratio to s3json-cached in the same run
                     (target >= 0.9x)
  emulator-direct    wrk straight at the emulator with a signed GetObject
                     (for reference: what any per-request design is bound by)
  nginx-static-nolog, s3json-cached-nolog   the same two with the access log
                     off (nginx `access_log off`, S3JSON_LOG_LEVEL=warn)
  h2o-cached, h2o-cached-nolog   not in the default set (name them in
                     BENCH_CONTENDERS): s3json's cached GET on another HTTP
                     engine, h2o's library (issue 11), to show what the
                     engine alone changes: build/bench/h2o_cached
                     (tests/bench/engines/h2o_cached.c, `make bench` builds
                     it when libh2o-evloop-dev is installed, else they are
                     skipped) serves BENCH_DOC's bytes at /api/BENCH_DOC with
                     the headers of s3json's cache hit and writes s3json's
                     access line with s3json's code (per-thread buffer, same
                     flush policy); -nolog: access log off, as at
                     S3JSON_LOG_LEVEL=warn. As many threads as s3json's HTTP
                     threads. Shown as a ratio to s3json-cached(-nolog), e.g.
                       BENCH_CONTENDERS=s3json-cached,h2o-cached,s3json-cached-nolog,h2o-cached-nolog
  s3json-ddb-nocache, s3json-ddb-cached   s3json with S3JSON_STORE=dynamodb
                     (issue 14): the same documents as items (with sha256) in
                     the emulator's DynamoDB, read by a GetItem/Scan/
                     DescribeTable-only user; TTL 0 and BENCH_TTL. Their
                     "S3 GETs" column counts GetItem requests (revalidations
                     included)

Every server is restarted for each connection count (so its VmHWM is the
peak at that load), warmed up for BENCH_WARMUP seconds, then measured.

Environment (all optional):
  BENCH_DURATION=10        seconds per measured run (fast contenders)
  BENCH_SLOW_DURATION      seconds per run of the slow ones (flask-boto3,
                           s3json-nocache, emulator-direct); default
                           min(BENCH_DURATION, 5)
  BENCH_CONNECTIONS=16,64,256   BENCH_THREADS=2 (wrk threads)
  BENCH_WARMUP=1           BENCH_TTL=5        BENCH_DOC=foo
  BENCH_ROUNDS=1           measured runs per contender and connection
                           count, interleaved; the table shows medians
  BENCH_CONTENDERS=...     comma list (default: all of the above but the
                           h2o ones; add them: BENCH_CONTENDERS=...,h2o-cached)
  BENCH_READY_RUNS=7       start-to-ready measurements
  BENCH_S3JSON_THREADS     S3JSON_THREADS for s3json (default: its own)
  BENCH_S3JSON_ENV         more settings for every s3json contender, a
                           comma list of S3JSON_NAME=VALUE (e.g.
                           S3JSON_HTTP_YIELD_US=0: a setting's effect,
                           one bench run with it and one without)
  BENCH_WRK_TIMEOUT=5      wrk --timeout, seconds
  BENCH_PERF=0             1: one extra s3json-cached run at 64 connections
                           under `perf record -g`, top functions printed
  BENCH_IMAGE              image whose size is reported (podman image
                           inspect); default: build/image-size.txt or
                           build/image/last.env (scripts/image/build.sh)
  BENCH_WORKDIR=build/bench   configs, logs, results.json, results.md
  BENCH_S3JSON_BINARY=build/s3json   the binary under test (e.g. a
                           private build to try a change)
  BENCH_EMU_NAGLE=0        1: leave Nagle on in the emulator (see
                           emulator/counting.py: 40 ms stalls per S3 request)
  BENCH_PAIRS=0            N: then N head-to-head pairs at each of
                           BENCH_PAIR_CONNECTIONS (default BENCH_CONNECTIONS),
                           nginx-static then s3json-cached (logs on), and with
                           BENCH_PAIR_NOLOG=1 (default) the -nolog pair too,
                           BENCH_PAIR_SECONDS (5) each; the req/s, p99 and
                           CPU-per-request ratio of each pair, and medians
                           over the pairs where neither run had more than
                           BENCH_QUIET_LOAD (0.25) cores of unrelated load
  BENCH_STRICT=0           1: exit 1 when a target of issue 5 is missed
                           (otherwise only a broken harness fails)
  BENCH_MAX_SECONDS        hard bound of the whole bench (default: planned
                           time x 2 + 120)

Every process is started here, bound to 127.0.0.1, and stopped by its PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from typing import Any

from lib.net import free_port
from lib.proc import stop_pid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

HOST = "127.0.0.1"
BUCKET = "s3json-bench"
ALL_CONTENDERS = ["nginx-static", "nginx-proxy-cache", "flask-boto3",
                  "s3json-nocache", "s3json-cached", "s3json-cached-jwt", "emulator-direct",
                  "nginx-static-nolog", "s3json-cached-nolog",
                  "s3json-ddb-nocache", "s3json-ddb-cached",
                  "h2o-cached", "h2o-cached-nolog"]  # fmt: skip
# Measured only when named in BENCH_CONTENDERS (they need libh2o-evloop-dev).
H2O = {"h2o-cached", "h2o-cached-nolog"}
DEFAULT_CONTENDERS = [c for c in ALL_CONTENDERS if c not in H2O]
H2O_BINARY = os.path.join(ROOT, "build", "bench", "h2o_cached")
SLOW = {"flask-boto3", "s3json-nocache", "emulator-direct", "s3json-ddb-nocache"}
TABLE = "s3json-bench"
# What counts as a document read from the store: S3 GetObject, DynamoDB GetItem.
STORE_READS = ("get_object", "get_item")
BASELINES = ["nginx-static", "nginx-proxy-cache", "flask-boto3", "s3json-nocache"]
CONTENDER = "s3json-cached"
JWT = "s3json-cached-jwt"  # compared with CONTENDER (issue 15)
# The second table: both sides with their access log off.
NOLOG = {"nginx-static-nolog", "s3json-cached-nolog", "h2o-cached-nolog"}
NOLOG_PAIR = ("nginx-static-nolog", "s3json-cached-nolog")
LOG_PAIR = ("nginx-static", CONTENDER)


# ---------------------------------------------------------------------------
# settings
# ---------------------------------------------------------------------------


def _env_num(name: str, default: float, lo: float, hi: float) -> float:
    raw = os.environ.get(name, "")
    if raw == "":
        return default
    try:
        v = float(raw)
    except ValueError:
        sys.exit(f"bench: {name}={raw!r}: expected a number")
    if not lo <= v <= hi:
        sys.exit(f"bench: {name}={raw!r}: expected {lo:g}..{hi:g}")
    return v


class Config:
    def __init__(self) -> None:
        self.duration = int(_env_num("BENCH_DURATION", 10, 1, 600))
        self.slow_duration = int(_env_num("BENCH_SLOW_DURATION", min(self.duration, 5), 1, 600))
        self.threads = int(_env_num("BENCH_THREADS", 2, 1, 64))
        self.warmup = _env_num("BENCH_WARMUP", 1, 0, 60)
        self.ttl = int(_env_num("BENCH_TTL", 5, 1, 3600))
        self.ready_runs = int(_env_num("BENCH_READY_RUNS", 7, 1, 100))
        self.rounds = int(_env_num("BENCH_ROUNDS", 1, 1, 20))
        self.pairs = int(_env_num("BENCH_PAIRS", 0, 0, 100))
        self.pair_nolog = os.environ.get("BENCH_PAIR_NOLOG", "1") not in ("", "0")
        self.pair_seconds = int(_env_num("BENCH_PAIR_SECONDS", 5, 1, 60))
        self.quiet = _env_num("BENCH_QUIET_LOAD", 0.25, 0, 2)
        self.wrk_timeout = int(_env_num("BENCH_WRK_TIMEOUT", 5, 1, 60))
        self.perf = os.environ.get("BENCH_PERF", "0") not in ("", "0")
        self.strict = os.environ.get("BENCH_STRICT", "0") not in ("", "0")
        try:
            self.connections = [int(c) for c in
                                os.environ.get("BENCH_CONNECTIONS", "16,64,256").split(",")]  # fmt: skip
        except ValueError:
            sys.exit("bench: BENCH_CONNECTIONS: expected a comma list of integers")
        self.connections = [c for c in self.connections if c > 0]
        try:
            self.pair_connections = [int(c) for c in os.environ.get(
                "BENCH_PAIR_CONNECTIONS", ",".join(map(str, self.connections))).split(",") if int(c) > 0]  # fmt: skip
        except ValueError:
            sys.exit("bench: BENCH_PAIR_CONNECTIONS: expected a comma list of integers")
        self.doc = os.environ.get("BENCH_DOC", "foo")
        raw = os.environ.get("BENCH_CONTENDERS", "")
        self.contenders = [c.strip() for c in raw.split(",") if c.strip()] or DEFAULT_CONTENDERS
        for c in self.contenders:
            if c not in ALL_CONTENDERS:
                sys.exit(f"bench: BENCH_CONTENDERS: unknown {c!r} (known: {', '.join(ALL_CONTENDERS)})")
        self.s3json_threads = os.environ.get("BENCH_S3JSON_THREADS", "")
        self.s3json_extra: dict[str, str] = {}
        for item in filter(None, os.environ.get("BENCH_S3JSON_ENV", "").split(",")):
            k, eq, v = item.partition("=")
            if not (eq and k.startswith("S3JSON_")):
                sys.exit(f"bench: BENCH_S3JSON_ENV: expected S3JSON_NAME=VALUE, got {item!r}")
            self.s3json_extra[k] = v
        self.image = os.environ.get("BENCH_IMAGE", "")
        self.workdir = os.path.abspath(os.environ.get("BENCH_WORKDIR", os.path.join(ROOT, "build", "bench")))
        self.binary = os.environ.get("BENCH_S3JSON_BINARY", os.path.join(ROOT, "build", "s3json"))
        per_server = 3.0 + self.warmup  # start, warm-up, stop
        planned = 0.0
        for c in self.contenders:
            d = self.slow_duration if c in SLOW else self.duration
            planned += self.rounds * len(self.connections) * (d + per_server + (2 if c == "flask-boto3" else 0))
        planned += 15 + self.ready_runs * 1.5 + (self.duration + 10 if self.perf else 0)
        planned += self.duration + 5 if "s3json-cached" in self.contenders else 0
        planned += (self.pairs * 2 * (self.pair_seconds + per_server) * len(self.pair_connections)
                    * (2 if self.pair_nolog else 1))  # fmt: skip
        self.planned = planned
        self.max_seconds = _env_num("BENCH_MAX_SECONDS", planned * 2 + 120, 10, 86400)

    def run_seconds(self, contender: str) -> int:
        return self.slow_duration if contender in SLOW else self.duration


# ---------------------------------------------------------------------------
# processes: every one started here is tracked and stopped by PID
# ---------------------------------------------------------------------------

_procs: list[subprocess.Popen[bytes]] = []


def spawn(argv: list[str], log: str, env: dict[str, str] | None = None,
          stdout: Any = None) -> subprocess.Popen[bytes]:  # fmt: skip
    with open(log, "ab") as err:
        p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                             stdout=stdout if stdout is not None else err, stderr=err,
                             cwd=ROOT)  # fmt: skip
    _procs.append(p)
    return p


def stop(p: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    """SIGTERM by PID, SIGKILL after 'timeout'."""
    if p is None:
        return
    stop_pid(p, timeout)
    if p in _procs:
        _procs.remove(p)


def stop_all() -> None:
    for p in list(reversed(_procs)):
        stop(p, 5)


def http_get(port: int, path: str, headers: dict[str, str] | None = None,
             timeout: float = 5.0) -> tuple[int, dict[str, str], bytes]:  # fmt: skip
    import http.client

    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        r = conn.getresponse()
        body = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, body
    finally:
        conn.close()


def wait_http(port: int, path: str, proc: subprocess.Popen[bytes], timeout: float, what: str,
              headers: dict[str, str] | None = None) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before answering {path}")
        try:
            status, _, body = http_get(port, path, headers=headers, timeout=2)
            if status == 200:
                return
            last = f"{status} {body[:200]!r}"
        except OSError as e:
            last = str(e)
        time.sleep(0.05)
    raise RuntimeError(f"{what}: no 200 on {path} within {timeout}s (last: {last})")


def tree_pids(pid: int) -> list[int]:
    """pid and its descendants (nginx master + workers)."""
    out = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = [int(x) for x in f.read().split()]
    except OSError:
        kids = []
    for k in kids:
        out.extend(tree_pids(k))
    return out


def status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_rss_mb(pid: int) -> float:
    """Sum of VmHWM (peak resident set) over the process tree, MiB."""
    return sum(status_kb(p, "VmHWM") for p in tree_pids(pid)) / 1024.0


CLK_TCK = os.sysconf("SC_CLK_TCK")


def proc_cpu_s(pids: list[int]) -> float:
    """user + system CPU seconds of these processes (all their threads)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        except (OSError, IndexError, ValueError):
            pass
    return total / CLK_TCK


def machine_busy_s() -> float:
    """CPU seconds the whole machine spent busy (every core, /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal
    return (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / CLK_TCK


def children_cpu_s() -> float:
    import resource

    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


# ---------------------------------------------------------------------------
# the emulator and the documents
# ---------------------------------------------------------------------------


class Emu:
    """tests/emulator/counting.py as a child: the strict emulator plus a
    per-operation request counter at /__bench/counts."""

    def __init__(self, workdir: str):
        self.state_dir = os.path.join(workdir, "emulator")
        os.makedirs(self.state_dir, exist_ok=True)
        self.proc = spawn([sys.executable, "-m", "emulator.counting", "--port", "0",
                           "--state-dir", self.state_dir],
                          os.path.join(self.state_dir, "emu.log"), stdout=subprocess.PIPE)  # fmt: skip
        from emulator.emu import _read_ready_line

        doc = _read_ready_line(self.proc, 90, os.path.join(self.state_dir, "emu.log"))
        self.port = int(doc["port"])
        self.endpoint = doc["endpoint"]
        self.region = doc["region"]
        from emulator.emu import Emulator

        # An Emulator object only for its client helpers (admin, IAM users).
        self.api = Emulator(port=self.port)
        self.api.admin = doc["admin"]
        self.api.region = doc["region"]

    def counts(self) -> dict[str, dict[str, int]]:
        _, _, body = http_get(self.port, "/__bench/counts")
        return json.loads(body)

    def close(self) -> None:
        stop(self.proc, 15)


def seed(emu: Emu) -> dict[str, bytes]:
    """Bucket BUCKET with every data/**/*.json at the root; name -> bytes."""
    s3 = emu.api.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    docs = {}
    for dirpath, _, files in os.walk(os.path.join(ROOT, "data")):
        for f in sorted(files):
            if f.endswith(".json"):
                path = os.path.join(dirpath, f)
                name = os.path.relpath(path, os.path.join(ROOT, "data"))[: -len(".json")]
                with open(path, "rb") as fh:
                    docs[name] = fh.read()
                s3.put_object(Bucket=BUCKET, Key=f"{name}.json", Body=docs[name],
                              ContentType="application/json")  # fmt: skip
    return docs


def seed_table(emu: Emu) -> dict[str, str]:
    """Table TABLE with every data/**/*.json as an item (name, body, sha256:
    the layout scripts/ddb-load.py writes); -> credentials of a user allowed
    only what the service's task role is (GetItem, Scan, DescribeTable)."""
    import hashlib

    from emulator.emu import ddb_restricted_policy

    d = emu.api.client("dynamodb")
    d.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "name", "KeyType": "HASH"}],
                   AttributeDefinitions=[{"AttributeName": "name", "AttributeType": "S"}],
                   BillingMode="PAY_PER_REQUEST")  # fmt: skip
    for dirpath, _, files in os.walk(os.path.join(ROOT, "data")):
        for f in sorted(files):
            if f.endswith(".json"):
                path = os.path.join(dirpath, f)
                name = os.path.relpath(path, os.path.join(ROOT, "data"))[: -len(".json")]
                with open(path, "rb") as fh:
                    body = fh.read()
                d.put_item(TableName=TABLE, Item={"name": {"S": name}, "body": {"S": body.decode()},
                                                  "sha256": {"S": hashlib.sha256(body).hexdigest()}})  # fmt: skip
    return emu.api.create_policy_user(ddb_restricted_policy(TABLE, emu.region))


def signed_headers(emu: Emu, creds: dict[str, str], key: str) -> dict[str, str]:
    """SigV4 headers (botocore's S3SigV4Auth) for GET /BUCKET/key on the
    emulator, valid for the 15 minutes S3 allows for clock skew."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    req = AWSRequest(method="GET", url=f"{emu.endpoint}/{BUCKET}/{key}")
    S3SigV4Auth(Credentials(creds["access_key_id"], creds["secret_access_key"]),
                "s3", emu.region).add_auth(req)  # fmt: skip
    h = {k: v for k, v in req.headers.items()}
    h["Host"] = f"{HOST}:{emu.port}"
    return h


# ---------------------------------------------------------------------------
# contenders
# ---------------------------------------------------------------------------

NGINX_COMMON = """\
# generated by tests/bench/bench.py -- {name}
worker_processes 2;
worker_rlimit_nofile 8192;
daemon off;
master_process on;
pid {wd}/{name}.pid;
error_log {wd}/{name}.error.log warn;
{user}
events {{ worker_connections 4096; }}
http {{
  access_log off;
  # The fields of s3json's access line (docs/operations.md, "Logs"), JSON-escaped.
  log_format s3json escape=json '{{"time":"$time_iso8601","level":"info","event":"access",'
    '"method":"$request_method","path":"$request_uri","status":$status,'
    '"bytes":$body_bytes_sent,"duration_ms":$request_time,'
    '"request_id":"$request_id","client":"$remote_addr","cache":"$upstream_cache_status"}}';
  types {{ application/json json; }}
  default_type application/json;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000000;
  client_body_temp_path {wd}/tmp/body;
  proxy_temp_path {wd}/tmp/proxy;
  fastcgi_temp_path {wd}/tmp/fastcgi;
  uwsgi_temp_path {wd}/tmp/uwsgi;
  scgi_temp_path {wd}/tmp/scgi;
{body}
}}
"""


def access_log_path(wd: str, name: str) -> str:
    """Where a contender with its access log on writes it (deleted after
    each run: at 100k req/s a 10 s run writes ~250 MB)."""
    return os.path.join(wd, f"{name}.access.log")


def nginx_access_log(wd: str, name: str) -> str:
    """The access_log line of an nginx server block: a JSON line per request
    to a file, unbuffered (one write(2) per line), as s3json writes its own;
    off for the -nolog contenders."""
    if name in NOLOG:
        return "access_log off;"
    return f"access_log {access_log_path(wd, name)} s3json;"


def nginx_conf(wd: str, name: str, body: str) -> str:
    user = "user nobody nogroup;" if os.geteuid() == 0 else ""
    for d in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        os.makedirs(os.path.join(wd, "tmp", d), exist_ok=True)
        os.chmod(os.path.join(wd, "tmp", d), 0o777)
    path = os.path.join(wd, f"{name}.conf")
    with open(path, "w") as f:
        f.write(NGINX_COMMON.format(name=name, wd=wd, user=user, body=body))
    return path


class Server:
    """One running contender: its process, port and request path."""

    def __init__(self, name: str, proc: subprocess.Popen[bytes] | None, port: int, path: str,
                 headers: dict[str, str] | None = None):  # fmt: skip
        self.name = name
        self.proc = proc
        self.port = port
        self.path = path
        self.headers = headers or {}
        self.started = time.monotonic()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}{self.path}"


class Bench:
    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.wd = cfg.workdir
        self.emu: Emu | None = None
        self.docs: dict[str, bytes] = {}
        self.creds: dict[str, str] = {}
        self.ddb_creds: dict[str, str] = {}  # the DynamoDB contenders' reader
        self.results: dict[str, Any] = {"runs": {}, "notes": []}
        self.t0 = time.monotonic()
        self.x_cache: str | None = None
        self.keyserver: Any = None  # keyserver.KeyServer, for JWT
        self.token = ""

    # -- guards ------------------------------------------------------------

    def check_deadline(self, what: str) -> None:
        spent = time.monotonic() - self.t0
        if spent > self.cfg.max_seconds:
            raise TimeoutError(f"bench: BENCH_MAX_SECONDS={self.cfg.max_seconds:.0f} reached before {what}")

    def say(self, msg: str) -> None:
        print(f"[{time.monotonic() - self.t0:6.1f}s] {msg}", file=sys.stderr, flush=True)

    # -- setup -------------------------------------------------------------

    def setup(self) -> None:
        os.makedirs(self.wd, exist_ok=True)
        for f in os.listdir(self.wd):  # logs of the previous run
            if f.endswith((".log", ".conf", ".pid")):
                os.unlink(os.path.join(self.wd, f))
        self.say("starting the S3 emulator (auth enforced)")
        self.emu = Emu(self.wd)
        self.docs = seed(self.emu)
        if self.cfg.doc not in self.docs:
            raise RuntimeError(f"BENCH_DOC={self.cfg.doc!r}: no data/{self.cfg.doc}.json")
        # The same least-privilege reader for s3json, Flask and nginx.
        self.creds = self.emu.api.create_restricted_user(BUCKET, "")
        if any("-ddb-" in c for c in self.cfg.contenders):
            self.ddb_creds = seed_table(self.emu)
        docroot = os.path.join(self.wd, "docroot")
        for name, body in self.docs.items():
            p = os.path.join(docroot, f"{name}.json")
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "wb") as f:
                f.write(body)
        with open(os.path.join(self.wd, "flask-config.json"), "w") as f:
            json.dump({"bucket": BUCKET, "key": f"{self.cfg.doc}.json"}, f)
        self.say(f"emulator on {self.emu.endpoint}; bucket {BUCKET}: {', '.join(sorted(self.docs))}")
        if JWT in self.cfg.contenders:
            self.start_keyserver()

    def start_keyserver(self) -> None:
        """A JWKS on 127.0.0.1 and one token for the whole run (valid well
        past BENCH_MAX_SECONDS): a client that reuses its token, as a
        service with client credentials does until it expires."""
        from lib.keyserver import KeyServer, claims, mint

        self.keyserver = KeyServer().start()
        key = self.keyserver.add_key("bench-rsa", "RS256")
        c = claims(self.keyserver.issuer, audience="s3json-bench", scope="s3json/read:*",
                   sub="bench", lifetime=int(self.cfg.max_seconds) + 600)  # fmt: skip
        self.token = mint(key, c)
        self.say(f"key server on {self.keyserver.jwks_url}; one RS256 token of {len(self.token)} bytes")

    def aws_env(self) -> dict[str, str]:
        assert self.emu is not None
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "AWS_REGION": self.emu.region,
            "AWS_DEFAULT_REGION": self.emu.region,
            "AWS_ENDPOINT_URL_S3": self.emu.endpoint,
            "AWS_ACCESS_KEY_ID": self.creds["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": self.creds["secret_access_key"],
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    # -- starting each contender ------------------------------------------

    def start(self, name: str) -> Server:
        fn = getattr(self, "start_" + name.replace("-", "_"))
        return fn()

    def start_nginx_static(self, name: str = "nginx-static") -> Server:
        port = free_port()
        body = f"""\
  open_file_cache max=64 inactive=60s;
  server {{
    listen {HOST}:{port} backlog=4096;
    {nginx_access_log(self.wd, name)}
    root {self.wd}/docroot;
  }}"""
        conf = nginx_conf(self.wd, name, body)
        p = spawn(["nginx", "-c", conf, "-p", self.wd], os.path.join(self.wd, f"{name}.log"))
        path = f"/{self.cfg.doc}.json"
        wait_http(port, path, p, 10, name)
        return Server(name, p, port, path)

    def start_nginx_static_nolog(self) -> Server:
        return self.start_nginx_static("nginx-static-nolog")

    def start_nginx_proxy_cache(self) -> Server:
        assert self.emu is not None
        port = free_port()
        cache = os.path.join(self.wd, "nginx-cache")
        if os.path.isdir(cache):
            subprocess.run(["rm", "-rf", cache], check=True)
        os.makedirs(cache)
        os.chmod(cache, 0o777)
        locations = []
        for name in sorted(self.docs):
            h = signed_headers(self.emu, self.creds, f"{name}.json")
            sets = "\n".join(f'      proxy_set_header {k} "{v}";' for k, v in sorted(h.items()))
            locations.append(f"""\
    location = /api/{name} {{
      proxy_pass http://s3/{BUCKET}/{name}.json;
{sets}
      proxy_set_header Connection "";
    }}""")
        body = f"""\
  proxy_cache_path {cache} levels=1:2 keys_zone=s3json:1m max_size=64m
                   inactive=60m use_temp_path=off;
  upstream s3 {{
    server {HOST}:{self.emu.port};
    keepalive 16;
  }}
  server {{
    listen {HOST}:{port} backlog=4096;
    {nginx_access_log(self.wd, "nginx-proxy-cache")}
    proxy_http_version 1.1;
    proxy_cache s3json;
    proxy_cache_valid 200 {self.cfg.ttl}s;
    proxy_cache_valid 404 1s;
    proxy_cache_lock on;
    proxy_cache_lock_timeout 5s;
    proxy_cache_revalidate on;
    proxy_cache_background_update on;
    proxy_cache_use_stale error timeout updating http_500 http_502 http_503 http_504;
    proxy_ignore_headers Cache-Control Expires Set-Cookie;
    proxy_hide_header x-amz-request-id;
    proxy_hide_header x-amz-id-2;
    add_header X-Cache $upstream_cache_status;
{chr(10).join(locations)}
  }}"""
        conf = nginx_conf(self.wd, "nginx-proxy-cache", body)
        p = spawn(["nginx", "-c", conf, "-p", self.wd], os.path.join(self.wd, "nginx-proxy-cache.log"))
        path = f"/api/{self.cfg.doc}"
        wait_http(port, path, p, 10, "nginx-proxy-cache")
        return Server("nginx-proxy-cache", p, port, path)

    def start_flask_boto3(self) -> Server:
        port = free_port()
        env = self.aws_env()
        env["BENCH_FLASK_CONFIG"] = os.path.join(self.wd, "flask-config.json")
        env["BENCH_FLASK_QUIET"] = "1"
        p = spawn([sys.executable, os.path.join(HERE, "flask_app.py"), "--host", HOST,
                   "--port", str(port)], os.path.join(self.wd, "flask-boto3.log"), env=env)  # fmt: skip
        wait_http(port, "/api/foo", p, 30, "flask-boto3")
        return Server("flask-boto3", p, port, "/api/foo")

    def s3json_env(self, port: int, ttl: int, log: bool = False, store: str = "s3") -> dict[str, str]:
        env = self.aws_env()
        if store == "dynamodb":
            assert self.emu is not None
            env.update({"S3JSON_STORE": "dynamodb", "S3JSON_TABLE": TABLE,
                        "AWS_ENDPOINT_URL_DYNAMODB": self.emu.endpoint,
                        "AWS_ACCESS_KEY_ID": self.ddb_creds["access_key_id"],
                        "AWS_SECRET_ACCESS_KEY": self.ddb_creds["secret_access_key"]})  # fmt: skip
        else:
            env["S3JSON_BUCKET"] = BUCKET
        env.update({
            "S3JSON_PREFIX": "",
            "S3JSON_BIND": HOST, "S3JSON_PORT": str(port),
            "S3JSON_CACHE_TTL_SECONDS": str(ttl),
            "S3JSON_LOG_LEVEL": "info" if log else "warn", "S3JSON_DRAIN_SECONDS": "1",
        })  # fmt: skip
        if self.cfg.s3json_threads:
            env["S3JSON_THREADS"] = self.cfg.s3json_threads
        env.update(self.cfg.s3json_extra)
        return env

    def _start_s3json(self, name: str, ttl: int, extra: dict[str, str] | None = None,
                      headers: dict[str, str] | None = None, store: str = "s3") -> Server:  # fmt: skip
        port = free_port()
        log = name not in NOLOG
        env = self.s3json_env(port, ttl, log, store)
        env.update(extra or {})
        # stdout (the JSON lines) to a file, as nginx writes its access log.
        with open(access_log_path(self.wd, name), "ab") as out:
            p = spawn([self.cfg.binary], os.path.join(self.wd, f"{name}.log"),
                      env=env, stdout=out)  # fmt: skip
        wait_http(port, "/readyz", p, 15, name)
        return Server(name, p, port, f"/api/{self.cfg.doc}", headers)

    def start_s3json_nocache(self) -> Server:
        return self._start_s3json("s3json-nocache", 0)

    def start_s3json_cached(self) -> Server:
        return self._start_s3json("s3json-cached", self.cfg.ttl)

    def jwt_env(self) -> dict[str, str]:
        """The settings of s3json-cached-jwt (also tests/bench/callgrind.py's)."""
        assert self.keyserver is not None
        ks = self.keyserver
        return {"S3JSON_AUTH": "jwt", "S3JSON_JWT_ISSUER": ks.issuer,
                "S3JSON_JWT_AUDIENCE": "s3json-bench", "S3JSON_JWT_JWKS_URL": ks.jwks_url}  # fmt: skip

    def jwt_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def start_s3json_cached_jwt(self) -> Server:
        return self._start_s3json(JWT, self.cfg.ttl, self.jwt_env(), self.jwt_headers())

    def start_s3json_cached_nolog(self) -> Server:
        return self._start_s3json("s3json-cached-nolog", self.cfg.ttl)

    def start_s3json_ddb_nocache(self) -> Server:
        return self._start_s3json("s3json-ddb-nocache", 0, store="dynamodb")

    def start_s3json_ddb_cached(self) -> Server:
        return self._start_s3json("s3json-ddb-cached", self.cfg.ttl, store="dynamodb")

    def start_h2o_cached(self, name: str = "h2o-cached") -> Server:
        """build/bench/h2o_cached: the bytes s3json serves for BENCH_DOC
        (setup's docroot copy), its access log where s3json-cached keeps
        its own ('-': off), as many threads as s3json's HTTP threads."""
        port = free_port()
        body = os.path.join(self.wd, "docroot", f"{self.cfg.doc}.json")
        log = "-" if name in NOLOG else access_log_path(self.wd, name)
        threads = self.cfg.s3json_threads or str(max(2, os.sysconf("SC_NPROCESSORS_ONLN")))
        p = spawn([H2O_BINARY, str(port), body, log, threads], os.path.join(self.wd, f"{name}.log"))
        path = f"/api/{self.cfg.doc}"
        wait_http(port, path, p, 10, name)
        return Server(name, p, port, path)

    def start_h2o_cached_nolog(self) -> Server:
        return self.start_h2o_cached("h2o-cached-nolog")

    def start_emulator_direct(self) -> Server:
        assert self.emu is not None
        h = signed_headers(self.emu, self.creds, f"{self.cfg.doc}.json")
        return Server("emulator-direct", None, self.emu.port, f"/{BUCKET}/{self.cfg.doc}.json", h)

    # -- one measurement ---------------------------------------------------

    def check_response(self, srv: Server) -> None:
        status, headers, body = http_get(srv.port, srv.path, headers=srv.headers)
        want = self.docs[self.cfg.doc]
        if status != 200:
            raise RuntimeError(f"{srv.name}: GET {srv.path} -> {status} {body[:200]!r}")
        if json.loads(body) != json.loads(want):
            raise RuntimeError(f"{srv.name}: GET {srv.path} returned another document: {body[:200]!r}")
        if srv.name.startswith("s3json-cached"):
            _, h2, _ = http_get(srv.port, srv.path, headers=srv.headers)
            self.x_cache = h2.get("x-cache")

    def wrk(self, srv: Server, conns: int, seconds: float,
            paths: list[str] | None = None) -> dict[str, Any]:  # fmt: skip
        """wrk at srv.url; with 'paths', every one of them in turn."""
        script = "wrk_docs.lua" if paths else "wrk_report.lua"
        cmd = ["wrk", f"-t{min(self.cfg.threads, conns)}", f"-c{conns}", f"-d{seconds:g}s",
               f"--timeout={self.cfg.wrk_timeout}s", "-s", os.path.join(HERE, script)]  # fmt: skip
        for k, v in srv.headers.items():
            if k.lower() != "host":
                cmd += ["-H", f"{k}: {v}"]
        cmd.append(srv.url)
        if paths:
            cmd += ["--", *paths]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + self.cfg.wrk_timeout + 30)
        for line in r.stdout.splitlines():
            if line.startswith("BENCH_JSON "):
                return json.loads(line[len("BENCH_JSON "):])
        raise RuntimeError(f"wrk gave no summary (rc {r.returncode}): {r.stdout[-500:]} {r.stderr[-500:]}")

    def measure(self, name: str, conns: int, seconds: float | None = None) -> dict[str, Any]:
        assert self.emu is not None
        self.check_deadline(f"{name} at {conns} connections")
        seconds = seconds or self.cfg.run_seconds(name)
        before = self.emu.counts()
        srv = self.start(name)
        try:
            self.check_response(srv)
            if self.cfg.warmup > 0:
                self.wrk(srv, conns, self.cfg.warmup)
            # CPU accounting of the measured run: the server's tree, wrk,
            # the emulator, and everything else on the machine ("other":
            # load that is not ours and makes the run noisy).
            srv_pids = tree_pids(srv.proc.pid) if srv.proc else []
            emu_pids = [self.emu.proc.pid]
            c0 = (machine_busy_s(), proc_cpu_s(srv_pids), proc_cpu_s(emu_pids),
                  children_cpu_s(), time.monotonic())  # fmt: skip
            w = self.wrk(srv, conns, seconds)
            c1 = (machine_busy_s(), proc_cpu_s(srv_pids), proc_cpu_s(emu_pids),
                  children_cpu_s(), time.monotonic())  # fmt: skip
            rss = peak_rss_mb(srv.proc.pid) if srv.proc else None
            metrics = self.s3json_metrics(srv) if name.startswith("s3json") else None
        finally:
            lifetime = time.monotonic() - srv.started
            if srv.proc is not None:
                stop(srv.proc)
            log_bytes = self.drop_access_log(name)
        after = self.settled_counts()
        s3_gets = sum(sum(after.get(op, {}).values()) - sum(before.get(op, {}).values()) for op in STORE_READS)
        secs = w["duration_us"] / 1e6
        wall = c1[4] - c0[4]
        server_cpu, emu_cpu, wrk_cpu = c1[1] - c0[1], c1[2] - c0[2], c1[3] - c0[3]
        other_cpu = max(0.0, (c1[0] - c0[0]) - server_cpu - emu_cpu - wrk_cpu)
        errors = w["status"] + w["connect"] + w["read"] + w["write"] + w["timeout"]
        res = {
            "contender": name, "connections": conns, "seconds": round(secs, 2),
            "requests": w["requests"], "rps": w["requests"] / secs if secs else 0.0,
            "p50_ms": w["p50_us"] / 1000.0, "p99_ms": w["p99_us"] / 1000.0,
            "max_ms": w["max_us"] / 1000.0,
            "errors": errors, "non2xx": w["status"],
            "socket_errors": w["connect"] + w["read"] + w["write"] + w["timeout"],
            "rss_mb": rss, "s3_gets": s3_gets,
            "s3_gets_by_status": {k: sum(after.get(op, {}).get(k, 0) - before.get(op, {}).get(k, 0)
                                         for op in STORE_READS)
                                  for k in set().union(*(after.get(op, {}) for op in STORE_READS))},  # fmt: skip
            "lifetime_s": round(lifetime, 2), "s3json_metrics": metrics,
            "cpu_us_per_req": round(server_cpu / w["requests"] * 1e6, 2) if w["requests"] else None,
            "access_log_bytes": log_bytes,
            "cpu_cores": {"server": round(server_cpu / wall, 2), "wrk": round(wrk_cpu / wall, 2),
                          "emulator": round(emu_cpu / wall, 2), "other": round(other_cpu / wall, 2)},
        }  # fmt: skip
        self.say(f"{name:18} c={conns:<4} {res['rps']:10.0f} req/s  p50 {res['p50_ms']:.2f} ms  "
                 f"p99 {res['p99_ms']:.2f} ms  err {errors}  rss {rss if rss is None else round(rss, 1)} MB  "
                 f"S3 GETs {s3_gets}  cpu {res['cpu_cores']} = {res['cpu_us_per_req']} us/req  "
                 f"access log {log_bytes} B")  # fmt: skip
        return res

    def drop_access_log(self, name: str) -> int | None:
        """Size of the access log 'name' wrote (None: it has none), then
        deletes it, so that a long bench does not fill the disk."""
        path = access_log_path(self.wd, name)
        try:
            size = os.path.getsize(path)
            os.unlink(path)
        except OSError:
            return None
        return size

    def settled_counts(self) -> dict[str, dict[str, int]]:
        """The emulator's counts once it has finished what is queued (moto
        is slow: requests accepted before a client stopped are still being
        answered), so that one run's S3 requests are not billed to the next."""
        assert self.emu is not None
        prev = self.emu.counts()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            time.sleep(0.2)
            cur = self.emu.counts()
            if cur == prev:
                return cur
            prev = cur
        return prev

    @staticmethod
    def s3json_metrics(srv: Server) -> dict[str, float] | None:
        """s3json_s3_requests_total, cache counters and HTTP yields from
        /metrics, if any."""
        try:
            status, _, body = http_get(srv.port, "/metrics")
        except OSError:
            return None
        if status != 200:
            return None
        out: dict[str, float] = {}
        for line in body.decode("utf-8", "replace").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name = line.split("{", 1)[0].split(" ", 1)[0]
            if name.startswith(("s3json_s3_requests_total", "s3json_cache_", "s3json_http_yields")):
                try:
                    out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
                except ValueError:
                    pass
        return out

    # -- head to head ------------------------------------------------------

    def head_to_head(self, conns: int, n: int, pair: tuple[str, str]) -> dict[str, Any]:
        """n pairs of short runs, nginx then s3json ('pair'), back to back:
        unrelated load on a shared machine drifts slowly, so the ratio within
        a pair is steadier than a ratio of medians."""
        pairs = []
        for i in range(n):
            a = self.measure(pair[0], conns, self.cfg.pair_seconds)
            b = self.measure(pair[1], conns, self.cfg.pair_seconds)
            pairs.append(pair_row(a, b))
        return summarize_pairs(pairs, conns, self.cfg, pair)

    def all_pairs(self) -> list[dict[str, Any]]:
        """BENCH_PAIRS pairs at each of BENCH_PAIR_CONNECTIONS, logs on (the
        headline) and, with BENCH_PAIR_NOLOG=1, logs off; the pair number is
        the outer loop, so that drifting load hits every configuration."""
        kinds = [LOG_PAIR] + ([NOLOG_PAIR] if self.cfg.pair_nolog else [])
        rows: dict[tuple[str, int], list[dict[str, Any]]] = {}
        for _ in range(self.cfg.pairs):
            for conns in self.cfg.pair_connections:
                for pair in kinds:
                    a = self.measure(pair[0], conns, self.cfg.pair_seconds)
                    b = self.measure(pair[1], conns, self.cfg.pair_seconds)
                    rows.setdefault((pair[1], conns), []).append(pair_row(a, b))
        return [summarize_pairs(rows[(pair[1], conns)], conns, self.cfg, pair)
                for pair in kinds for conns in self.cfg.pair_connections]  # fmt: skip

    # -- S3 request bound over every document ------------------------------

    def bound_all_documents(self, conns: int = 256) -> dict[str, Any]:
        """s3json-cached under wrk asking for every document in turn: the S3
        GETs the emulator sees must stay within docs x time / TTL + docs."""
        assert self.emu is not None
        self.check_deadline("S3 request bound over every document")
        before = self.emu.counts()
        srv = self.start("s3json-cached")
        paths = [f"/api/{n}" for n in sorted(self.docs)]
        try:
            for p in paths:
                status, _, body = http_get(srv.port, p)
                if status != 200 or json.loads(body) != json.loads(self.docs[p[len("/api/"):]]):
                    raise RuntimeError(f"s3json-cached: GET {p} -> {status} {body[:100]!r}")
            w = self.wrk(srv, conns, self.cfg.duration, paths)
        finally:
            lifetime = time.monotonic() - srv.started
            stop(srv.proc)
            self.drop_access_log("s3json-cached")
        after = self.settled_counts()
        gets = {k: after.get("get_object", {}).get(k, 0) - before.get("get_object", {}).get(k, 0)
                for k in after.get("get_object", {})}  # fmt: skip
        n = len(paths)
        res = {
            "documents": n, "connections": conns, "requests": w["requests"],
            "rps": w["requests"] / (w["duration_us"] / 1e6),
            "errors": w["status"] + w["connect"] + w["read"] + w["write"] + w["timeout"],
            "s3_gets": sum(gets.values()), "s3_gets_by_status": gets,
            "lifetime_s": round(lifetime, 2), "bound": round(n * lifetime / self.cfg.ttl + n, 2),
        }  # fmt: skip
        self.say(f"bound check: {n} documents, c={conns}: {res['requests']} requests, "
                 f"{res['s3_gets']} S3 GETs {gets} in {lifetime:.1f} s (bound {res['bound']})")  # fmt: skip
        return res

    # -- start-to-ready ----------------------------------------------------

    def start_to_ready(self) -> list[float]:
        """exec -> first 200 on /readyz, ms, cache on (the contender's setup)."""
        times = []
        req = b"GET /readyz HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"
        for i in range(self.cfg.ready_runs):
            self.check_deadline("start-to-ready")
            port = free_port()
            env = self.s3json_env(port, self.cfg.ttl)
            t0 = time.perf_counter()
            p = spawn([self.cfg.binary], os.path.join(self.wd, "start-to-ready.log"), env=env)
            got = None
            try:
                while time.perf_counter() - t0 < 10:
                    if p.poll() is not None:
                        raise RuntimeError(f"s3json exited {p.returncode} during start-to-ready")
                    try:
                        with socket.create_connection((HOST, port), timeout=1) as s:
                            s.sendall(req)
                            head = s.recv(64)
                        if head.startswith(b"HTTP/1.1 200"):
                            got = (time.perf_counter() - t0) * 1000.0
                            break
                    except OSError:
                        pass
                    time.sleep(0.001)
            finally:
                stop(p)
            if got is None:
                raise RuntimeError("s3json not ready within 10 s")
            times.append(got)
        return times

    # -- image -------------------------------------------------------------

    def image_size(self) -> str:
        """build/image-size.txt, else build/image/last.env (written by
        scripts/image/build.sh), else `podman image inspect` of BENCH_IMAGE
        through scripts/image/lib.sh; "n/a" when none says."""
        f = os.path.join(ROOT, "build", "image-size.txt")
        if os.path.exists(f):
            with open(f) as fh:
                return fh.read().strip() or "n/a"
        env_file = os.path.join(ROOT, "build", "image", "last.env")
        if os.path.exists(env_file) and not self.cfg.image:
            kv = {}
            with open(env_file) as fh:
                for line in fh:
                    k, _, v = line.strip().partition("=")
                    kv[k] = v
            if kv.get("IMAGE_SIZE", "").isdigit():
                return (f"{int(kv['IMAGE_SIZE']) / 1048576:.1f} MiB uncompressed "
                        f"({kv.get('IMAGE_REF', '?')}, from build/image/last.env)")  # fmt: skip
        lib = os.path.join(ROOT, "scripts", "image", "lib.sh")
        if not (self.cfg.image and os.path.exists(lib)):
            return "n/a"
        try:
            r = subprocess.run(["bash", "-c", 'source "$1" >/dev/null 2>&1 && [ -n "$ENGINE" ] && image_size "$2"',
                                "bench", lib, self.cfg.image],
                               capture_output=True, text=True, timeout=60)  # fmt: skip
        except subprocess.TimeoutExpired:
            return "n/a"
        out = r.stdout.strip()
        if r.returncode == 0 and out.isdigit():
            return f"{int(out) / 1048576:.1f} MiB uncompressed ({self.cfg.image})"
        return "n/a"

    # -- perf --------------------------------------------------------------

    def profile(self) -> str:
        conns = 64
        self.check_deadline("perf")
        srv = self.start("s3json-cached")
        data = os.path.join(self.wd, "perf.data")
        try:
            self.wrk(srv, conns, max(1.0, self.cfg.warmup))
            assert srv.proc is not None
            perf = subprocess.Popen(["perf", "record", "-g", "-F", "999", "-o", data, "-p", str(srv.proc.pid),
                                     "--", "sleep", str(self.cfg.duration)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
            _procs.append(perf)
            time.sleep(0.3)
            w = self.wrk(srv, conns, self.cfg.duration)
            perf.wait(self.cfg.duration + 30)
            _procs.remove(perf)
        finally:
            stop(srv.proc)
            self.drop_access_log("s3json-cached")
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort",
                              "dso,symbol", "-g", "none", "--percent-limit", "0.7"],
                             capture_output=True, text=True, timeout=120)  # fmt: skip
        lines = [ln for ln in rep.stdout.splitlines() if ln.strip() and not ln.startswith("#")]
        txt = f"s3json-cached under perf, c={conns}: {w['requests'] / (w['duration_us'] / 1e6):.0f} req/s\n"
        txt += "\n".join(lines[:40])
        with open(os.path.join(self.wd, "perf-top.txt"), "w") as f:
            f.write(txt + "\n")
        return txt

    # -- the whole run -----------------------------------------------------

    def run(self) -> int:
        cfg = self.cfg
        self.results["config"] = {
            "duration_s": cfg.duration, "slow_duration_s": cfg.slow_duration,
            "connections": cfg.connections, "wrk_threads": cfg.threads, "warmup_s": cfg.warmup,
            "ttl_s": cfg.ttl, "document": cfg.doc, "contenders": cfg.contenders,
            "s3json_threads": cfg.s3json_threads or "default", "s3json_env": cfg.s3json_extra, "rounds": cfg.rounds,
        }  # fmt: skip
        self.results["date"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        self.results["machine"] = machine()
        self.results["revision"] = revision()
        self.say(f"planned ~{cfg.planned:.0f} s, bounded at {cfg.max_seconds:.0f} s")
        self.setup()
        self.results["document_bytes"] = len(self.docs[cfg.doc])
        for conns in cfg.connections:
            raw: dict[str, list[dict[str, Any]]] = {n: [] for n in cfg.contenders}
            for rnd in range(cfg.rounds):
                # Rounds interleave the contenders (rotated each round), so
                # that a burst of unrelated load on the machine hits them alike.
                k = rnd % len(cfg.contenders)
                for name in cfg.contenders[k:] + cfg.contenders[:k]:
                    try:
                        res = self.measure(name, conns)
                    except TimeoutError:
                        raise
                    except Exception as e:  # one broken contender must not hide the others
                        self.say(f"{name} c={conns}: FAILED: {e}")
                        res = {"contender": name, "connections": conns, "failed": str(e)}
                    raw[name].append(res)
            for name, lst in raw.items():
                self.results["runs"].setdefault(str(conns), {})[name] = aggregate(lst, cfg.ttl)
        if cfg.pairs:
            self.results["pairs"] = self.all_pairs()
        if CONTENDER in cfg.contenders:
            try:
                self.results["bound_all_documents"] = self.bound_all_documents(max(cfg.connections))
            except TimeoutError:
                raise
            except Exception as e:
                self.say(f"bound check FAILED: {e}")
                self.results["bound_all_documents"] = {"failed": str(e)}
        if CONTENDER in cfg.contenders or "s3json-nocache" in cfg.contenders:
            try:
                t = self.start_to_ready()
                self.results["start_to_ready_ms"] = {"runs": [round(x, 1) for x in t],
                                                     "median": round(statistics.median(t), 1)}  # fmt: skip
            except Exception as e:
                self.say(f"start-to-ready FAILED: {e}")
                self.results["start_to_ready_ms"] = {"failed": str(e)}
        self.results["image_size"] = self.image_size()
        self.results["x_cache"] = self.x_cache
        if cfg.perf:
            try:
                self.results["perf"] = self.profile()
            except Exception as e:
                self.results["perf"] = f"perf FAILED: {e}"
        text, md, ok = report(self.results, cfg)
        print(text)
        with open(os.path.join(self.wd, "results.json"), "w") as f:
            json.dump(self.results, f, indent=2)
        with open(os.path.join(self.wd, "results.md"), "w") as f:
            f.write(md)
        print(f"\nresults: {os.path.relpath(self.wd, ROOT)}/results.json, results.md "
              f"({time.monotonic() - self.t0:.0f} s)")  # fmt: skip
        if not ok and self.cfg.strict:
            return 1
        return 0


def pair_row(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """One head-to-head pair: nginx's run 'a', s3json's run 'b'."""
    cpu = (round(b["cpu_us_per_req"] / a["cpu_us_per_req"], 3)
           if a.get("cpu_us_per_req") and b.get("cpu_us_per_req") else None)  # fmt: skip
    return {
        "nginx_rps": round(a["rps"]), "s3json_rps": round(b["rps"]),
        "nginx_p99_ms": a["p99_ms"], "s3json_p99_ms": b["p99_ms"],
        "nginx_cpu_us": a.get("cpu_us_per_req"), "s3json_cpu_us": b.get("cpu_us_per_req"),
        "rps_ratio": round(b["rps"] / a["rps"], 3) if a["rps"] else None,
        "p99_ratio": round(b["p99_ms"] / a["p99_ms"], 3) if a["p99_ms"] else None,
        "cpu_ratio": cpu,
        "other_load": [a["cpu_cores"]["other"], b["cpu_cores"]["other"]],
        "errors": a["errors"] + b["errors"],
    }  # fmt: skip


def summarize_pairs(pairs: list[dict[str, Any]], conns: int, cfg: Config,
                    pair: tuple[str, str]) -> dict[str, Any]:  # fmt: skip
    """Medians over the quiet pairs (other load <= BENCH_QUIET_LOAD in both
    runs), or over all of them when none was quiet."""
    quiet = [p for p in pairs if max(p["other_load"]) <= cfg.quiet]
    use = quiet or pairs

    def med(k: str) -> float | None:
        v = [p[k] for p in use if p[k] is not None]
        return statistics.median(v) if v else None

    return {
        "nginx": pair[0], "s3json": pair[1], "logs": pair[1] not in NOLOG,
        "connections": conns, "seconds": cfg.pair_seconds, "pairs": pairs,
        "quiet_pairs": len(quiet), "quiet_limit": cfg.quiet,
        "rps_ratio": med("rps_ratio"), "p99_ratio": med("p99_ratio"), "cpu_ratio": med("cpu_ratio"),
        "p99_pairs_ok": sum(1 for p in pairs if p["p99_ratio"] is not None and p["p99_ratio"] <= 1.0),
        "basis": f"{len(quiet)} quiet pairs" if quiet else f"all {len(pairs)} pairs (none quiet)",
    }  # fmt: skip


def aggregate(runs: list[dict[str, Any]], ttl: int) -> dict[str, Any]:
    """One row from the rounds of one contender at one connection count:
    medians of req/s and latencies, sums of errors, the largest RSS; the
    S3 request bound is checked on every round."""
    ok = [r for r in runs if "failed" not in r]
    if not ok:
        return runs[0]
    for r in ok:
        r["s3_bound"] = round(r["lifetime_s"] / ttl + 1, 2)  # one document per run
    med = lambda k: statistics.median(r[k] for r in ok)  # noqa: E731
    worst = max(ok, key=lambda r: r["s3_gets"] - r["s3_bound"])
    out = {
        "contender": ok[0]["contender"], "connections": ok[0]["connections"],
        "rounds": len(ok), "failed_rounds": len(runs) - len(ok),
        "rps": med("rps"), "p50_ms": med("p50_ms"), "p99_ms": med("p99_ms"),
        "rps_all": [round(r["rps"]) for r in ok], "p99_all": [r["p99_ms"] for r in ok],
        "requests": sum(r["requests"] for r in ok),
        "errors": sum(r["errors"] for r in ok), "non2xx": sum(r["non2xx"] for r in ok),
        "socket_errors": sum(r["socket_errors"] for r in ok),
        "rss_mb": None if ok[0]["rss_mb"] is None else max(r["rss_mb"] for r in ok),
        "s3_gets": worst["s3_gets"], "s3_bound": worst["s3_bound"],
        "s3_requests_of_worst": worst["requests"], "lifetime_s": worst["lifetime_s"],
        "s3_bound_ok": all(r["s3_gets"] <= r["s3_bound"] for r in ok),
        "other_cpu": max(r["cpu_cores"]["other"] for r in ok),
        "runs": ok,
    }  # fmt: skip
    return out


def revision() -> str:
    r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty", "--abbrev=12"],
                       capture_output=True, text=True)  # fmt: skip
    return r.stdout.strip() or "unknown"


def machine() -> str:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Linux {os.uname().release}"


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------


def _ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    if 0 < r < 0.1:
        return f"1/{1 / r:.0f}"
    if r >= 100:
        return f"{r:.0f}x"
    if r >= 10:
        return f"{r:.1f}x"
    return f"{r:.2f}x"


def _fmt(v: float | None, nd: int = 2) -> str:
    return "-" if v is None else f"{v:.{nd}f}"


def _table(headers: list[str], rows: list[list[str]], md: bool) -> str:
    if md:
        out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows])


def report(results: dict[str, Any], cfg: Config) -> tuple[str, str, bool]:
    text: list[str] = []
    md: list[str] = []
    runs = results["runs"]
    slow = ", ".join(sorted(SLOW & set(cfg.contenders)))
    if cfg.slow_duration != cfg.duration and slow:
        slow_note = (f"Slow contenders ({slow}) run {cfg.slow_duration} s per connection count "
                     f"instead of {cfg.duration} s: they are bound by the emulator (one S3 request "
                     "per client request) and cannot saturate anyway.")  # fmt: skip
    else:
        slow_note = ""
    for out, is_md in ((text, False), (md, True)):
        out.append(("## " if is_md else "") + f"s3json bench {results['date']}: {results['machine']}")
        out.append("")
        out.append(f"tree {results['revision']}; s3json binary {os.path.relpath(cfg.binary, ROOT)}")
        out.append("")
        out.append(f"wrk -t{cfg.threads}, {cfg.duration} s per run after {cfg.warmup:g} s of warm-up; "
                   f"document {cfg.doc}.json ({results['document_bytes']} bytes); cache TTL {cfg.ttl} s; "
                   f"every server restarted for each run; {cfg.rounds} interleaved round(s), "
                   f"{'medians' if cfg.rounds > 1 else 'one run'} shown. 'other load': CPU cores used "
                   "during the run by processes that are not part of the bench (max over rounds; "
                   "the machine has 2 cores, anything above ~0.1 makes figures noisy). "
                   "Access logs: every contender writes a JSON line per request to a file "
                   "(nginx `log_format escape=json`, s3json S3JSON_LOG_LEVEL=info with stdout "
                   "to a file), except the -nolog ones and flask-boto3. 'CPU us/req': "
                   "the server's CPU time (all processes and threads) per request.")  # fmt: skip
        if slow_note:
            out.append(slow_note)
        out.append("")
        for conns, per in runs.items():
            out.append(("### " if is_md else "== ") + f"{conns} connections" + ("" if is_md else " =="))
            out.append("")
            rows = []
            for name in cfg.contenders:
                r = per.get(name)
                if r is None:
                    continue
                if "failed" in r:
                    rows.append([name, "FAILED", "-", "-", "-", "-", "-", "-", r["failed"][:60]])
                    continue
                rows.append([name + (" (slow: %ds)" % cfg.slow_duration if name in SLOW and cfg.slow_duration != cfg.duration else ""),
                             f"{r['rps']:.0f}" + (f" ({min(r['rps_all'])}-{max(r['rps_all'])})" if len(r["rps_all"]) > 1 else ""),
                             _fmt(r["p50_ms"]), _fmt(r["p99_ms"]),
                             f"{r['errors']}" + (f" ({r['non2xx']} non-2xx)" if r["non2xx"] else ""),
                             _fmt(r["rss_mb"], 1), str(r["s3_gets"]),
                             _fmt(statistics.median(x["cpu_us_per_req"] for x in r["runs"])),
                             f"{r['other_cpu']:.2f}"])  # fmt: skip
            out.append(_table(["contender", "req/s", "p50 ms", "p99 ms", "errors", "peak RSS MiB",
                               "S3 GETs/run", "CPU us/req", "other load"], rows, is_md))  # fmt: skip
            out.append("")
            for cname, bases in ((CONTENDER, BASELINES), (JWT, [CONTENDER]),
                                 ("s3json-cached-nolog", ["nginx-static-nolog"]),
                                 ("h2o-cached", [CONTENDER, "nginx-static"]),
                                 ("h2o-cached-nolog", ["s3json-cached-nolog", "nginx-static-nolog"])):  # fmt: skip
                c = per.get(cname)
                if not c or "failed" in c:
                    continue
                rrows = []
                for b in bases:
                    br = per.get(b)
                    if not br or "failed" in br:
                        continue
                    rrows.append([b, _ratio(c["rps"], br["rps"]), _ratio(c["p50_ms"], br["p50_ms"]),
                                  _ratio(c["p99_ms"], br["p99_ms"]), _ratio(c["rss_mb"], br["rss_mb"])])  # fmt: skip
                if not rrows:
                    continue
                out.append(f"{cname} as a ratio to each baseline (req/s: higher is better; "
                           "latency and RSS: lower is better):")  # fmt: skip
                out.append("")
                out.append(_table(["baseline", "req/s", "p50", "p99", "peak RSS"], rrows, is_md))
                out.append("")

    for hh in results.get("pairs") or []:
        what = "access log on both (production)" if hh["logs"] else "access log off on both"
        for out, is_md in ((text, False), (md, True)):
            out.append(("### " if is_md else "== ") + f"head to head, {what}: {hh['nginx']} vs {hh['s3json']}, "
                       f"{hh['connections']} connections, {hh['seconds']} s runs" + ("" if is_md else " =="))  # fmt: skip
            out.append("")
            rows = [[str(i + 1), str(p["nginx_rps"]), str(p["s3json_rps"]), _fmt(p["rps_ratio"]) + "x",
                     _fmt(p["nginx_p99_ms"]), _fmt(p["s3json_p99_ms"]), _fmt(p["p99_ratio"]) + "x",
                     _fmt(p["nginx_cpu_us"]), _fmt(p["s3json_cpu_us"]), _fmt(p["cpu_ratio"]) + "x",
                     f"{p['other_load'][0]:.2f} / {p['other_load'][1]:.2f}"]
                    for i, p in enumerate(hh["pairs"])]  # fmt: skip
            out.append(_table(["pair", "nginx req/s", "s3json req/s", "ratio", "nginx p99 ms",
                               "s3json p99 ms", "p99 ratio", "nginx CPU us/req", "s3json CPU us/req",
                               "CPU ratio", "other load"], rows, is_md))  # fmt: skip
            out.append("")
            out.append(f"median over {hh['basis']} (other load <= {hh['quiet_limit']:g} in both runs): "
                       f"req/s {_fmt(hh['rps_ratio'])}x, p99 {_fmt(hh['p99_ratio'])}x, "
                       f"CPU per request {_fmt(hh['cpu_ratio'])}x; p99 <= nginx's in "
                       f"{hh['p99_pairs_ok']} of {len(hh['pairs'])} pairs")  # fmt: skip
            out.append("")
    ok, checks = targets(results, cfg)
    extra: list[str] = []
    sr = results.get("start_to_ready_ms") or {}
    if "median" in sr:
        extra.append(f"start-to-ready (exec -> first 200 on /readyz, {len(sr['runs'])} runs): "
                     f"median {sr['median']} ms; runs {sr['runs']}")  # fmt: skip
    elif sr:
        extra.append(f"start-to-ready: {sr.get('failed')}")
    extra.append(f"image size: {results.get('image_size', 'n/a')}")
    xc = results.get("x_cache")
    extra.append("X-Cache header from s3json-cached: " + (xc if xc else
                 "absent (the cache is not in this build: s3json-cached behaves as nocache)"))  # fmt: skip
    for line in extra:
        text.append(line)
        md.append("- " + line)
    text.append("")
    md.append("")
    text.append("targets (issues 5, 11 and 15):")
    md.append("### Targets")
    md.append("")
    md.append(_table(["target", "measured", "result"], [[a, b, c] for a, b, c in checks], True))
    for a, b, c in checks:
        text.append(f"  {c:4}  {a}: {b}")
    n_fail = sum(1 for c in checks if c[2] == "FAIL")
    text.append(f"targets: {sum(1 for c in checks if c[2] == 'PASS')} passed, {n_fail} missed")
    if results.get("perf"):
        text.append("")
        text.append(results["perf"])
        md.append("")
        md.append("```")
        md.append(results["perf"])
        md.append("```")
    return "\n".join(text), "\n".join(md) + "\n", ok


def targets(results: dict[str, Any], cfg: Config) -> tuple[bool, list[tuple[str, str, str]]]:
    runs = results["runs"]
    checks: list[tuple[str, str, str]] = []

    def get(conns: int, name: str) -> dict[str, Any] | None:
        r = runs.get(str(conns), {}).get(name)
        return None if r is None or "failed" in r else r

    def add(what: str, measured: str, good: bool | None) -> None:
        checks.append((what, measured, "n/a" if good is None else ("PASS" if good else "FAIL")))

    c64, s64, p64, f64 = get(64, CONTENDER), get(64, "nginx-static"), get(64, "nginx-proxy-cache"), get(64, "flask-boto3")
    if c64 and s64:
        r = c64["rps"] / s64["rps"]
        best = max(c64["rps_all"]) / max(s64["rps_all"])
        add("cached GET >= 0.9x nginx static req/s (64 conns)",
            f"{r:.2f}x" + (f" (best round vs best round: {best:.2f}x)" if len(c64["rps_all"]) > 1 else ""),
            r >= 0.9)  # fmt: skip
        r = c64["p99_ms"] / s64["p99_ms"] if s64["p99_ms"] else float("inf")
        add("p99 <= 1.5x nginx static's (64 conns)", f"{c64['p99_ms']:.2f} ms vs {s64['p99_ms']:.2f} ms = {r:.2f}x", r <= 1.5)
    else:
        add("cached GET >= 0.9x nginx static req/s (64 conns)", "not measured", None)
    # Issue 11: same-run ratios, medians over the head-to-head pairs.
    for hh in results.get("pairs") or []:
        c = hh["connections"]
        if hh["logs"]:
            add(f"logs on: cached GET >= 1.2x nginx req/s ({c} conns, {hh['basis']})",
                f"{_fmt(hh['rps_ratio'])}x", hh["rps_ratio"] is not None and hh["rps_ratio"] >= 1.2)  # fmt: skip
            add(f"logs on: server CPU per request <= 0.8x nginx's ({c} conns)",
                f"{_fmt(hh['cpu_ratio'])}x", hh["cpu_ratio"] is not None and hh["cpu_ratio"] <= 0.8)  # fmt: skip
            add(f"logs on: p99 <= 1.0x nginx's ({c} conns)",
                f"{_fmt(hh['p99_ratio'])}x (<= 1.0x in {hh['p99_pairs_ok']} of {len(hh['pairs'])} pairs)",
                hh["p99_ratio"] is not None and hh["p99_ratio"] <= 1.0)  # fmt: skip
        else:
            add(f"logs off: cached GET >= 1.25x nginx req/s ({c} conns, {hh['basis']})",
                f"{_fmt(hh['rps_ratio'])}x", hh["rps_ratio"] is not None and hh["rps_ratio"] >= 1.25)  # fmt: skip
            add(f"logs off: server CPU per request <= 0.78x nginx's ({c} conns)",
                f"{_fmt(hh['cpu_ratio'])}x", hh["cpu_ratio"] is not None and hh["cpu_ratio"] <= 0.78)  # fmt: skip
    if c64 and p64:
        r = c64["rps"] / p64["rps"]
        best = max(c64["rps_all"]) / max(p64["rps_all"])
        add("cached GET >= 1.0x nginx proxy_cache req/s (64 conns)",
            f"{r:.2f}x" + (f" (best round vs best round: {best:.2f}x)" if len(c64["rps_all"]) > 1 else ""),
            r >= 1.0)  # fmt: skip
    if c64 and f64:
        r = c64["rps"] / f64["rps"] if f64["rps"] else float("inf")
        add("cached GET >= 100x Flask + boto3 req/s (64 conns)", f"{r:.0f}x", r >= 100)
    # Issue 15: a reused bearer token costs little next to no auth at all.
    for conns in cfg.connections:
        j, c = get(conns, JWT), get(conns, CONTENDER)
        if j and c and c["rps"]:
            r = j["rps"] / c["rps"]
            add(f"cached GET with a reused bearer token >= 0.9x without auth ({conns} conns)",
                f"{r:.2f}x ({j['rps']:.0f} vs {c['rps']:.0f} req/s)", r >= 0.9)  # fmt: skip
    c256 = get(256, CONTENDER)
    if c256 and c256["rss_mb"] is not None:
        add("peak RSS <= 16 MB at 256 conns", f"{c256['rss_mb']:.1f} MiB", c256["rss_mb"] <= 16)
    sr = results.get("start_to_ready_ms") or {}
    if "median" in sr:
        add("start-to-ready <= 100 ms (median)", f"{sr['median']} ms", sr["median"] <= 100)
    for conns in cfg.connections:
        c = get(conns, CONTENDER)
        if not c:
            continue
        # Every run asks for one document: bound = 1 x lifetime / TTL + 1,
        # checked on each round; the worst round is shown.
        add(f"S3 GETs per cached run <= docs x time / TTL + docs ({conns} conns)",
            f"{c['s3_gets']} for {c['s3_requests_of_worst']} client requests in {c['lifetime_s']:.1f} s "
            f"(bound {c['s3_bound']:.1f})", c["s3_bound_ok"])  # fmt: skip
        add(f"no errors in the cached run ({conns} conns)", str(c["errors"]), c["errors"] == 0)
    b = results.get("bound_all_documents")
    if b and "failed" not in b:
        add(f"S3 GETs <= docs x time / TTL + docs, all {b['documents']} documents in turn "
            f"({b['connections']} conns)",
            f"{b['s3_gets']} {b['s3_gets_by_status']} for {b['requests']} client requests in "
            f"{b['lifetime_s']:.1f} s (bound {b['bound']:.1f}), {b['errors']} errors",
            b["s3_gets"] <= b["bound"] and b["errors"] == 0)  # fmt: skip
    elif b:
        add("S3 GETs bound, all documents", b["failed"][:80], False)
    ok = all(c[2] != "FAIL" for c in checks)
    return ok, checks


def main() -> int:
    cfg = Config()
    if any(c.startswith("s3json") for c in cfg.contenders) and not os.access(cfg.binary, os.X_OK):
        print(f"bench: {cfg.binary} is missing: run `make` first", file=sys.stderr)
        return 2
    h2o = [c for c in cfg.contenders if c in H2O]
    if h2o and not os.access(H2O_BINARY, os.X_OK):
        print(f"bench: {', '.join(h2o)} skipped: {os.path.relpath(H2O_BINARY, ROOT)} is missing "
              "(apt-get install libh2o-evloop-dev, then make build/bench/h2o_cached)", file=sys.stderr)  # fmt: skip
        cfg.contenders = [c for c in cfg.contenders if c not in H2O]
        if not cfg.contenders:
            return 0
    for tool in ("wrk", "nginx"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], capture_output=True).returncode != 0:
            print(f"bench: {tool} is missing (apt-get install wrk nginx-light)", file=sys.stderr)
            return 2

    def on_term(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)
    bench = Bench(cfg)
    try:
        return bench.run()
    except TimeoutError as e:
        print(str(e), file=sys.stderr)
        return 3
    finally:
        stop_all()
        if bench.keyserver is not None:
            bench.keyserver.stop()


if __name__ == "__main__":
    sys.exit(main())
