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
   re-identified, or replaced) fails; so does a log shorter than the witness (0 entries included).
6. Bundles: every run the log saw complete (whatever ``runs.status`` says now) is compared with
   the manifest hash recorded in the chain, file by file, wherever ``runs.bundle_path`` points; a file
   a logged erase dropped must stay gone (a copy restored from a backup brings erased personal data back).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audits.errors import AssayError
from audits.jsontypes import JsonObject, JsonValue
from audits.store.bundle import verify_bundle
from audits.store.catalog import Catalog
from audits.store.records import RunRecord
from audits.store.queries import audit_log, checkpoints as checkpoints_q, evidence, sealed_notes
from audits.trust import acts, checkpoint, keys, packs, rawstore
from audits.trust.checkpoint import Checkpoint

EVIDENCE_TABLES = {"signoffs": "signoff_id", "attestations": "attestation_id", "reviews": "review_id",
                   "users": None, "run_events": None, "sign_in_attempts": None}
_IDENT = {"users": ("username", "created_at"), "run_events": ("run_id", "status", "ts"),
          "sign_in_attempts": ("username", "ts")}
_EVENT_STATUS = {"run.started": "running", "run.resumed": "resumed", "run.completed": "complete",
                 "run.failed": "failed"}
# runs column -> (log action, details key); "@actor" is the entry's actor
_RUN_COLUMNS = {"audit": ("run.started", "audit"), "period": ("run.started", "period"),
                "model": ("run.started", "model"), "config_sha256": ("run.started", "config_sha256"),
                "created_by": ("run.started", "@actor"), "created_at": ("run.started", "created_at"),
                "finished_at": ("run.completed", "finished_at"), "device": ("*", "device"),
                "error": ("*", "error")}
_LEGACY_FIELDS = {"signoffs": ("decision", "role"), "attestations": ("status", "role", "control_id"),
                  "reviews": ("label", "role")}
_RUN_STATUS = {"run.started": "running", "run.resumed": "running", "run.completed": "complete",
               "run.failed": "failed"}


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    runs: int = 0
    bundles: int = 0
    head: Checkpoint | None = None  # the newest valid checkpoint


def verify(cat: Catalog, against: Checkpoint | None = None) -> Report:
    report = Report()
    with cat.connect() as con:
        cid = audit_log.catalog_id(con) or "legacy"
        report.problems += audit_log.verify_chain(con)
        log = evidence.log_entries(con)
        cps = [_details(body) for body in checkpoints_q.bodies(con)]
        read = {t: evidence.table_rows(con, t) for t in EVIDENCE_TABLES}
        flag_cols, flag_rows = evidence.table_rows(con, "review_flags")
        sealed = sealed_notes.keys(con)
        runs = evidence.run_rows(con, ["run_id", "status", "bundle_path", "manifest_sha256", *_RUN_COLUMNS])
        legacy = bool(log) and checkpoint.legacy_unsigned(con, cid, cat.path)
    tables = {t: rows for t, (_, rows) in read.items()}
    columns = {t: cols for t, (cols, _) in read.items()}
    report.entries = len(log)
    heads = {seq: digest for seq, *_, digest in log}
    replaced = checkpoint.replaced_catalog(cid, cat.path)
    if replaced:
        report.problems.append(f"catalog: {replaced}")
    _check_checkpoints(report, cid, cps, heads, against, cat.path, legacy)
    wiped = checkpoint.wiped_copy(cid, cat.path) if not log and not replaced else None
    if wiped:
        report.problems.append(f"catalog: {wiped}")
    elif not log and not replaced and checkpoint.read_witness(cid, cat.path) is None:
        report.notes.append("the audit log is empty, and the key dir has signed nothing for this catalog here")
    entries = [(seq, ts, actor, action, target, _details(details)) for seq, ts, actor, action, target, details, _ in log]
    _reconcile_rows(report, entries, tables, columns)
    _reconcile_flags(report, entries, [dict(zip(flag_cols, r)) for r in flag_rows])
    _reconcile_sealed(report, entries, sealed)
    _reconcile_runs(report, cat, entries, runs)
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


