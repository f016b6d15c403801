"""The append-only, hash-chained audit log (who did what, when)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any

import duckdb
import pandas as pd

GENESIS = "0" * 64


def _row_hash(prev_hash: str, seq: int, ts: str, actor: str, action: str, target: str | None, details: str) -> str:
    payload = json.dumps([prev_hash, seq, ts, actor, action, target, details], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def append(con: duckdb.DuckDBPyConnection, actor: str, action: str, target: str | None = None,
           details: dict[str, Any] | None = None) -> str:
    """Append one entry inside the caller's write transaction; returns its hash."""
    last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
    ts = datetime.now(timezone.utc).replace(tzinfo=None)
    ts_text = ts.isoformat(timespec="microseconds")
    details_json = json.dumps(details or {}, sort_keys=True, separators=(",", ":"), default=str)
    digest = _row_hash(prev, seq, ts_text, actor, action, target, details_json)
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [seq, ts, actor, action, target, details_json, prev, digest])
    return digest


def entries(con: duckdb.DuckDBPyConnection, limit: int | None = None) -> pd.DataFrame:
    sql = "SELECT seq, ts, actor, action, target, details, prev_hash, hash FROM audit_log ORDER BY seq DESC"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return con.execute(sql).df()


def verify_chain(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Recompute every hash; return one problem line per broken row (empty list = intact)."""
    rows = con.execute("SELECT seq, ts, actor, action, target, details, prev_hash, hash "
                       "FROM audit_log ORDER BY seq").fetchall()
    problems: list[str] = []
    prev = GENESIS
    for expected_seq, (seq, ts, actor, action, target, details, prev_hash, digest) in enumerate(rows, start=1):
        if seq != expected_seq:
            problems.append(f"audit log: entry {expected_seq} is missing (found seq {seq})")
        if prev_hash != prev:
            problems.append(f"audit log: entry {seq} does not link to the entry before it")
        ts_text = ts.isoformat(timespec="microseconds")
        if _row_hash(prev_hash, seq, ts_text, actor, action, target, details) != digest:
            problems.append(f"audit log: entry {seq} ({action}) was altered")
        prev = digest
    return problems
