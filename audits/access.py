"""Who may do what: the one role/permission table, and the reads that respect it.

Every entry point (CLI, dashboard, reports, exports) asks here. Roles come from the signed audit
log's record of the ``users`` table (:mod:`audits.store.queries.user_log`: a row the log did not
record is not a user; an inactive latest entry means no access), never from a flag. The CLI's OS
identity is the real uid's login, never an environment variable. Query helpers take the acting user and drop the columns that user may not see.
Nothing here falls back to a stronger role when something fails: it raises.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from audits.errors import AssayError

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
    if held is None:
        raise AssayError(f"user '{username}' is not an active user of this catalog", "ask an admin to add the user")
    if held != role:
        raise AssayError(f"user '{username}' does not hold the role '{role}' (holds: {held})",
                         "act with the role the users table gives you")


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


# -- who is acting on the command line -----------------------------------------------------

PASSWORD_ENV = "ASSAY_PASSWORD"


def add_identity_args(parser: Any, user_help: str = "your user name (with a password)") -> None:
    """--user and --password-stdin for commands that change evidence."""
    parser.add_argument("--user", help=user_help + "; omit when an admin mapped your OS account "
                        "(`assay users add NAME --os-user LOGIN`)")
    parser.add_argument("--password-stdin", action="store_true",
                        help=f"read your password from the first line of standard input (else ${PASSWORD_ENV}, "
                             "else a prompt)")


def os_login() -> str:
    """The login of the process's real uid. Never $LOGNAME/$USER (getpass.getuser reads those, and
    anyone can set them)."""
    import os
    import pwd

    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        raise AssayError(f"uid {os.getuid()} has no account name", "pass --user NAME with a password") from None


def cli_acting(cat: Any, args: Any) -> User:
    """The authenticated person behind a CLI act (``--user``, ``--password-stdin``); ``--role`` is only
    a check against the users table, never a grant."""
    user = cli_user(cat, args.user, args.password_stdin)
    if getattr(args, "role", None) and args.role != user.role:
        raise AssayError(f"user {user.name!r} has the role {user.role!r}, not {args.role!r}",
                         "drop --role (the users table decides), or ask an admin to change the role")
    return user


def cli_user(cat: Any, username: str | None, password_stdin: bool = False) -> User:
    """Authenticate the person running a CLI command that changes evidence.

    A local user's password (``--password-stdin``, ``$ASSAY_PASSWORD`` or a prompt) or, without
    a password, the OS account an admin mapped to a user. The role always comes from the users
    table. A catalog without users has no one to authenticate: refused."""
    import getpass
    import os
    import sys

    from audits.store.queries import users as users_q

    if not users_q.users_configured(cat):
        raise AssayError("this catalog has no users, so no one can be authenticated",
                         "create the first admin with `assay users add NAME --role admin`")
    problem = users_q.users_problem(cat)
    if problem:
        raise AssayError(f"no one can act on this catalog: {problem}",
                         "run `assay verify`; restore the users table from a backup, or re-activate an admin")
    password = None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif os.environ.get(PASSWORD_ENV):
        password = os.environ[PASSWORD_ENV]
    if password is None:
        login = os_login()
        mapped = users_q.user_for_os_account(cat, login)
        if mapped is not None and username in (None, mapped["username"]):
            return User(mapped["username"], mapped["role"], "os")
        if username and sys.stdin.isatty():
            password = getpass.getpass(f"password for {username}: ")
        elif username:
            raise AssayError(f"no password given for {username!r} and standard input is not a terminal",
                             f"pipe it with --password-stdin, or set ${PASSWORD_ENV}")
        else:
            raise AssayError(f"OS account {login!r} is not mapped to an Assay user",
                             "pass --user NAME with your password, or ask an admin to run "
                             f"`assay users add NAME --role ROLE --os-user {login}`")
    if not username:
        raise AssayError("a password was given without a user name", "pass --user NAME")
    found = users_q.authenticate(cat, username, password)
    if found is None:
        raise AssayError(f"wrong user name or password for {username!r}", "check both, or ask an admin to reset it")
    return User(found["username"], found["role"], "password")


def cli_reader(cat: Any, username: str | None, password_stdin: bool = False) -> User:
    """Who reads or exports on the command line: on a catalog without users, the local operator (who
    owns the files anyway) as admin; otherwise an authenticated user, as for evidence changes."""
    from audits.store.queries import users as users_q

    if not users_q.users_configured(cat):
        return User(os_login(), "admin", "local")
    return cli_user(cat, username, password_stdin)
