"""`assay attest` (a manual policy control, with evidence) and `assay signoff` (the committee)."""

from __future__ import annotations

from audits.store.catalog import Catalog


def register(subparsers, common) -> None:
    p = subparsers.add_parser("attest", parents=[common], help="attest a manual policy control of a run, with evidence")
    p.add_argument("run_id")
    p.add_argument("--policy", "-p", required=True, metavar="PACK", help="pack name or YAML path")
    p.add_argument("--control", required=True, help="control id, e.g. GDPR-35-DPIA")
    p.add_argument("--user", required=True, help="who attests")
    p.add_argument("--role", required=True, choices=["viewer", "reviewer", "committee", "compliance", "admin"],
                   help="the role you act in; must be the control's attestation role")
    p.add_argument("--note", required=True, help="what was checked, and where")
    p.add_argument("--link", help="evidence URL")
    p.add_argument("--file", help="evidence file (its SHA-256 is stored, not the file)")
    p.add_argument("--reject", action="store_true", help="record that the control is NOT met")
    p.set_defaults(func=_attest)

    p = subparsers.add_parser("signoff", parents=[common], help="committee sign-off of a whole run")
    p.add_argument("run_id")
    p.add_argument("--user", required=True)
    p.add_argument("--role", required=True, help="must be committee")
    p.add_argument("--decision", required=True, choices=["approve", "reject"])
    p.add_argument("--note", help="the committee's reasoning")
    p.set_defaults(func=_signoff)


def _attest(args) -> int:
    from policies import attest

    cat = Catalog(args.catalog, create=False)
    attestation_id = attest(cat, args.run_id, args.policy, args.control, args.user, args.role, note=args.note,
                            link=args.link, file=args.file, status="rejected" if args.reject else "attested")
    print(f"{'rejected' if args.reject else 'attested'} {args.control} on run {args.run_id} "
          f"as {args.user} ({args.role}) — attestation {attestation_id}")
    return 0


def _signoff(args) -> int:
    from policies import signoff

    cat = Catalog(args.catalog, create=False)
    signoff_id = signoff(cat, args.run_id, args.user, args.role, args.decision, args.note)
    print(f"{args.decision} of run {args.run_id} by {args.user} ({args.role}) recorded — sign-off {signoff_id}")
    return 0
