"""`assay check RUN [--policy PACK ...] [--json] [--strict]`: the policy checklist, a CI gate.

Without ``--policy`` the run's own packs (its config's ``policy:``) are checked. An automatic
control is decided on its one-sided confidence bound (control ``confidence``, default 0.95):
``rate <= t`` passes when the upper bound is below t, fails when the lower bound is above it,
otherwise inconclusive, with the number of samples that would decide it.

Exit codes: 0 nothing failed and something was decided (no-data and unattested manual controls
are listed, not failed); 1 an automatic control failed; 3 nothing failed but a control is
inconclusive (``--strict``: 1 instead), or nothing was decided at all (every control no-data or
awaiting attestation: 3 with or without ``--strict``); 2 a user error.
"""

from __future__ import annotations

import json

from audits.store.catalog import Catalog

SYMBOL = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "no-data": "NO-DATA",
          "needs-attestation": "NEEDS-ATTESTATION", "attested": "ATTESTED"}
EXIT_PASS, EXIT_FAIL, EXIT_INCONCLUSIVE = 0, 1, 3


def register(subparsers, common) -> None:
    p = subparsers.add_parser("check", parents=[common],
                              help="evaluate policy packs against a run (exit 1 if an automatic control fails, "
                                   "3 if one is inconclusive or nothing was decided)")
    p.add_argument("run_id")
    p.add_argument("--policy", "-p", action="append", metavar="PACK",
                   help="a shipped pack (eu-ai-act, nist-ai-rmf, gdpr-ccpa, internal-llm) or a pack YAML path; "
                        "repeatable (default: the packs the run's config names)")
    p.add_argument("--json", action="store_true", help="machine-readable checklist")
    p.add_argument("--strict", action="store_true", help="treat an inconclusive control as a failure (exit 1)")
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
            if it.bound is not None and it.bound_side and it.n is not None:  # an estimate, not a fact of the run
                measured += f" ({it.bound_side} {it.confidence or 0.95:.0%} bound {_value(it.bound)}, n={it.n or '—'})"
        lines.append(f"  {SYMBOL.get(it.status, it.status):<18} {it.control_id:<14} {it.title}{measured}")
        if it.detail and it.status != "pass":
            lines.append(f"  {'':<18} {'':<14} {it.detail}")
    c = checklist.counts
    lines.append("\n" + ", ".join(f"{n} {s}" for s, n in c.items() if n))
    if checklist.failed:
        lines.append("RESULT: FAIL (an automatic control failed)")
    elif checklist.inconclusive:
        lines.append("RESULT: INCONCLUSIVE (nothing failed; a control needs more samples to decide)")
    elif checklist.nothing_decided:
        lines.append("RESULT: INCONCLUSIVE (nothing decided: every control has no data or awaits attestation)")
    else:
        lines.append("RESULT: OK (no automatic control failed)")
    return "\n".join(lines)


def control_rows(checklist) -> list[dict]:
    """Per control: what it is (title, check, area, severity) and its verdict with the task that
    decided it, and that task's value, bound (side, method, confidence), threshold, n and n needed
    (the --json contract: one row says everything a reader needs without the items)."""
    return [{"pack": it.pack, "control_id": it.control_id, "title": it.title, "kind": it.kind,
             "expression": it.expression, "area": it.area, "severity": it.severity, "verdict": it.status,
             "task": it.task, "value": it.value, "bound": it.bound, "bound_side": it.bound_side,
             "method": it.method, "threshold": it.threshold, "confidence": it.confidence, "n": it.n,
             "n_needed": it.n_needed, "detail": it.detail}
            for it in checklist.items]


def exit_code(checklist, strict: bool = False) -> int:
    """1 on a failure (or, with ``strict``, an inconclusive control); 3 when a control is
    inconclusive or nothing at all was decided; else 0."""
    if checklist.failed or (strict and checklist.inconclusive):
        return EXIT_FAIL
    return EXIT_INCONCLUSIVE if checklist.inconclusive or checklist.nothing_decided else EXIT_PASS


def _notify(cat: Catalog, checklist, sources: list[str] | None) -> list:
    """Send the alerts of every checked pack with a ``notify:`` block; each delivery is in the audit log."""
    from audits.identity import os_login
    from audits.store.queries import runs as runs_q
    from policies import load_pack
    from policies.notify import send_alerts

    packs = [load_pack(s) for s in (sources or runs_q.get_results(cat, checklist.run_id).policy or checklist.packs)]
    if not any(p.notify for p in packs):
        return []
    return send_alerts(cat, checklist, packs, runs_q.get_run(cat, checklist.run_id), os_login())


def _check(args) -> int:
    from policies import evaluate_run

    cat = Catalog(args.catalog, create=False)
    checklist = evaluate_run(cat, args.run_id, args.policy)
    _notify(cat, checklist, args.policy)  # alerts that packs' notify: blocks ask for (policies/notify.py)
    from audits.trust.packs import signoff_warning

    changed = signoff_warning(cat, args.run_id)  # a pack the latest sign-off rested on was edited since
    if args.json:
        body = {**checklist.to_dict(), "signoff_warning": changed, "controls": control_rows(checklist),
                "exit_code": exit_code(checklist, args.strict)}  # the typed checklist, and what the command adds
        print(json.dumps(body, indent=2, default=str))
    else:
        print(format_checklist(checklist))
        if changed:
            print(f"SIGN-OFF: {changed}")
    return exit_code(checklist, args.strict)
