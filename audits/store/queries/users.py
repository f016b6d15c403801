"""Local users and their roles (the embedded identity provider).

The ``users`` table is append-only: adding a user, changing a role or a password, or
deactivating someone is a new row; the latest row per username wins. Passwords are stored
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


_LATEST = ("SELECT username, role, password_hash, created_at, active, os_user FROM users "
           "QUALIFY row_number() OVER (PARTITION BY username ORDER BY created_at DESC) = 1")


def get_user(cat: Catalog, username: str, include_inactive: bool = False) -> dict[str, Any] | None:
    """The user's current row (username, role, password_hash, created_at, active), or None."""
    with cat.connect() as con:
        row = con.execute(f"SELECT * FROM ({_LATEST}) WHERE username = ?", [username]).df()
    if row.empty:
        return None
    user = row.iloc[0].to_dict()
    user["active"] = bool(user["active"])
    return user if user["active"] or include_inactive else None


def list_users(cat: Catalog, include_inactive: bool = False) -> pd.DataFrame:
    """Current users (username, role, created_at, active), without password hashes."""
    with cat.connect() as con:
        frame = con.execute(f"SELECT username, role, created_at, active, os_user FROM ({_LATEST}) "
                            "ORDER BY username").df()
    return frame if include_inactive else frame[frame["active"]].reset_index(drop=True)


def has_users(cat: Catalog) -> bool:
    """Whether any active user exists."""
    with cat.connect() as con:
        row = con.execute(f"SELECT count(*) FROM ({_LATEST}) WHERE active").fetchone()
    return bool(row and row[0])


def users_configured(cat: Catalog) -> bool:
    """Whether the catalog has ever had users (then it is managed: no demo admin, fail closed)."""
    with cat.connect() as con:
        return bool(con.execute("SELECT count(*) FROM users").fetchone()[0])


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
        prev = con.execute(f"SELECT role, password_hash, active, os_user FROM ({_LATEST}) WHERE username = ?",
                           [username]).fetchone()
        stored = new_hash or (prev[1] if prev else NO_PASSWORD)
        mapped = os_user if os_user is not None else (prev[3] if prev else None)
        now = _now()
        con.execute("INSERT INTO users (username, role, password_hash, created_at, active, os_user) "
                    "VALUES (?, ?, ?, ?, TRUE, ?)", [username, role, stored, now, mapped or None])
        action = "user.added" if prev is None or not prev[2] else "user.changed"
        audit_log.append(con, actor, action, username,
                         {"role": role, "previous_role": prev[0] if prev else None,
                          "password_changed": new_hash is not None, "os_user": mapped or None},
                         row=("users", "username = ? AND created_at = ?", [username, now]))


def deactivate_user(cat: Catalog, username: str, actor: str = "cli") -> None:
    """Revoke a user's access (a new, inactive row)."""
    with cat.connect(write=True) as con:
        prev = con.execute(f"SELECT role, password_hash, os_user FROM ({_LATEST}) WHERE username = ? AND active",
                           [username]).fetchone()
        if prev is None:
            raise AssayError(f"user {username!r} does not exist or is already inactive", "list users with `assay users list`")
        now = _now()
        con.execute("INSERT INTO users (username, role, password_hash, created_at, active, os_user) "
                    "VALUES (?, ?, ?, ?, FALSE, ?)", [username, prev[0], prev[1], now, prev[2]])
        audit_log.append(con, actor, "user.deactivated", username, {"role": prev[0]},
                         row=("users", "username = ? AND created_at = ?", [username, now]))


# -- sign-in: throttled, constant-time -------------------------------------------------------

MAX_FAILURES = 5            # failed attempts within LOCKOUT_WINDOW lock the name ...
LOCKOUT_WINDOW_S = 15 * 60  # ... for this long after the last failure
_DUMMY_HASH = hash_password(secrets.token_hex(8))  # unknown names cost the same scrypt as wrong passwords


def locked_until(cat: Catalog, username: str) -> datetime | None:
    """When a locked-out name may try again, or None when it is not locked."""
    since = _now() - timedelta(seconds=LOCKOUT_WINDOW_S)
    with cat.connect() as con:
        last_ok = con.execute("SELECT max(ts) FROM sign_in_attempts WHERE username = ? AND ok", [username]).fetchone()[0]
        row = con.execute("SELECT count(*), max(ts) FROM sign_in_attempts WHERE username = ? AND NOT ok AND ts > ? "
                          "AND ts > coalesce(?, TIMESTAMP '1970-01-01')", [username, since, last_ok]).fetchone()
    if row[0] >= MAX_FAILURES:
        return row[1] + timedelta(seconds=LOCKOUT_WINDOW_S)
    return None


def _record_attempt(cat: Catalog, username: str, ok: bool) -> None:
    with cat.connect(write=True) as con:
        con.execute("INSERT INTO sign_in_attempts VALUES (?, ?, ?)", [username[:64], _now(), ok])


def authenticate(cat: Catalog, username: str, password: str) -> dict[str, Any] | None:
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


def user_for_os_account(cat: Catalog, os_user: str) -> dict[str, Any] | None:
    """The active user an admin mapped to this OS account (``assay users add --os-user``), or None."""
    with cat.connect() as con:
        rows = con.execute(f"SELECT username, role FROM ({_LATEST}) WHERE active AND os_user = ?", [os_user]).fetchall()
    if len(rows) != 1:
        return None
    return {"username": rows[0][0], "role": rows[0][1]}
