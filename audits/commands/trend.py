"""`assay trend AUDIT [--metric M ...] [--task T] [--json]`: every complete run of an audit in period
order, each metric with its interval, a trend test over the runs and the most likely change point.

The trend test is weighted least squares of the per-run estimates on the run's position (inverse-
variance weights from each interval; ``audits.stats.trend_test``); the change point is the split
with the largest jump in weighted mean, Bonferroni over the splits. Both are Holm-corrected over
the metrics shown. Exit 0 (a trend is evidence, not a gate; policy packs read
``trend.<metric>.slope``); 2 on a user error.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from audits.errors import AssayError


def register(subparsers, common) -> None:
    p = subparsers.add_parser("trend", parents=[common],
                              help="metrics of every run of an audit in period order, with a trend test")
    p.add_argument("audit", help="audit name (as in the config's name:)")
    p.add_argument("--metric", "-m", action="append", default=[], help="metric(s) to show (default: all)")
    p.add_argument("--task", "-t", default=None, help="only this task")
    p.add_argument("--json", action="store_true", help="machine-readable trends")
    p.set_defaults(func=_trend)


def series_key(task: str, metric: str, tasks: int) -> str:
    """``metric`` when the audit has one task, else ``task.metric``."""
    return metric if tasks == 1 else f"{task}.{metric}"


def audit_trends(cat, audit: str, metrics: list[str] | None = None, task: str | None = None,
                 alpha: float = 0.05) -> dict[str, Any]:
    """Runs in period order, the per-run points of each series and its ``Trend`` (Holm over the series)."""
    from audits import stats
    from audits.store.queries.trends import audit_runs, trend_frame

    runs = audit_runs(cat, audit)
    frame = trend_frame(cat, audit)
    if task is not None:
        if task not in set(frame["task"]):
            raise AssayError(f"audit '{audit}' has no task '{task}'", f"name one of: {', '.join(sorted(set(frame['task'])))}")
        frame = frame[frame["task"] == task]
    if metrics:
        unknown = [m for m in metrics if m not in set(frame["metric"])]
        if unknown:
            raise AssayError(f"audit '{audit}' has no metric '{unknown[0]}'",
                             f"name one of: {', '.join(sorted(set(frame['metric'])))}")
        frame = frame[frame["metric"].isin(metrics)]
    order = {r: i for i, r in enumerate(runs["run_id"])}
    n_tasks = frame["task"].nunique()
    series: dict[str, Any] = {}
    points: dict[str, list[dict[str, Any]]] = {}
    for (tname, metric), rows in frame.groupby(["task", "metric"], sort=True):
        values, low, high = [float("nan")] * len(order), [float("nan")] * len(order), [float("nan")] * len(order)
        for r in rows.itertuples():
            i = order[r.run_id]
            values[i], low[i], high[i] = (float("nan") if v is None else float(v) for v in (r.value, r.ci_low, r.ci_high))
        key = series_key(tname, metric, n_tasks)
        series[key] = (values, low, high)
        points[key] = [{"run_id": r.run_id, "period": r.period, "value": r.value, "ci_low": r.ci_low,
                        "ci_high": r.ci_high, "n": int(r.n)} for r in rows.sort_values("run_id", key=lambda s: s.map(order)).itertuples()]
    trends = stats.trend_family(series, alpha=alpha)
    return {"audit": audit, "runs": [{"run_id": r.run_id, "period": r.period} for r in runs.itertuples()],
            "alpha": alpha, "correction": "holm", "test": stats._trend.WLS, "change_test": stats._trend.CHANGE,
            "series": {t.metric: {**asdict(t), "points": points[t.metric]} for t in trends}}


def _fmt(v: Any) -> str:
    return "—" if v is None or v != v else f"{v:.4g}"


def format_trends(body: dict[str, Any]) -> str:
    runs = body["runs"]
    lines = [f"audit {body['audit']}: {len(runs)} run(s) in period order: "
             + ", ".join(f"{r['period']} ({r['run_id']})" for r in runs),
             f"trend test: {body['test']}; change point: {body['change_test']}; Holm over {len(body['series'])} metric(s)"]
    for key, s in body["series"].items():
        pts = "  ".join(f"{p['period']} {_fmt(p['value'])} [{_fmt(p['ci_low'])}, {_fmt(p['ci_high'])}] n={p['n']}"
                        for p in s["points"])
        lines.append(f"\n{key}: {pts}")
        if s["slope"] is None:
            lines.append("  trend: needs at least 3 runs with a value")
        else:
            verdict = "SIGNIFICANT" if s["significant"] else "not significant"
            lines.append(f"  trend: slope {_fmt(s['slope'])} per run (95% CI [{_fmt(s['slope_low'])}, "
                         f"{_fmt(s['slope_high'])}]), p={_fmt(s['p_value'])}, Holm p={_fmt(s['p_adjusted'])}: {verdict}")
        if s["change"]:
            after = runs[s["change_after"]]["period"]
            lines.append(f"  change point after {after}: {_fmt(s['change_size'])} (Holm p={_fmt(s['change_p_adjusted'])})")
    return "\n".join(lines)


def _trend(args) -> int:
    from audits.store.catalog import Catalog

    body = audit_trends(Catalog(args.catalog, create=False), args.audit, args.metric, args.task)
    print(json.dumps(body, indent=2, default=str) if args.json else format_trends(body))
    return 0
