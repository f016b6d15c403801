"""`assay verify`'s check of ``sealed_notes`` (raw notes kept sealed under a run's key) against the acts
of the log that kept one (step 3 of :mod:`audits.trust.verify`)."""

from __future__ import annotations

import hashlib

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.trust.verify_report import Report

# acts whose raw note (kept only sealed under store_raw) is a sealed_notes row: action -> (table, id key)
_SEALING = {"policy.signoff": ("signoffs", "signoff_id"), "policy.attest": ("attestations", "attestation_id"),
            "review.label": ("reviews", "review_id"), "review.adjudicate": ("reviews", "review_id")}


def reconcile_sealed(report: Report, entries: list[tuple], rows: list[tuple[str, str, str, str, bytes]]) -> None:
    """Every act the log says kept its raw text sealed (``raw_sealed``) has its ``sealed_notes`` rows
    until the run is erased, and every ``sealed_notes`` row belongs to such an act of that run: a
    deleted row silently loses the only raw copy; an inserted one passes off text nobody wrote. Where
    the act logged the SHA-256 of each sealed blob (``sealed_sha256``), the stored bytes must match it
    (an edited or swapped blob); acts logged before that are checked by decrypting under the run's key
    while it exists (:func:`_legacy_blob_problem`)."""
    logged: dict[tuple[str, str], tuple[str, int, JsonObject | None]] = {}  # (table, row id) -> (run, seq, sha256s)
    erased: dict[str, int] = {}
    for seq, _ts, _actor, action, target, details in entries:
        if action == "run.erased":
            erased[str(target)] = seq
        elif action in _SEALING and details.get("raw_sealed"):
            table, id_key = _SEALING[action]
            hashes = details.get("sealed_sha256")
            logged[(table, str(details.get(id_key)))] = (str(target).split("/")[0], seq,
                                                         hashes if isinstance(hashes, dict) else None)
    present: dict[tuple[str, str], set[str]] = {}
    for run_id, table, row_id, column, blob in rows:
        digest = hashlib.sha256(blob).hexdigest()
        act = logged.get((table, row_id))
        if act is None or act[0] != run_id or erased.get(run_id, -1) > act[1]:
            report.problems.append(f"sealed_notes: a sealed note for {table} row {row_id} of run {run_id!r} matches "
                                   "no act of the audit log that kept one (inserted or edited outside Assay)")
            continue
        present.setdefault((table, row_id), set()).add(column)
        hashes = act[2]
        if hashes is not None and hashes.get(column) != digest:
            report.problems.append(f"sealed_notes: the sealed {column} of {table} row {row_id} (run {run_id!r}) differs "
                                   f"from the blob whose SHA-256 log entry {act[1]} recorded (edited or swapped "
                                   "outside Assay)")
        elif hashes is None:
            problem = _legacy_blob_problem(run_id, blob)
            if problem:
                report.problems.append(f"sealed_notes: the sealed {column} of {table} row {row_id} {problem}")
    for (table, row_id), (run_id, seq, hashes) in logged.items():
        if erased.get(run_id, -1) > seq:
            continue
        have = present.get((table, row_id))
        if have is None:
            report.problems.append(f"sealed_notes: the sealed raw note of {table} row {row_id} (run {run_id!r}, log "
                                   f"entry {seq}) is missing: deleted outside `assay erase`")
        elif hashes is not None and set(hashes) - have:
            report.problems.append(f"sealed_notes: the sealed {', '.join(sorted(set(hashes) - have))} of {table} row "
                                   f"{row_id} (run {run_id!r}, log entry {seq}) is missing: deleted outside `assay erase`")


def _legacy_blob_problem(run_id: str, blob: bytes) -> str | None:
    """Why a sealed blob whose act logged no SHA-256 is not genuine (it does not open under the run's key),
    or None (it opens, or the key is gone and nothing can be said)."""
    from audits.trust.rawstore import open_text

    try:
        open_text(run_id, blob)
    except AssayError:
        return f"(run {run_id!r}) does not decrypt under the run's key (edited outside Assay)"
    return None
