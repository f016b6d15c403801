"""`assay erase RUN --reason TEXT`: crypto-shred a run's raw text (admin; logged).

The bundle is immutable and keeps only redacted text; raw text kept with ``store_raw`` is
encrypted under a per-run key outside the bundle. Erasing destroys that key, so the raw text is
unrecoverable while every hash in the bundle (and the signed log) still verifies. A run that a
sign-off rests on is erased only with ``--reason``, which the log records with the sign-offs.
"""

from __future__ import annotations

from audits.access import add_identity_args, cli_user, require
from audits.errors import AssayError
from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("erase", parents=[common], help="erase a run's raw personal data (destroys its key)")
    p.add_argument("run_id")
    p.add_argument("--reason", help="why (required when a sign-off rests on the run; recorded in the audit log)")
    add_identity_args(p, "the admin erasing")
    p.set_defaults(func=_erase)


def erase_run(cat: Catalog, run_id: str, actor: str, reason: str | None = None) -> bool:
    """Destroy the run's raw-text key and log it in one step; True when raw text existed."""
    from audits.store.queries import audit_log
    from audits.trust import keys

    with cat.connect(write=True) as con:
        if con.execute("SELECT count(*) FROM runs WHERE run_id = ?", [run_id]).fetchone()[0] == 0:
            raise AssayError(f"run '{run_id}' does not exist", "list runs with `assay runs`")
        signoffs = [r[0] for r in con.execute("SELECT signoff_id FROM signoffs WHERE run_id = ?", [run_id]).fetchall()]
        if signoffs and not (reason or "").strip():
            raise AssayError(f"run '{run_id}' has {len(signoffs)} sign-off(s) resting on its evidence",
                             "pass --reason TEXT (recorded with the sign-offs in the audit log) to erase anyway")
        had = keys.run_key(run_id) is not None
        audit_log.append(con, actor, "run.erased", run_id,
                         {"raw_key_destroyed": had, "reason": reason, "signoffs": signoffs})
        if had:
            keys.erase_run_key(run_id)  # inside the transaction: a failure here rolls the log entry back
    return had


def _erase(args) -> int:
    cat = Catalog(args.catalog, create=False)
    user = require(cli_user(cat, args.user, args.password_stdin), "erase")
    had = erase_run(cat, args.run_id, user.name, args.reason)
    print(f"erased the raw text of run {args.run_id} (its key is destroyed; the bundle still verifies)" if had else
          f"run {args.run_id} kept no raw text (store_raw was off); the erasure request is logged")
    return 0
