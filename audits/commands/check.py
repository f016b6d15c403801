"""`assay check RUN --policy PACK [--policy PACK...] [--json]`: the policy checklist, a CI gate.

Exit 0 when no automatic control fails, 1 when one does (no-data and unattested manual
controls are listed, not failed), 2 on a user error.
"""

from __future__ import annotations

import json

from audits.store.catalog import Catalog

SYMBOL = {"pass": "PASS", "fail": "FAIL", "no-data": "NO-DATA", "needs-attestation": "NEEDS-ATTESTATION",
          "attested": "ATTESTED"}


def register(subparsers, common) -> None:
    p = subparsers.add_parser("check", parents=[common],
                              help="evaluate policy packs against a run (exit 1 if an automatic control fails)")
    p.add_argument("run_id")
    p.add_argument("--policy", "-p", action="append", required=True, metavar="PACK",
                   help="a shipped pack (eu-ai-act, nist-ai-rmf, gdpr-ccpa, internal-llm) or a pack YAML path; repeatable")
    p.add_argument("--json", action="store_true", help="machine-readable checklist")
    p.set_defaults(func=_check)


def _value(v) -> str:
    return "—" if v is None else f"{v:.4g}"


def format_checklist(checklist) -> str:
    lines = [f"run {checklist.run_id} — packs: {', '.join(checklist.packs)}"]
    pack = None
    for it in checklist.items:
        if it.pack != pack:
            pack = it.pack
            lines.append(f"\n[{pack}]")
        measured = ""
        if it.kind == "check":
            measured = f"  value {_value(it.value)} {it.threshold or ''}".rstrip()
        lines.append(f"  {SYMBOL.get(it.status, it.status):<18} {it.control_id:<14} {it.title}{measured}")
        if it.detail and it.status != "pass":
            lines.append(f"  {'':<18} {'':<14} {it.detail}")
    c = checklist.counts
    lines.append("\n" + ", ".join(f"{n} {s}" for s, n in c.items() if n))
    lines.append("RESULT: FAIL (an automatic control failed)" if checklist.failed else "RESULT: OK (no automatic control failed)")
    return "\n".join(lines)


def _check(args) -> int:
    from policies import evaluate_run

    checklist = evaluate_run(Catalog(args.catalog, create=False), args.run_id, args.policy)
    if args.json:
        print(json.dumps(checklist.to_dict(), indent=2, default=str))
    else:
        print(format_checklist(checklist))
    return 1 if checklist.failed else 0
