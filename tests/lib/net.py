"""Ports on 127.0.0.1 for test servers.

    python3 -m lib.net free-port     prints one (lib.sh's free_port uses it)
"""

from __future__ import annotations

import socket
import sys


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's pick). Another
    process may take it before the caller binds it: callers that can should
    bind port 0 themselves and read the port back."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


if __name__ == "__main__":
    if sys.argv[1:] != ["free-port"]:
        sys.exit("usage: python3 -m lib.net free-port")
    print(free_port())
