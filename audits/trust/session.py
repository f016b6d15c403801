"""Dashboard sign-in sessions: signed, bound to one catalog and one users row, idle-expiring, revocable.

A token is ``v2.<payload>.<key id>.<signature>``. The installation's ed25519 key signs the payload
``{"c": catalog id, "u": user name, "r": created_at of the user's latest users row, "s": session id,
"i": issued at, "t": last seen}`` (JSON, base64url), so a token cannot be forged or stretched without
the key. :func:`resume` accepts a token only when all of these hold, and otherwise raises a one-line
:class:`SessionRefused` saying which:

- it is signed by a key this installation trusts and names this catalog (a token for another
  catalog is refused as such);
- it was seen less than the idle timeout ago (``$ASSAY_SESSION_IDLE_MINUTES``, default 30) and issued
  less than :data:`MAX_HOURS` ago; activity re-issues it with a new "last seen" (:func:`refreshed`);
- its session id was not ended (:func:`end`, e.g. sign-out: a ``session.ended`` entry in the signed
  audit log), so every copy of it (a second tab, a copied cookie) stops working at once;
- the user's latest users row is still the one it was issued for: a password, role or OS-account
  change and a removal each append a users row, so each ends every session of that user.

Validation only reads the catalog; only ending a session early writes (one log entry).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from dataclasses import dataclass
from typing import Any, Mapping

from cryptography.exceptions import InvalidSignature

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.trust import keys

IDLE_ENV = "ASSAY_SESSION_IDLE_MINUTES"
IDLE_MINUTES = 30.0    # default idle timeout
MAX_HOURS = 8.0        # no session outlives this, however active
REFRESH_S = 60         # activity re-issues a token whose "last seen" is older than this
_VERSION = "v2"
_SIGN_IN_AGAIN = "sign in again"


class SessionRefused(AssayError):
    """A session token that does not (or no longer) sign anyone in; the message says why."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem, _SIGN_IN_AGAIN)


@dataclass(frozen=True)
class Session:
    """What a valid token says: who, on which catalog, since when (epoch seconds)."""

    catalog_id: str
    name: str
    user_row: str   # created_at of the users row the session was issued for (ISO)
    session_id: str
    issued: int
    seen: int


def idle_seconds(env: Mapping[str, str] | None = None) -> float:
    """The idle timeout in seconds ($ASSAY_SESSION_IDLE_MINUTES, default 30 minutes)."""
    raw = (os.environ if env is None else env).get(IDLE_ENV)
    if raw is None or not raw.strip():
        return IDLE_MINUTES * 60
    try:
        minutes = float(raw)
    except ValueError:
        minutes = -1.0
    if not 0 < minutes <= MAX_HOURS * 60:
        raise AssayError(f"{IDLE_ENV}={raw!r} is not a number of minutes between 0 and {MAX_HOURS * 60:.0f}",
                         f"set {IDLE_ENV} to e.g. 30, or unset it")
    return minutes * 60


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signed(body: bytes) -> bytes:
    return b"assay-session|" + _VERSION.encode() + b"|" + body


def _encode(s: Session) -> str:
    body = json.dumps({"c": s.catalog_id, "u": s.name, "r": s.user_row, "s": s.session_id,
                       "i": s.issued, "t": s.seen}, sort_keys=True, separators=(",", ":")).encode()
    private = keys.signing_key()
    return f"{_VERSION}.{_b64(body)}.{keys.key_id(private.public_key())}.{_b64(private.sign(_signed(body)))}"


def _now(now: float | None) -> int:
    return int(time.time() if now is None else now)


def issue(catalog_id: str, name: str, user_row: str, now: float | None = None) -> str:
    """A new session token (fresh session id) for ``name`` on this catalog, issued for ``user_row``."""
    t = _now(now)
    return _encode(Session(catalog_id, name, user_row, secrets.token_hex(16), t, t))


def decode(token: str | None, catalog_id: str, now: float | None = None, idle_s: float | None = None,
           timed: bool = True) -> Session:
    """The session a token carries when its signature, catalog and (``timed``) times are good; else
    SessionRefused. Does not read the catalog (see :func:`resume` for revocation and the users row)."""
    parts = (token or "").split(".")
    if len(parts) != 4 or parts[0] != _VERSION:
        raise SessionRefused("this session token is not valid (malformed or from an older Assay)")
    _, body_b64, kid, sig = parts
    public = keys.trusted_keys().get(kid)
    try:
        body = _unb64(body_b64)
        if public is None:
            raise InvalidSignature
        public.verify(_unb64(sig), _signed(body))
        data: JsonObject = json.loads(body)
        s = Session(str(data["c"]), str(data["u"]), str(data["r"]), str(data["s"]), int(data["i"]), int(data["t"]))
    except (InvalidSignature, ValueError, KeyError, TypeError):
        raise SessionRefused("this session token is not valid (not signed by this installation)") from None
    if s.catalog_id != catalog_id:
        raise SessionRefused("this session token is for another catalog")
    if not timed:
        return s
    t, idle = _now(now), idle_seconds() if idle_s is None else idle_s
    if t - s.issued > MAX_HOURS * 3600:
        raise SessionRefused(f"your session expired ({MAX_HOURS:g} hours after sign-in)")
    if t - s.seen > idle:
        raise SessionRefused(f"your session expired after {idle / 60:g} minutes without activity")
    return s


