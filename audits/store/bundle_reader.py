"""The one reader of run bundles: path resolution, the table list, typed filters, JSON files.

Every reader (CLI, dashboard, reports, policies, review) goes through these functions. Evidence
tables are read with one shared in-memory DuckDB over ``read_parquet`` (no catalog lock); only the
bundle location comes from the catalog's ``runs`` table. Filters are typed (column -> value or
values), never SQL fragments, and are pushed down into the Parquet scan.

Nothing is shown that the run did not write: before a file is read, its SHA-256 is checked against
the manifest, and the manifest's against the catalog's ``runs.manifest_sha256`` (each file version is
hashed once per process). A file edited in the bundle is a one-line AssayError naming the run and the
file, so a page, report or ``assay check`` never shows or passes a forged figure; ``assay verify``
names every change.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pandas as pd

from audits.errors import AssayError
from audits.hashing import sha256_path, version_key
from audits.results import RunResults, jsonable, load_results
from audits.store.bundle import MANIFEST
from audits.jsontypes import JsonObject
from audits.store.manifest import Manifest, load_manifest
from audits.store.catalog import Catalog

BUNDLE_TABLES = ("samples", "metrics", "findings", "fairness", "explanations", "counterfactuals", "sensitivity",
                 "review_queue")
JSON_FILES = ("results.json", MANIFEST)

@dataclass(frozen=True)
class Contains:
    """Case-insensitive substring: ``{("input", "prediction"): Contains("refund")}`` keeps rows
    where any of the columns contains the text."""

    text: str


@dataclass(frozen=True)
class AnyTrue:
    """``{("flag_toxic", "pii_leak"): AnyTrue()}`` keeps rows where any of the boolean columns is
    true (a null reads as false); ``AnyTrue(False)`` rows where none is. With no columns
    (``{(): AnyTrue()}``) nothing is true."""

    value: bool = True


@dataclass(frozen=True)
class NotNull:
    """``{"score_accuracy": NOT_NULL}`` keeps rows where the column has a value."""


NOT_NULL = NotNull()

Filters = Mapping[str | tuple[str, ...], Any]
"""The one filter type of every bundle read: ``{"task": "qa"}`` (equality, compared as text;
a bool compares as a bool), ``{"task": ["a", "b"]}`` (any of),
``{("task", "sample_id"): [("qa", "1"), ...]}`` (any of these key tuples), and the predicates
``Contains``, ``AnyTrue`` and ``NOT_NULL`` above. Filters are pushed down into the Parquet scan;
never SQL fragments."""

_DB: duckdb.DuckDBPyConnection | None = None
_DB_LOCK = threading.Lock()
_BUNDLES: dict[tuple[str, str], Path] = {}  # (catalog, run id) -> bundle of a *complete* run (immutable)
_CATALOG_SHA: dict[tuple[str, str], str | None] = {}  # (catalog, run id) -> runs.manifest_sha256
_DIGESTS: dict[str, str] = {}  # a file version (audits.hashing.version_key) -> its SHA-256
_MANIFESTS: dict[str, Manifest] = {}  # a manifest.json version -> its parsed model
_ALTERED_FIX = "run `assay verify` to see every change, and restore the bundle from a backup"
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
        row = con.execute("SELECT bundle_path, status, manifest_sha256 FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise AssayError(f"run '{run_id}' does not exist in {cat.path}", "list runs with `assay runs`")
    if row[1] != "complete" or not row[0]:
        raise AssayError(f"run '{run_id}' is {row[1]}, it has no results",
                         f"resume it with `assay run CONFIG --resume {run_id}`, or pick a complete run")
    path = Path(row[0])
    path = path if path.is_absolute() else cat.path.parent / path
    _CATALOG_SHA[key] = row[2]
    _BUNDLES[key] = path
    return path


def _digest(path: Path) -> str:
    key = version_key(path)
    if key not in _DIGESTS:
        _DIGESTS[key] = sha256_path(path)
    return _DIGESTS[key]


def _checked_manifest(cat: Catalog, run_id: str) -> Manifest:
    """The run's manifest, once its SHA-256 is the one the catalog recorded when the run completed."""
    path = bundle_dir(cat, run_id) / MANIFEST
    if not path.is_file():
        raise AssayError(f"run '{run_id}': its bundle has no {MANIFEST}, so none of its files can be checked",
                         _ALTERED_FIX)
    expected = _CATALOG_SHA.get((str(cat.path), run_id))
    digest = _digest(path)
    if expected and digest != expected:
        raise AssayError(f"run '{run_id}': {MANIFEST} was altered after the run wrote it (its SHA-256 differs from "
                         "the catalog's)", _ALTERED_FIX)
    if digest not in _MANIFESTS:
        _MANIFESTS[digest] = load_manifest(path)
    return _MANIFESTS[digest]


