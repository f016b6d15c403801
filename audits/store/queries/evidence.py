"""Whole-table reads for `assay verify` (:mod:`audits.trust.verify`): the log, the evidence tables
and the run register, exactly as stored, to be reconciled with each other.
"""

from __future__ import annotations

from typing import Any, Iterable

import duckdb

from audits.store.records import RunRecord

# The tables verify reconciles with the log (a fixed list: names are spliced into SQL).
EVIDENCE_TABLES = ("signoffs", "attestations", "reviews", "users", "run_events", "sign_in_attempts")
# Evidence tables made on first use (schema.ON_FIRST_USE): a catalog that never wrote one reads it as empty.
FIRST_USE_EVIDENCE = ("review_flags",)
_RUN_COLUMNS = ("run_id", "status", "bundle_path", "manifest_sha256", "audit", "period", "model", "config_sha256",
                "created_by", "created_at", "finished_at", "device", "error")


def log_entries(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Every audit-log entry as (seq, ts, actor, action, target, details, hash), in order."""
    return con.execute("SELECT seq, ts, actor, action, target, details, hash FROM audit_log ORDER BY seq").fetchall()


def table_rows(con: duckdb.DuckDBPyConnection, table: str) -> tuple[list[str], list[tuple]]:
    """(column names, every row) of one evidence table."""
    if table not in EVIDENCE_TABLES + FIRST_USE_EVIDENCE:
        raise ValueError(f"{table!r} is not an evidence table; known: {', '.join(EVIDENCE_TABLES + FIRST_USE_EVIDENCE)}")
    if table in FIRST_USE_EVIDENCE and not con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]).fetchone()[0]:
        return [], []
    cur = con.execute(f"SELECT * FROM {table}")
    return [d[0] for d in cur.description], cur.fetchall()


def run_rows(con: duckdb.DuckDBPyConnection, columns: Iterable[str]) -> list[RunRecord]:
    """Every run in the register as a dict of ``columns`` (a subset of the run columns verify checks)."""
    columns = list(columns)
    unknown = [c for c in columns if c not in _RUN_COLUMNS]
    if unknown:
        raise ValueError(f"unknown runs columns {unknown}")
    cur = con.execute("SELECT " + ", ".join(columns) + " FROM runs")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]
