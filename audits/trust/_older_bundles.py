"""Bundles written under older redaction rules (re-exported by :mod:`audits.trust.rawstore`).

The manifest's ``personal_data.scheme`` says which redaction a bundle had: bundles without it (scheme 1)
redacted explanation tokens one by one with patterns only (``assay erase`` drops their
``explanations.parquet``); scheme 2 bundles predate the whole-word rule for public tasks (3); bundles from
before sample ids were pseudonymised keep them raw. `assay verify` names such runs (:func:`scheme_notes`,
:func:`raw_id_notes`) and `assay erase` migrates them (:func:`raw_id_files`, audits.commands.erase).
"""

from __future__ import annotations

from typing import Any

from audits.trust._id_pseudonyms import raw_personal_ids
from audits.trust.redact import Redactor

JOINED_SCHEME = 2  # explanation tokens redacted on their joined text, with the detector (1: one by one, patterns)
WHOLE_WORD_SCHEME = 3  # public-task predictions keep a value only where it stands in the public text (stands_in)
SCHEME = WHOLE_WORD_SCHEME
_BEFORE = {JOINED_SCHEME: "explanation tokens redacted one by one with patterns only (joined, they give names "
                          "and addresses back)",
           WHOLE_WORD_SCHEME: "a public task's predictions kept values that were only a piece of the public text "
                              "(the tail of an e-mail in the prompt)"}
ID_TABLES = ("samples", "findings", "explanations", "counterfactuals", "review_queue")  # tables keyed by sample_id


def raw_id_files(cat: Any, run_id: str, manifest: Any, redactor: Redactor | None = None) -> dict[str, str]:
    """{file: the SHA-256 its manifest recorded} of a run's bundle tables whose ``sample_id`` still holds
    personal data as written (bundles from before sample ids were pseudonymised; rows of a public built-in
    task aside): what `assay erase` drops (a signed migration) and `assay verify` names (``redactor`` None:
    the patterns alone)."""
    from audits.store import bundle_reader

    public = set(manifest.personal_data.kept_public or [])
    out: dict[str, str] = {}
    for table in ID_TABLES:
        name = f"{table}.parquet"
        if name not in manifest.files:
            continue
        frame = bundle_reader.read_table(cat, run_id, table, columns=["task", "sample_id"])
        if "sample_id" not in frame.columns or frame.empty:
            continue
        rows = ~frame["task"].astype(str).isin(public) if "task" in frame.columns else slice(None)
        if raw_personal_ids(frame.loc[rows, "sample_id"].tolist(), redactor):
            out[name] = manifest.files[name]
    return out


def raw_id_notes(cat: Any, run_ids: list[str]) -> list[str]:
    """`assay verify`'s note per complete run whose bundle still keeps sample ids holding personal data as
    written (the patterns alone), naming the files and the migration that drops them."""
    from audits.store import bundle_reader

    notes = []
    for run_id in run_ids:
        try:
            files = raw_id_files(cat, run_id, bundle_reader.manifest(cat, run_id))
        except Exception:  # noqa: BLE001 - a missing, malformed or unreadable bundle is already a verify problem
            continue
        if files:
            notes.append(f"run {run_id}: {', '.join(sorted(files))} keep sample ids holding personal data as written "
                         f"(before ids were pseudonymised); `assay erase {run_id} --reason TEXT` drops those files "
                         "(logged; their hashes still verify)")
    return notes


def scheme_notes(cat: Any, run_ids: list[str], erased: set[str]) -> list[str]:
    """`assay verify`'s finding (a note, not a forgery) per complete run whose bundle was redacted with an
    older scheme than :data:`SCHEME` and may still hold personal data, naming what that scheme missed and the
    migration: `assay erase` re-checks it with today's redaction and drops what still holds some. Runs in
    ``erased`` (a logged erase already migrated them) are not named; nor is a scheme-2 bundle without a public
    task (the whole-word rule only changes public tasks' predictions)."""
    from audits.store import bundle_reader

    notes = []
    for run_id in run_ids:
        if run_id in erased:
            continue
        try:
            manifest = bundle_reader.manifest(cat, run_id)
        except Exception:  # noqa: BLE001 - a missing, malformed or unreadable bundle is already a verify problem
            continue
        scheme = manifest.scheme
        missed = [why for version, why in sorted(_BEFORE.items()) if scheme < version
                  and (version != WHOLE_WORD_SCHEME or manifest.personal_data.kept_public)]
        if missed:
            notes.append(f"run {run_id}: bundle redacted with scheme {scheme} (today's is {SCHEME}): "
                         f"{'; '.join(missed)}; `assay erase {run_id} --reason TEXT` re-checks it and drops files "
                         "that still hold personal data (logged; their hashes still verify)")
    return notes
