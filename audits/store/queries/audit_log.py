"""The append-only, hash-chained audit log (who did what, when).

Each entry links to the one before it; the chain starts from a genesis derived from the
catalog's id. Every append also signs a checkpoint (entry count + head hash) with the
installation key (``audits.trust``), and an entry that records a new evidence row carries
that row's SHA-256, so ``assay verify`` can reconcile the tables with the log row by row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any, Sequence

import duckdb
import pandas as pd

from audits.jsontypes import JsonObject

GENESIS = "0" * 64  # the genesis of logs written before catalogs had an id


def genesis(catalog_id: str | None) -> str:
    return hashlib.sha256(f"assay-log/2:{catalog_id}".encode()).hexdigest() if catalog_id else GENESIS


def catalog_id(con: duckdb.DuckDBPyConnection) -> str | None:
    row = con.execute("SELECT value FROM schema_info WHERE key = 'catalog_id'").fetchone()
    return row[0] if row else None


def _row_hash(prev_hash: str, seq: int, ts: str, actor: str, action: str, target: str | None, details: str) -> str:
    payload = json.dumps([prev_hash, seq, ts, actor, action, target, details], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


def _canon(value: Any) -> Any:
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    return value


def digest_values(table: str, values: Sequence[Any]) -> str:
    """SHA-256 of one catalog row (its values in column order)."""
    payload = json.dumps([table, *[_canon(v) for v in values]], separators=(",", ":"), default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


def row_digest(con: duckdb.DuckDBPyConnection, table: str, where: str, params: Sequence[Any]) -> str:
    """SHA-256 of the one row of ``table`` matching ``where`` (read back inside the transaction)."""
    row = con.execute(f"SELECT * FROM {table} WHERE {where}", list(params)).fetchone()
    if row is None:
        raise LookupError(f"no {table} row matches {where}")
    return digest_values(table, row)


def database_path(con: duckdb.DuckDBPyConnection) -> str:
    """The file the connection's catalog lives in (``:memory:`` for none)."""
    row = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return str(row[0]) if row and row[0] else ":memory:"


def append(con: duckdb.DuckDBPyConnection, actor: str, action: str, target: str | None = None,
           details: JsonObject | None = None,
           row: tuple[str, str, Sequence[Any]] | None = None) -> str:
    """Append one entry inside the caller's write transaction and sign the new head; returns its hash.

    ``row``: (table, where, params) of the evidence row this entry records; its SHA-256 goes into
    the entry so verify can reconcile the table with the log."""
    from audits.trust import account_witness, checkpoint

    cid = catalog_id(con)
    last = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    seq, prev = (last[0] + 1, last[1]) if last else (1, genesis(cid))
    checkpoint.check_head(con, cid or "legacy", last[0] if last else 0, last[1] if last else None,
                          database_path(con))
    ts = datetime.now(timezone.utc).replace(tzinfo=None)
    ts_text = ts.isoformat(timespec="microseconds")
    details = dict(details or {})
    if row is not None:
        details["row"] = {"table": row[0], "sha256": row_digest(con, *row)}
    details_json = json.dumps(details, sort_keys=True, separators=(",", ":"), default=str)
    digest = _row_hash(prev, seq, ts_text, actor, action, target, details_json)
    con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [seq, ts, actor, action, target, details_json, prev, digest])
    checkpoint.record(con, cid or "legacy", seq, digest)
    if target:  # a removal or change of an account, or a sign-out, is remembered beside the key: no older copy undoes it
        account_witness.remember_account_change(con, cid or "legacy", target, action, seq, digest, ts_text, details)
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
    first = {GENESIS, genesis(catalog_id(con))}
    prev = None
    for expected_seq, (seq, ts, actor, action, target, details, prev_hash, digest) in enumerate(rows, start=1):
        if seq != expected_seq:
            problems.append(f"audit log: entry {expected_seq} is missing (found seq {seq})")
        if (prev_hash not in first) if prev is None else (prev_hash != prev):
            problems.append(f"audit log: entry {seq} does not link to the entry before it")
        ts_text = ts.isoformat(timespec="microseconds")
        if _row_hash(prev_hash, seq, ts_text, actor, action, target, details) != digest:
            problems.append(f"audit log: entry {seq} ({action}) was altered")
        prev = digest
    return problems
