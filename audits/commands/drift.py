"""`assay drift RUN_A RUN_B [--task T] [--column C ...] [--permutations N] [--seed S] [--json]`: do
the inputs of two runs come from the same distribution (``audits.drift.input_drift``)?

Prints ``drift: true``, ``drift: false`` or, when the runs are too small for any test to reach
significance, ``drift: inconclusive``, and each test with its statistic, p-value and Holm-
adjusted p-value. Exit 0 (drift is evidence; packs gate on ``drift.inputs``); 2 on a user error.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # audits.drift loads numpy and pandas; the CLI builds its parser without them
    from audits.drift import DriftReport


def register(subparsers, common) -> None:
    from audits.commands.run import permutations_int, seed_int

    p = subparsers.add_parser("drift", parents=[common], help="input drift between two runs (embeddings, lengths, fields)")
    p.add_argument("run_a", help="the earlier run")
    p.add_argument("run_b", help="the later run")
    p.add_argument("--task", "-t", default=None, help="only this task's inputs")
    p.add_argument("--column", "-c", action="append", default=[], help="another categorical column to test (repeatable)")
    p.add_argument("--permutations", type=permutations_int, default=1000,
                   help="permutations for the MMD p-value (default 1000, at most 100000)")
    p.add_argument("--seed", type=seed_int, default=1234, help="permutation and subsampling seed (default 1234)")
    p.add_argument("--floor", action="append", default=[], metavar="KIND=VALUE",
                   help="practical floor an effect must reach to count as drift (embeddings=0.01 eta², "
                        "categories=0.1 Cramér's V, lengths=0.08 KS D by default; 0 = significance alone)")
    p.add_argument("--json", action="store_true", help="machine-readable result")
    p.set_defaults(func=_drift)


def _fmt(v: Any) -> str:
    return "—" if v is None else f"{v:.4g}"


def format_drift(body: DriftReport) -> str:
    verdict = str(body["drift"]).lower() if body.get("detectable", True) else "inconclusive"
    lines = [f"drift: {verdict}  ({body['run_a']} n={body['n_a']} -> {body['run_b']} n={body['n_b']}; "
             f"Holm over {len(body['tests'])} tests, alpha {body['alpha']})"]
    if not body.get("detectable", True):
        lines.append(f"  too few inputs to tell: the smallest p-value these tests could give at n={body['n_a']} and "
                     f"{body['n_b']} is {body['smallest_p_adjusted']:.3g} after correction, not below {body['alpha']}; "
                     "no drift was detectable, which is not evidence of none")
    for t in body["tests"]:
        # small: significant, below the floor; n.s.: not significant (absence of evidence, not sameness)
        mark = "DRIFT" if t["drift"] else ("small" if t.get("significant") else "n.s. ")
        lines.append(f"  {mark} {t['name']:<28} {t['test']}: statistic {_fmt(t['statistic'])}, p={_fmt(t['p_value'])}, "
                     f"Holm p={_fmt(t['p_adjusted'])}, {t.get('effect_size') or 'effect'} {_fmt(t.get('effect'))} "
                     f"(floor {_fmt(t.get('floor'))})" + (f" ({t['detail']})" if t["detail"] else ""))
    return "\n".join(lines)


def _drift(args) -> int:
    from audits.drift import input_drift
    from audits.store.catalog import Catalog

    from audits.store.queries.runs import get_run

    from audits.errors import AssayError

    floors: dict[str, float] = {}
    for item in args.floor:
        kind, _, value = item.partition("=")
        try:
            floors[kind.strip()] = float(value)
        except ValueError:
            raise AssayError(f"--floor '{item}' is not KIND=NUMBER", "e.g. --floor embeddings=0.02") from None
    cat = Catalog(args.catalog, create=False)
    body = input_drift(cat, args.run_a, args.run_b, task=args.task,
                       columns=args.column, n_permutations=args.permutations, seed=args.seed, floors=floors)
    audits = [get_run(cat, run_id)["audit"] for run_id in (args.run_a, args.run_b)]
    body["audits"] = audits
    if audits[0] != audits[1]:  # legitimate (are two audits' inputs alike?), but never a quarter-on-quarter reading
        print(f"note: {args.run_a} is a run of audit '{audits[0]}' and {args.run_b} of audit '{audits[1]}'; this "
              "compares two audits' inputs, not one audit's population over time", file=sys.stderr)
    print(json.dumps(body, indent=2, default=str) if args.json else format_drift(body))
    return 0
