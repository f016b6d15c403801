"""`assay plan CONFIG [--policy PACK] [--limit N] [--expect METRIC=VALUE] [--json]`: how many
samples each task needs for a conclusive verdict on each policy control, before any inference.

Expected values come from ``--expect`` (``metric=0.9`` or ``task.metric=0.9``) or else from the
latest complete run of the same audit in the catalog (its value, interval and design effect).
A control of the form ``metric op number`` is planned with ``audits.stats.n_needed`` (exact
binomial power for rates, normal approximation for means; 80% power at the control's
confidence); the data set (after ``--limit``) is compared with it and a warning printed when it
is too small to decide. Exit 0 (a plan is advice, not a gate); 2 on a user error.
"""

from __future__ import annotations

import ast
import json
import math
from typing import Any

from audits.errors import AssayError
from audits.jsontypes import JsonObject

_RATES = ("accuracy", "exact_match", "selection_rate")
_SCANNER_PREFIX = {"pii": "pii_", "toxicity": "toxicity_", "counterfactual": "counterfactual_"}


def register(subparsers, common) -> None:
    from audits.commands.run import positive_int

    p = subparsers.add_parser("plan", parents=[common],
                              help="samples each task needs for conclusive policy verdicts (no inference)")
    p.add_argument("config", help="audit config (YAML)")
    p.add_argument("--policy", "-p", action="append", default=[], metavar="PACK",
                   help="policy pack(s) to plan for (default: the config's 'policy' list)")
    p.add_argument("--limit", type=positive_int, default=None, help="plan for at most N samples per task")
    p.add_argument("--expect", action="append", default=[], metavar="METRIC=VALUE",
                   help="expected value, e.g. accuracy=0.9 or support-qa.toxicity_rate=0.002 (repeatable)")
    p.add_argument("--json", action="store_true", help="machine-readable plan")
    p.set_defaults(func=_plan)


def _parse_expect(items: list[str]) -> dict[tuple[str | None, str], float]:
    out: dict[tuple[str | None, str], float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not key or not math.isfinite(number):
            raise AssayError(f"--expect {item!r} is not METRIC=VALUE", "write e.g. --expect accuracy=0.9")
        task, _, metric = key.rpartition(".")
        out[(task or None, metric)] = number
    return out


def _simple(expr) -> tuple[tuple[str, ...], str, float] | None:
    """(name path, op, threshold) for ``name op number`` (or ``number op name``), else None."""
    from policies.expr import dotted

    body = expr.tree.body
    flip = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}
    ops = {ast.GtE: ">=", ast.LtE: "<=", ast.Gt: ">", ast.Lt: "<", ast.Eq: "==", ast.NotEq: "!="}
    if not (isinstance(body, ast.Compare) and len(body.ops) == 1 and type(body.ops[0]) in ops):
        return None
    op, left, right = ops[type(body.ops[0])], body.left, body.comparators[0]
    if isinstance(left, ast.Constant) and not isinstance(right, ast.Constant):
        left, right, op = right, left, flip[op]
    path = dotted(left)
    if path is None or not isinstance(right, ast.Constant) or not isinstance(right.value, (int, float)):
        return None
    return path, op, float(right.value)


def _latest_results(args, config) -> tuple[str | None, Any]:
    from pathlib import Path

    from audits.store.catalog import Catalog
    from audits.store.queries import runs as runs_q

    path = args.catalog or __import__("os").environ.get("ASSAY_CATALOG") or "assay.duckdb"
    if not Path(path).exists():
        return None, None
    cat = Catalog(path, create=False)
    runs = runs_q.list_runs(cat, status="complete")
    runs = runs[runs["audit"] == config.name]
    if runs.empty:
        return None, None
    run_id = str(runs.iloc[-1]["run_id"])
    return run_id, runs_q.get_results(cat, run_id)


def _entry(results: Any, task: str, metric: str) -> Any:
    from policies.bounds import _get

    if results is None:
        return None
    tasks = results.tasks if hasattr(results, "tasks") else results.get("tasks") or []
    for t in tasks:
        if _get(t, "name") == task:
            return (_get(t, "metrics") or {}).get(metric)
    return None


