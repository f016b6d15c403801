"""The ``log_checkpoints`` table: signed heads of the audit log, stored as their JSON bodies.

Signing and checking live in :mod:`audits.trust.checkpoint`; this module only reads and writes rows.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb

from audits.jsontypes import JsonObject


def bodies(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Every stored checkpoint body (JSON text), oldest count first."""
    return [r[0] for r in con.execute("SELECT body FROM log_checkpoints ORDER BY count").fetchall()]


def bodies_at(con: duckdb.DuckDBPyConnection, count: int) -> list[str]:
    """The stored checkpoint bodies that cover exactly the first ``count`` entries."""
    return [r[0] for r in con.execute("SELECT body FROM log_checkpoints WHERE count = ?", [count]).fetchall()]


def stored(con: duckdb.DuckDBPyConnection) -> int:
    """How many checkpoints the catalog holds."""
    return int(con.execute("SELECT count(*) FROM log_checkpoints").fetchone()[0])


def chains_from_legacy_genesis(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the log's first entry links to the id-less genesis (``audit_log.GENESIS``: logs written before
    catalogs had an id, and so before checkpoints)."""
    row = con.execute("SELECT prev_hash FROM audit_log ORDER BY seq LIMIT 1").fetchone()
    return bool(row) and row[0] == "0" * 64


def insert(con: duckdb.DuckDBPyConnection, cp: JsonObject) -> None:
    """Store a signed checkpoint (inside the caller's write transaction)."""
    con.execute("INSERT INTO log_checkpoints VALUES (?, ?, ?, ?)",
                [cp["count"], cp["head"], cp["key_id"], json.dumps(cp, sort_keys=True)])


def newest_body(con: duckdb.DuckDBPyConnection) -> str | None:
    """The body of the checkpoint with the highest count, or None."""
    row = con.execute("SELECT body FROM log_checkpoints ORDER BY count DESC LIMIT 1").fetchone()
    return row[0] if row else None


def log_hash_at(con: duckdb.DuckDBPyConnection, seq: int) -> str | None:
    """The hash of audit log entry ``seq`` (None when there is none)."""
    row = con.execute("SELECT hash FROM audit_log WHERE seq = ?", [seq]).fetchone()
    return row[0] if row else None
