"""A running job's lease on its run (host, pid, heartbeat), and recovery of runs a crash left behind.

While a job runs, a background thread refreshes ``runs.heartbeat_at`` every HEARTBEAT_S. A run
still marked ``running`` whose job is gone (same host and the pid is dead, or no heartbeat for
STALE_S, or a heartbeat further in the future than SKEW_S: the row is unsigned, so an edited one must not
keep a run "running" for ever) is shown as ``interrupted``. ``complete_renamed`` finishes a run whose bundle was
renamed into place before the crash: the bundle is checked against its own manifest and the
run completed with that manifest's hash.
"""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from audits.store.catalog import Catalog

HEARTBEAT_S = float(os.environ.get("ASSAY_HEARTBEAT_S", "30"))
STALE_S = 5 * HEARTBEAT_S
SKEW_S = 60.0  # how far the clocks of two hosts sharing a catalog may disagree


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Lease:
    """Holds the run for this process; ``release()`` stops the heartbeat."""

    def __init__(self, cat: Catalog, run_id: str):
        self.cat, self.run_id = cat, run_id
        self._stop = threading.Event()
        self._beat()
        self._thread = threading.Thread(target=self._loop, name=f"assay-lease-{run_id}", daemon=True)
        self._thread.start()

    def _beat(self) -> None:
        with self.cat.connect(write=True) as con:
            con.execute("UPDATE runs SET lease_host = ?, lease_pid = ?, heartbeat_at = ? WHERE run_id = ?",
                        [socket.gethostname(), os.getpid(), _now(), self.run_id])

    def _loop(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                self._beat()
            except Exception:  # noqa: BLE001 - a missed beat only makes the run look stale sooner
                pass

    def release(self) -> None:
        self._stop.set()


def hold(cat: Catalog, run_id: str) -> Lease:
    return Lease(cat, run_id)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def effective_status(status: str, host: Any, pid: Any, heartbeat: Any, now: datetime | None = None,
                     started: Any = None) -> str:
    """``interrupted`` for a ``running`` run whose job is gone; otherwise ``status`` (see :func:`not_live`)."""
    return "interrupted" if status == "running" and not_live(host, pid, heartbeat, now, started) else status


def not_live(host: Any, pid: Any, heartbeat: Any, now: datetime | None = None, started: Any = None) -> str | None:
    """Why a ``running`` run's lease holds no live job, or None while it may.

    The lease is a catalog row nobody signs, so it only ever counts for a short while: a heartbeat older
    than STALE_S is a dead job's, and one more than SKEW_S ahead of this clock was not written by a job (a
    job writes its own clock's time; an edited row set in the future would otherwise look live for ever, so a
    host whose clock runs more than SKEW_S ahead must have it set right).
    A run with no heartbeat counts as live only for STALE_S after ``started`` (when given)."""
    now = now or _now()
    if host == socket.gethostname() and pid is not None and pid == pid and not _pid_alive(int(pid)):
        return f"its job (pid {int(pid)} on this host) is gone"
    if heartbeat is None or heartbeat != heartbeat:  # NaT / None: no lease (older runs) -> judge by start only
        if started is not None and started == started and now - started > timedelta(seconds=STALE_S):
            return f"it has no heartbeat and started at {started:%Y-%m-%d %H:%M:%S}"
        return None
    if heartbeat - now > timedelta(seconds=SKEW_S):
        return (f"its heartbeat {heartbeat:%Y-%m-%d %H:%M:%S} is in the future (more than {SKEW_S:g} s ahead of "
                "this clock: an edited row, or a host whose clock is wrong)")
    if now - heartbeat > timedelta(seconds=STALE_S):
        return f"its last heartbeat was at {heartbeat:%Y-%m-%d %H:%M:%S}, over {STALE_S:g} s ago"
    return None


def complete_renamed(cat: Catalog, run_id: str, actor: str) -> Path | None:
    """Complete a run whose bundle is already in place (a crash after the rename); its path, or None."""
    from audits.errors import AssayError
    from audits.store.bundle import MANIFEST, sha256_path, verify_bundle
    from audits.store.queries import runs as runs_q

    run = runs_q.get_run(cat, run_id)
    bundle = cat.runs_dir / run_id
    if run["status"] == "complete" or not (bundle / MANIFEST).exists():
        return None
    manifest_sha = sha256_path(bundle / MANIFEST)
    problems = verify_bundle(bundle, manifest_sha)
    if problems:
        raise AssayError(f"run {run_id}'s bundle is in place but damaged: {problems[0]}",
                         "start a new run (the damaged bundle is left for inspection)")
    import json

    device = (json.loads((bundle / MANIFEST).read_text(encoding="utf-8")).get("model") or {}).get("device")
    runs_q.complete_run(cat, run_id, bundle, manifest_sha, actor, device)
    import shutil

    shutil.rmtree(cat.runs_dir / f".partial-{run_id}", ignore_errors=True)
    return bundle
