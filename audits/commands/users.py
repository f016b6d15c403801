"""`assay users add NAME --role ROLE [--password-stdin] [--os-user LOGIN]`, `assay users list`,
`assay users remove NAME`.

Changing users changes who may act on the evidence, so it needs an authenticated admin
(`--by NAME` with `$ASSAY_PASSWORD` or a prompt, or an OS account mapped to an admin). The one
exception is the very first user of a catalog whose signed log never created one, which must be an
admin (bootstrap, logged). Wiping the users table does not reopen the bootstrap: users come from
the signed log, and a managed catalog with no valid user refuses everyone.
"""

from __future__ import annotations

import getpass
import sys

from audits.access import User, require
from audits.commands._identity import PASSWORD_ENV, cli_user
from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import users as uq


def register(subparsers, common) -> None:
    p = subparsers.add_parser("users", parents=[common], help="manage dashboard users and their roles")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION")
    sub.required = True

    a = sub.add_parser("add", parents=[common], help="add a user, or change a user's role, password or OS login")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=uq.ROLES)
    a.add_argument("--password-stdin", action="store_true", help="read the new user's password from standard input")
    a.add_argument("--no-password", action="store_true",
                   help="no local password (SSO / proxy / OS-login only; an existing password is kept)")
    a.add_argument("--os-user", metavar="LOGIN", help="let this OS account act as the user on the command line")
    a.add_argument("--by", default=None,
                   help=f"the admin making the change (password from ${PASSWORD_ENV} or a prompt; "
                        "default: the admin mapped to your OS account)")
    a.set_defaults(func=_add)

    ls = sub.add_parser("list", parents=[common], help="list current users and roles")
    ls.add_argument("--all", action="store_true", help="include deactivated users")
    ls.set_defaults(func=_list)

    r = sub.add_parser("remove", parents=[common], help="deactivate a user (kept in the history)")
    r.add_argument("name")
    r.add_argument("--by", default=None, help="the admin making the change (as for `users add`)")
    r.set_defaults(func=_remove)


def _admin(cat: Catalog, args, bootstrap_role: str | None = None) -> User:
    """The authenticated admin acting, or (first user of a catalog only) the bootstrap admin."""
    if bootstrap_role is not None and not uq.users_configured(cat):
        if bootstrap_role != "admin":
            raise AssayError("the first user of a catalog must be an admin", "run `assay users add NAME --role admin`")
        return User(args.name, "admin", "bootstrap")
    return require(cli_user(cat, args.by), "manage_users")


def _read_password(args) -> str | None:
    if args.no_password:
        return None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    elif sys.stdin.isatty():
        password = getpass.getpass(f"password for {args.name}: ")
        if getpass.getpass("again: ") != password:
            raise AssayError("the two passwords differ", "run the command again")
    else:
        raise AssayError("no password given and standard input is not a terminal",
                         "pipe it with --password-stdin, or pass --no-password for SSO/proxy-only users")
    if not password:
        raise AssayError("the password is empty", "give a password of at least 8 characters")
    return password


def _add(args) -> int:
    cat = Catalog(args.catalog)
    admin = _admin(cat, args, bootstrap_role=args.role)
    existed = uq.get_user(cat, args.name) is not None
    if existed and args.role != "admin":
        _keep_an_admin(cat, args.name, f"making it a {args.role}")
    password = _read_password(args)
    if admin.source == "bootstrap" and password is None and not args.os_user:
        raise AssayError("the first admin needs a password or an OS login", "pass --password-stdin or --os-user LOGIN")
    uq.add_user(cat, args.name, args.role, password, actor=admin.name, os_user=args.os_user)
    print(f"{'updated' if existed else 'added'} user {args.name} with role {args.role}"
          + (f" (OS login {args.os_user})" if args.os_user else ""))
    return 0


def _list(args) -> int:
    cat = Catalog(args.catalog, create=False)
    frame = uq.list_users(cat, include_inactive=args.all)
    if frame.empty and uq.users_configured(cat):
        print(f"no valid users: {uq.users_problem(cat) or 'every user is deactivated'} "
              "(the dashboard and the CLI refuse everyone; run `assay verify`)")
        return 0
    if frame.empty:
        print("no users — the dashboard runs as a local admin and the CLI refuses evidence changes; "
              "add the first admin with `assay users add NAME --role admin`")
        return 0
    for r in frame.itertuples():
        state = "" if r.active else "  (deactivated)"
        login = f"  os:{r.os_user}" if isinstance(r.os_user, str) and r.os_user else ""
        print(f"{r.username:<32} {r.role:<11} since {r.created_at:%Y-%m-%d %H:%M}{login}{state}")
    return 0


def _remove(args) -> int:
    cat = Catalog(args.catalog, create=False)
    admin = _admin(cat, args)
    _keep_an_admin(cat, args.name, "deactivating it")
    uq.deactivate_user(cat, args.name, actor=admin.name)
    print(f"deactivated user {args.name}")
    return 0


def _keep_an_admin(cat: Catalog, name: str, change: str) -> None:
    """Refuse a change that leaves no active admin: nobody could add, re-activate or erase afterwards, and the
    bootstrap does not reopen (the catalog was locked for good by one command)."""
    users = uq.list_users(cat)
    admins = set(users.loc[users["role"] == "admin", "username"]) if not users.empty else set()
    if admins == {name}:
        raise AssayError(f"{name} is the only active admin; {change} would leave no one who can add, re-activate or "
                         "remove users, or erase a run", "add another admin first (`assay users add NAME --role admin`)")
