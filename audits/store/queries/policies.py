"""Attestations of manual policy controls and committee sign-offs (append-only, audited).

Each write is one transaction that checks the run exists and the role may act, inserts one
row and appends one audit-log entry; any refusal raises AssayError before anything is stored.
Notes are stored redacted (``audits.trust.notes``); the log holds their SHA-256, never their text.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from audits import access
from audits.errors import AssayError
from audits.jsontypes import JsonObject, JsonValue
from audits.store.catalog import Catalog
from audits.store.queries import audit_log, sealed_notes
from audits.trust import notes as typed

SIGNOFF_ROLE = access.PERMISSIONS["signoff"][0]  # the committee; access.can decides who signs off
DECISIONS = ("approve", "reject")
ATTESTATION_STATUSES = ("attested", "rejected")


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _check_run(con: Any, run_id: str) -> None:
    row = con.execute("SELECT status FROM runs WHERE run_id = ?", [run_id]).fetchone()
    if row is None:
        raise AssayError(f"run '{run_id}' does not exist", "list runs with `assay runs`")
    if row[0] != "complete":
        raise AssayError(f"run '{run_id}' is {row[0]}", "attest and sign off complete runs only")


def _check_user_role(con: Any, username: str, role: str) -> None:
    """When the catalog manages users, the user's latest row must be active and hold the role."""
    from audits.store.queries.users import check_acting_role

    check_acting_role(con, username, role)


def signoff_ids(con: Any, run_id: str) -> list[str]:
    """The ids of every sign-off resting on ``run_id`` (inside the caller's connection)."""
    return [r[0] for r in con.execute("SELECT signoff_id FROM signoffs WHERE run_id = ?", [run_id]).fetchall()]


def add_attestation(cat: Catalog, run_id: str, pack: str, control_id: str, username: str, role: str,
                    required_role: str, *, status: str = "attested", note: str | None = None,
                    evidence_link: str | None = None, evidence_sha256: str | None = None,
                    packs: dict[str, str] | None = None) -> str:
    """Store one attestation (after checking run, role and user); returns its id. ``packs``: the
    SHA-256 of the pack file it rested on (``audits.trust.packs``), kept in the signed log entry."""
    if not access.can(role, "attest", required_role):
        raise AssayError(f"control {control_id} of pack '{pack}' must be attested by the '{required_role}' role, "
                         f"not '{role}'", f"ask a user with the {required_role} role to attest it")
    if status not in ATTESTATION_STATUSES:
        raise AssayError(f"attestation status '{status}' is not one of {', '.join(ATTESTATION_STATUSES)}",
                         "use attested or rejected")
    attestation_id = uuid.uuid4().hex
    # before the write (a catalog read inside it deadlocks); the evidence link is typed text too
    stored, sealed = typed.scrub(cat, run_id, {"note": note, "evidence_link": evidence_link})
    note, evidence_link = stored["note"], stored["evidence_link"]
    with cat.connect(write=True) as con:
        _check_run(con, run_id)
        _check_user_role(con, username, role)
        con.execute("INSERT INTO attestations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [attestation_id, run_id, pack, control_id, username, role, status, note,
                     evidence_link, evidence_sha256, _now()])
        sealed_notes.insert(con, run_id, "attestations", attestation_id, sealed)
        audit_log.append(con, username, "policy.attest", run_id,
                         {"attestation_id": attestation_id, "pack": pack, "control": control_id, "role": role,
                          "status": status, "evidence_link": evidence_link, "evidence_sha256": evidence_sha256,
                          "note_sha256": typed.digest(note), "raw_sealed": bool(sealed),
                          "sealed_sha256": sealed_notes.digests(sealed), **({"packs": packs} if packs else {})},
                         row=("attestations", "attestation_id = ?", [attestation_id]))
    return attestation_id


def _last_signoff_packs(con: Any, run_id: str, username: str) -> Any:
    """The ``packs`` the user's latest logged sign-off of the run rested on (None when not recorded)."""
    row = con.execute("SELECT details FROM audit_log WHERE action = 'policy.signoff' AND target = ? AND actor = ? "
                      "ORDER BY seq DESC LIMIT 1", [run_id, username]).fetchone()
    try:
        details = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return None
    return details.get("packs") if isinstance(details, dict) else None


