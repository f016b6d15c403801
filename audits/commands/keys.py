"""`assay keys show` / `assay keys rotate` / `assay keys adopt`: the installation's signing key (outside the
catalog), and the one explicit act that signs a legacy log (written before signed checkpoints) as it stands."""

from __future__ import annotations

from audits.access import require
from audits.commands._identity import add_identity_args, cli_reader
from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("keys", parents=[common], help="show or rotate the installation's signing key")
    sub = p.add_subparsers(dest="keys_command", metavar="ACTION")
    sub.required = True
    s = sub.add_parser("show", parents=[common], help="where the keys are, the current key and the trusted ones")
    s.set_defaults(func=_show)
    r = sub.add_parser("rotate", parents=[common],
                       help="make a new signing key current (old public keys stay trusted; logged)")
    add_identity_args(r, "the admin rotating")
    r.set_defaults(func=_rotate)
    a = sub.add_parser("adopt", parents=[common],
                       help="sign a log written before signed checkpoints as it stands (once; logged)")
    a.set_defaults(func=_adopt)


def _show(args) -> int:
    from audits.trust import keys

    trusted = keys.trusted_keys()
    current = keys.key_id(keys.signing_key().public_key())
    print(f"key directory: {keys.key_dir()}")
    for kid in sorted(trusted):
        print(f"  {kid}{'  (current)' if kid == current else ''}")
    return 0


def _rotate(args) -> int:
    from audits.store.queries import audit_log
    from audits.trust import keys

    cat = Catalog(args.catalog, create=False)
    user = require(cli_reader(cat, args.user, args.password_stdin), "manage_users")
    old, new = keys.rotate()
    with cat.connect(write=True) as con:  # the first checkpoint signed with the new key
        audit_log.append(con, user.name, "key.rotated", None, {"old_key_id": old, "new_key_id": new})
    print(f"signing key rotated: {old} -> {new} (checkpoints signed with {old} still verify)")
    return 0


def _adopt(args) -> int:
    """Sign a legacy log (written before checkpoints; never signed here) as it stands: an explicit act of the
    operator who holds the key, never a side effect of the next write. No user can be checked first: a
    legacy log's users are trusted only once it is signed."""
    from audits.errors import AssayError
    from audits.identity import os_login
    from audits.store.queries import audit_log
    from audits.trust import checkpoint

    cat = Catalog(args.catalog, create=False)
    cid = cat.catalog_id
    with cat.connect(write=True) as con:
        if not checkpoint.legacy_unsigned(con, cid, cat.path):
            raise AssayError(f"{cat.path} has no unsigned legacy audit log to adopt",
                             "nothing to do (`assay verify` checks the signed log)")
        entries = len(audit_log.entries(con))
        with checkpoint.adopting():
            audit_log.append(con, os_login(), "log.adopted", None, {"entries": entries})
    print(f"signed the legacy audit log of {cat.path} as it stands ({entries} entries) — entry {entries + 1}")
    return 0
