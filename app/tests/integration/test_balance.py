"""Connections spread over the HTTP threads (issue 11, item 2).

With one libmicrohttpd listening socket shared by a thread pool, the first
thread to wake accepted a whole burst: 64/0 of 64 connections opened at
once (as wrk and a load balancer's warm pool do), so one core queued every
request while the other idled. Each HTTP thread now has its own listening
socket on the port (SO_REUSEPORT) and the kernel spreads connections by
address. This opens 64 keep-alive connections at once, sends one request on
each, and counts the connections registered in each epoll instance of the
server (one per HTTP thread, /proc/PID/fdinfo): counts, not timings.
Under an even split by address, a thread with fewer than 16 of 64 happens
about once in 20,000 runs.
"""

from __future__ import annotations

import glob
import os
import socket
import sys
import unittest

from harness import BUCKET, PREFIX, Service, emulator, seed_bucket, service_env

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "bench"))
from threads import connection_split  # noqa: E402

CONNS = 64


def server_pid(svc: Service) -> int:
    """s3json's pid (the harness may run it under a wrapper)."""
    assert svc.proc is not None
    pid = svc.proc.pid
    for _ in range(3):
        if os.readlink(f"/proc/{pid}/exe").endswith("s3json"):
            return pid
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            kids = f.read().split()
        if not kids:
            break
        pid = int(kids[0])
    return svc.proc.pid


@unittest.skipUnless(glob.glob("/proc/self/fdinfo/*"), "no /proc fdinfo (not Linux)")
class BalanceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = emulator()
        seed_bucket(cls.emu)
        creds = cls.emu.create_restricted_user(BUCKET, PREFIX)
        cls.svc = Service(service_env(cls.emu, creds, S3JSON_THREADS="2")).start()

    @classmethod
    def tearDownClass(cls):
        cls.svc.stop()

    def test_a_burst_of_connections_is_split_between_threads(self):
        socks = [socket.create_connection(("127.0.0.1", self.svc.port), timeout=10) for _ in range(CONNS)]
        try:
            req = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{self.svc.port}\r\n\r\n".encode()
            for s in socks:
                s.sendall(req)
            for s in socks:
                self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 200 "))
            split = connection_split(server_pid(self.svc))
        finally:
            for s in socks:
                s.close()
        print(f"\n  {CONNS} connections split {'/'.join(map(str, split))} over the HTTP threads")
        self.assertEqual(sum(split), CONNS, split)
        self.assertEqual(len(split), 2, split)
        self.assertGreaterEqual(min(split), CONNS // 4, split)


if __name__ == "__main__":
    unittest.main()
