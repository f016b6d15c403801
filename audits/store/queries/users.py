"""Local users and their roles (the embedded identity provider).

The ``users`` table is append-only: adding a user, changing a role or a password, or
deactivating someone is a new row and a signed audit-log entry that records the row's SHA-256.
A user is what the signed log last recorded (:mod:`audits.store.queries.user_log`): a row the log
never recorded, or one edited since, is not a user. Passwords are stored
only as salted scrypt hashes (``scrypt$n$r$p$salt$hash``). Every change is an audit-log entry.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from audits.access import ROLES, check_role  # noqa: F401  (re-exported)
from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.records import UserRecord
from audits.store.queries import audit_log

_NAME = re.compile(r"^[A-Za-z0-9_.@+-]{1,64}$")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1}
NO_PASSWORD = "!"  # an account that cannot sign in with a password (e.g. SSO / proxy identities)
MIN_PASSWORD = 8


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def hash_password(password: str) -> str:
    """A salted scrypt hash of ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """Constant-time comparison of ``password`` against a stored hash."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(digest) // 2)
    return hmac.compare_digest(got.hex(), digest)


def _trusted(con: Any):
    from audits.store.queries import user_log

    return user_log.trusted_state(con)


def _row(con: Any, logged: Any) -> UserRecord | None:
    from audits.store.queries import user_log

    record = user_log.matching_row(con, logged)
    if record is None:
        return None
    record["active"] = bool(record["active"]) and logged.active  # the log's word (an older copy's user is not)
    return {k: record[k] for k in ("username", "role", "password_hash", "created_at", "active", "os_user")}


def _current(con: Any, include_inactive: bool = False) -> list[UserRecord]:
    """Every user whose row the signed log recorded (its latest entry), sorted by name."""
    state = _trusted(con)
    rows = [_row(con, logged) for _, logged in sorted(state.users.items())]
    return [r for r in rows if r is not None and (r["active"] or include_inactive)]


def get_user(cat: Catalog, username: str, include_inactive: bool = False) -> UserRecord | None:
    """The user's current row (username, role, password_hash, created_at, active, os_user), or None.

    Only a row the signed audit log recorded counts: a row inserted or edited in SQL is not a user."""
    with cat.connect() as con:
        logged = _trusted(con).users.get(username)
        user = _row(con, logged) if logged is not None else None
    if user is None:
        return None
    return user if user["active"] or include_inactive else None


def list_users(cat: Catalog, include_inactive: bool = False) -> pd.DataFrame:
    """Current users (username, role, created_at, active, os_user), without password hashes."""
    with cat.connect() as con:
        rows = _current(con, include_inactive)
    columns = ["username", "role", "created_at", "active", "os_user"]
    return pd.DataFrame([{c: r[c] for c in columns} for r in rows], columns=columns)


def has_users(cat: Catalog) -> bool:
    """Whether any active user exists (per the signed log)."""
    with cat.connect() as con:
        return bool(_current(con))


def users_configured(cat: Catalog) -> bool:
    """Whether the catalog manages users: its log ever created one (or a users row exists at all).
    Then there is no demo admin, and no valid user means everyone is refused."""
    with cat.connect() as con:
        if _trusted(con).ever:
            return True
        return bool(con.execute("SELECT count(*) FROM users").fetchone()[0])


def users_problem(cat: Catalog) -> str | None:
    """Why no one can act on a managed catalog (None when some user is valid, or it is unmanaged)."""
    with cat.connect() as con:
        state = _trusted(con)
        rows = con.execute("SELECT count(*) FROM users").fetchone()[0]
        if not state.ever and not rows:
            return None
        if _current(con):
            return None
        if any(u.active for u in state.users.values()):
            return "no users row matches the signed audit log (rows were deleted or edited outside Assay)"
        if not state.ever:
            return "the users table has rows that the signed audit log never recorded"
        return "every user of this catalog is deactivated"


def add_user(cat: Catalog, username: str, role: str, password: str | None = None, actor: str = "cli",
             os_user: str | None = None) -> None:
    """Add a user or change their role/password (a new row). A new user without a password can
    only sign in through SSO or the proxy header; an existing user keeps their password."""
    if not _NAME.match(username or ""):
        raise AssayError(f"invalid user name {username!r}",
                         "use 1-64 letters, digits or . _ @ + - (e.g. an e-mail address)")
    check_role(role)
    if password is not None and len(password) < MIN_PASSWORD:
        raise AssayError(f"the password for {username!r} is shorter than {MIN_PASSWORD} characters",
                         "choose a longer password")
    new_hash = hash_password(password) if password is not None else None
    with cat.connect(write=True) as con:
        logged = _trusted(con).users.get(username)
        prev = _row(con, logged) if logged is not None else None
        stored = new_hash or (prev["password_hash"] if prev else NO_PASSWORD)
        mapped = os_user if os_user is not None else (prev["os_user"] if prev else None)
        now = _now()
        con.execute("INSERT INTO users (username, role, password_hash, created_at, active, os_user) "
                    "VALUES (?, ?, ?, ?, TRUE, ?)", [username, role, stored, now, mapped or None])
        action = "user.added" if prev is None or not prev["active"] else "user.changed"
        audit_log.append(con, actor, action, username,
                         {"role": role, "previous_role": prev["role"] if prev else None,
                          "password_changed": new_hash is not None, "os_user": mapped or None},
                         row=("users", "username = ? AND created_at = ?", [username, now]))


def deactivate_user(cat: Catalog, username: str, actor: str = "cli") -> None:
    """Revoke a user's access (a new, inactive row)."""
    with cat.connect(write=True) as con:
        logged = _trusted(con).users.get(username)
        prev = _row(con, logged) if logged is not None else None
        if prev is None or not prev["active"]:
            raise AssayError(f"user {username!r} does not exist or is already inactive", "list users with `assay users list`")
        now = _now()
        con.execute("INSERT INTO users (username, role, password_hash, created_at, active, os_user) "
                    "VALUES (?, ?, ?, ?, FALSE, ?)", [username, prev["role"], prev["password_hash"], now,
                                                     prev["os_user"]])
        audit_log.append(con, actor, "user.deactivated", username, {"role": prev["role"], "os_user": prev["os_user"]},
                         row=("users", "username = ? AND created_at = ?", [username, now]))


