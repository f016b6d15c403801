"""Who may do what: the one role/permission table, and the reads that respect it.

Every front door (CLI, dashboard, policies, reports, exports) asks :func:`can` / :func:`require`
here; nothing else compares role names to decide a permission. Roles themselves come from the
signed audit log's record of the ``users`` table (:func:`audits.store.queries.users.current_role`),
never from a flag; who is acting on the command line is settled in :mod:`audits.commands._identity`.
Read helpers take the acting user and drop the columns that user may not see. Nothing here falls
back to a stronger role when something fails: it raises. No SQL, no prompts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from audits.errors import AssayError
from audits.identity import os_login  # noqa: F401  (re-exported: the real uid's login, used by the runner too)

ROLES = ("viewer", "reviewer", "committee", "compliance", "admin")

# action -> roles allowed. `attest` is further limited to the control's owner role (see can()).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "view": ROLES,
    "review": ("reviewer", "committee", "admin"),
    "adjudicate": ("committee", "admin"),
    "export_retraining": ("reviewer", "committee", "compliance", "admin"),
    "export": ("committee", "compliance", "admin"),
    "attest": ("committee", "compliance", "admin"),
    "signoff": ("committee",),
    "view_raw_pii": ("admin",),
    "manage_users": ("admin",),
    "erase": ("admin",),
}

# Columns that hold raw personal data: shown only to roles with `view_raw_pii`.
RAW_COLUMNS: dict[str, tuple[str, ...]] = {
    "findings": ("value",),
    "samples": ("raw_input", "raw_prediction", "raw_reference"),
}


@dataclass(frozen=True)
class User:
    """A person acting on the catalog. ``source``: password | os | oidc | header | local | demo."""

    name: str
    role: str
    source: str = "local"


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AssayError(f"unknown role {role!r}", f"use one of: {', '.join(ROLES)}")
    return role


def can(user: User | str, action: str, owner_role: str | None = None) -> bool:
    """Whether ``user`` (or a role name) may do ``action``. For ``attest``, pass the control's owner
    role: only that role may attest it. Unknown actions are a bug (ValueError)."""
    role = user if isinstance(user, str) else user.role
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}")
    if action == "attest" and owner_role is not None:
        return role == owner_role
    return role in PERMISSIONS[action]


def require(user: User, action: str, owner_role: str | None = None) -> User:
    """``user`` when allowed, else AssayError naming the roles that may."""
    if not can(user, action, owner_role):
        allowed = owner_role if action == "attest" and owner_role else " or ".join(PERMISSIONS[action])
        raise AssayError(f"user {user.name!r} ({user.role}) may not {action.replace('_', ' ')}",
                         f"act as a user with the role {allowed}")
    return user


# -- reads that respect the user ------------------------------------------------------------

def visible(user: User, table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` without the raw personal-data columns ``user`` may not see."""
    if can(user, "view_raw_pii"):
        return frame
    hidden = [c for c in RAW_COLUMNS.get(table, ()) if c in frame.columns]
    return frame.drop(columns=hidden) if hidden else frame


def read_table(cat: Any, user: User, run_id: str, table: str, **kwargs: Any) -> pd.DataFrame:
    """A run's evidence table as ``user`` may see it. Raw text kept encrypted (``store_raw``) is
    joined back for roles with `view_raw_pii` on whole-table reads; every other role never gets it."""
    from audits.store import bundle_reader
    from audits.trust import rawstore

    require(user, "view")
    frame = bundle_reader.read_table(cat, run_id, table, **kwargs)
    if can(user, "view_raw_pii") and not kwargs and table in RAW_COLUMNS:
        frame = rawstore.with_raw(frame, rawstore.read_raw(bundle_reader.bundle_dir(cat, run_id), run_id), table)
    return visible(user, table, frame)


def export_table(cat: Any, user: User, run_id: str, table: str) -> pd.DataFrame:
    """A run's evidence table for export by ``user`` (needs `export`; raw columns dropped unless allowed)."""
    require(user, "export")
    return read_table(cat, user, run_id, table)


def export_bytes(cat: Any, user: User, run_id: str, table: str, fmt: str) -> bytes:
    """``export_table`` as CSV or Parquet bytes (the dashboard's downloads)."""
    import io

    frame = export_table(cat, user, run_id, table)
    if fmt == "parquet":
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False)
        return buf.getvalue()
    if fmt != "csv":
        raise AssayError(f"unknown export format '{fmt}'", "use csv or parquet")
    return frame.to_csv(index=False).encode("utf-8")


def roles_with(action: str) -> Iterable[str]:
    return PERMISSIONS[action]
