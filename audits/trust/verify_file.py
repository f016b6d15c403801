"""`assay verify --file PATH`: is this report, evidence pack or export the file Assay wrote?

Every report, pack, table export and retraining file is logged with its SHA-256 (``report.generated``,
``export.*``). A file edited after it was written (a figure changed in the HTML, a row dropped from a CSV)
matches no entry; one that matches names who made it, when, and from which run. The check is as good as
the log: run it with the rest of `assay verify`, which proves the entries themselves unaltered."""

from __future__ import annotations

import json
from pathlib import Path

from audits.errors import AssayError
from audits.hashing import sha256_path
from audits.store.catalog import Catalog
from audits.store.queries import evidence


def _logs_a_file(action: str) -> bool:
    return action == "report.generated" or action.startswith("export.")


def _require_file(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_file():
        raise AssayError(f"--file {path} is not a file", "name a report, evidence pack or export Assay wrote")
    return path


def check_file(path: str | Path, entries: list[tuple]) -> tuple[bool, str]:
    """(found, one line) for ``path`` against the log's ``entries`` (seq, ts, actor, action, target, details, ...)."""
    path = _require_file(path)
    sha = sha256_path(path)
    for seq, ts, actor, action, target, details, *_ in entries:
        try:
            logged = json.loads(details or "{}")
        except ValueError:
            continue
        if _logs_a_file(action) and isinstance(logged, dict) and logged.get("sha256") == sha:
            what = logged.get("format") or action.removeprefix("export.")
            return True, (f"{path}: written by Assay — log entry {seq} ({action}, {what}) by {actor!r} at "
                          f"{str(ts)[:19]} UTC for run {target}")
    return False, (f"{path}: its SHA-256 {sha[:16]}… is in no report or export entry of this catalog's audit log: "
                   "changed after Assay wrote it, or never written by this catalog")


def check_files(cat: Catalog, paths: list[str]) -> list[tuple[bool, str]]:
    """:func:`check_file` for each of ``paths`` against the catalog's log (AssayError for a path that is no file)."""
    for path in paths:  # every path checked before the log is read
        _require_file(path)
    with cat.connect() as con:
        entries = evidence.log_entries(con)
    return [check_file(path, entries) for path in paths]