def checked_file(cat: Catalog, run_id: str, name: str) -> Path:
    """A bundle file's path once its SHA-256 is the one its manifest records (AssayError naming the run and
    the file otherwise: missing, altered, or not written by the run)."""
    path = bundle_dir(cat, run_id) / name
    if not path.is_file():
        raise AssayError(f"run '{run_id}' has no {name} (bundle {path.parent})", "check it with `assay verify`")
    expected = _checked_manifest(cat, run_id).files.get(name)
    if expected is None:
        raise AssayError(f"run '{run_id}': {name} is not a file the run wrote (its manifest does not list it)",
                         _ALTERED_FIX)
    if _digest(path) != expected:
        raise AssayError(f"run '{run_id}': {name} was altered after the run wrote it (its SHA-256 differs from the "
                         "manifest's)", _ALTERED_FIX)
    return path


def table_path(cat: Catalog, run_id: str, table: str) -> Path | None:
    """The Parquet file of one bundle table, or None when the run did not write it."""
    if table not in BUNDLE_TABLES:
        raise AssayError(f"unknown bundle table '{table}'", f"use one of: {', '.join(BUNDLE_TABLES)}")
    path = bundle_dir(cat, run_id) / f"{table}.parquet"
    return checked_file(cat, run_id, path.name) if path.exists() else None  # absent: not written, or erased


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
        if isinstance(value, Contains):
            texts = [f"contains(lower({_as_text(c)}), ?)" for c in cols]
            clauses.append("(" + " OR ".join(texts) + ")" if texts else "false")
            params.extend([value.text.lower()] * len(texts))
            continue
        if isinstance(value, AnyTrue):
            any_true = "(" + " OR ".join(f"coalesce({quote(c)}, false)" for c in cols) + ")" if cols else "false"
            clauses.append(any_true if value.value else f"NOT {any_true}")
            continue
        if isinstance(value, NotNull):
            clauses.extend(f"{quote(c)} IS NOT NULL" for c in cols)
            continue
        # text columns compare as they are (the scan can skip row groups); others as text
        expr = " || chr(31) || ".join(quote(c) if columns[c] == "VARCHAR" else _as_text(c) for c in cols)
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


def _order(schema: Mapping[str, str], order_by: Sequence[str | tuple[str, str]]) -> str:
    """`` ORDER BY ...`` from column names, or ``(column, "desc")`` (nulls last either way)."""
    keys = []
    for item in order_by:
        column, direction = (item, "asc") if isinstance(item, str) else item
        if column in schema:
            keys.append(f"{quote(column)} {'DESC' if direction.lower() == 'desc' else 'ASC'} NULLS LAST")
    return (" ORDER BY " + ", ".join(keys)) if keys else ""


def read_table(cat: Catalog, run_id: str, table: str, columns: Sequence[str] | None = None,
               filters: Filters | None = None, limit: int | None = None, offset: int = 0,
               order_by: Sequence[str | tuple[str, str]] | None = None, row_numbers: bool = False) -> pd.DataFrame:
    """Rows of one evidence table of a run; a table the run did not write reads as empty.

    ``columns`` the table lacks are left out; ``order_by`` takes names or ``(name, "desc")``;
    ``row_numbers`` adds ``_row``, each row's position in the file (to join encrypted raw cells)."""
    path = table_path(cat, run_id, table)
    if path is None:
        return pd.DataFrame(columns=list(columns or []))
    schema = table_columns(cat, run_id, table)
    wanted = [c for c in columns if c in schema] if columns else list(schema)
    where, params = where_clause(schema, filters)
    select = ", ".join([quote(c) for c in wanted] + (["file_row_number AS _row"] if row_numbers else []))
    source = "read_parquet(?, file_row_number = true)" if row_numbers else "read_parquet(?)"
    sql = f"SELECT {select} FROM {source}{where}"
    if order_by:
        sql += _order(schema, order_by)
    if limit is not None:
        sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"
    return query(sql, [str(path), *params])


def count_rows(cat: Catalog, run_id: str, table: str, filters: Filters | None = None) -> int:
    """How many rows of one evidence table match the filters (0 when the run did not write it)."""
    path = table_path(cat, run_id, table)
    if path is None:
        return 0
    where, params = where_clause(table_columns(cat, run_id, table), filters)
    return int(query(f"SELECT count(*) AS n FROM read_parquet(?){where}", [str(path), *params])["n"].iloc[0])


def distinct_values(cat: Catalog, run_id: str, table: str, column: str, limit: int = 200,
                    filters: Filters | None = None) -> list[str]:
    """Distinct non-null values of one column as text, sorted (none when the column is absent)."""
    path = table_path(cat, run_id, table)
    schema = table_columns(cat, run_id, table)
    if path is None or column not in schema:
        return []
    where, params = where_clause(schema, {**(filters or {}), column: NOT_NULL})
    rows = query(f"SELECT DISTINCT {_as_text(column)} AS v FROM read_parquet(?){where} ORDER BY v LIMIT ?",
                 [str(path), *params, int(limit)])
    return rows["v"].tolist()


