"""`assay dashboard`: serve the Streamlit dashboard on a catalog."""

from __future__ import annotations

import errno
import os
import signal
import socket
import subprocess
import sys

from audits.commands.run import _whole_number_from
from audits.errors import AssayError
from audits.store.catalog import Catalog

# --port 99999 was Streamlit's OverflowError traceback (after `assay demo` had run both audits)
port_int = _whole_number_from(1, "a port is 1 to 65535, got {value}", 65535, "a port is 1 to 65535, got {value}")


def register(subparsers, common) -> None:
    p = subparsers.add_parser("dashboard", parents=[common], help="open the dashboard (Streamlit)")
    p.add_argument("--port", type=port_int, default=8501)
    p.add_argument("--address", default="localhost", help="bind address (default: localhost only)")
    p.set_defaults(func=_dashboard)


def check_bind(address: str, port: int) -> None:
    """AssayError unless the server could listen on ``address``:``port`` now: a port in use was Streamlit's
    own "Port N is not available" and an unknown address its socket.gaierror traceback."""
    try:
        family, kind, proto, _, where = socket.getaddrinfo(address, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as err:
        raise AssayError(f"--address {address!r} is not a host name or address this machine knows "
                         f"({getattr(err, 'strerror', None) or err})",
                         "use localhost, 0.0.0.0 or one of this machine's addresses") from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server's own socket does
        try:
            probe.bind(where)
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                other = port + 1 if port < 65535 else 8502
                raise AssayError(f"port {port} on {address} is in use",
                                 f"stop what holds it, or pass a free port, e.g. --port {other}") from None
            raise AssayError(f"cannot listen on {address}:{port}: {err.strerror or err}",
                             "use localhost, 0.0.0.0 or one of this machine's addresses, and a port above 1023"
                             ) from None


def serve(catalog: Catalog, port: int = 8501, address: str = "localhost") -> int:
    from dashboard import app_path, config_dir

    check_bind(address, port)

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
