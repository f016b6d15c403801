"""Which raw production log a flat table came from, so a run on it can be traced to the exact raw file.

`assay logs import RAW --out FLAT` writes ``FLAT.import.json`` beside the flat table: the raw file's
absolute path, SHA-256 and format, and the flat file's own SHA-256. A run whose task reads that exact flat
file (same SHA-256) records the raw file in its manifest, ``datasets.<task>.raw_log``
(:class:`audits.store.manifest.RawLogIdentity`). A flat file edited after the import no longer matches
its record, and nothing is credited to the raw log; so is a record not signed by this installation's key
(:mod:`audits.trust.signed_record`): one edited to name another raw file or other row counts.
"""

from __future__ import annotations

import json
from pathlib import Path

from audits.atomic_files import write_atomic
from audits.hashing import sha256_path
from audits.jsontypes import JsonObject
from audits.trust import signed_record

SUFFIX = ".import.json"
FORMAT = "assay-log-import/1"


def record_path(flat: str | Path) -> Path:
    """Where the import record of ``flat`` lives: ``<flat>.import.json``."""
    flat = Path(flat)
    return flat.with_name(flat.name + SUFFIX)


def write_record(raw: str | Path, log_format: str, flat: str | Path, rows_read: int, rows_kept: int) -> Path:
    """Record (atomically) that ``flat`` was imported from ``raw``; the record's path."""
    raw, flat = Path(raw).resolve(), Path(flat)
    body = {"format": FORMAT, "flat_sha256": sha256_path(flat),
            "raw_log": {"path": str(raw), "sha256": sha256_path(raw), "format": log_format,
                        "rows_read": int(rows_read), "rows_kept": int(rows_kept)}}
    body = signed_record.sign(body)  # the run copies it into its manifest: nobody may edit it unseen
    return write_atomic(record_path(flat), json.dumps(body, indent=2), prefix=".tmp-import-")


def raw_log_of(source: str, sha256: str) -> JsonObject | None:
    """The raw log a task's data file came from (``raw_log`` of its import record) when the file is exactly
    the one the import wrote (its SHA-256 is ``sha256``), else None (no record, or the file changed since)."""
    if source.startswith("builtin:"):
        return None
    try:
        body = json.loads(record_path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(body, dict) or body.get("format") != FORMAT or body.get("flat_sha256") != sha256 \
            or signed_record.problem(body) is not None:
        return None
    raw = body.get("raw_log")
    return raw if isinstance(raw, dict) else None
