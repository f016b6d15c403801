"""Trend and drift reads: the complete runs of an audit in period order, their metrics, and a
run's inputs (through the one bundle reader)."""

from __future__ import annotations

import pandas as pd

from audits.errors import AssayError
from audits.store.bundle_reader import read_table
from audits.store.catalog import Catalog

TREND_COLUMNS = ["run_id", "period", "created_at", "task", "metric", "value", "ci_low", "ci_high", "n"]


def audit_runs(cat: Catalog, audit: str) -> pd.DataFrame:
    """Complete runs of ``audit``, in period order (then creation time); AssayError naming the audits
    in the catalog when it has none."""
    with cat.connect() as con:
        runs = con.execute("SELECT run_id, period, created_at FROM runs WHERE audit = ? AND status = 'complete' "
                           "ORDER BY period, created_at, run_id", [audit]).df()
        if runs.empty:
            names = [r[0] for r in con.execute("SELECT DISTINCT audit FROM runs WHERE status = 'complete' "
                                               "ORDER BY audit").fetchall()]
    if runs.empty:
        raise AssayError(f"no complete run of audit '{audit}' in {cat.path}",
                         f"name one of: {', '.join(names)}" if names else "run an audit first (`assay run CONFIG`)")
    return runs


def latest_runs(cat: Catalog, audit: str, before: str | None = None, limit: int = 2) -> list[str]:
    """The ``limit`` latest complete runs of ``audit`` in period order (those up to ``before`` when given)."""
    runs = audit_runs(cat, audit)["run_id"].tolist()
    if before is not None and before in runs:
        runs = runs[:runs.index(before) + 1]
    return runs[-limit:]


def trend_frame(cat: Catalog, audit: str) -> pd.DataFrame:
    """One row per (run, task, metric) with value, interval and n, runs in period order."""
    frames = []
    for run in audit_runs(cat, audit).itertuples():
        metrics = read_table(cat, run.run_id, "metrics")
        if len(metrics.columns):
            metrics = metrics.assign(run_id=run.run_id, period=run.period, created_at=run.created_at)
            frames.append(metrics[[c for c in TREND_COLUMNS if c in metrics.columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TREND_COLUMNS)


def run_inputs(cat: Catalog, run_id: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A run's samples: task, sample_id, input and those of ``columns`` it has (for drift)."""
    return read_table(cat, run_id, "samples", columns=list(dict.fromkeys(["task", "sample_id", "input", *(columns or [])])))
