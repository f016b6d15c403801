"""Queries the dashboard needs beyond the run register: paginated, filtered reads of a run
bundle's Parquet (fast at a million samples), small aggregates and export bytes.

Bundle paths, the table list and plain reads come from :mod:`audits.store.bundle_reader` (the one
bundle reader); this module adds the aggregates. Filters are pushed down into the Parquet scan
and only the needed columns are read.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

import pandas as pd

from audits.errors import AssayError
from audits.store.bundle_reader import (BUNDLE_TABLES, available_tables, bundle_dir,  # noqa: F401
                                        quote as _quote, read_table, reader as _reader, table_columns,
                                        table_path)
from audits.store.catalog import Catalog
from audits.store.queries.runs import list_runs  # noqa: F401

# Columns of the samples frame that are not sensitive attributes (docs/architecture.md).
_SAMPLE_CORE = {"task", "sample_id", "input", "reference", "choices", "label", "prediction",
                "choice_logprobs", "correct", "positive", "toxicity_score", "pii_leak"}


@dataclasses.dataclass(frozen=True)
class SampleFilter:
    """What the per-sample browser filters on; ``None`` means no filter."""

    task: str | None = None
    group_column: str | None = None
    group_value: str | None = None
    correct: bool | None = None
    flagged: bool | None = None
    search: str | None = None


def attribute_columns(columns: dict[str, str]) -> list[str]:
    """Sensitive-attribute columns of a samples table: text columns outside the core set."""
    return [c for c, t in columns.items()
            if c not in _SAMPLE_CORE and t == "VARCHAR" and not c.endswith("_raw")
            and not c.startswith(("score_", "flag_"))]


def _flag_expr(columns: dict[str, str]) -> str | None:
    flags = [c for c, t in columns.items()
             if t == "BOOLEAN" and (c.startswith("flag_") or c in {"pii_leak", "toxic"})]
    if not flags:
        return None
    return "(" + " OR ".join(f"coalesce({_quote(c)}, false)" for c in flags) + ")"


def _sample_where(columns: dict[str, str], flt: SampleFilter) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if flt.task:
        clauses.append("task = ?")
        params.append(flt.task)
    if flt.group_column and flt.group_value is not None:
        if flt.group_column not in columns:
            raise AssayError(f"samples have no column '{flt.group_column}'", "pick a listed group column")
        clauses.append(f"CAST({_quote(flt.group_column)} AS VARCHAR) = ?")
        params.append(flt.group_value)
    if flt.correct is not None and "correct" in columns:
        clauses.append("correct = ?")
        params.append(flt.correct)
    if flt.flagged is not None:
        expr = _flag_expr(columns)
        if expr is None:
            clauses.append("false" if flt.flagged else "true")
        else:
            clauses.append(expr if flt.flagged else f"NOT {expr}")
    if flt.search:
        texts = [c for c in ("input", "prediction", "reference") if c in columns]
        if texts:
            clauses.append("(" + " OR ".join(f"contains(lower({_quote(c)}), ?)" for c in texts) + ")")
            params.extend([flt.search.lower()] * len(texts))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def count_samples(cat: Catalog, run_id: str, flt: SampleFilter = SampleFilter()) -> int:
    """How many samples match the filter."""
    path = table_path(cat, run_id, "samples")
    if path is None:
        return 0
    columns = table_columns(cat, run_id, "samples")
    where, params = _sample_where(columns, flt)
    con = _reader()
    try:
        return int(con.execute(f"SELECT count(*) FROM read_parquet(?){where}", [str(path), *params]).fetchone()[0])
    finally:
        con.close()


def sample_page(cat: Catalog, run_id: str, flt: SampleFilter = SampleFilter(), offset: int = 0,
                limit: int = 50, columns: list[str] | None = None) -> pd.DataFrame:
    """One page of samples (LIMIT/OFFSET in file order, which is stable for an immutable bundle)."""
    path = table_path(cat, run_id, "samples")
    if path is None:
        return pd.DataFrame()
    schema = table_columns(cat, run_id, "samples")
    where, params = _sample_where(schema, flt)
    wanted = [c for c in (columns or list(schema)) if c in schema]
    flag = _flag_expr(schema)
    select = ", ".join(_quote(c) for c in wanted) + (f", {flag} AS flagged" if flag else "")
    con = _reader()
    try:
        return con.execute(f"SELECT {select} FROM read_parquet(?){where} LIMIT ? OFFSET ?",
                           [str(path), *params, int(limit), int(offset)]).df()
    finally:
        con.close()


def distinct_values(cat: Catalog, run_id: str, table: str, column: str, limit: int = 200) -> list[str]:
    """Distinct non-null values of one column of a bundle table, sorted."""
    path = table_path(cat, run_id, table)
    if path is None or column not in table_columns(cat, run_id, table):
        return []
    con = _reader()
    try:
        rows = con.execute(f"SELECT DISTINCT CAST({_quote(column)} AS VARCHAR) AS v FROM read_parquet(?) "
                           f"WHERE {_quote(column)} IS NOT NULL ORDER BY v LIMIT ?", [str(path), limit]).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def _paired_sql(col: str, select: str) -> str:
    return (f"WITH a AS (SELECT sample_id, {_quote(col)} AS v FROM read_parquet(?) WHERE task = ? AND {_quote(col)} IS NOT NULL), "
            f"b AS (SELECT sample_id, {_quote(col)} AS v FROM read_parquet(?) WHERE task = ? AND {_quote(col)} IS NOT NULL) "
            f"SELECT {select} FROM a JOIN b USING (sample_id)")


def _paired_paths(cat: Catalog, run_id: str, other_run_id: str, col: str) -> list[str] | None:
    paths = [table_path(cat, r, "samples") for r in (run_id, other_run_id)]
    if any(p is None for p in paths) or any(col not in table_columns(cat, r, "samples") for r in (run_id, other_run_id)):
        return None
    return [str(p) for p in paths]


def paired_scores(cat: Catalog, run_id: str, other_run_id: str, task: str, metric: str) -> pd.DataFrame:
    """Per-sample ``score_<metric>`` of two runs joined on sample id (columns: sample_id, a, b)."""
    col = f"score_{metric}"
    paths = _paired_paths(cat, run_id, other_run_id, col)
    if paths is None:
        return pd.DataFrame(columns=["sample_id", "a", "b"])
    con = _reader()
    try:
        return con.execute(_paired_sql(col, "sample_id, a.v AS a, b.v AS b"),
                           [paths[0], task, paths[1], task]).df()
    finally:
        con.close()


def paired_difference_stats(cat: Catalog, run_id: str, other_run_id: str, task: str,
                            metric: str) -> tuple[int, float, float]:
    """(n pairs, mean of a - b, sample std of a - b) over samples both runs scored
    (``audits.stats.paired_differences`` of :func:`paired_scores`)."""
    from audits.stats import paired_differences

    pairs = paired_scores(cat, run_id, other_run_id, task, metric)
    return paired_differences(pairs["a"], pairs["b"])


def findings_summary(cat: Catalog, run_id: str) -> pd.DataFrame:
    """PII findings counted by task, field, entity type and leak."""
    path = table_path(cat, run_id, "findings")
    if path is None:
        return pd.DataFrame(columns=["task", "field", "entity_type", "leak", "findings", "mean_score"])
    con = _reader()
    try:
        return con.execute(
            "SELECT task, field, entity_type, coalesce(leak, false) AS leak, count(*) AS findings, "
            "avg(score) AS mean_score FROM read_parquet(?) GROUP BY ALL "
            "ORDER BY findings DESC, task, field, entity_type", [str(path)]).df()
    finally:
        con.close()


def findings_page(cat: Catalog, run_id: str, leaks_only: bool = False, offset: int = 0,
                  limit: int = 50, include_raw: bool = False) -> pd.DataFrame:
    """A page of findings, leaks first: redacted context; the raw ``value`` only when asked and stored."""
    path = table_path(cat, run_id, "findings")
    if path is None:
        return pd.DataFrame()
    cols = table_columns(cat, run_id, "findings")
    wanted = [c for c in ("task", "sample_id", "field", "entity_type", "start", "end", "score", "leak",
                          "recognizer", "context") if c in cols]
    if include_raw and "value" in cols:
        wanted.append("value")
    where = " WHERE leak" if leaks_only and "leak" in cols else ""
    order = " ORDER BY leak DESC NULLS LAST" if "leak" in cols else ""
    con = _reader()
    try:
        page = con.execute(f"SELECT {', '.join(_quote(c) for c in wanted)}, file_row_number AS _row "
                           f"FROM read_parquet(?, file_row_number = true){where}{order} LIMIT ? OFFSET ?",
                           [str(path), int(limit), int(offset)]).df()
    finally:
        con.close()
    if include_raw and "value" in page.columns:  # raw values kept encrypted (store_raw): decrypt for this page
        from audits.trust import rawstore

        raw = rawstore.read_raw(path.parent, run_id)
        if raw is not None:
            cells = raw[(raw["table"] == "findings") & (raw["column"] == "value")].set_index("row")["value"]
            page["value"] = [cells.get(r, v) for r, v in zip(page["_row"], page["value"])]
    return page.drop(columns="_row")


def score_by_group(cat: Catalog, run_id: str, task: str, column: str, attribute: str,
                   confidence: float = 0.95) -> pd.DataFrame:
    """One sample column per group of an attribute: n, mean, standard error, and the 95%
    interval with its ``method``, all from ``audits.stats.group_score_intervals`` (exact
    binomial for a 0/1 column, the normal interval for a score); this reads the two columns."""
    from audits.stats import GROUP_COLUMNS, group_score_intervals

    schema = table_columns(cat, run_id, "samples")
    if column not in schema or attribute not in schema:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    frame = read_table(cat, run_id, "samples", columns=[attribute, column], filters={"task": task})
    return group_score_intervals(frame[attribute], frame[column], confidence)


def table_bytes(cat: Catalog, run_id: str, table: str, fmt: str) -> bytes:
    """A whole bundle table as CSV or Parquet bytes (Parquet is the bundle file itself)."""
    path = table_path(cat, run_id, table)
    if path is None:
        raise AssayError(f"run '{run_id}' has no {table} table", "pick a table this run wrote")
    if fmt == "parquet":
        return path.read_bytes()
    if fmt != "csv":
        raise AssayError(f"unknown export format '{fmt}'", "use csv or parquet")
    con = _reader()
    try:
        frame = con.execute("SELECT * FROM read_parquet(?)", [str(path)]).df()
    finally:
        con.close()
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode()


def audit_log_entries(cat: Catalog, limit: int = 500) -> tuple[pd.DataFrame, list[str]]:
    """The latest audit-log entries and `assay verify`'s problems (empty list = intact): the chain,
    its signed checkpoints, every bundle and every evidence table reconciled with the log."""
    from audits.store.queries import audit_log
    from audits.trust.verify import verify

    with cat.connect() as con:
        entries = audit_log.entries(con, limit=limit)
    return entries, verify(cat).problems