def user_row(cat: Any, name: str) -> str | None:
    """created_at of ``name``'s latest users row while it is active (the row a session is bound to)."""
    from audits.store.queries.users import get_user

    user = get_user(cat, name)
    return None if user is None else str(user["created_at"])


def start(cat: Any, name: str, now: float | None = None) -> str:
    """A token for ``name``, who has just signed in, bound to their current users row."""
    row = user_row(cat, name)
    if row is None:
        raise AssayError(f"user {name!r} is not an active user of this catalog", "ask an admin to add the user")
    return issue(cat.catalog_id, name, row, now)


def resume(cat: Any, token: str | None, now: float | None = None, idle_s: float | None = None) -> Session:
    """The session ``token`` carries on ``cat`` when it still signs its user in; else SessionRefused."""
    from audits.store.queries import sessions

    s = decode(token, cat.catalog_id, now, idle_s)
    reason = sessions.revoked(cat, s.session_id, s.name)
    if reason:
        raise SessionRefused(f"this session was {reason}")
    row = user_row(cat, s.name)
    if row is None:
        raise SessionRefused(f"user {s.name!r} is no longer an active user of this catalog")
    if row != s.user_row:
        raise SessionRefused(f"the account {s.name!r} changed (password, role or access) since this session began")
    return s


def account_state(cat: Any, name: str) -> str:
    """created_at of ``name``'s latest users row, active or not, or ``"none"``: what a ticket of a user
    the catalog may not list (OIDC, proxy header) is bound to, so adding, changing or removing them ends it."""
    from audits.store.queries.users import get_user

    user = get_user(cat, name, include_inactive=True)
    return "none" if user is None else str(user["created_at"])


def ticket(cat: Any, name: str, old: str | None, now: float | None = None) -> str:
    """A download ticket for ``name`` (signed in by OIDC or a proxy header on this render): ``old``
    renewed (same session id, "last seen" now, the account's current state) while it is still valid,
    else a new one. Builds check it with :func:`check_ticket`; sign-out ends it with :func:`end`."""
    from audits.store.queries import sessions

    state = account_state(cat, name)
    try:
        s = decode(old, cat.catalog_id, now)
        if s.name != name or sessions.revoked(cat, s.session_id, s.name):
            raise SessionRefused("another session")
    except SessionRefused:
        return issue(cat.catalog_id, name, state, now)
    return _encode(Session(s.catalog_id, name, state, s.session_id, s.issued, _now(now)))


def check_ticket(cat: Any, token: str | None, name: str, now: float | None = None) -> Session:
    """The ticket's session when it still stands for ``name`` now: signed for this catalog, not idle past
    the timeout nor older than MAX_HOURS, not ended (signed out), and the account unchanged since the
    page rendered (no users row added, changed or deactivated); else SessionRefused."""
    from audits.store.queries import sessions

    s = decode(token, cat.catalog_id, now)
    if s.name != name:
        raise SessionRefused("this download was rendered for another user")
    reason = sessions.revoked(cat, s.session_id, s.name)
    if reason:
        raise SessionRefused(f"this session was {reason}")
    if account_state(cat, name) != s.user_row:
        raise SessionRefused(f"the account {name!r} changed (role or access) since this page was opened")
    return s


def refreshed(s: Session, now: float | None = None) -> str | None:
    """A re-issued token (same session, "last seen" now) once the current one is REFRESH_S old, else None."""
    t = _now(now)
    if t - s.seen < REFRESH_S:
        return None
    return _encode(Session(s.catalog_id, s.name, s.user_row, s.session_id, s.issued, t))


def end(cat: Any, token: str | None, reason: str = "signed out") -> bool:
    """End the session ``token`` carries (every copy of it), whatever its state; False for a token that
    names no session of this catalog (nothing to end)."""
    from audits.store.queries import sessions

    try:
        s = decode(token, cat.catalog_id, timed=False)
    except SessionRefused:
        return False
    sessions.revoke(cat, s.session_id, s.name, reason)
    return True
