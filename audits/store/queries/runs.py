"""The run register (catalog) and the evidence tables (bundle Parquet, read with DuckDB)."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pandas as pd

from audits.errors import AssayError
from audits.store.bundle import MANIFEST, verify_bundle
from audits.store.catalog import Catalog
from audits.store.queries import audit_log

BUNDLE_TABLES = ("samples", "metrics", "findings", "fairness", "explanations", "counterfactuals", "review_queue")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# -- writes (each one short transaction + an audit-log entry) ---------------------------------

def register_run(cat: Catalog, run_id: str, audit: str, period: str, config_sha256: str, model: str,
                 actor: str, device: str | None = None) -> None:
    with cat.connect(write=True) as con:
        con.execute("INSERT INTO runs (run_id, audit, period, status, created_at, config_sha256, model, device, "
                    "created_by) VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)",
                    [run_id, audit, period, _now(), config_sha256, model, device, actor])
        con.execute("INSERT INTO run_events VALUES (?, ?, 'running', NULL)", [run_id, _now()])
        audit_log.append(con, actor, "run.started", run_id, {"audit": audit, "period": period, "model": model})


def complete_run(cat: Catalog, run_id: str, bundle_path: Path, manifest_sha256: str, actor: str,
                 device: str | None) -> None:
    with cat.connect(write=True) as con:
        con.execute("UPDATE runs SET status = 'complete', finished_at = ?, bundle_path = ?, manifest_sha256 = ?, "
                    "device = ?, error = NULL WHERE run_id = ?",
                    [_now(), str(bundle_path), manifest_sha256, device, run_id])
        con.execute("INSERT INTO run_events VALUES (?, ?, 'complete', ?)", [run_id, _now(), manifest_sha256])
        audit_log.append(con, actor, "run.completed", run_id, {"manifest_sha256": manifest_sha256})


def fail_run(cat: Catalog, run_id: str, error: str, actor: str) -> None:
    with cat.connect(write=True) as con:
        con.execute("UPDATE runs SET status = 'failed', error = ? WHERE run_id = ?", [error[:500], run_id])
        con.execute("INSERT INTO run_events VALUES (?, ?, 'failed', ?)", [run_id, _now(), error[:500]])
        audit_log.append(con, actor, "run.failed", run_id, {"error": error[:500]})


def mark_resumed(cat: Catalog, run_id: str, actor: str) -> None:
    with cat.connect(write=True) as con:
        con.execute("UPDATE runs SET status = 'running', error = NULL WHERE run_id = ?", [run_id])
        con.execute("INSERT INTO run_events VALUES (?, ?, 'resumed', NULL)", [run_id, _now()])
        audit_log.append(con, actor, "run.resumed", run_id, {})


# -- reads ------------------------------------------------------------------------------------

def list_runs(cat: Catalog, status: str | None = None) -> pd.DataFrame:
    sql = ("SELECT run_id, audit, period, status, created_at, finished_at, model, device, bundle_path, "
           "manifest_sha256, created_by FROM runs")
    params: list[Any] = []
    if status:
        sql += " WHERE status = ?"
        params.append(status)
    with cat.connect() as con:
        return con.execute(sql + " ORDER BY created_at, run_id", params).df()


def get_run(cat: Catalog, run_id: str) -> dict[str, Any]:
    with cat.connect() as con:
        rows = con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id]).df()
    if rows.empty:
        raise AssayError(f"run '{run_id}' does not exist in {cat.path}", "list runs with `assay runs`")
    return rows.iloc[0].to_dict()


def bundle_dir(cat: Catalog, run_id: str) -> Path:
    run = get_run(cat, run_id)
    if run["status"] != "complete" or not run.get("bundle_path"):
        raise AssayError(f"run '{run_id}' is {run['status']}, it has no results",
                         f"resume it with `assay run CONFIG --resume {run_id}`, or pick a complete run")
    return Path(run["bundle_path"])


def get_results(cat: Catalog, run_id: str) -> dict[str, Any]:
    return json.loads((bundle_dir(cat, run_id) / "results.json").read_text(encoding="utf-8"))


def get_manifest(cat: Catalog, run_id: str) -> dict[str, Any]:
    return json.loads((bundle_dir(cat, run_id) / MANIFEST).read_text(encoding="utf-8"))


def table_path(cat: Catalog, run_id: str, table: str) -> Path:
    if table not in BUNDLE_TABLES:
        raise AssayError(f"unknown table '{table}'", f"use one of: {', '.join(BUNDLE_TABLES)}")
    return bundle_dir(cat, run_id) / f"{table}.parquet"


def read_table(cat: Catalog, run_id: str, table: str, columns: Sequence[str] | None = None,
               where: str | None = None, params: Sequence[Any] | None = None, limit: int | None = None,
               offset: int = 0, order_by: str | None = None) -> pd.DataFrame:
    """Read one evidence table of a run; a table the run does not have reads as empty."""
    path = table_path(cat, run_id, table)
    if not path.exists():
        return pd.DataFrame()
    cols = ", ".join(f'"{c}"' for c in columns) if columns else "*"
    sql = f"SELECT {cols} FROM read_parquet(?)"
    if where:
        sql += f" WHERE {where}"
    if order_by:
        sql += f" ORDER BY {order_by}"
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    with duckdb.connect() as con:  # in-memory: reading Parquet takes no catalog lock
        return con.execute(sql, [str(path), *(params or [])]).df()


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
    runs = list_runs(cat, status="complete")
    if audit:
        runs = runs[runs["audit"] == audit]
    frames = []
    for run in runs.itertuples():
        path = Path(run.bundle_path) / "metrics.parquet"
        if path.exists():
            frame = pd.read_parquet(path)
            frame.insert(0, "run_id", run.run_id)
            frame.insert(1, "audit", run.audit)
            frame.insert(2, "period", run.period)
            frame.insert(3, "created_at", run.created_at)
            frames.append(frame)
    columns = ["run_id", "audit", "period", "created_at", "task", "metric", "value", "ci_low", "ci_high", "n"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)


def verify_all(cat: Catalog) -> list[str]:
    """Every complete bundle's hashes and the audit-log chain; one line per problem."""
    problems: list[str] = []
    for run in list_runs(cat, status="complete").itertuples():
        problems += verify_bundle(Path(run.bundle_path), run.manifest_sha256)
    with cat.connect() as con:
        problems += audit_log.verify_chain(con)
    return problems
