"""`assay dashboard`: serve the Streamlit dashboard on a catalog."""

from __future__ import annotations

import os
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
    try:
        return subprocess.call(cmd, env=env, cwd=config_dir())  # picks up dashboard/.streamlit/config.toml
    except KeyboardInterrupt:
        return 0


def _dashboard(args) -> int:
    return serve(Catalog(args.catalog), args.port, args.address)
