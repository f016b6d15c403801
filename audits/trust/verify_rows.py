"""`assay verify`'s reconciliation of the evidence tables with the log: every row of ``signoffs``,
``attestations``, ``reviews``, ``users``, ``run_events`` and ``sign_in_attempts`` hashes to a row the log
recorded (or, written before rows were hashed, agrees with the fields its entry kept), every recorded row is
present, and every ``review_flags`` row matches a ``review.flag`` entry (step 3 of :mod:`audits.trust.verify`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from audits.store.queries import audit_log
from audits.trust.verify_report import Report

EVIDENCE_TABLES = {"signoffs": "signoff_id", "attestations": "attestation_id", "reviews": "review_id",
                   "users": None, "run_events": None, "sign_in_attempts": None}
_IDENT = {"users": ("username", "created_at"), "run_events": ("run_id", "status", "ts"),
          "sign_in_attempts": ("username", "ts")}
_EVENT_STATUS = {"run.started": "running", "run.resumed": "resumed", "run.completed": "complete",
                 "run.failed": "failed"}
_LEGACY_FIELDS = {"signoffs": ("decision", "role"), "attestations": ("status", "role", "control_id"),
                  "reviews": ("label", "role")}


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


def reconcile_rows(report: Report, entries: list[tuple], tables: dict[str, list[tuple]],
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


def reconcile_flags(report: Report, entries: list[tuple], rows: list[dict[str, Any]]) -> None:
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
