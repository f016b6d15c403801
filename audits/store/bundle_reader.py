"""The one reader of run bundles: path resolution, the table list, typed filters, JSON files.

Every reader (CLI, dashboard, reports, policies, review) goes through these functions. Evidence
tables are read with one shared in-memory DuckDB over ``read_parquet`` (no catalog lock); only the
bundle location comes from the catalog's ``runs`` table. Filters are typed (column -> value or
values), never SQL fragments, and are pushed down into the Parquet scan.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pandas as pd

from audits.errors import AssayError
from audits.results import RunResults, jsonable, load_results
from audits.store.bundle import MANIFEST
from audits.store.catalog import Catalog

BUNDLE_TABLES = ("samples", "metrics", "findings", "fairness", "explanations", "counterfactuals", "sensitivity",
                 "review_queue")
JSON_FILES = ("results.json", MANIFEST)

Filters = Mapping[str | tuple[str, ...], Any]
"""``{"task": "qa"}`` (equality, compared as text), ``{"task": ["a", "b"]}`` (any of), and
``{("task", "sample_id"): [("qa", "1"), ...]}`` (any of these key tuples)."""

_DB: duckdb.DuckDBPyConnection | None = None
_DB_LOCK = threading.Lock()
_BUNDLES: dict[tuple[str, str], Path] = {}  # (catalog, run id) -> bundle of a *complete* run (immutable)
_SCHEMAS: dict[tuple[str, int, int], dict[str, str]] = {}  # (parquet path, mtime, size) -> columns


def reader() -> duckdb.DuckDBPyConnection:
    """A cursor on one shared in-memory DuckDB (opening a database per query costs ~30 ms)."""
    global _DB
    with _DB_LOCK:
        if _DB is None:
            _DB = duckdb.connect()
        return _DB.cursor()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def query(sql: str, params: Sequence[Any]) -> pd.DataFrame:
    """Run one read-only query on the shared reader (for the query layer's own SQL)."""
    con = reader()
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def bundle_dir(cat: Catalog, run_id: str) -> Path:
    """The bundle of a complete run (AssayError naming the fix otherwise).

    A complete run's bundle never moves or changes, so its path is remembered per process.
    """
    key = (str(cat.path), run_id)
    if key in _BUNDLES:
        return _BUNDLES[key]
    with cat.connect() as con:
        row = con.execute("SELECT bundle_path, status FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise AssayError(f"run '{run_id}' does not exist in {cat.path}", "list runs with `assay runs`")
    if row[1] != "complete" or not row[0]:
        raise AssayError(f"run '{run_id}' is {row[1]}, it has no results",
                         f"resume it with `assay run CONFIG --resume {run_id}`, or pick a complete run")
    path = Path(row[0])
    path = path if path.is_absolute() else cat.path.parent / path
    _BUNDLES[key] = path
    return path


def table_path(cat: Catalog, run_id: str, table: str) -> Path | None:
    """The Parquet file of one bundle table, or None when the run did not write it."""
    if table not in BUNDLE_TABLES:
        raise AssayError(f"unknown bundle table '{table}'", f"use one of: {', '.join(BUNDLE_TABLES)}")
    path = bundle_dir(cat, run_id) / f"{table}.parquet"
    return path if path.exists() else None


def available_tables(cat: Catalog, run_id: str) -> list[str]:
    base = bundle_dir(cat, run_id)
    return [t for t in BUNDLE_TABLES if (base / f"{t}.parquet").exists()]


def table_columns(cat: Catalog, run_id: str, table: str) -> dict[str, str]:
    """Column name -> DuckDB type of a bundle table (empty when absent); reads the footer only."""
    path = table_path(cat, run_id, table)
    if path is None:
        return {}
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _SCHEMAS:
        rows = query("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)])
        _SCHEMAS[key] = dict(zip(rows["column_name"], rows["column_type"]))
    return dict(_SCHEMAS[key])


def _as_text(column: str) -> str:
    return f"CAST({quote(column)} AS VARCHAR)"


def where_clause(columns: Mapping[str, str], filters: Filters | None) -> tuple[str, list[Any]]:
    """`` WHERE ...`` and its parameters from typed filters; unknown columns are errors."""
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in (filters or {}).items():
        cols = key if isinstance(key, tuple) else (key,)
        missing = [c for c in cols if c not in columns]
        if missing:
            raise AssayError(f"the table has no column '{missing[0]}'", f"filter on one of: {', '.join(columns)}")
        expr = " || chr(31) || ".join(_as_text(c) for c in cols)
        if isinstance(key, tuple):
            clauses.append(f"{expr} IN (SELECT unnest(?::VARCHAR[]))")
            params.append(["\x1f".join(str(v) for v in row) for row in value])
        elif isinstance(value, (list, tuple, set)):
            clauses.append(f"{expr} IN (SELECT unnest(?::VARCHAR[]))")
            params.append([str(v) for v in value])
        elif isinstance(value, bool):
            clauses.append(f"{quote(key)} = ?")
            params.append(value)
        else:
            clauses.append(f"{expr} = ?")
            params.append(str(value))
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def read_table(cat: Catalog, run_id: str, table: str, columns: Sequence[str] | None = None,
               filters: Filters | None = None, limit: int | None = None, offset: int = 0,
               order_by: Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of one evidence table of a run; a table the run did not write reads as empty."""
    path = table_path(cat, run_id, table)
    if path is None:
        return pd.DataFrame(columns=list(columns or []))
    schema = table_columns(cat, run_id, table)
    wanted = [c for c in columns if c in schema] if columns else list(schema)
    where, params = where_clause(schema, filters)
    sql = f"SELECT {', '.join(quote(c) for c in wanted)} FROM read_parquet(?){where}"
    if order_by:
        sql += " ORDER BY " + ", ".join(quote(c) for c in order_by if c in schema)
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return query(sql, [str(path), *params])


def _json(cat: Catalog, run_id: str, name: str) -> Any:
    path = bundle_dir(cat, run_id) / name
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssayError(f"run '{run_id}' has no {name} (bundle {path.parent})", "check it with `assay verify`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AssayError(f"cannot read {path}: {err}", "check the bundle with `assay verify`") from None


def manifest(cat: Catalog, run_id: str) -> dict[str, Any]:
    """The run's manifest (hashes, identities, timings)."""
    return _json(cat, run_id, MANIFEST)


def run_config(cat: Catalog, run_id: str) -> dict[str, Any]:
    """The audit config the run was made with (``config.yaml`` of its bundle)."""
    import yaml

    path = bundle_dir(cat, run_id) / "config.yaml"
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise AssayError(f"cannot read {path}: {err}", "check the bundle with `assay verify`") from None


def results(cat: Catalog, run_id: str) -> RunResults:
    """The run's typed results (any schema version, migrated in memory)."""
    path = bundle_dir(cat, run_id) / "results.json"
    try:
        config = run_config(cat, run_id)
    except AssayError:
        config = None
    return load_results(path, config)


def plain(value: Any) -> Any:
    """A Parquet/pandas cell as a plain Python value (see :func:`audits.results.jsonable`)."""
    return jsonable(value)