def check_foreign(cp: Checkpoint, cid: str) -> None:
    """Refuse (one line) a checkpoint this installation did not sign or that names another catalog."""
    trusted = keys.trusted_keys()
    if cp.get("key_id") not in trusted:
        raise AssayError(f"the checkpoint was signed by key {cp.get('key_id')}, which is not one of this "
                         f"installation's keys ({keys.key_dir()})",
                         "pass a checkpoint exported from this installation, or set ASSAY_KEY_DIR to its key directory")
    if cp.get("catalog_id") != cid:
        raise AssayError(f"the checkpoint is for catalog {cp.get('catalog_id')}, not this one ({cid})",
                         "pass a checkpoint exported from this catalog")


def _check_one(report: Report, name: str, cp: Checkpoint, cid: str, heads: dict[int, str],
               trusted: dict[str, Ed25519PublicKey]) -> bool:
    problem = checkpoint.check_signature(cp, trusted)
    if problem:
        report.problems.append(f"{name}: {problem}")
        return False
    if cp.get("catalog_id") != cid:
        report.problems.append(f"{name}: signed for catalog {cp.get('catalog_id')}, not this one ({cid})")
        return False
    count = int(cp["count"])
    if count > len(heads):
        report.problems.append(f"audit log: truncated — {name} (signed) covers {count} entries, the log has "
                               f"{len(heads)}")
        return False
    if heads.get(count) != cp["head"]:
        report.problems.append(f"audit log: entries up to {count} were rewritten — they no longer match {name} "
                               f"(signed {cp.get('ts')})")
        return False
    return True


def _check_checkpoints(report: Report, cid: str, cps: list[Checkpoint], heads: dict[int, str],
                       against: Checkpoint | None, catalog_path: Any = None, legacy: bool = False) -> None:
    trusted = keys.trusted_keys()
    n = len(heads)
    if n and not trusted:
        report.problems.append(f"audit log: no signing key in {keys.key_dir()} to check checkpoints against "
                               "(set ASSAY_KEY_DIR to this installation's key directory)")
        return
    newest_ok = 0
    bad = 0
    for cp in cps:
        before = len(report.problems)
        if _check_one(report, f"catalog checkpoint {cp.get('count')}", cp, cid, heads, trusted):
            newest_ok = max(newest_ok, int(cp["count"]))
            report.head = cp
        else:
            bad += 1
            del report.problems[before + 1:]  # one line per bad checkpoint
        if bad > 3:
            report.problems.append("audit log: more checkpoints fail; stopping after the first few")
            break
    if n and newest_ok < n:
        why = ("a log written before signed checkpoints: check it, then sign it as it stands with `assay keys adopt`"
               if legacy else "written without the installation key")
        report.problems.append(f"audit log: entries {newest_ok + 1}-{n} are not covered by a signed checkpoint ({why})")
    witness = checkpoint.read_witness(cid, catalog_path)
    if witness is None:
        ahead = checkpoint.newest_elsewhere(cid, catalog_path) if n else None
        if ahead is not None and int(ahead["count"]) > n:
            report.notes.append(f"this file is an OLDER COPY of its catalog: the key dir signed {ahead['count']} "
                                f"entries of catalog {cid} at another path (last {ahead.get('ts')}), this file has {n}; "
                                "what it shows (sign-offs, reviews, runs) may be out of date")
        elif n:
            report.notes.append(f"no witness checkpoint for this catalog in {keys.key_dir()} (catalog moved?)")
    else:
        _check_one(report, "the witness checkpoint kept beside the key", witness, cid, heads, trusted)
    if against is not None:
        check_foreign(against, cid)
        _check_one(report, f"the checkpoint given with --against ({against.get('count')} entries)", against, cid,
                   heads, trusted)


def _ident(table: str, record: dict[str, Any]) -> str:
    id_col = EVIDENCE_TABLES[table]
    if id_col:
        return str(record.get(id_col))
    *names, when = _IDENT[table]
    return " ".join(str(record.get(n)) for n in names) + f" @ {record.get(when)}"


def _legacy_ok(table: str, record: dict[str, Any], legacy: dict[str, Any]) -> bool:
    """A row written before rows were hashed, that agrees with the fields its log entry kept."""
    if table == "users":
        return record.get("role") in legacy["users"].get(record.get("username"), set())
    if table == "run_events":
        key = (record.get("run_id"), record.get("status"))
        if legacy["run_events"][key] > 0:
            legacy["run_events"][key] -= 1
            return True
        return False
    if table == "sign_in_attempts":  # before sign-ins were logged; a row added later only locks harder
        first = legacy["first_sign_in"]
        return first is None or record.get("ts") < first
    old = legacy[table].get(record.get(EVIDENCE_TABLES[table]))
    return old is not None and all(str(old.get(f)) == str(record.get(f)) for f in _LEGACY_FIELDS[table] if f in old)


