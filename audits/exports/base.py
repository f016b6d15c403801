"""`assay export RUN_ID TABLE -o FILE`: a registry of exportable tables.

An export is a function ``(catalog, run_id) -> DataFrame | list[dict]``; the writer picks the
format from the file extension (.parquet, .csv, .jsonl).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Callable, Union

import pandas as pd

from audits.errors import AssayError
from audits.logged_files import commit_logged
from audits.registry import Registry
from audits.store.catalog import Catalog

ExportResult = Union[pd.DataFrame, list]
EXPORTS: Registry[Callable[[Catalog, str], ExportResult]] = Registry("export table")
FORMATS = (".parquet", ".csv", ".jsonl")


def export_bytes(data: ExportResult, path: Path) -> tuple[bytes, int]:
    """(file bytes, row count) of ``data`` in the format of ``path``'s extension."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise AssayError(f"cannot tell the export format of {path.name}", f"use one of: {', '.join(FORMATS)}")
    if isinstance(data, list):
        if suffix == ".jsonl":
            text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in data)
            return text.encode("utf-8"), len(data)
        data = pd.json_normalize(data)
    frame: pd.DataFrame = data
    if suffix == ".parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue(), len(frame)
    if suffix == ".csv":
        return frame.to_csv(index=False).encode("utf-8"), len(frame)
    text = frame.to_json(orient="records", lines=True, force_ascii=False, date_format="iso") or ""
    return text.encode("utf-8"), len(frame)


def write_export(data: ExportResult, path: Path, log: Callable[[Path, str], None] | None = None) -> int:
    """Write rows to ``path`` by extension; returns the row count. With ``log(path, sha256)`` (the audit-log
    entry), the file exists only once its entry does (``commit_logged``); written atomically either way."""
    payload, n = export_bytes(data, path)
    commit_logged([(path, payload)], log or (lambda _p, _s: None))
    return n
