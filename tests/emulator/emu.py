#!/usr/bin/env python3
"""s3json strict AWS emulator: moto 5.2 in-process, auth enforced, with fixes.

CLI (foreground, 127.0.0.1 only):

    python3 -m emulator.emu --port PORT [--tls] [--state-dir DIR]
                                    [--http-port PORT] [--verbose]

Once listening it prints exactly one JSON line on stdout and writes the same
JSON to DIR/ready.json:

    {"event": "ready", "endpoint": "https://127.0.0.1:PORT", "ca_bundle": "DIR/tls/ca.pem"|null,
     "admin": {"access_key_id": "AKIA...", "secret_access_key": "..."},
     "region": "us-east-1", "account_id": "123456789012", "port": PORT, "pid": PID,
     "state_dir": DIR, "http_endpoint": "http://127.0.0.1:PORT2"|null}

--port 0 picks a free port.  --http-port adds a plain-HTTP listener on the
same state (for aws:SecureTransport tests).  Signals: SIGTERM/SIGINT stop
cleanly (ready.json is removed); SIGUSR1 closes the listeners and drops every
open connection (the service is "down", state is kept); SIGUSR2 listens again
on the same ports.  The admin credentials are stored in DIR/admin.json and
reused when the emulator is started again with the same DIR.

Python API (see class Emulator): in-process (threads, default) or as a
subprocess (Emulator(subprocess=True)).

    with Emulator(tls=True) as emu:
        s3 = emu.client("s3")
        creds = emu.create_restricted_user("bucket", "v1/")
        emu.stop(); emu.start()          # same port, same state

All moto state lives in module globals, so every in-process Emulator of one
Python process shares it; use subprocess=True for isolated instances.

Auth is enforced from the first request (INITIAL_NO_AUTH_ACTION_COUNT=0): the
admin user (AdministratorAccess) is created directly in moto's IAM backend
before the socket is opened, so there is no unauthenticated window at all.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import socket
import ssl
import subprocess as _subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))

# moto reads these at import time: set them before anything imports moto.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
os.environ["MOTO_ACM_VALIDATION_WAIT"] = "0"
os.environ["INITIAL_NO_AUTH_ACTION_COUNT"] = "0"
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

HOST = "127.0.0.1"
REGION = "us-east-1"
ADMIN_USER = "emu-admin"
IDLE_TIMEOUT = 120  # seconds an idle keep-alive connection may stay open
START_TIMEOUT = float(os.environ.get("EMU_START_TIMEOUT", "90"))
STOP_TIMEOUT = 15.0

log = logging.getLogger("emu")


# ---------------------------------------------------------------------------
# moto runtime (one per process)
# ---------------------------------------------------------------------------

_runtime_lock = threading.Lock()
_app: Any = None


def _moto_app() -> Any:
    """The WSGI app shared by every listener of this process (patched moto)."""
    global _app
    with _runtime_lock:
        if _app is None:
            import moto.settings as ms
            from moto.core.authorization import ActionAuthenticatorMixin
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )

            from emulator import patches

            # Enforce auth even if moto was imported before us.
            ms.INITIAL_NO_AUTH_ACTION_COUNT = 0
            ActionAuthenticatorMixin.request_count = 0
            ms.ACM_VALIDATION_WAIT = 0
            patches.apply()
            inner = DomainDispatcherApplication(create_backend_app)
            _app = patches.ContextMiddleware(_MotoApiGuard(inner))
        return _app


class _MotoApiGuard:
    """/moto-api is unauthenticated.  Refuse the endpoints that would switch
    auth off (reset-auth) and re-create the admin after a state reset, so that
    POST /moto-api/reset leaves a usable emulator with the same admin keys."""

    def __init__(self, app: Any):
        self.app = app
        self.on_reset: list[Any] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/moto-api/reset-auth"):
            start_response("403 Forbidden", [("Content-Type", "text/plain")])
            return [b"reset-auth is disabled: this emulator always enforces auth\n"]
        result = self.app(environ, start_response)
        if path.rstrip("/") == "/moto-api/reset" and environ.get("REQUEST_METHOD") == "POST":
            for cb in self.on_reset:
                cb()
        return result


def _iam_backend() -> Any:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import iam_backends

    return iam_backends[DEFAULT_ACCOUNT_ID]["aws"]


def bootstrap_admin(wanted: dict[str, str] | None = None) -> dict[str, str]:
    """Create (or find) the admin IAM user directly in moto's backend.

    `wanted`: reuse these credentials (restart with the same state dir)."""
    _moto_app()
    iam = _iam_backend()
    try:
        user = iam.get_user(ADMIN_USER)
    except Exception:
        user = iam.create_user(REGION, ADMIN_USER)
        iam.attach_user_policy("arn:aws:iam::aws:policy/AdministratorAccess", ADMIN_USER)
    if wanted:
        for k in user.access_keys:
            if k.access_key_id == wanted["access_key_id"]:
                k.secret_access_key = wanted["secret_access_key"]
                break
        else:
            key = iam.create_access_key(ADMIN_USER)
            key.access_key_id = wanted["access_key_id"]
            key.secret_access_key = wanted["secret_access_key"]
        return dict(wanted)
    if user.access_keys:
        k = user.access_keys[0]
    else:
        k = iam.create_access_key(ADMIN_USER)
    return {"access_key_id": k.access_key_id, "secret_access_key": k.secret_access_key}


# ---------------------------------------------------------------------------
# TLS material (openssl CLI): a private CA and a leaf for 127.0.0.1/localhost
# ---------------------------------------------------------------------------


def ensure_tls(state_dir: str) -> dict[str, str]:
    d = os.path.join(state_dir, "tls")
    os.makedirs(d, exist_ok=True)
    paths = {
        "ca": os.path.join(d, "ca.pem"),
        "ca_key": os.path.join(d, "ca.key"),
        "cert": os.path.join(d, "server.pem"),
        "key": os.path.join(d, "server.key"),
    }
    if all(os.path.exists(p) for p in paths.values()):
        return paths

    def run(*args: str) -> None:
        _subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "825",
        "-keyout", paths["ca_key"], "-out", paths["ca"], "-subj", "/CN=s3json emulator test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-addext", "subjectKeyIdentifier=hash",
    )  # fmt: skip
    csr = os.path.join(d, "server.csr")
    run(
        "req", "-new", "-newkey", "rsa:2048", "-nodes", "-sha256",
        "-keyout", paths["key"], "-out", csr, "-subj", "/CN=localhost",
    )  # fmt: skip
    ext = os.path.join(d, "server.ext")
    with open(ext, "w") as f:
        f.write(
            "basicConstraints=critical,CA:FALSE\n"
            "keyUsage=critical,digitalSignature,keyEncipherment\n"
            "extendedKeyUsage=serverAuth\n"
            "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
            "subjectKeyIdentifier=hash\n"
            "authorityKeyIdentifier=keyid,issuer\n"
        )
    run(
        "x509", "-req", "-in", csr, "-CA", paths["ca"], "-CAkey", paths["ca_key"],
        "-CAcreateserial", "-out", paths["cert"], "-days", "825", "-sha256", "-extfile", ext,
    )  # fmt: skip
    # Let clients that want a single file use server.pem + ca.pem chain too.
    return paths


def _server_ssl_context(paths: dict[str, str]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(paths["cert"], paths["key"])
    return ctx


# ---------------------------------------------------------------------------
# Listener: a threaded werkzeug server we can close hard and reopen
# ---------------------------------------------------------------------------


_our_conns: Any = None


class _NoDrainSelector:
    """werkzeug.serving drains "leftover request data" after every response
    by reading the socket for 10 ms.  On a keep-alive connection that eats the
    client's next request.  Our middleware has always read the whole body, so
    for our connections the drain is skipped; other sockets are untouched."""

    def __init__(self) -> None:
        import selectors

        self._real = selectors.DefaultSelector()
        self._skip = False

    def register(self, fileobj: Any, events: int, data: Any = None) -> Any:
        if _our_conns is not None and fileobj in _our_conns:
            self._skip = True
            return None
        return self._real.register(fileobj, events, data)

    def select(self, timeout: float | None = None) -> Any:
        return [] if self._skip else self._real.select(timeout)

    def close(self) -> None:
        self._real.close()


def _make_server_class() -> Any:
    global _our_conns
    import selectors
    import types
    import weakref

    import werkzeug.serving as ws
    from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

    if _our_conns is None:
        _our_conns = weakref.WeakSet()
        ws.selectors = types.SimpleNamespace(  # type: ignore[attr-defined]
            DefaultSelector=_NoDrainSelector, EVENT_READ=selectors.EVENT_READ
        )

    class Handler(WSGIRequestHandler):
        """HTTP/1.1 with keep-alive, like S3.  werkzeug's dev server sends
        `Connection: close` on every response because it cannot drain an
        unread request body; patches.ContextMiddleware always reads the whole
        body before the app runs, so keeping the connection is safe here."""

        protocol_version = "HTTP/1.1"

        def log_error(self, format: str, *args: Any) -> None:
            # an idle keep-alive connection reaching IDLE_TIMEOUT is normal
            if format.startswith("Request timed out"):
                log.debug(format, *args)
                return
            super().log_error(format, *args)

        def send_header(self, keyword: str, value: str) -> None:
            if keyword.lower() == "connection" and value.lower() == "close" and not self.close_connection:
                return
            super().send_header(keyword, value)

    class Server(ThreadedWSGIServer):
        daemon_threads = True

        def __init__(self, port: int, app: Any, tls: ssl.SSLContext | None):
            self._conns: set[socket.socket] = set()
            self._conns_lock = threading.Lock()
            try:
                super().__init__(HOST, port, app, handler=Handler)
            except SystemExit:  # werkzeug exits on bind errors
                raise OSError(f"cannot listen on {HOST}:{port}") from None
            if tls is not None:
                # Handshake in the connection's own thread (finish_request), so a
                # client that connects and never speaks TLS cannot stall accept().
                self.socket = tls.wrap_socket(
                    self.socket, server_side=True, do_handshake_on_connect=False
                )
                self.ssl_context = tls  # makes wsgi.url_scheme "https"

        def process_request(self, request: Any, client_address: Any) -> None:
            with self._conns_lock:
                self._conns.add(request)
            _our_conns.add(request)
            super().process_request(request, client_address)

        def finish_request(self, request: Any, client_address: Any) -> None:
            request.settimeout(IDLE_TIMEOUT)
            # werkzeug writes the headers and the body in separate send()s;
            # with Nagle on, a keep-alive client's delayed ACK stalls every
            # reused-connection response by ~40 ms.  S3 has no such stall.
            try:
                request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:
                pass
            if isinstance(request, ssl.SSLSocket):
                try:
                    request.do_handshake()
                except (OSError, ssl.SSLError):
                    return
            super().finish_request(request, client_address)

        def shutdown_request(self, request: Any) -> None:
            with self._conns_lock:
                self._conns.discard(request)
            super().shutdown_request(request)

        def handle_error(self, request: Any, client_address: Any) -> None:
            log.debug("connection error from %s", client_address, exc_info=True)

        def close_hard(self) -> None:
            self.shutdown()
            self.server_close()
            with self._conns_lock:
                conns = list(self._conns)
                self._conns.clear()
            for c in conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    c.close()
                except OSError:
                    pass

    return Server


class Listener:
    def __init__(self, port: int, tls: ssl.SSLContext | None):
        self.port = port
        self.tls = tls
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    def open(self) -> None:
        if self._server is not None:
            return
        cls = _make_server_class()
        deadline = time.monotonic() + 10
        while True:  # the port may still be held briefly after a hard close
            try:
                self._server = cls(self.port, _moto_app(), self.tls)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
            name=f"emu-listener-{self.port}", daemon=True,
        )  # fmt: skip
        self._thread.start()

    def close(self) -> None:
        if self._server is None:
            return
        self._server.close_hard()
        if self._thread:
            self._thread.join(STOP_TIMEOUT)
        self._server = None
        self._thread = None


# ---------------------------------------------------------------------------
# Python API
# ---------------------------------------------------------------------------

RESTRICTED_POLICY_NAME = "emu-restricted-read"


def restricted_policy(bucket: str, prefix: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{prefix}*",
            },
            {
                "Effect": "Allow",
                "Action": "s3:ListBucket",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
        ],
    }


DDB_READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:Scan", "dynamodb:DescribeTable"]


def ddb_table_arn(table: str, region: str = REGION, account_id: str = "123456789012") -> str:
    return f"arn:aws:dynamodb:{region}:{account_id}:table/{table}"


def ddb_restricted_policy(table: str, region: str = REGION, account_id: str = "123456789012") -> dict[str, Any]:
    """What the service's task role gets with the DynamoDB store: the read
    actions it uses, on that one table."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": list(DDB_READ_ACTIONS), "Resource": ddb_table_arn(table, region, account_id)}
        ],
    }


