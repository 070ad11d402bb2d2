"""Processes a test started: stopping them by their PID, never by name, with
bounded waits; and what /proc says of their connections."""

from __future__ import annotations

import glob
import os
import signal
import subprocess


def stop_pid(proc: subprocess.Popen, timeout: float, sig: int = signal.SIGTERM) -> int | None:
    """Sends `sig` to proc's PID, waits up to `timeout` s, then SIGKILL and
    up to 5 s more. Returns its exit status (None if it outlived even that)."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, sig)
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        except ProcessLookupError:
            pass
    return proc.returncode


def _tcp_fds(pid: int, keep) -> set[int]:
    """Descriptors of 'pid' that are TCP sockets whose /proc/net/tcp row
    (its columns) 'keep' accepts."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    cols = line.split()
                    if keep(cols):
                        inodes.add(cols[9])
        except OSError:
            continue
    out = set()
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:[") and target[8:-1] in inodes:
            out.add(int(os.path.basename(fd)))
    return out


def established_fds(pid: int) -> set[int]:
    """Descriptors of 'pid' that are connected TCP sockets."""
    return _tcp_fds(pid, lambda cols: cols[3] == "01")  # TCP_ESTABLISHED


def accepted_sockets(pid: int, port: int) -> int:
    """TCP sockets of 'pid' on local 'port' other than the listening one:
    the client connections it holds, closed by the client or not (a
    connection counts against the server's limit until it has read the
    close)."""
    return len(_tcp_fds(pid, lambda cols: cols[3] != "0A"  # not TCP_LISTEN
                        and int(cols[1].rsplit(":", 1)[1], 16) == port))


def connection_split(pid: int) -> list[int]:
    """For each epoll instance of 'pid', the connections registered in it,
    largest first."""
    conns = established_fds(pid)
    split = []
    for fd in glob.glob(f"/proc/{pid}/fd/*"):
        try:
            if os.readlink(fd) != "anon_inode:[eventpoll]":
                continue
            with open(f"/proc/{pid}/fdinfo/{os.path.basename(fd)}") as f:
                tfds = [int(line.split()[1]) for line in f if line.startswith("tfd:")]
        except (OSError, ValueError, IndexError):
            continue
        split.append(sum(1 for t in tfds if t in conns))
    return sorted((n for n in split if n), reverse=True)