def plan_rows(config, prepared, packs, expect, previous) -> list[JsonObject]:
    """One row per (control, task) the plan can say something about (what `assay plan --json` prints)."""
    from audits import stats
    from policies.bounds import _get
    from policies.context import task_key

    rows = []
    for pack in packs:
        for control in pack.controls:
            if control.check is None:
                continue
            simple = _simple(pack.expression(control.id))
            base = {"pack": pack.name, "control_id": control.id, "check": control.check,
                    "confidence": control.confidence}
            if simple is None:
                continue  # compound checks and facts of the run (review coverage, cadence) need no sample size
            path, op, threshold = simple
            if path[0] == "tasks" and len(path) == 3:
                scope = [t for t in config.tasks if task_key(t.name) == path[1]]
                path = path[2:]
            else:
                scope = [t for t in config.tasks if control.applies_to is None
                         or control.applies_to.matches(t.name, t.type)]
            if len(path) != 1:
                continue
            metric = path[0]
            for task in scope:
                entry = _entry(previous, task.name, metric)
                produced = metric in prepared.metrics.get(task.name, []) or entry is not None or any(
                    metric.startswith(pre) for sc, pre in _SCANNER_PREFIX.items() if sc in prepared.config.scanners)
                if not produced:
                    continue
                have = int(len(prepared.data[task.name].frame))
                kind = _get(entry, "kind") or ("rate" if metric in _RATES or metric.endswith("_rate") else "mean")
                expected = expect.get((task.name, metric), expect.get((None, metric)))
                source = "--expect"
                if expected is None and entry is not None and isinstance(_get(entry, "value"), (int, float)):
                    expected, source = float(_get(entry, "value")), "previous run"
                row = {**base, "task": task.name, "metric": metric, "kind": kind, "op": op, "threshold": threshold,
                       "expected": expected, "expected_from": source if expected is not None else None,
                       "n_available": have, "n_needed": None, "status": "no expected value"}
                if op in ("==", "!="):
                    row["status"] = "undecidable"
                    row["advice"] = (f"an equality cannot be shown from a sample at any n; state a tolerance, "
                                     f"e.g. {metric} <= 0.01")
                    rows.append(row)
                    continue
                if expected is None:
                    row["advice"] = f"give --expect {metric}=VALUE, or run once to plan from that run"
                    rows.append(row)
                    continue
                deff = _get(entry, "design_effect") if entry is not None else None
                if kind == "rate":
                    needed = stats.n_needed("rate", expected, threshold, confidence=control.confidence,
                                            design_effect=deff)
                else:
                    n_prev, lo, hi = (_get(entry, k) for k in ("n", "ci_low", "ci_high")) if entry is not None else (None,) * 3
                    level = float(_get(entry, "confidence") or 0.95) if entry is not None else 0.95
                    if not all(isinstance(x, (int, float)) for x in (n_prev, lo, hi)):
                        n_prev, z = 100, 1.959964  # no spread known: assume sd 0.5, the largest for scores in [0, 1]
                        lo, hi, level = expected - z * 0.05, expected + z * 0.05, 0.95
                        row["assumed_sd"] = 0.5
                    # decided on the one-sided bound at the control's confidence (audits.stats._verdict)
                    needed = stats.n_needed(kind, expected, threshold, confidence=control.confidence, n=int(n_prev),
                                            low=float(lo), high=float(hi), interval_confidence=level)
                row["n_needed"] = needed
                if needed is None:
                    row["status"], row["advice"] = "undecidable", "the expected value sits on the threshold"
                elif have >= needed:
                    row["status"] = "enough"
                else:
                    row["status"] = "too small"
                    row["advice"] = (f"need about {needed} samples, the data gives {have}"
                                     + (" (raise or drop --limit)" if prepared_limit(prepared) else ""))
                rows.append(row)
    return rows


def prepared_limit(prepared) -> bool:
    return any(len(td.frame) < (td.n_source or 0) for td in prepared.data.values())


def format_plan(rows: list[JsonObject], run_id: str | None) -> str:
    lines = [f"planning from run {run_id} (expected values) and --expect" if run_id else
             "planning from --expect (no earlier run of this audit in the catalog)"]
    for r in rows:
        exp = "—" if r["expected"] is None else f"{r['expected']:.4g} ({r['expected_from']})"
        need = "—" if r["n_needed"] is None else str(r["n_needed"])
        flag = {"enough": "OK  ", "too small": "WARN", "undecidable": "WARN"}.get(r["status"], "NOTE")
        lines.append(f"{flag} {r['control_id']:<12} {r['task']:<18} {r['metric']} {r['op']} {r['threshold']:g}: "
                     f"expected {exp}, need {need}, have {r['n_available']}"
                     + (f" — {r['advice']}" if r.get("advice") else ""))
    if not rows:
        lines.append("no control of the form 'metric op number' applies to this config's tasks")
    return "\n".join(lines)


def _plan(args) -> int:
    from audits.config import load_config
    from audits.runner import prepare
    from policies import load_pack

    config = load_config(args.config)
    expect = _parse_expect(args.expect)
    prepared = prepare(config, args.limit)
    names = args.policy or list(config.policy)
    if not names:
        raise AssayError("no policy pack to plan for", "pass --policy NAME (e.g. internal-llm) or list packs in the config's 'policy'")
    packs = [load_pack(n) for n in names]
    run_id, previous = _latest_results(args, config)
    rows = plan_rows(config, prepared, packs, expect, previous)
    if args.json:
        print(json.dumps({"previous_run": run_id, "controls": rows}, indent=2, default=str))
    else:
        print(format_plan(rows, run_id))
    return 0
