"""`assay dashboard`: serve the Streamlit dashboard on a catalog."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("dashboard", parents=[common], help="open the dashboard (Streamlit)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="localhost", help="bind address (default: localhost only)")
    p.set_defaults(func=_dashboard)


def serve(catalog: Catalog, port: int = 8501, address: str = "localhost") -> int:
    from dashboard import app_path, config_dir

    env = {**os.environ, "ASSAY_CATALOG": str(catalog.path)}
    cmd = [sys.executable, "-m", "streamlit", "run", str(app_path()), "--server.port", str(port),
           "--server.address", address, "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    print(f"dashboard: http://{address}:{port}  (catalog {catalog.path}; Ctrl+C to stop)", flush=True)
    # Streamlit runs in a process group of its own; stopping us (Ctrl+C, SIGTERM or SIGHUP to this PID)
    # stops that whole group, so no server is left behind holding the port.
    proc = subprocess.Popen(cmd, env=env, cwd=config_dir(), start_new_session=True)  # dashboard/.streamlit/config.toml
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGHUP)}

    def stop(signum, _frame) -> None:
        raise KeyboardInterrupt

    for sig in previous:
        signal.signal(sig, stop)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop_group(proc)


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, SIGKILL after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _dashboard(args) -> int:
    return serve(Catalog(args.catalog), args.port, args.address)
