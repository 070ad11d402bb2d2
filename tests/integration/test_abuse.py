"""Abuse: idle and trickling connections, oversized requests, floods of
malformed requests. Everything on loopback, bounded in count and time."""

from __future__ import annotations

import json
import os
import random
import re
import select
import socket
import threading
import time
import unittest

from lib.faults import rss_kb, wait_for
from lib.harness import BINARY, BUCKET, PREFIX, Service, emulator, seed_bucket, service_env
from lib.proc import accepted_sockets


def _reply_complete(out: bytes) -> bool:
    """True once 'out' holds a whole reply: head and Content-Length body."""
    head, sep, body = out.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip() or b"0")
    return False  # no length: the reply ends when the server closes


def raw(port: int, data: bytes, timeout: float = 3.0, half_close: bool = False) -> bytes:
    """Sends 'data' on a new connection, returns what comes back: all of it
    up to the server's close, or the first reply once complete (the client
    then closes, as an HTTP client does). 'half_close' ends the sending side
    first, as a client that gives up does."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        while not _reply_complete(out):
            b = s.recv(65536)
            if not b:
                break
            out += b
    except OSError:
        pass
    finally:
        s.close()
    return out


def closed_by_peer(s: socket.socket, timeout: float) -> bool:
    """True when the server closes 's' within 'timeout'."""
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def until_close(port: int, data: bytes, timeout: float = 3.0) -> tuple[bytes, bool]:
    """Sends 'data' on a new connection; returns (everything received,
    whether the server closed the connection within 'timeout')."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    out = b""
    try:
        s.sendall(data)
        while True:
            b = s.recv(65536)
            if not b:
                return out, True
            out += b
    except OSError:
        return out, False
    finally:
        s.close()


def requests_total(metrics: bytes, status: int) -> int:
    return sum(int(n) for n in re.findall(rb's3json_http_requests_total\{route="[a-z]+",status="%d"\} (\d+)'
                                          % status, metrics))  # fmt: skip


