"""`assay verify`: the catalog checked against the log, the log against its signed checkpoints.

1. The chain: every entry links to the one before and hashes to what it says.
2. Checkpoints (the catalog's own, the witness kept beside the key, and any ``--against`` file):
   each signed by a key this installation holds, each matching the chain at its count; the
   newest covers every entry (an entry appended without the key is not covered; a truncated
   log falls short of the witness).
3. Reconciliation: every row of ``signoffs``, ``attestations``, ``reviews``, ``users``,
   ``run_events`` and ``sign_in_attempts`` hashes to a row the log recorded, and every recorded row
   is present; every ``review_flags`` row matches a ``review.flag`` entry (label, reviewer, item, flag)
   and every logged flag is present; every act logged with ``raw_sealed`` has its ``sealed_notes`` rows
   (until the run is erased) and every sealed row belongs to such an act; every run in ``runs`` has the audit, period, model, config hash, creator, times,
   status, error and manifest hash the log recorded, and every logged run still exists.
4. Actors: every signed act was done by a user who, per the log's own users history at that entry,
   was active and held a role allowed to do it (:mod:`audits.trust.acts`); every pack file a sign-off
   or attestation in force rested on still hashes to what it recorded (:mod:`audits.trust.packs`).
5. Identity of the file: a catalog the key dir signed at this path under another id (wiped and
   re-identified, or replaced) fails; so does a log shorter than the witness (0 entries included), and a copy
   past an entry the key dir signed differently into another copy (a fork, :mod:`audits.trust.verify_forks`).
6. Bundles: every run the log saw complete (whatever ``runs.status`` says now) is compared with
   the manifest hash recorded in the chain, file by file, wherever ``runs.bundle_path`` points; a file
   a logged erase dropped must stay gone (a copy restored from a backup brings erased personal data back).

The checks live beside it: :mod:`audits.trust.verify_checkpoints` (2, 5), :mod:`audits.trust.verify_rows` and
:mod:`audits.trust.verify_sealed` (3), :mod:`audits.trust.verify_runs` (3, 6); actors and packs (4) in
:mod:`audits.trust.acts` and :mod:`audits.trust.packs`; what they found in :class:`Report`.
"""

from __future__ import annotations

import json

from audits.jsontypes import JsonObject
from audits.store.catalog import Catalog
from audits.store.queries import audit_log, checkpoints as checkpoints_q, evidence, sealed_notes
from audits.trust import acts, checkpoint, packs, rawstore
from audits.trust.checkpoint import Checkpoint
from audits.trust.verify_checkpoints import check_checkpoints, check_foreign
from audits.trust.verify_report import Report
from audits.trust.verify_rows import EVIDENCE_TABLES, reconcile_flags, reconcile_rows
from audits.trust.verify_runs import RUN_COLUMNS, reconcile_runs
from audits.trust.verify_sealed import reconcile_sealed

__all__ = ["EVIDENCE_TABLES", "Report", "check_foreign", "verify"]


def verify(cat: Catalog, against: Checkpoint | None = None) -> Report:
    """Every check of the module docstring over ``cat`` (and the ``--against`` checkpoint, if given)."""
    report = Report()
    with cat.connect() as con:
        cid = audit_log.catalog_id(con) or "legacy"
        report.problems += audit_log.verify_chain(con)
        log = evidence.log_entries(con)
        cps = [_details(body) for body in checkpoints_q.bodies(con)]
        read = {t: evidence.table_rows(con, t) for t in EVIDENCE_TABLES}
        flag_cols, flag_rows = evidence.table_rows(con, "review_flags")
        sealed = sealed_notes.keys(con)
        runs = evidence.run_rows(con, ["run_id", "status", "bundle_path", "manifest_sha256", *RUN_COLUMNS])
        legacy = bool(log) and checkpoint.legacy_unsigned(con, cid, cat.path)
    tables = {t: rows for t, (_, rows) in read.items()}
    columns = {t: cols for t, (cols, _) in read.items()}
    report.entries = len(log)
    heads = {seq: digest for seq, *_, digest in log}
    replaced = checkpoint.replaced_catalog(cid, cat.path)
    if replaced:
        report.problems.append(f"catalog: {replaced}")
    check_checkpoints(report, cid, cps, heads, against, cat.path, legacy)
    wiped = checkpoint.wiped_copy(cid, cat.path) if not log and not replaced else None
    if wiped:
        report.problems.append(f"catalog: {wiped}")
    elif not log and not replaced and checkpoint.read_witness(cid, cat.path) is None:
        report.notes.append("the audit log is empty, and the key dir has signed nothing for this catalog here")
    entries = [(seq, ts, actor, action, target, _details(details)) for seq, ts, actor, action, target, details, _ in log]
    reconcile_rows(report, entries, tables, columns)
    reconcile_flags(report, entries, [dict(zip(flag_cols, r)) for r in flag_rows])
    reconcile_sealed(report, entries, sealed)
    reconcile_runs(report, cat, entries, runs)
    complete = [r["run_id"] for r in runs if r["status"] == "complete"]
    report.notes += rawstore.raw_id_notes(cat, complete)
    report.notes += rawstore.scheme_notes(cat, complete, {str(e[4]) for e in entries if e[3] == "run.erased"})
    report.problems += acts.check_actors([(seq, actor, action, target, d) for seq, _, actor, action, target, d in entries])
    report.problems += acts.older_copy_acts(cid, [(seq, ts, actor, action, target, digest)
                                                  for seq, ts, actor, action, target, _, digest in log])
    report.problems += packs.findings([(seq, actor, action, target, d) for seq, _, actor, action, target, d in entries])
    return report


def _details(text: str | None) -> JsonObject:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
