"""Deferred downloads that build only for a session that is still valid when the file is built.

Streamlit keeps a deferred ``download_button``'s builder registered after the page rendered, and
runs it for any request naming its file id, outside the visitor's script run (no session state).
A tab whose session was ended elsewhere (signed out in another tab, the user removed, their
password or role changed, or idle past the timeout) kept buttons that still built the evidence pack
or a table. So the page resolves who is signed in while it renders (:func:`holder`), and the
builder checks, at build time, that this same session still signs that user in and that their
current role still has the permission; otherwise it raises (the browser gets "Failed to generate
file") and nothing is built or logged. A built file's SHA-256 goes into the audit log under the user.

Every kind of session is re-checked: a password session by its token; an OIDC or proxy-header
identity (which the build cannot ask again: it has no browser session) by a download ticket the page
holds (:func:`audits.trust.session.ticket`), which idles out like a session, is ended by Sign out, and
is bound to the account's users row as it was at render (added, changed or deactivated: refused).
Each refusal is written to the server log (``assay.dashboard.downloads``) with the user and the reason.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Any, Callable

from audits.access import User, can
from audits.errors import AssayError

LOG = logging.getLogger("assay.dashboard.downloads")


@dataclass(frozen=True)
class Holder:
    """Who a download is built for, as resolved while the page rendered."""

    user: User
    token: str | None  # the tab's session token (local sign-in) or download ticket (OIDC, proxy); None in demo mode


def holder(user: User) -> Holder:
    """The signed-in user of this script run and their session token or download ticket (read now: the
    build has no session)."""
    import streamlit as st

    from dashboard import auth

    if user.source == "local":
        return Holder(user, st.session_state.get(auth._TOKEN_KEY))
    if user.source == "demo":
        return Holder(user, None)
    return Holder(user, auth.download_ticket(user))


def check(cat: Any, who: Holder, action: str) -> User:
    """``who.user`` with their current role when they may still do ``action`` now; else AssayError."""
    from audits.store.queries.users import get_user, users_configured
    from audits.trust import session

    user = who.user
    if user.source == "demo":
        if users_configured(cat):
            raise AssayError("this page was opened in demo mode, but the catalog has users now",
                             "sign in and open the page again")
        return user
    if user.source == "local":
        session.resume(cat, who.token)  # signed out, revoked, expired, account changed: SessionRefused
    else:  # OIDC, proxy header: the ticket the page held (idle, signed out, account changed: SessionRefused)
        session.check_ticket(cat, who.token, user.name)
    row = get_user(cat, user.name)
    # an OIDC/proxy user the catalog does not list keeps the role the page gave them (the ticket says the
    # account is unchanged since); a listed one gets their current row's
    role = str(row["role"]) if row is not None else (user.role if user.source != "local" else None)
    if role is None:
        raise AssayError(f"user {user.name!r} is no longer an active user of this catalog", "sign in again")
    current = User(user.name, role, user.source)
    if not can(current, action):
        raise AssayError(f"user {user.name!r} ({role}) may not {action.replace('_', ' ')} any more",
                         "ask an admin for a role that may")
    return current


def claim_of(cat: Any, user: User) -> dict[str, str] | None:
    """The identity provider's role of an OIDC/proxy user the catalog does not list, for the log entry
    (verify checks the act against it: ``audits.trust.acts``); None for a listed or local user."""
    from audits.store.queries.users import get_user
    from audits.trust.acts import claim

    return claim(user.source, user.role, get_user(cat, user.name) is not None)


def record(cat: Any, run_id: str | None, actor: str, file_name: str, payload: bytes, fmt: str,
           claim: dict[str, str] | None = None) -> None:
    """A dashboard download in the audit log: its file name and SHA-256 under the user it was built for
    (with ``claim``, the role an unlisted OIDC/proxy user held by the provider's claim)."""
    from audits.store.queries import policies as policies_q

    policies_q.record_report(cat, run_id, actor, f"dashboard download {file_name}",
                             hashlib.sha256(payload).hexdigest(), fmt, None, claim)


def builder(cat: Any, who: Holder, action: str, fn: Callable[[User], Any], run_id: str | None,
            file_name: str, fmt: str, log: bool = True) -> Callable[[], bytes]:
    """A ``download_button`` builder: checks ``who`` may still ``action``, builds ``fn(user)`` (with the
    user's current role) and logs the bytes (``log=False`` where ``fn`` logs them itself)."""
    def build() -> bytes:
        try:
            user = check(cat, who, action)
        except AssayError as err:
            LOG.warning("download %s refused for %s (%s session): %s", file_name, who.user.name, who.user.source,
                        err.problem)
            raise
        data = fn(user)
        payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        if log:
            record(cat, run_id, user.name, file_name, payload, fmt, claim_of(cat, user))
        return payload
    return build
