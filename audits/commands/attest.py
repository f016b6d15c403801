"""`assay attest` (a manual policy control, with evidence) and `assay signoff` (the committee).

Both change evidence, so both authenticate (a password or an admin-mapped OS account); the
role is the one the users table gives the user, never a flag.
"""

from __future__ import annotations

from audits.access import ROLES
from audits.commands._identity import add_identity_args, cli_acting
from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("attest", parents=[common], help="attest a manual policy control of a run, with evidence")
    p.add_argument("run_id")
    p.add_argument("--policy", "-p", required=True, metavar="PACK", help="pack name or YAML path")
    p.add_argument("--control", required=True, help="control id, e.g. GDPR-35-DPIA")
    add_identity_args(p, "who attests")
    p.add_argument("--role", choices=ROLES, help="optional check: refuse unless the users table gives you this role")
    p.add_argument("--note", required=True, help="what was checked, and where")
    p.add_argument("--link", help="evidence URL")
    p.add_argument("--file", help="evidence file (its SHA-256 is stored, not the file)")
    p.add_argument("--reject", action="store_true", help="record that the control is NOT met")
    p.set_defaults(func=_attest)

    p = subparsers.add_parser("signoff", parents=[common], help="committee sign-off of a whole run")
    p.add_argument("run_id")
    add_identity_args(p, "the committee member signing off")
    p.add_argument("--role", choices=ROLES, help="optional check: refuse unless the users table gives you this role")
    p.add_argument("--decision", required=True, choices=["approve", "reject"])
    p.add_argument("--note", help="the committee's reasoning")
    p.add_argument("--policy", action="append", metavar="PACK",
                   help="a policy pack the decision rests on besides those the run's config names "
                        "(name or YAML path; repeatable): its SHA-256 is signed with the sign-off")
    p.set_defaults(func=_signoff)


def _attest(args) -> int:
    from policies import attest

    cat = Catalog(args.catalog, create=False)
    user = cli_acting(cat, args)
    attestation_id = attest(cat, args.run_id, args.policy, args.control, user.name, user.role, note=args.note,
                            link=args.link, file=args.file, status="rejected" if args.reject else "attested")
    print(f"{'rejected' if args.reject else 'attested'} {args.control} on run {args.run_id} "
          f"as {user.name} ({user.role}) — attestation {attestation_id}")
    return 0


def _signoff(args) -> int:
    from policies import signoff

    cat = Catalog(args.catalog, create=False)
    user = cli_acting(cat, args)
    signoff_id = signoff(cat, args.run_id, user.name, user.role, args.decision, args.note, shown=args.policy)
    print(f"{args.decision} of run {args.run_id} by {user.name} ({user.role}) recorded — sign-off {signoff_id}")
    return 0