def _reconcile_rows(report: Report, entries: list[tuple], tables: dict[str, list[tuple]],
                    columns: dict[str, list[str]]) -> None:
    logged: dict[str, Counter] = {t: Counter() for t in tables}
    where: dict[tuple[str, str], int] = {}
    legacy: dict[str, Any] = {t: {} for t in tables}
    legacy.update(users={}, run_events=Counter(), first_sign_in=None)
    for seq, ts, _actor, action, target, details in entries:
        row = details.get("row")
        if action.startswith("user.sign") and legacy["first_sign_in"] is None:
            legacy["first_sign_in"] = ts
        if isinstance(row, dict) and row.get("table") in logged:
            logged[row["table"]][row["sha256"]] += 1
            where[(row["table"], row["sha256"])] = seq
        elif action in ("user.added", "user.changed", "user.deactivated") and target:
            legacy["users"].setdefault(target, set()).add(details.get("role"))
        elif action in _EVENT_STATUS and target:
            legacy["run_events"][(target, _EVENT_STATUS[action])] += 1
        elif action in ("policy.signoff", "policy.attest", "review.label", "review.adjudicate"):
            table = {"policy.signoff": "signoffs", "policy.attest": "attestations"}.get(action, "reviews")
            key = details.get(EVIDENCE_TABLES[table])
            if key:
                legacy[table][key] = details
    for table, rows in tables.items():
        have = Counter()
        for values in rows:
            digest = audit_log.digest_values(table, values)
            if logged[table][digest] > have[digest]:
                have[digest] += 1
                continue
            record = dict(zip(columns[table], values))
            if _legacy_ok(table, record, legacy):
                continue
            report.problems.append(f"{table}: row {_ident(table, record)} does not match the audit log (edited or "
                                   "inserted outside Assay)")
        for digest, count in logged[table].items():
            if have[digest] < count:
                report.problems.append(f"{table}: the row recorded at log entry {where[(table, digest)]} is missing "
                                       "or was changed")


def _reconcile_flags(report: Report, entries: list[tuple], rows: list[dict[str, Any]]) -> None:
    """Every ``review_flags`` row is one a ``review.flag`` entry recorded (same label, reviewer, item and
    flag), and every recorded flag is present: the flags decide what a retraining export leaves out."""
    logged: Counter = Counter()
    where: dict[tuple, int] = {}
    for seq, _ts, actor, action, target, details in entries:
        if action == "review.flag" and isinstance(details.get("flags"), list):
            for flag in details["flags"]:
                key = (str(details.get("review_id")), str(actor), str(target), str(flag))
                logged[key] += 1
                where[key] = seq
    have: Counter = Counter()
    for r in rows:
        key = (str(r.get("review_id")), str(r.get("reviewer")), f"{r.get('run_id')}/{r.get('task')}/{r.get('sample_id')}",
               str(r.get("flag")))
        if have[key] < logged[key]:
            have[key] += 1
            continue
        report.problems.append(f"review_flags: flag {key[3]!r} on {key[2]} by {key[1]!r} does not match the audit log "
                               "(edited or inserted outside Assay)")
    for key, count in logged.items():
        if have[key] < count:
            report.problems.append(f"review_flags: the flag {key[3]!r} on {key[2]} recorded at log entry {where[key]} "
                                   "is missing or was changed")


# acts whose raw note (kept only sealed under store_raw) is a sealed_notes row: action -> (table, id key)
_SEALING = {"policy.signoff": ("signoffs", "signoff_id"), "policy.attest": ("attestations", "attestation_id"),
            "review.label": ("reviews", "review_id"), "review.adjudicate": ("reviews", "review_id")}


def _reconcile_sealed(report: Report, entries: list[tuple], rows: list[tuple[str, str, str, str, bytes]]) -> None:
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


def _reconcile_runs(report: Report, cat: Catalog, entries: list[tuple], runs: list[RunRecord]) -> None:
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
        for column, (at, key) in _RUN_COLUMNS.items():
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
