"""The run register (catalog): register, complete, fail, list, previous run, metrics history.

Evidence tables and bundle files are read by :mod:`audits.store.bundle_reader`."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.store.catalog import Catalog
from audits.store.records import RunRecord
from audits.store.queries import audit_log

# the one bundle reader; re-exported so callers of the run register need one import
from audits.store.bundle_reader import (BUNDLE_TABLES, bundle_dir, manifest as get_manifest,  # noqa: E402,F401
                                        read_table, results as get_results, run_config, table_path)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- writes (each one short transaction + an audit-log entry) ---------------------------------

def _event(con: Any, run_id: str, status: str, detail: str | None, now: datetime) -> tuple[str, str, list[Any]]:
    """Insert one run_events row; (table, where, params) for the log entry that records its hash."""
    con.execute("INSERT INTO run_events VALUES (?, ?, ?, ?)", [run_id, now, status, detail])
    return ("run_events", "run_id = ? AND ts = ? AND status = ?", [run_id, now, status])


def _ts(value: datetime) -> str:
    return value.isoformat(timespec="microseconds")


def register_run(cat: Catalog, run_id: str, audit: str, period: str, config_sha256: str, model: str,
                 actor: str, device: str | None = None) -> None:
    """Register a running run; the log entry records every column that decides something (verify
    compares them: audit, period and model choose the run a comparison is made with)."""
    now = _now()
    with cat.connect(write=True) as con:
        con.execute("INSERT INTO runs (run_id, audit, period, status, created_at, config_sha256, model, device, "
                    "created_by) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                    [run_id, audit, period, now, config_sha256, model, device, actor])
        row = _event(con, run_id, "running", None, now)
        audit_log.append(con, actor, "run.started", run_id,
                         {"audit": audit, "period": period, "model": model, "config_sha256": config_sha256,
                          "device": device, "created_at": _ts(now)}, row=row)


def complete_run(cat: Catalog, run_id: str, bundle_path: Path, manifest_sha256: str, actor: str,
                 device: str | None) -> None:
    now = _now()
    with cat.connect(write=True) as con:
        con.execute("UPDATE runs SET status = 'complete', finished_at = ?, bundle_path = ?, manifest_sha256 = ?, "
                    "device = ?, error = NULL WHERE run_id = ?",
                    [now, str(bundle_path), manifest_sha256, device, run_id])
        row = _event(con, run_id, "complete", manifest_sha256, now)
        audit_log.append(con, actor, "run.completed", run_id,
                         {"manifest_sha256": manifest_sha256, "bundle_path": str(bundle_path), "device": device,
                          "finished_at": _ts(now)}, row=row)


def fail_run(cat: Catalog, run_id: str, error: str, actor: str, pii_options: JsonObject | None = None) -> None:
    """Mark a run failed with its error, as stored (runs.error, run_events) and logged for good, redacted
    first with the detector samples are redacted with (names and places included, plus the patterns),
    since an error can quote a row's text (``pii_options``: the run's ``scanners.pii``, else the
    detector's defaults); when the NER model cannot load, with the patterns only, and the stored text
    says so."""
    error = _redact_error(error[:500], pii_options)[:500]
    now = _now()
    with cat.connect(write=True) as con:
        con.execute("UPDATE runs SET status = 'failed', error = ? WHERE run_id = ?", [error[:500], run_id])
        row = _event(con, run_id, "failed", error[:500], now)
        audit_log.append(con, actor, "run.failed", run_id, {"error": error[:500]}, row=row)


def _redact_error(error: str, pii_options: JsonObject | None = None) -> str:
    """``error`` redacted with the run's detector settings; patterns only (said in the text) if it cannot load."""
    from audits.trust.redact import Redactor

    try:
        return Redactor(pii_options)([error])[0]
    except Exception as err:  # the NER model or presidio failed to load: the patterns still run
        note = f" [redacted with patterns only: the detector could not load ({type(err).__name__})]"
        return Redactor(patterns_only=True)([error])[0][:500 - len(note)] + note


def mark_resumed(cat: Catalog, run_id: str, actor: str) -> None:
    now = _now()
    with cat.connect(write=True) as con:
        con.execute("UPDATE runs SET status = 'running', error = NULL WHERE run_id = ?", [run_id])
        row = _event(con, run_id, "resumed", None, now)
        audit_log.append(con, actor, "run.resumed", run_id, {}, row=row)


# -- reads ------------------------------------------------------------------------------------

def list_runs(cat: Catalog, status: str | None = None) -> pd.DataFrame:
    sql = ("SELECT run_id, audit, period, status, created_at, finished_at, model, device, bundle_path, "
           "manifest_sha256, created_by, lease_host, lease_pid, heartbeat_at FROM runs")
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    with cat.connect() as con:
        return con.execute(sql + " ORDER BY created_at, run_id", params).df()


def run_exists(con: Any, run_id: str) -> bool:
    """Whether the register holds ``run_id`` (inside the caller's connection)."""
    return con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0] > 0


def get_run(cat: Catalog, run_id: str) -> RunRecord:
    with cat.connect() as con:
        rows = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).df()
    if rows.empty:
        raise AssayError(f"run '{run_id}' does not exist in {cat.path}", "list runs with `assay runs`")
    return rows.iloc[0].to_dict()


def previous_run(cat: Catalog, run_id: str) -> str | None:
    """The latest complete run of the same audit created before this one."""
    run = get_run(cat, run_id)
    with cat.connect() as con:
        row = con.execute("SELECT run_id FROM runs WHERE audit = ? AND status = 'complete' AND run_id <> ? "
                          "AND (created_at < ? OR (created_at = ? AND run_id < ?)) "
                          "ORDER BY created_at DESC, run_id DESC LIMIT 1",
                          [run["audit"], run_id, run["created_at"], run["created_at"], run_id]).fetchone()
    return row[0] if row else None


def metrics_history(cat: Catalog, audit: str | None = None) -> pd.DataFrame:
    """Every complete run's metrics table (through the one bundle reader), oldest run first."""
    runs = list_runs(cat, status="complete")
    if audit:
        runs = runs[runs["audit"] == audit]
    frames = []
    for run in runs.itertuples():
        frame = read_table(cat, run.run_id, "metrics")
        if len(frame.columns):
            frame.insert(0, "run_id", run.run_id)
            frame.insert(1, "audit", run.audit)
            frame.insert(2, "period", run.period)
            frame.insert(3, "created_at", run.created_at)
            frames.append(frame)
    columns = ["run_id", "audit", "period", "created_at", "task", "metric", "value", "ci_low", "ci_high", "n"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
