"""Dashboard sessions that were ended before they expired (sign-out), as entries of the signed audit log.

A session token (:mod:`audits.trust.session`) is validated without writing anything; ending one early
appends a ``session.ended`` entry naming the token's random session id, so every copy of that token (a
second tab, a copied cookie) stops working at once. Being in the hash-chained, signed log, an ending
cannot be deleted without ``assay verify`` failing; and the key dir remembers it (signed, beside the
witnesses), so a copy of the catalog taken before the sign-out does not accept the token either.
"""

from __future__ import annotations

from audits.store.catalog import Catalog
from audits.store.queries import audit_log

ENDED = "session.ended"


def revoke(cat: Catalog, session_id: str, username: str, reason: str) -> None:
    """Record that ``session_id`` (of ``username``) ended; a second call for the same id adds nothing."""
    with cat.connect(write=True) as con:
        if _reason(con, session_id, username) is None:
            audit_log.append(con, username, ENDED, username, {"session_id": session_id, "reason": reason})


def revoked(cat: Catalog, session_id: str, username: str) -> str | None:
    """Why ``session_id`` of ``username`` was ended (e.g. ``signed out``), or None while it is live."""
    with cat.connect() as con:
        return _reason(con, session_id, username)


def _reason(con, session_id: str, username: str) -> str | None:  # type: ignore[no-untyped-def]
    """From the verified, signed log (:mod:`user_log`), never a plain query of ``audit_log``: deleting the
    ``session.ended`` entry must not revive the token (a long-running dashboard caches the verified
    prefix, and a fresh process refuses a log with an entry cut out)."""
    from audits.store.queries import user_log
    from audits.trust import account_witness

    reason = user_log.trusted_state(con).ended.get((username, session_id))
    if reason is not None:
        return reason
    elsewhere = account_witness.session_ended_elsewhere(audit_log.catalog_id(con) or "legacy", username, session_id)
    if elsewhere is None:
        return None
    return (f"signed out at {elsewhere['ts'][:19]} UTC (log entry {elsewhere['seq']}) in another copy of this "
            "catalog, which this file lacks: it is an older copy")