# -- sign-in: throttled, constant-time -------------------------------------------------------

MAX_FAILURES = 5            # failed attempts within LOCKOUT_WINDOW lock the name ...
LOCKOUT_WINDOW_S = 15 * 60  # ... for this long after the last failure
_DUMMY_HASH = hash_password(secrets.token_hex(8))  # unknown names cost the same scrypt as wrong passwords


def locked_until(cat: Catalog, username: str) -> datetime | None:
    """When a locked-out name may try again, or None when it is not locked. The failures come from
    the signed audit log (deleting ``sign_in_attempts`` rows does not reset a lockout)."""
    since = _now() - timedelta(seconds=LOCKOUT_WINDOW_S)
    with cat.connect() as con:
        recent = [ts for ts in _trusted(con).failures.get(username[:64], []) if ts > since]
    if len(recent) >= MAX_FAILURES:
        return max(recent) + timedelta(seconds=LOCKOUT_WINDOW_S)
    return None


def _record_attempt(cat: Catalog, username: str, ok: bool) -> None:
    from audits.store.queries import user_log

    name, now = username[:64], _now()
    with cat.connect(write=True) as con:
        con.execute("INSERT INTO sign_in_attempts VALUES (?, ?, ?)", [name, now, ok])
        audit_log.append(con, name, user_log.SIGNED_IN if ok else user_log.SIGN_IN_FAILED, name, {},
                         row=("sign_in_attempts", "username = ? AND ts = ?", [name, now]))


def authenticate(cat: Catalog, username: str, password: str) -> UserRecord | None:
    """The user (username, role) when the password matches an active account, else None.

    Every failure costs one scrypt whether or not the name exists; after MAX_FAILURES failures
    in LOCKOUT_WINDOW_S the name is locked (AssayError) until the window passes."""
    until = locked_until(cat, username)
    if until is not None:
        check_password(password, _DUMMY_HASH)
        raise AssayError(f"sign-in for {username!r} is locked after {MAX_FAILURES} failed attempts",
                         f"wait until {until:%H:%M:%S} UTC, or ask an admin")
    user = get_user(cat, username)
    stored = user["password_hash"] if user is not None and user["password_hash"] != NO_PASSWORD else _DUMMY_HASH
    ok = check_password(password, stored) and user is not None and stored is not _DUMMY_HASH
    _record_attempt(cat, username, ok)
    if not ok:
        return None
    return {"username": user["username"], "role": user["role"]}


def user_for_os_account(cat: Catalog, os_user: str) -> UserRecord | None:
    """The active user an admin mapped to this OS account (``assay users add --os-user``), or None."""
    with cat.connect() as con:
        rows = [r for r in _current(con) if r["os_user"] == os_user]
    if len(rows) != 1:
        return None
    return {"username": rows[0]["username"], "role": rows[0]["role"]}


# -- the acting user's role, per the signed log (asked inside a transaction) -------------------

def current_role(con: Any, username: str) -> str | None:
    """The role of ``username`` when the signed audit log says they are active and their users row
    is the one it recorded, else None (inside a transaction)."""
    from audits.store.queries import user_log

    logged = user_log.trusted_state(con).users.get(username)
    if logged is None or not logged.active or user_log.matching_row(con, logged) is None:
        return None
    return logged.role


def check_acting_role(con: Any, username: str, role: str) -> None:
    """Inside a write transaction: when the catalog manages users, ``username`` must be active now and
    hold ``role`` per the signed log (a removed, demoted or forged user is refused)."""
    from audits.store.queries import user_log

    if not username or not str(username).strip():
        raise AssayError("no user name given", "pass --user NAME")
    if not user_log.trusted_state(con).ever and not con.execute("SELECT count(*) FROM users").fetchone()[0]:
        return  # an unmanaged catalog (library use, demos): entry points authenticate before calling
    held = current_role(con, username)
    elsewhere = user_log.trusted_state(con).changed_elsewhere.get(username) if held is None else None
    if elsewhere:
        raise AssayError(elsewhere, "act on the current catalog, not an older copy of it")
    if held is None:
        raise AssayError(f"user '{username}' is not an active user of this catalog", "ask an admin to add the user")
    if held != role:
        raise AssayError(f"user '{username}' does not hold the role '{role}' (holds: {held})",
                         "act with the role the users table gives you")
