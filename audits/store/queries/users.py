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
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import audit_log

ROLES = ("viewer", "reviewer", "committee", "compliance", "admin")
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


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AssayError(f"unknown role {role!r}", f"use one of: {', '.join(ROLES)}")
    return role


_LATEST = ("SELECT username, role, password_hash, created_at, active FROM users "
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
        frame = con.execute(f"SELECT username, role, created_at, active FROM ({_LATEST}) ORDER BY username").df()
    return frame if include_inactive else frame[frame["active"]].reset_index(drop=True)


def has_users(cat: Catalog) -> bool:
    """Whether any active user exists (none: the dashboard runs as a local demo admin)."""
    with cat.connect() as con:
        row = con.execute(f"SELECT count(*) FROM ({_LATEST}) WHERE active").fetchone()
    return bool(row and row[0])


def add_user(cat: Catalog, username: str, role: str, password: str | None = None, actor: str = "cli") -> None:
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
        prev = con.execute(f"SELECT role, password_hash, active FROM ({_LATEST}) WHERE username = ?",
                           [username]).fetchone()
        stored = new_hash or (prev[1] if prev else NO_PASSWORD)
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?, TRUE)", [username, role, stored, _now()])
        action = "user.added" if prev is None or not prev[2] else "user.changed"
        audit_log.append(con, actor, action, username,
                         {"role": role, "previous_role": prev[0] if prev else None,
                          "password_changed": new_hash is not None})


def deactivate_user(cat: Catalog, username: str, actor: str = "cli") -> None:
    """Revoke a user's access (a new, inactive row)."""
    with cat.connect(write=True) as con:
        prev = con.execute(f"SELECT role, password_hash FROM ({_LATEST}) WHERE username = ? AND active",
                           [username]).fetchone()
        if prev is None:
            raise AssayError(f"user {username!r} does not exist or is already inactive", "list users with `assay users list`")
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?, FALSE)", [username, prev[0], prev[1], _now()])
        audit_log.append(con, actor, "user.deactivated", username, {"role": prev[0]})


def authenticate(cat: Catalog, username: str, password: str) -> dict[str, Any] | None:
    """The user (username, role) when the password matches an active account, else None."""
    user = get_user(cat, username)
    if user is None or not check_password(password, user["password_hash"]):
        return None
    return {"username": user["username"], "role": user["role"]}