class Emulator:
    """Strict moto-based AWS emulator.

    Emulator(port=0, tls=False, state_dir=None, subprocess=False, http_port=None)
      start(tls=None)      start (or restart on the same port, state kept)
      stop()               stop listening, drop every connection
      close()              stop and, in subprocess mode, end the process
      endpoint, http_endpoint, ca_bundle, admin, region, account_id, port
      client(service, creds=None, endpoint=None, **config)   boto3 client
      create_restricted_user(bucket, prefix) -> {access_key_id, secret_access_key, user_name, arn}
      create_policy_user(policy) -> same, for any identity policy (e.g. ddb_restricted_policy(table))
      assume_restricted_role(bucket, prefix) -> {access_key_id, secret_access_key, session_token, ...}
      add_listener(tls=False, port=0) -> endpoint   (in-process only; same state)
      expire_session(access_key_id)   make STS credentials expire now (in-process only)
      dynamodb_requests() -> [(operation, request JSON, status)]   (in-process only)
      env(creds=None) -> dict   AWS_* variables for a child process
    """

    def __init__(
        self,
        port: int = 0,
        tls: bool = False,
        state_dir: str | None = None,
        subprocess: bool = False,
        http_port: int | None = None,
        verbose: bool = False,
    ):
        self.port = port
        self.tls = tls
        self._own_state_dir = state_dir is None
        self.state_dir = state_dir or tempfile.mkdtemp(prefix="emu-")
        os.makedirs(self.state_dir, exist_ok=True)
        self.subprocess = subprocess
        self.http_port = http_port
        self.verbose = verbose
        if not verbose and not subprocess:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.region = REGION
        self.account_id = "123456789012"
        self.admin: dict[str, str] = {}
        self.ca_bundle: str | None = None
        self.http_endpoint: str | None = None
        self.ready: dict[str, Any] = {}
        self._listeners: list[Listener] = []
        self._proc: _subprocess.Popen[bytes] | None = None
        self._user_seq = 0

    # -- lifecycle ---------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return f"{'https' if self.tls else 'http'}://{HOST}:{self.port}"

    def start(self, tls: bool | None = None) -> Emulator:
        if tls is not None and tls != self.tls:
            if self._listeners or self._proc:
                raise RuntimeError("stop() before changing tls")
            self.tls = tls
        if self.subprocess:
            self._start_process()
        else:
            self._start_inprocess()
        return self

    def _start_inprocess(self) -> None:
        if self._listeners:  # restart after stop(): reopen on the same ports
            for lst in self._listeners:
                lst.open()
            return
        admin_file = os.path.join(self.state_dir, "admin.json")
        wanted = None
        if os.path.exists(admin_file):
            with open(admin_file) as f:
                wanted = json.load(f)
        self.admin = bootstrap_admin(wanted)
        _write_json(admin_file, self.admin)
        guard = _moto_app().app
        if not getattr(guard, "_emu_rebootstrap", False):
            admin = dict(self.admin)
            guard.on_reset.append(lambda: bootstrap_admin(admin))
            guard._emu_rebootstrap = True
        ctx = None
        if self.tls:
            paths = ensure_tls(self.state_dir)
            self.ca_bundle = paths["ca"]
            ctx = _server_ssl_context(paths)
        main = Listener(self.port, ctx)
        main.open()
        self.port = main.port
        self._listeners.append(main)
        if self.http_port is not None:
            self.http_endpoint = self.add_listener(tls=False, port=self.http_port)
        self.ready = self._ready_doc()

    def _ready_doc(self) -> dict[str, Any]:
        return {
            "event": "ready",
            "endpoint": self.endpoint,
            "ca_bundle": self.ca_bundle,
            "admin": dict(self.admin),
            "region": self.region,
            "account_id": self.account_id,
            "port": self.port,
            "pid": os.getpid() if not self._proc else self._proc.pid,
            "state_dir": self.state_dir,
            "http_endpoint": self.http_endpoint,
        }

    def add_listener(self, tls: bool = False, port: int = 0) -> str:
        """Serve the same state on another port (in-process only)."""
        if self.subprocess:
            raise RuntimeError("add_listener is in-process only; use http_port= instead")
        ctx = None
        if tls:
            paths = ensure_tls(self.state_dir)
            self.ca_bundle = self.ca_bundle or paths["ca"]
            ctx = _server_ssl_context(paths)
        lst = Listener(port, ctx)
        lst.open()
        self._listeners.append(lst)
        return lst.endpoint

    def _start_process(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            # paused process: resume it
            self._proc.send_signal(signal.SIGUSR2)
            _wait_port(self.port, up=True)
            return
        cmd = [sys.executable, "-m", "emulator.emu", "--port", str(self.port),
               "--state-dir", self.state_dir]  # fmt: skip
        if self.tls:
            cmd.append("--tls")
        if self.http_port is not None:
            cmd += ["--http-port", str(self.http_port)]
        if self.verbose:
            cmd.append("--verbose")
        errlog = open(os.path.join(self.state_dir, "emu.log"), "ab")
        self._proc = _subprocess.Popen(
            cmd, stdout=_subprocess.PIPE, stderr=errlog, stdin=_subprocess.DEVNULL
        )
        errlog.close()
        doc = _read_ready_line(self._proc, START_TIMEOUT, os.path.join(self.state_dir, "emu.log"))
        self.ready = doc
        self.port = doc["port"]
        self.admin = doc["admin"]
        self.ca_bundle = doc["ca_bundle"]
        self.http_endpoint = doc.get("http_endpoint")
        if self.http_endpoint:
            self.http_port = int(self.http_endpoint.rsplit(":", 1)[1])

    def stop(self) -> None:
        """Stop serving: listeners closed, open connections dropped.  State is
        kept, and start() serves again on the same port(s)."""
        if self.subprocess:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.send_signal(signal.SIGUSR1)
                _wait_port(self.port, up=False)
        else:
            for lst in self._listeners:
                lst.close()

    def close(self) -> None:
        """stop(); in subprocess mode also terminate the process."""
        if self.subprocess and self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(STOP_TIMEOUT)
                except _subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait(STOP_TIMEOUT)
            if self._proc.stdout:
                self._proc.stdout.close()
            self._proc = None
        else:
            self.stop()

    def __enter__(self) -> Emulator:
        if not (self._listeners or self._proc):
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- clients -----------------------------------------------------------

    def client(
        self,
        service: str,
        creds: dict[str, str] | None = None,
        endpoint: str | None = None,
        **config: Any,
    ) -> Any:
        import boto3
        from botocore.config import Config

        c = creds or self.admin
        endpoint = endpoint or self.endpoint
        cfg = {"retries": {"max_attempts": 1, "mode": "standard"}, "s3": {"addressing_style": "path"},
               "connect_timeout": 5, "read_timeout": 60}  # fmt: skip
        cfg.update(config)
        session = boto3.session.Session(
            aws_access_key_id=c["access_key_id"],
            aws_secret_access_key=c["secret_access_key"],
            aws_session_token=c.get("session_token"),
            region_name=self.region,
        )
        verify: Any = None
        if endpoint.startswith("https"):
            verify = self.ca_bundle
        return session.client(service, endpoint_url=endpoint, verify=verify, config=Config(**cfg))

    def _next_name(self, base: str) -> str:
        self._user_seq += 1
        return f"{base}-{os.getpid()}-{int(time.time() * 1000) % 10**8}-{self._user_seq}"

    def create_restricted_user(
        self, bucket: str, prefix: str, user_name: str | None = None
    ) -> dict[str, str]:
        """IAM user allowed only s3:GetObject on bucket/prefix* and s3:ListBucket on bucket."""
        return self.create_policy_user(restricted_policy(bucket, prefix), user_name)

    def create_policy_user(self, policy: dict[str, Any], user_name: str | None = None) -> dict[str, str]:
        """IAM user whose only permissions are `policy` (an inline policy)."""
        iam = self.client("iam")
        name = user_name or self._next_name("restricted")
        user = iam.create_user(UserName=name)["User"]
        iam.put_user_policy(
            UserName=name,
            PolicyName=RESTRICTED_POLICY_NAME,
            PolicyDocument=json.dumps(policy),
        )
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return {
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
            "user_name": name,
            "arn": user["Arn"],
        }

    def assume_restricted_role(
        self,
        bucket: str,
        prefix: str,
        role_name: str | None = None,
        session_name: str = "s3json-test",
        duration_seconds: int = 3600,
    ) -> dict[str, Any]:
        """STS temporary credentials (ASIA key + session token) for a role with
        the restricted policy.  The role trusts this account; the admin assumes it."""
        iam = self.client("iam")
        name = role_name or self._next_name("restricted-role")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{self.account_id}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        iam.put_role_policy(
            RoleName=name,
            PolicyName=RESTRICTED_POLICY_NAME,
            PolicyDocument=json.dumps(restricted_policy(bucket, prefix)),
        )
        c = self.client("sts").assume_role(
            RoleArn=role["Arn"], RoleSessionName=session_name, DurationSeconds=duration_seconds
        )["Credentials"]
        return {
            "access_key_id": c["AccessKeyId"],
            "secret_access_key": c["SecretAccessKey"],
            "session_token": c["SessionToken"],
            "expiration": c["Expiration"].isoformat(),
            "role_arn": role["Arn"],
        }

    def expire_session(self, access_key_id: str) -> None:
        """Make STS credentials expire now (in-process only): the next request
        signed with them gets ExpiredToken, as after their Expiration on AWS."""
        if self.subprocess:
            raise RuntimeError("expire_session is in-process only")
        import datetime

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sts.models import sts_backends

        for role in sts_backends[DEFAULT_ACCOUNT_ID]["aws"].assumed_roles:
            if role.access_key_id == access_key_id:
                role.expiration = datetime.datetime.now(datetime.timezone.utc).replace(
                    tzinfo=None
                ) - datetime.timedelta(seconds=1)
                return
        raise KeyError(access_key_id)

    def dynamodb_requests(self) -> list[tuple[str, dict[str, Any], int]]:
        """The DynamoDB requests served so far (in-process only), oldest first:
        (operation e.g. "GetItem", the request's JSON, HTTP status).  Bounded
        (patches.DDB_LOG_MAX); take a len() before and slice after."""
        if self.subprocess:
            raise RuntimeError("dynamodb_requests is in-process only")
        from emulator import patches

        return list(patches.DDB_LOG or [])

    def env(self, creds: dict[str, str] | None = None) -> dict[str, str]:
        """Environment for a child process (the C binary, awscli, terraform)."""
        c = creds or self.admin
        e = {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": c["access_key_id"],
            "AWS_SECRET_ACCESS_KEY": c["secret_access_key"],
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }
        if c.get("session_token"):
            e["AWS_SESSION_TOKEN"] = c["session_token"]
        if self.ca_bundle:
            e["AWS_CA_BUNDLE"] = self.ca_bundle
        return e


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _write_json(path: str, doc: Any) -> None:
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(doc, f)
        f.write("\n")
    os.replace(tmp, path)


def _wait_port(port: int, up: bool, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                is_up = True
        except OSError:
            is_up = False
        if is_up == up:
            return
        time.sleep(0.05)
    raise TimeoutError(f"port {port} did not go {'up' if up else 'down'} within {timeout}s")


def _read_ready_line(proc: Any, timeout: float, logfile: str) -> dict[str, Any]:
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + timeout
    try:
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0:
                proc.kill()
                raise TimeoutError(f"emulator not ready within {timeout}s; see {logfile}")
            if not sel.select(min(left, 0.5)):
                if proc.poll() is not None:
                    raise RuntimeError(f"emulator exited with {proc.returncode}; see {logfile}")
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                proc.wait(5)
                raise RuntimeError(f"emulator exited with {proc.returncode}; see {logfile}")
            buf += chunk
    finally:
        sel.close()
    return json.loads(buf.split(b"\n", 1)[0])


# ---------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="strict moto-based AWS emulator (127.0.0.1 only)")
    p.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
    p.add_argument("--tls", action="store_true", help="serve HTTPS (certificate in STATE_DIR/tls)")
    p.add_argument("--state-dir", default=None, help="ready.json, admin.json, tls/ go here")
    p.add_argument("--http-port", type=int, default=None, help="also serve plain HTTP here")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args(argv)

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

    # stdout carries exactly one line (the ready JSON); anything moto prints
    # goes to stderr.
    real_stdout = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout = sys.stderr

    state_dir = os.path.abspath(args.state_dir or tempfile.mkdtemp(prefix="emu-"))
    os.makedirs(state_dir, exist_ok=True)
    ready_file = os.path.join(state_dir, "ready.json")
    try:
        os.unlink(ready_file)
    except FileNotFoundError:
        pass

    stop = threading.Event()
    requests: list[str] = []

    def on_signal(signum: int, _frame: Any) -> None:
        if signum in (signal.SIGTERM, signal.SIGINT):
            stop.set()
        elif signum == signal.SIGUSR1:
            requests.append("pause")
        elif signum == signal.SIGUSR2:
            requests.append("resume")

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(s, on_signal)

    emu = Emulator(
        port=args.port, tls=args.tls, state_dir=state_dir, http_port=args.http_port, verbose=args.verbose
    )
    emu.start()
    doc = emu.ready
    line = json.dumps(doc, separators=(",", ":"))
    tmp = f"{ready_file}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(line + "\n")  # byte for byte the line printed on stdout
    os.replace(tmp, ready_file)
    real_stdout.write(line + "\n")
    real_stdout.flush()

    while not stop.is_set():
        stop.wait(0.2)
        while requests:
            what = requests.pop(0)
            if what == "pause":
                emu.stop()
                log.warning("paused (SIGUSR1): not listening")
            else:
                emu.start()
                log.warning("resumed (SIGUSR2): listening on %s", emu.endpoint)
    emu.stop()
    try:
        os.unlink(ready_file)
    except FileNotFoundError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
