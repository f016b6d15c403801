"""`assay verify`'s reconciliation of the ``runs`` table and the run bundles with the log's ``run.*``
entries: every run has the fields and status the log recorded, every logged run still exists, and every
bundle the log saw complete matches its logged manifest hash, file by file (steps 3 and 6 of
:mod:`audits.trust.verify`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, TypedDict

from audits.jsontypes import JsonObject, JsonValue
from audits.store.bundle import verify_bundle
from audits.store.catalog import Catalog
from audits.store.records import RunRecord
from audits.trust.verify_report import Report

# runs column -> (log action, details key); "@actor" is the entry's actor
RUN_COLUMNS = {"audit": ("run.started", "audit"), "period": ("run.started", "period"),
                "model": ("run.started", "model"), "config_sha256": ("run.started", "config_sha256"),
                "created_by": ("run.started", "@actor"), "created_at": ("run.started", "created_at"),
                "finished_at": ("run.completed", "finished_at"), "device": ("*", "device"),
                "error": ("*", "error")}
_RUN_STATUS = {"run.started": "running", "run.resumed": "running", "run.completed": "complete",
               "run.failed": "failed"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="microseconds") if hasattr(value, "isoformat") else str(value)


class _LoggedRun(TypedDict, total=False):
    """What the audit log says about one run (replayed from its run.* entries)."""

    seq: int                            # the entry that first named it
    fields: JsonObject                  # runs column -> the value the log recorded
    status: str
    manifest_sha256: JsonValue
    bundle_path: JsonValue
    dropped: dict[str, str]             # files a logged erase dropped -> their manifest SHA-256
    erased_seq: int                     # the latest run.erased entry


def reconcile_runs(report: Report, cat: Catalog, entries: list[tuple], runs: list[RunRecord]) -> None:
    logged: dict[str, _LoggedRun] = {}
    for seq, _ts, actor, action, target, details in entries:
        if not target or not action.startswith("run."):
            continue
        run = logged.setdefault(target, {"seq": seq, "fields": {}})
        if action in _RUN_STATUS:
            run["status"] = _RUN_STATUS[action]
        if action == "run.completed":
            run["manifest_sha256"] = details.get("manifest_sha256")
            run["bundle_path"] = details.get("bundle_path")
        if action == "run.erased":  # files an erase dropped from an old bundle: accepted by their logged hash
            run.setdefault("dropped", {}).update(details.get("dropped_files") or {})
            run["erased_seq"] = seq
        if action in ("run.started", "run.resumed", "run.completed"):
            run["fields"]["error"] = None  # each of these leaves runs.error empty
        for column, (at, key) in RUN_COLUMNS.items():
            if at in (action, "*") and action in _RUN_STATUS:
                if key == "@actor":
                    run["fields"][column] = actor
                elif key in details:
                    run["fields"][column] = details[key]
    rows = {r["run_id"]: r for r in runs}
    report.runs = len(rows)
    for run_id, n in Counter(r["run_id"] for r in runs).items():  # runs.run_id is a primary key in Assay's schema
        if n > 1:
            report.problems.append(f"run {run_id}: {n} rows of the runs table carry this id (inserted outside Assay; "
                                   "readers may show any of them)")
    for dup in runs:  # every copy must match the log, not only the one kept above
        if rows[dup["run_id"]] is not dup and dup["run_id"] in logged:
            _compare_run(report, dup["run_id"], dup, logged[dup["run_id"]])
    for run_id, row in rows.items():
        seen = logged.get(run_id)
        if seen is None:
            report.problems.append(f"run {run_id}: not in the audit log (inserted outside Assay)")
            continue
        _compare_run(report, run_id, row, seen)
    for run_id, seen in logged.items():
        if run_id not in rows:
            report.problems.append(f"run {run_id} (logged at entry {seen['seq']}) was deleted from the runs table")
        if seen.get("manifest_sha256"):
            # wherever the bundle lives now (catalogs may move), its content must match the logged hash
            path = (rows.get(run_id) or {}).get("bundle_path") or seen.get("bundle_path") or cat.runs_dir / run_id
            path = Path(path) if Path(path).is_absolute() else cat.path.parent / path
            report.problems += verify_bundle(path, seen["manifest_sha256"], dropped=seen.get("dropped"))
            report.problems += [f"run {run_id}: {name} is back in its bundle although `assay erase` dropped it (log "
                                f"entry {seen.get('erased_seq')}): the personal data erased on request was restored "
                                "from a copy; delete the file" for name in sorted(seen.get("dropped") or {})
                                if (path / name).exists()]
            report.bundles += 1


def _compare_run(report: Report, run_id: str, row: RunRecord, seen: _LoggedRun) -> None:
    """Problems where one ``runs`` row differs from what the log recorded of its run."""
    if seen.get("status") and seen["status"] != row["status"]:
        report.problems.append(f"run {run_id}: status is {row['status']!r} but the audit log says {seen['status']!r}")
    if seen.get("manifest_sha256") and row["manifest_sha256"] != seen["manifest_sha256"]:
        report.problems.append(f"run {run_id}: runs.manifest_sha256 differs from the hash recorded in the log")
    for column, value in seen["fields"].items():
        if _text(row.get(column)) != _text(value):
            report.problems.append(f"run {run_id}: runs.{column} is {_text(row.get(column))!r} but the audit log "
                                   f"says {_text(value)!r}")
