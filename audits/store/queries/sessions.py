"""Dashboard sessions that were ended before they expired (sign-out): the one table they are checked against.

A session token (:mod:`audits.trust.session`) is validated without writing anything; ending one early
appends a row here, keyed by the token's session id, so every copy of that token (a second tab, a copied
cookie) stops working at once. Rows are only ever added.
"""

from __future__ import annotations

from datetime import datetime, timezone

from audits.store.catalog import Catalog


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def revoke(cat: Catalog, session_id: str, username: str, reason: str) -> None:
    """Record that ``session_id`` (of ``username``) ended; a second call for the same id adds nothing."""
    with cat.connect(write=True) as con:
        con.execute("INSERT INTO session_revocations (session_id, username, revoked_at, reason) "
                    "SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM session_revocations WHERE session_id = ?)",
                    [session_id, username, _now(), reason, session_id])


def revoked(cat: Catalog, session_id: str) -> str | None:
    """Why ``session_id`` was ended (e.g. ``signed out``), or None while it is live."""
    with cat.connect() as con:
        row = con.execute("SELECT reason FROM session_revocations WHERE session_id = ? LIMIT 1",
                          [session_id]).fetchone()
    return row[0] if row else None
