"""Who is acting on the command line: ``--user`` / ``--password-stdin`` arguments, password
prompts, and the OS account an admin mapped to a user.

The role always comes from the users table (:mod:`audits.store.queries.users`), never from a flag;
what that role may do is :mod:`audits.access`'s question.
"""

from __future__ import annotations

from typing import Any

from audits.access import User
from audits.errors import AssayError
from audits.identity import os_login
from audits.store.queries import users as users_q

PASSWORD_ENV = "ASSAY_PASSWORD"


def add_identity_args(parser: Any, user_help: str = "your user name (with a password)") -> None:
    """--user and --password-stdin for commands that change evidence."""
    parser.add_argument("--user", help=user_help + "; omit when an admin mapped your OS account "
                        "(`assay users add NAME --os-user LOGIN`)")
    parser.add_argument("--password-stdin", action="store_true",
                        help=f"read your password from the first line of standard input (else ${PASSWORD_ENV}, "
                             "else a prompt)")


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
    if not users_q.users_configured(cat):
        return User(os_login(), "admin", "local")
    return cli_user(cat, username, password_stdin)
