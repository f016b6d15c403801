"""`assay export RUN_ID TABLE -o FILE`: a registry of exportable tables.

An export is a function ``(catalog, run_id) -> DataFrame | list[dict]``; the writer picks the
format from the file extension (.parquet, .csv, .jsonl).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Union

import pandas as pd

from audits.errors import AssayError
from audits.registry import Registry
from audits.store.catalog import Catalog

ExportResult = Union[pd.DataFrame, list]
EXPORTS: Registry[Callable[[Catalog, str], ExportResult]] = Registry("export table")
FORMATS = (".parquet", ".csv", ".jsonl")


def write_export(data: ExportResult, path: Path) -> int:
    """Write rows to ``path`` by extension; returns the row count. Written atomically."""
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise AssayError(f"cannot tell the export format of {path.name}", f"use one of: {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    if isinstance(data, list):
        if suffix != ".jsonl":
            data = pd.json_normalize(data)
        else:
            tmp.write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in data),
                           encoding="utf-8")
            tmp.replace(path)
            return len(data)
    frame: pd.DataFrame = data
    if suffix == ".parquet":
        frame.to_parquet(tmp, index=False)
    elif suffix == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_json(tmp, orient="records", lines=True, force_ascii=False, date_format="iso")
    tmp.replace(path)
    return len(frame)