def group_sums(cat: Catalog, run_id: str, table: str, by: Sequence[str], value: str,
               filters: Filters | None = None, cluster: str | None = None) -> pd.DataFrame:
    """Sufficient sums of one numeric column per group of the ``by`` columns (as text; a missing
    value is its own group, sorted last): ``rows``, ``n`` (rows with a value), ``total`` (sum),
    ``total_sq`` (sum of squares), ``binary`` (every value is 0 or 1). Sums only, like a metric's
    per-sample statistics: means, standard errors and intervals are made by ``audits.stats``.

    ``cluster`` (a column such as the samples' ``cluster``): when the table has it, the sums are
    per group *and cluster* (one more column, ``cluster``, as text), which ``audits.stats.
    group_intervals`` turns into clustered intervals; a table without it gives the plain sums."""
    columns = ["rows", "n", "total", "total_sq", "binary"]
    path = table_path(cat, run_id, table)
    schema = table_columns(cat, run_id, table)
    if path is None or value not in schema or any(c not in schema for c in by):
        return pd.DataFrame(columns=[*by, *columns])
    if cluster is not None and cluster in schema and cluster not in by:
        sums = group_sums(cat, run_id, table, [*by, cluster], value, filters)
        return sums.rename(columns={cluster: "cluster"})[[*by, "cluster", *columns]]
    where, params = where_clause(schema, filters)
    v = f"CAST({quote(value)} AS DOUBLE)"
    keys = ", ".join(f"{_as_text(c)} AS {quote(c)}" for c in by)
    order = ", ".join(f"{quote(c)} NULLS LAST" for c in by)
    return query(f"SELECT {keys}, count(*) AS rows, count({v}) AS n, sum({v}) AS total, sum({v} * {v}) AS total_sq, "
                 f"coalesce(bool_and({v} IN (0, 1)), false) AS binary FROM read_parquet(?){where} "
                 f"GROUP BY ALL ORDER BY {order}", [str(path), *params])


def read_paired(cat: Catalog, run_ids: tuple[str, str], table: str, key: str, value: str,
                filters: Filters | None = None) -> pd.DataFrame:
    """``value`` of two runs' rows joined on ``key`` where both have one (columns: key, a, b), the
    same typed filters applied to each run's table."""
    paths = [table_path(cat, r, table) for r in run_ids]
    schemas = [table_columns(cat, r, table) for r in run_ids]
    if any(p is None for p in paths) or any(value not in s or key not in s for s in schemas):
        return pd.DataFrame(columns=[key, "a", "b"])
    parts, params = [], []
    for side, path, schema in zip(("a", "b"), paths, schemas):
        where, args = where_clause(schema, {**(filters or {}), value: NOT_NULL})
        parts.append(f"{side} AS (SELECT {quote(key)} AS k, {quote(value)} AS v FROM read_parquet(?){where})")
        params += [str(path), *args]
    return query(f"WITH {', '.join(parts)} SELECT a.k AS {quote(key)}, a.v AS a, b.v AS b FROM a JOIN b USING (k)",
                 params)


def _json(cat: Catalog, run_id: str, name: str) -> Any:
    path = checked_file(cat, run_id, name)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssayError(f"run '{run_id}' has no {name} (bundle {path.parent})", "check it with `assay verify`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AssayError(f"cannot read {path}: {err}", "check the bundle with `assay verify`") from None


def manifest(cat: Catalog, run_id: str) -> Manifest:
    """The run's typed manifest (hashes, identities, timings; any version, migrated in memory), checked
    against the catalog."""
    return _checked_manifest(cat, run_id)


def run_config(cat: Catalog, run_id: str) -> JsonObject:
    """The audit config the run was made with (``config.yaml`` of its bundle)."""
    import yaml

    path = checked_file(cat, run_id, "config.yaml")
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as err:
        raise AssayError(f"cannot read {path}: {err}", "check the bundle with `assay verify`") from None
    if not isinstance(config, dict):
        raise AssayError(f"{path}: the config is a {type(config).__name__}, not a mapping of keys",
                         "check the bundle with `assay verify`")
    return config


def results(cat: Catalog, run_id: str) -> RunResults:
    """The run's typed results (any schema version, migrated in memory)."""
    path = checked_file(cat, run_id, "results.json")
    try:
        config = run_config(cat, run_id)
    except AssayError:
        config = None
    return load_results(path, config)


def plain(value: Any) -> Any:
    """A Parquet/pandas cell as a plain Python value (see :func:`audits.results.jsonable`)."""
    return jsonable(value)
