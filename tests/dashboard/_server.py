"""Starting a real dashboard server for browser and command tests: a free port and a health wait."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, proc: subprocess.Popen, seconds: float = 90) -> None:
    """Return once ``base``/_stcore/health answers ok; kill ``proc`` and fail if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read() == b"ok":
                return
        except OSError:
            time.sleep(0.3)
    proc.kill()
    out = proc.stdout.read().decode()[-2000:] if proc.stdout else ""
    raise AssertionError(f"the dashboard did not start at {base}: {out}")
