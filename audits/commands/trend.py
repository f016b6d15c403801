"""`assay trend AUDIT [--metric M ...] [--task T] [--json]`: every complete run of an audit in period
order, each metric with its interval, a trend test over the runs and the most likely change point.

The trend test of a rate (exact binomial intervals: events / n known) is Cochran-Armitage on the
counts, a clustered run at its effective n (``audits.stats.rate_trend_test``); of any other metric,
weighted least squares of the per-run estimates on the run's position (``audits.stats.trend_test``);
each series' line names its test; the change point is the split
with the largest jump in weighted mean, Bonferroni over the splits. Both are Holm-corrected over
the metrics shown. Exit 0 (a trend is evidence, not a gate; policy packs read
``trend.<metric>.slope``); 2 on a user error.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the query module loads numpy and pandas; the CLI builds its parser without them
    from audits.store.queries.trends import TrendReport


def register(subparsers, common) -> None:
    p = subparsers.add_parser("trend", parents=[common],
                              help="metrics of every run of an audit in period order, with a trend test")
    p.add_argument("audit", help="audit name (as in the config's name:)")
    p.add_argument("--metric", "-m", action="append", default=[], help="metric(s) to show (default: all)")
    p.add_argument("--task", "-t", default=None, help="only this task")
    p.add_argument("--json", action="store_true", help="machine-readable trends")
    p.set_defaults(func=_trend)


def _fmt(v: Any) -> str:
    return "—" if v is None or v != v else f"{v:.4g}"


def holm_family(body: TrendReport) -> str:
    """How many tests the Holm correction is over: the distinct series (identical ones counted once)."""
    series, same = body["series"], body.get("same_as") or {}
    shown = len(series) if isinstance(series, (list, dict)) else 0
    size = body.get("family_size", shown)
    if size == shown:
        return f"Holm over {shown} metric(s)"
    pairs = same.items() if isinstance(same, dict) else ()
    return (f"Holm over {size} distinct series ({shown} shown; "
            + ", ".join(f"{k} = {v}" for k, v in pairs) + ": the same numbers, counted once)")


def format_trends(body: TrendReport) -> str:
    runs = body["runs"]
    lines = [f"audit {body['audit']}: {len(runs)} run(s) in period order: "
             + ", ".join(f"{r['period']} ({r['run_id']})" for r in runs),
             f"trend test: {body['test']}; change point: {body['change_test']}; {holm_family(body)}"]
    if body.get("superseded"):  # reruns of a period: one point per period, its latest run
        lines.insert(1, "not counted (a later run of the same period supersedes them): " + ", ".join(
            f"{r['run_id']} ({r['period']}, superseded by {r['by']})" for r in body["superseded"]))
    for key, s in body["series"].items():
        pts = "  ".join(f"{p['period']} {_fmt(p['value'])} [{_fmt(p['ci_low'])}, {_fmt(p['ci_high'])}] n={p['n']}"
                        for p in s["points"])
        lines.append(f"\n{key}: {pts}")
        if s["slope"] is None:
            lines.append("  trend: needs at least 3 runs with a value")
        else:
            verdict = "SIGNIFICANT" if s["significant"] else "not significant"
            lines.append(f"  trend: slope {_fmt(s['slope'])} per run (95% CI [{_fmt(s['slope_low'])}, "
                         f"{_fmt(s['slope_high'])}]), p={_fmt(s['p_value'])}, Holm p={_fmt(s['p_adjusted'])}: {verdict} "
                         f"({str(s.get('method', '')).split(' (')[0]})")  # which test: counts for a rate
        if s["change"]:
            after = runs[s["change_after"]]["period"]
            lines.append(f"  change point after {after}: {_fmt(s['change_size'])} (Holm p={_fmt(s['change_p_adjusted'])})")
    return "\n".join(lines)


def _trend(args) -> int:
    from audits.store.catalog import Catalog
    from audits.store.queries.trends import audit_trends

    body = audit_trends(Catalog(args.catalog, create=False), args.audit, args.metric, args.task)
    print(json.dumps(body, indent=2, default=str) if args.json else format_trends(body))
    return 0
