"""`assay users add NAME --role ROLE [--password-stdin]`, `assay users list`, `assay users remove NAME`."""

from __future__ import annotations

import getpass
import sys

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import users as uq


def register(subparsers, common) -> None:
    p = subparsers.add_parser("users", parents=[common], help="manage dashboard users and their roles")
    sub = p.add_subparsers(dest="users_command", metavar="ACTION")
    sub.required = True

    a = sub.add_parser("add", parents=[common], help="add a user, or change a user's role or password")
    a.add_argument("name")
    a.add_argument("--role", required=True, choices=uq.ROLES)
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    a.add_argument("--no-password", action="store_true",
                   help="no local password (SSO / proxy sign-in only; an existing password is kept)")
    a.add_argument("--by", default=None, help="who makes the change (audit log; default: $USER)")
    a.set_defaults(func=_add)

    ls = sub.add_parser("list", parents=[common], help="list current users and roles")
    ls.add_argument("--all", action="store_true", help="include deactivated users")
    ls.set_defaults(func=_list)

    r = sub.add_parser("remove", parents=[common], help="deactivate a user (kept in the history)")
    r.add_argument("name")
    r.add_argument("--by", default=None, help="who makes the change (audit log; default: $USER)")
    r.set_defaults(func=_remove)


def _actor(args) -> str:
    import os

    return args.by or os.environ.get("USER") or "cli"


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
    existed = uq.get_user(cat, args.name) is not None
    uq.add_user(cat, args.name, args.role, _read_password(args), actor=_actor(args))
    print(f"{'updated' if existed else 'added'} user {args.name} with role {args.role}")
    return 0


def _list(args) -> int:
    frame = uq.list_users(Catalog(args.catalog, create=False), include_inactive=args.all)
    if frame.empty:
        print("no users — the dashboard runs as a local admin; add one with `assay users add NAME --role ROLE`")
        return 0
    for r in frame.itertuples():
        state = "" if r.active else "  (deactivated)"
        print(f"{r.username:<32} {r.role:<11} since {r.created_at:%Y-%m-%d %H:%M}{state}")
    return 0


def _remove(args) -> int:
    uq.deactivate_user(Catalog(args.catalog, create=False), args.name, actor=_actor(args))
    print(f"deactivated user {args.name}")
    return 0
