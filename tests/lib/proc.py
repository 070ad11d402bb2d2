"""Stopping the processes a test started: by their PID, never by name, with
bounded waits."""

from __future__ import annotations

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
