"""Was each signed act done by someone allowed to do it, at that time, per the log?

The log is replayed in order: ``user.*`` entries give each name's role and active flag; every act
(sign-off, attestation, review, flag, erase, export, report, key rotation, user change) is checked
against the permission table of :mod:`audits.access` as it stood at that entry. Before the log
created its first user the catalog was unmanaged (demos, library use): acts are not checked, and
the first user change is the bootstrap.

A user signed in by an identity provider or a trusted proxy whom the catalog does not list acts with
the role of the provider's claim (dashboard downloads only; sign-offs, attestations and reviews need a
users row). Such an act's entry records the claim (``details["claim"] = {"source", "role"}``,
:func:`claim`), and the act is checked against that role, only while the log never listed the name:
once an admin adds, changes or removes the name, its ``user.*`` entries rule.
"""

from __future__ import annotations

from typing import Any

from audits.access import can
from audits.jsontypes import JsonObject

USER_ACTIONS = ("user.added", "user.changed", "user.deactivated")
# log action -> the permission it needs (audits.access.PERMISSIONS)
ACT_PERMISSIONS: dict[str, str] = {
    "policy.signoff": "signoff",
    "policy.attest": "attest",
    "review.label": "review",
    "review.adjudicate": "adjudicate",
    "review.flag": "review",
    "run.erased": "erase",
    "report.generated": "view",
    "key.rotated": "manage_users",
    **{a: "manage_users" for a in USER_ACTIONS},
}


CLAIM_SOURCES = ("oidc", "header")  # identities whose role may come from the provider, not a users row


def claim(source: str, role: str, listed: bool) -> JsonObject | None:
    """What an act's log entry records of a claim-role identity (None for a listed or local user)."""
    return {"source": source, "role": role} if source in CLAIM_SOURCES and not listed else None


def _claimed(action: str, details: JsonObject) -> tuple[str, bool] | None:
    """(role, active) of a download or export act's recorded claim, or None."""
    held = details.get("claim")
    if (action == "report.generated" or action.startswith("export.")) and isinstance(held, dict) \
            and held.get("source") in CLAIM_SOURCES and isinstance(held.get("role"), str):
        return held["role"], True
    return None


def permission_for(action: str) -> str | None:
    if action.startswith("export."):
        return "export_retraining"
    return ACT_PERMISSIONS.get(action)


def check_actors(entries: list[tuple[int, str, str, str | None, JsonObject]]) -> list[str]:
    """One problem per act whose actor was not an active user with a role allowed to do it then.

    ``entries``: (seq, actor, action, target, details) in log order."""
    roles: dict[str, tuple[str, bool]] = {}  # name -> (role, active) as the log stood
    managed = False
    problems: list[str] = []
    for seq, actor, action, target, details in entries:
        need = permission_for(action)
        if need is not None and managed:
            held = roles.get(actor) if actor in roles else _claimed(action, details)
            where = f"audit log: entry {seq} ({action} by {actor!r})"
            if held is None or not held[1]:
                problems.append(f"{where}: {actor!r} was not an active user then")
            elif not can(held[0], need, details.get("role") if action == "policy.attest" else None):
                problems.append(f"{where}: the role {held[0]!r} may not {need.replace('_', ' ')}")
            elif action in ("policy.signoff", "review.label", "review.adjudicate") \
                    and details.get("role") not in (None, held[0]):
                problems.append(f"{where}: recorded the role {details.get('role')!r}, but {actor!r} held {held[0]!r}")
        if action in USER_ACTIONS and target:
            prev = roles.get(target)
            roles[target] = (str(details.get("role") or (prev[0] if prev else "viewer")),
                             action != "user.deactivated")
            managed = True
    return problems


def older_copy_acts(catalog_id: str, entries: list[tuple[int, Any, str, str, str | None, str]]) -> list[str]:
    """One problem per entry written by a user after an account change this installation signed into
    another copy of the catalog (a removal, a new role or password) that this file lacks, with no newer
    change of theirs here: a removed user acting on a copy taken before the removal (even one signed
    with a copy of the key dir taken before it, once the file is verified with this installation's).

    ``entries``: (seq, ts, actor, action, target, hash) in log order."""
    from datetime import datetime

    from audits.trust import account_witness

    hashes = {e[-1] for e in entries}
    missing: dict[str, tuple[datetime, JsonObject]] = {}
    for change in account_witness.account_changes(catalog_id):
        try:
            when = datetime.fromisoformat(change["ts"])
        except ValueError:
            continue
        name = change["username"]
        if change["hash"] not in hashes and (name not in missing or when < missing[name][0]):
            missing[name] = (when, dict(change))
    problems: list[str] = []
    for seq, ts, actor, action, target, _digest in entries:
        if action in USER_ACTIONS and target in missing and ts is not None and ts >= missing[target][0]:
            del missing[target]  # this copy changed them again since: its own entries rule
        gone = missing.get(actor)
        if gone is None or ts is None or ts <= gone[0] or action == "user.sign_in_failed":
            continue
        what = "deactivated" if gone[1]["action"] == "user.deactivated" else "changed"
        problems.append(f"audit log: entry {seq} ({action} by {actor!r}) was written after {actor!r} was {what} at "
                        f"{str(gone[1]['ts'])[:19]} UTC in another copy of this catalog (its log entry "
                        f"{gone[1]['seq']}), which this file lacks: an older copy acted on")
    return problems