class HeadLimitsTest(unittest.TestCase):
    """Issue 9 items 4, 7, 9: every request head size gets a status line,
    libmicrohttpd's own replies are counted and logged once with their
    real status, and request-smuggling framing is refused."""

    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        cls.svc = Service(service_env(cls.emu, creds, S3JSON_LOG_LEVEL="info")).start()

    @classmethod
    def tearDownClass(cls):
        assert cls.svc.stop() == 0, cls.svc.stderr[-20:]

    def _sizes(self, sizes, build) -> dict[int, bytes]:
        out = {}
        for n in sizes:
            out[n] = raw(self.svc.port, build(n), timeout=5)
        return out

    def _check_range(self, replies: dict[int, bytes], what: str) -> None:
        empty = [n for n, r in replies.items() if not r]
        self.assertEqual(empty, [], f"{what}: sizes with no reply at all")
        bad = {n: r[:40] for n, r in replies.items()
               if not (r.startswith(b"HTTP/1.1 200 ") or r.startswith(b"HTTP/1.1 431 "))}  # fmt: skip
        self.assertEqual(bad, {}, what)
        ok = [n for n, r in replies.items() if r.startswith(b"HTTP/1.1 200 ")]
        refused = [n for n, r in replies.items() if r.startswith(b"HTTP/1.1 431 ")]
        if ok and refused:
            self.assertLess(max(ok), min(refused), f"{what}: a 200 above a 431")
        self.assertLessEqual(max(ok or [0]), 8192, what)
        ours = [n for n in refused if replies[n].endswith(b"}")]
        for n in ours:
            body = json.loads(replies[n].partition(b"\r\n\r\n")[2])
            self.assertEqual(body["error"], "headers_too_large", n)
        print(f"\n{what}: 200 for {len(ok)} sizes up to {max(ok or [0])}, our JSON 431 for "
              f"{len(ours)}, libmicrohttpd's 431 for {len(refused) - len(ours)}")  # fmt: skip
        self.assertTrue(ours, f"{what}: no 431 with our JSON body")

    def _metrics(self) -> bytes:
        return self.svc.get("/metrics").body

    def test_every_head_size_from_7k_to_64k_gets_a_status_line(self):
        """One large header: every 3 bytes from 7,000 to 13,000 (both
        limits and the pool edge), every 17 up to 64 KiB."""
        before = requests_total(self._metrics(), 431)
        marks = len(self.svc.events("access"))
        sizes = list(range(7000, 13000, 3)) + list(range(13000, 65536 + 1, 17))
        base = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "

        replies = self._sizes(sizes, lambda n: base + b"b" * (n - len(base) - 4) + b"\r\n\r\n")
        self._check_range(replies, "one header")
        n431 = sum(1 for r in replies.values() if r.startswith(b"HTTP/1.1 431 "))
        # Counted and logged once each, with the real status (item 9).
        self.assertEqual(requests_total(self._metrics(), 431) - before, n431)
        # Access lines are buffered per thread (flushed within 200 ms): wait
        # for this test's own lines, not for any len(sizes) lines.
        def healthz():
            return [d["status"] for d in self.svc.events("access")[marks:] if d.get("path") == "/healthz"]

        self.assertTrue(wait_for(lambda: len(healthz()) >= len(sizes), 10))
        statuses = healthz()
        self.assertEqual(statuses.count(431), n431)
        self.assertNotIn(0, statuses)

    def test_many_small_headers(self):
        """The same with 40-byte headers, where libmicrohttpd's 64 bytes of
        bookkeeping per header count as much as the bytes."""
        def build(n):
            head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
            i = 0
            while len(head) + 44 < n:
                head += b"X-%05d: %s\r\n" % (i, b"v" * 30)
                i += 1
            return head + b"X: " + b"w" * max(0, n - len(head) - 7) + b"\r\n\r\n"

        self._check_range(self._sizes(range(3000, 20000, 23), build), "many headers")

    def test_414_is_counted_and_logged(self):
        before = requests_total(self._metrics(), 414)
        r = raw(self.svc.port, b"GET /api/" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 414 "), r[:80])
        self.assertEqual(requests_total(self._metrics(), 414) - before, 1)
        self.svc.wait_event("access", lambda d: d.get("status") == 414)

    def test_smuggling_framing_is_refused_and_closed(self):
        """Item 7 (RFC 9112 6.3): two different Content-Length values, and
        Content-Length with Transfer-Encoding, get 400 and a close."""
        for head in (b"Content-Length: 0\r\nContent-Length: 5\r\n\r\nhello",
                     b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                     b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"):  # fmt: skip
            out, closed = until_close(self.svc.port, b"GET /api/foo HTTP/1.1\r\nHost: x\r\n" + head)
            self.assertTrue(out.startswith(b"HTTP/1.1 400 "), (head, out[:80]))
            hdrs, _, body = out.partition(b"\r\n\r\n")
            self.assertIn(b"\r\nConnection: close", hdrs)
            self.assertEqual(json.loads(body)["error"], "bad_request")
            self.assertTrue(closed, head)
        # The same length twice is one length: served.
        r = raw(self.svc.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                               b"Content-Length: 5\r\n\r\nhello")  # fmt: skip
        self.assertTrue(r.startswith(b"HTTP/1.1 200 "), r[:80])


class AbuseTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        cls.svc = Service(service_env(cls.emu, creds, S3JSON_CONNECTION_TIMEOUT_SECONDS="2",
                                      S3JSON_MAX_CONNECTIONS="64", S3JSON_LOG_LEVEL="warn")).start()  # fmt: skip

    @classmethod
    def tearDownClass(cls):
        assert cls.svc.stop() == 0, cls.svc.stderr[-20:]

    def test_idle_connections_are_cut(self):
        socks = [socket.create_connection(("127.0.0.1", self.svc.port)) for _ in range(20)]
        try:
            t0 = time.monotonic()
            self.assertTrue(all(closed_by_peer(s, 5) for s in socks))
            self.assertLess(time.monotonic() - t0, 4.5)
        finally:
            for s in socks:
                s.close()

    def test_trickling_headers_are_cut(self):
        s = socket.create_connection(("127.0.0.1", self.svc.port))
        try:
            s.sendall(b"GET /api/foo HTTP/1.1\r\nHost: x\r\n")
            cut = False
            for i in range(10):  # one header byte every 3 s > the 2 s timeout
                time.sleep(3)
                try:
                    s.sendall(b"X")
                except OSError:
                    cut = True
                    break
                if closed_by_peer(s, 0.1):
                    cut = True
                    break
            self.assertTrue(cut)
        finally:
            s.close()

    def test_connection_limit_holds_and_recovers(self):
        rss0 = rss_kb(self.svc.proc.pid)
        # Earlier connections (the start-up probe's, other tests') count
        # until the server has read their close: 63 were let in once in
        # CI under ASan. Start from none.
        self.assertTrue(wait_for(lambda: accepted_sockets(self.svc.proc.pid, self.svc.port) == 0, 5))
        socks = []
        try:
            for _ in range(100):  # 64 allowed
                try:
                    socks.append(socket.create_connection(("127.0.0.1", self.svc.port), timeout=2))
                except OSError:
                    pass
            # Connections past the limit are closed at once by the server:
            # counted 0.5 s after the last connect, well before the idle
            # timeout (2 s) could close the ones it accepted.
            time.sleep(0.5)
            readable = select.select(socks, [], [], 0)[0]
            refused = sum(1 for s in readable if closed_by_peer(s, 0.1))
            self.assertGreaterEqual(refused, 100 - 64 - 2)
            self.assertLessEqual(refused, 100 - 64)
            # Once the idle ones time out, service is back.
            self.assertTrue(wait_for(lambda: self._get_ok(), 6))
        finally:
            for s in socks:
                s.close()
        self.assertLess(rss_kb(self.svc.proc.pid) - rss0, 4096)

    def _get_ok(self) -> bool:
        try:
            return self.svc.get("/api/foo", timeout=1).status == 200
        except OSError:
            return False

    def test_oversized_request_line_and_headers(self):
        r = raw(self.svc.port, b"GET /api/" + b"a" * 40000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 414 "), r[:80])
        r = raw(self.svc.port, b"GET /api/foo HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 40000 + b"\r\n\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 431 "), r[:80])
        many = b"".join(b"X-%d: y\r\n" % i for i in range(5000))
        r = raw(self.svc.port, b"GET /api/foo HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
        self.assertTrue(r.startswith(b"HTTP/1.1 431 "), r[:80])
        self.assertEqual(self.svc.get("/api/foo").status, 200)

    def test_ten_thousand_malformed_requests(self):
        rng = random.Random(6)
        bad = [
            b"GET /api/%2e%2e/secret HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api/a%zz HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api?limit=0 HTTP/1.1\r\nHost: x\r\n\r\n",
            b"GET /api?cursor=!!! HTTP/1.1\r\nHost: x\r\n\r\n",
            b"DELETE /api/foo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
            b"BLAH\r\n\r\n",
            b"GET /api/foo HTTP/9.9\r\n\r\n",
            b"GET /api/foo\r\n\r\n",
            b"\x00\x01\x02\x03\r\n\r\n",
            b"GET /api/foo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
            b"GET /api/foo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n",
            b"GET /api/" + b"%41" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        # Warm up, then measure: RSS must not grow with the flood.
        self._flood(rng, bad, 500)
        rss0 = rss_kb(self.svc.proc.pid)
        counts = self._flood(rng, bad, 10000)
        self.assertEqual(counts.get("2xx", 0) + counts.get("5xx", 0), 0, counts)
        self.assertEqual(sum(counts.values()), 10000)
        self.assertEqual(self.svc.get("/api/foo").status, 200)
        growth = rss_kb(self.svc.proc.pid) - rss0
        print(f"\n  10000 malformed requests: {counts}, RSS {rss0} KiB -> +{growth} KiB")
        if "asan" in os.path.basename(os.path.dirname(BINARY)):
            # ASan keeps freed memory in quarantine (up to 256 MiB), so RSS
            # says nothing about leaks there; the plain build checks it.
            print("  RSS bound not checked: AddressSanitizer build (quarantine)")
        else:
            self.assertLess(growth, 1024)

    # Clients sending at once: below S3JSON_MAX_CONNECTIONS (64), so no
    # request is refused by the limit.
    FLOOD_CLIENTS = 32

    def _flood(self, rng, bad, n: int) -> dict:
        counts: dict[str, int] = {}
        lock = threading.Lock()
        # Some connections are only dropped at the 2 s idle timeout: now
        # and then one whose FIN came in the same read as its last bytes
        # (libmicrohttpd 0.9.75 with edge-triggered epoll misses that EOF).
        # Many clients at once keep those waits from adding up: with 4, and
        # every client half-closing, the flood took 260 s, mostly waiting.
        per, extra = divmod(n, self.FLOOD_CLIENTS)

        def worker(seed: int, count: int):
            r = random.Random(seed)
            for _ in range(count):
                data = r.choice(bad)
                cut = r.random() < 0.2
                if cut:  # at a random point, then give up sending
                    data = data[: r.randrange(1, len(data))]
                # Bytes with no request line in them read as blank lines
                # (NULs end the line), so the server waits for a request
                # until the idle timeout: that client gives up too.
                give_up = cut or data.startswith(b"\x00")
                out = raw(self.svc.port, data, timeout=5, half_close=give_up)
                if out.startswith(b"HTTP/1.1 4") or out.startswith(b"HTTP/1.0 4"):
                    k = "4xx"
                elif out == b"":
                    k = "closed"
                elif out.startswith(b"HTTP/1.1 505"):
                    k = "505 (bad version)"
                elif out.startswith(b"HTTP/1.1 2"):
                    k = "2xx"
                else:
                    k = "5xx" if out[9:10] == b"5" else "other"
                with lock:
                    counts[k] = counts.get(k, 0) + 1

        ts = [threading.Thread(target=worker, args=(rng.random(), per + (i < extra)))
              for i in range(self.FLOOD_CLIENTS)]  # fmt: skip
        t0 = time.monotonic()
        for t in ts:
            t.start()
        for t in ts:
            t.join(max(1.0, 240 - (time.monotonic() - t0)))
        self.assertFalse(any(t.is_alive() for t in ts),
                         f"flood of {n} not done in 240 s: {counts}")  # fmt: skip
        print(f"\n  flood of {n} from {self.FLOOD_CLIENTS} clients: {time.monotonic() - t0:.1f} s, {counts}")
        self.assertEqual(sum(counts.values()), n, "every request accounted for")
        return counts


if __name__ == "__main__":
    unittest.main()
