"""Extra flags beside a review label (privacy / unsafe / biased / hallucination): append-only rows in
``review_flags``, each logged, and the reads the queue's statistics and the retraining export filter
by. Import these from :mod:`audits.store.queries.reviews`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Collection

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.schema import ON_FIRST_USE
from audits.store.queries import audit_log
from audits.store.queries._review_queue import _now

FLAGS = ("privacy", "unsafe", "biased", "hallucination")  # hallucination: issue 22
_FLAGS_DDL = ON_FIRST_USE["review_flags"]


def check_flags(flags: Collection[str]) -> list[str]:
    """The known flags among ``flags``, sorted; AssayError naming the choices for an unknown one."""
    flags = sorted(set(flags or ()))
    unknown = [f for f in flags if f not in FLAGS]
    if unknown:
        raise AssayError(f"unknown review flag {unknown[0]!r}", f"use any of: {', '.join(FLAGS)}")
    return flags


def _insert_flags(con: Any, run_id: str, task: str, sample_id: str, reviewer: str, review_id: str,
                  flags: list[str], now: datetime) -> None:
    con.execute(_FLAGS_DDL)
    for flag in flags:
        con.execute("INSERT INTO review_flags VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [review_id, run_id, str(task), str(sample_id), reviewer, flag, now])
    audit_log.append(con, reviewer, "review.flag", f"{run_id}/{task}/{sample_id}",
                     {"review_id": review_id, "flags": flags})


def record_flags(cat: Catalog, run_id: str, task: str, sample_id: str, reviewer: str, review_id: str,
                 flags: Collection[str]) -> list[str]:
    """Store the reviewer's extra flags for the label ``review_id`` (one row each) and log them.
    (``record_review(..., flags=...)`` stores a label and its flags in one transaction.)"""
    flags = check_flags(flags)
    if not flags:
        return []
    with cat.connect(write=True) as con:
        _insert_flags(con, run_id, task, sample_id, reviewer, review_id, flags, _now())
    return flags


def _flag_rows(con: Any, sql: str, params: list[Any]) -> list[tuple]:
    """Rows of a query on ``review_flags``; none when no flag was ever recorded (no table yet).
    (Trying the query is far cheaper than asking information_schema first.)"""
    import duckdb

    try:
        return con.execute(sql, params).fetchall()
    except duckdb.CatalogException:
        return []


def _flag_counts(con: Any, run_id: str) -> dict[str, int]:
    rows = dict(_flag_rows(con, "SELECT flag, count(DISTINCT task || chr(31) || sample_id) FROM review_flags "
                                "WHERE run_id = ? GROUP BY flag", [run_id]))
    return {f: int(rows.get(f, 0)) for f in FLAGS}


def flag_counts(cat: Catalog, run_id: str) -> dict[str, int]:
    """Items flagged per flag (by anyone), for the queue's statistics and export filters."""
    with cat.connect() as con:
        return _flag_counts(con, run_id)


def flagged_items(cat: Catalog, run_id: str, flag: str | Collection[str]) -> set[tuple[str, str]]:
    """(task, sample_id) of the items someone flagged ``flag`` (one flag or several: any of them),
    a retraining export filter. An item counts as flagged once anyone flagged it with any label."""
    wanted = check_flags([flag] if isinstance(flag, str) else flag)
    if not wanted:
        return set()
    with cat.connect() as con:
        rows = _flag_rows(con, "SELECT DISTINCT task, sample_id FROM review_flags WHERE run_id = ? "
                               "AND flag IN (SELECT unnest(?::VARCHAR[]))", [run_id, wanted])
    return {(str(t), str(s)) for t, s in rows}


def item_flags(cat: Catalog, run_id: str) -> dict[tuple[str, str], set[str]]:
    """Every flagged item of a run with the flags anyone gave it (one read; the export filters)."""
    with cat.connect() as con:
        rows = _flag_rows(con, "SELECT DISTINCT task, sample_id, flag FROM review_flags WHERE run_id = ?", [run_id])
    out: dict[tuple[str, str], set[str]] = {}
    for task, sample_id, flag in rows:
        out.setdefault((str(task), str(sample_id)), set()).add(flag)
    return out
