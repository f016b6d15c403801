"""`assay dashboard` stops the Streamlit server it started when it is stopped by its PID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.dashboard._server import free_port, wait_healthy


_free_port = free_port


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


@pytest.mark.slow
def test_sigterm_to_assay_dashboard_stops_the_streamlit_server(tmp_path):
    from tests.dashboard._synth import build_catalog

    build_catalog(tmp_path / "c.duckdb", n_per_task=10)
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "audits.cli", "dashboard", "--catalog", str(tmp_path / "c.duckdb"),
                             "--port", str(port), "--address", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, 90)
        servers = _children(proc.pid)
        assert servers, "assay dashboard should run streamlit as its child"
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(_alive(p) for p in servers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in servers), "the streamlit server outlived assay dashboard"
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
    finally:
        if proc.poll() is None:
            proc.kill()