def add_signoff(cat: Catalog, run_id: str, username: str, role: str, decision: str,
                note: str | None = None, packs: dict[str, str] | None = None) -> str:
    """Store the committee's sign-off of a whole run; any other role is refused, and so is a
    duplicate (the same user's latest sign-off of this run already has this decision, resting on the
    same packs). ``packs``: the SHA-256 of each pack file the run is checked against, kept in the
    signed log entry (``audits.trust.packs``); a pack that changed since makes a repeat sign-off new."""
    if not access.can(role, "signoff"):
        raise AssayError(f"role '{role}' cannot sign off a run", "only the committee role signs off; "
                         "pass --role committee as a committee member")
    if decision not in DECISIONS:
        raise AssayError(f"sign-off decision '{decision}' is not one of {', '.join(DECISIONS)}",
                         "use --decision approve or --decision reject")
    signoff_id = uuid.uuid4().hex
    stored, sealed = typed.scrub(cat, run_id, {"note": note})
    note = stored["note"]
    with cat.connect(write=True) as con:
        _check_run(con, run_id)
        _check_user_role(con, username, role)
        last = con.execute("SELECT decision FROM signoffs WHERE run_id = ? AND username = ? "
                           "ORDER BY created_at DESC, signoff_id DESC LIMIT 1", [run_id, username]).fetchone()
        if last is not None and last[0] == decision and (not packs or _last_signoff_packs(con, run_id, username) == packs):
            raise AssayError(f"{username} has already signed off run '{run_id}' with '{decision}'",
                             "nothing to record; a changed decision is a new sign-off with the other decision")
        con.execute("INSERT INTO signoffs VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [signoff_id, run_id, username, role, decision, note, _now()])
        sealed_notes.insert(con, run_id, "signoffs", signoff_id, sealed)
        audit_log.append(con, username, "policy.signoff", run_id,
                         {"signoff_id": signoff_id, "decision": decision, "role": role,
                          "note_sha256": typed.digest(note), "raw_sealed": bool(sealed),
                          "sealed_sha256": sealed_notes.digests(sealed), **({"packs": packs} if packs else {})},
                         row=("signoffs", "signoff_id = ?", [signoff_id]))
    return signoff_id


def list_attestations(cat: Catalog, run_id: str, pack: str | None = None, latest: bool = False) -> pd.DataFrame:
    """Attestations of a run, oldest first; ``latest=True`` keeps the newest per (pack, control)."""
    sql = ("SELECT attestation_id, run_id, pack, control_id, username, role, status, note, evidence_link, "
           "evidence_sha256, created_at FROM attestations WHERE run_id = ?")
    params: list[Any] = [run_id]
    if pack is not None:
        sql += " AND pack = ?"
        params.append(pack)
    if latest:
        sql += " QUALIFY row_number() OVER (PARTITION BY pack, control_id ORDER BY created_at DESC, attestation_id) = 1"
    with cat.connect() as con:
        return con.execute(sql + " ORDER BY created_at, attestation_id", params).df()


def list_signoffs(cat: Catalog, run_id: str) -> pd.DataFrame:
    """Sign-offs of a run, oldest first (the newest is the run's current decision)."""
    with cat.connect() as con:
        return con.execute("SELECT signoff_id, run_id, username, role, decision, note, created_at FROM signoffs "
                           "WHERE run_id = ? ORDER BY created_at, signoff_id", [run_id]).df()


def record_report(cat: Catalog, run_id: str, actor: str, path: str, sha256: str, fmt: str,
                  compare: str | None, claim: JsonObject | None = None) -> None:
    """Audit-log entry for a generated report (its SHA-256 makes the file verifiable later); ``claim``:
    the identity provider's role of an actor the catalog does not list (``audits.trust.acts.claim``)."""
    details: JsonObject = {"path": path, "sha256": sha256, "format": fmt, "compare": compare}
    if claim:
        details["claim"] = claim
    with cat.connect(write=True) as con:
        audit_log.append(con, actor, "report.generated", run_id, details)


def signoff_packs(cat: Catalog, run_id: str) -> dict[str, JsonValue]:
    """``{signoff_id: packs}`` from the signed log entries of a run's sign-offs, as the log holds them (``{pack:
    sha256}`` as :func:`add_signoff` writes it; ``None`` where the entry recorded no packs: written before
    sign-offs recorded them)."""
    with cat.connect() as con:
        rows = con.execute("SELECT details FROM audit_log WHERE action = 'policy.signoff' AND target = ? ORDER BY seq",
                           [run_id]).fetchall()
    out: dict[str, JsonValue] = {}
    for (text,) in rows:
        try:
            details = json.loads(text or "{}")
        except ValueError:
            continue
        if isinstance(details, dict) and details.get("signoff_id"):
            out[str(details["signoff_id"])] = details.get("packs")
    return out
