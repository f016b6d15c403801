"""`assay plan CONFIG [--policy PACK] [--limit N] [--expect METRIC=VALUE] [--json]`: how many
samples each task needs for a conclusive verdict on each policy control, before any inference
(the plan itself is ``audits.planning``; ``sample: {n: plan}`` in a task draws that many).

Expected values come from ``--expect`` (``metric=0.9`` or ``task.metric=0.9``) or else from the
latest complete run of the same audit in the catalog (its value, interval and design effect).
A control of the form ``metric op number`` is planned with ``audits.stats.n_needed`` (exact
binomial power for rates, normal approximation for means; 80% power at the control's
confidence); the data set (after ``--limit``) is compared with it and a warning printed when it
is too small to decide. Exit 0 (a plan is advice, not a gate); 2 on a user error.
"""

from __future__ import annotations

import json
from typing import Any

from audits.errors import AssayError
from audits.jsontypes import JsonObject


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
    p.add_argument("--sd", action="append", default=[], metavar="METRIC=SD",
                   help="a mean's per-sample standard deviation, e.g. decision_logit=2.5 (repeatable; "
                        "needed for a score outside [0, 1] with no earlier run)")
    p.add_argument("--json", action="store_true", help="machine-readable plan")
    p.set_defaults(func=_plan)


def parse_expect(items: list[str]) -> dict[tuple[str | None, str], float]:
    """``--expect METRIC=VALUE`` (or ``task.metric=VALUE``), keyed (task or None, metric)."""
    from audits.planning import parse_metric_values

    return parse_metric_values(items, "--expect", "METRIC=VALUE", "write e.g. --expect accuracy=0.9")


def check_expect(expect: dict[tuple[str | None, str], float], rows: list[JsonObject]) -> None:
    """Every ``--expect`` names a (task,) metric some planned control reads, and a rate lies in [0, 1]:
    a misspelt one was silently replaced by the previous run's value, and 1.5 planned 8 samples."""
    planned = {(str(r["task"]), str(r["metric"])) for r in rows}
    for (task, metric), value in expect.items():
        key = f"{task}.{metric}" if task else metric
        hits = [r for r in rows if r["metric"] == metric and task in (None, r["task"])]
        if not hits:
            names = ", ".join(sorted({m for _, m in planned} | {f"{t}.{m}" for t, m in planned})) or "none"
            raise AssayError(f"--expect {key}={value:g}: no control of these packs plans {metric!r}"
                             + (f" for task {task!r}" if task else "") + f" (planned: {names})",
                             "name a metric (or task.metric) from that list, or drop --expect")
        if any(r["kind"] == "rate" for r in hits) and not 0.0 <= value <= 1.0:
            raise AssayError(f"--expect {key}={value:g}: {metric} is a rate, between 0 and 1",
                             f"give a proportion, e.g. --expect {key}=0.9")


def existing_catalog(args) -> Any:
    """The command's catalog (--catalog, $ASSAY_CATALOG, ./assay.duckdb), or None when it does not
    exist: a plan needs no earlier run."""
    from audits.store.catalog import Catalog, resolve_catalog_path

    path = resolve_catalog_path(getattr(args, "catalog", None))
    return Catalog(path, create=False) if path.exists() else None


def latest_results(args, audit: str) -> tuple[str | None, Any]:
    """The audit's latest complete run in the command's catalog (none when the catalog does not exist)."""
    from audits.planning import latest_results as latest

    catalog = existing_catalog(args)
    return (None, None) if catalog is None else latest(catalog, audit)


def format_plan(rows: list[JsonObject], run_id: str | None) -> str:
    lines = [f"planning from run {run_id} (expected values) and --expect" if run_id else
             "planning from --expect (no earlier run of this audit in the catalog)"]
    for r in rows:
        exp = "—" if r["expected"] is None else f"{r['expected']:.4g} ({r['expected_from']})"
        need = "—" if r["n_needed"] is None else str(r["n_needed"])
        flag = {"enough": "OK  ", "too small": "WARN", "undecidable": "WARN"}.get(r["status"], "NOTE")
        lines.append(f"{flag} {r['control_id']:<12} {r['task']:<18} {r['metric']} {r['op']} {r['threshold']:g}: "
                     f"expected {exp}, need {need}, have {r['n_available']}"
                     + (f" — {r['advice']}" if r.get("advice") else "")
                     + (f" (assumed {r['assumed']})" if r.get("assumed") else ""))
    if not rows:
        lines.append("no control of the form 'metric op number' applies to this config's tasks")
    return "\n".join(lines)


def _plan(args) -> int:
    from audits.config import load_config
    from audits.runner import prepare
    from policies import load_pack

    config = load_config(args.config)
    expect = parse_expect(args.expect)
    prepared = prepare(config, args.limit)
    names = args.policy or list(config.policy)
    if not names:
        raise AssayError("no policy pack to plan for", "pass --policy NAME (e.g. internal-llm) or list packs in the config's 'policy'")
    packs = [load_pack(n) for n in names]
    run_id, previous = latest_results(args, config.name)
    from audits.planning import check_sd, parse_sd, plan_rows

    sd = parse_sd(args.sd)
    rows = plan_rows(prepared, packs, expect, previous, sd)
    check_expect(expect, rows)
    check_sd(sd, rows)
    if args.json:
        print(json.dumps({"previous_run": run_id, "controls": rows}, indent=2, default=str))
    else:
        print(format_plan(rows, run_id))
    return 0
