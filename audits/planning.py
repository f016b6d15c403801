"""How many samples each task needs for a conclusive verdict on each policy control, before any
inference: the plan behind `assay plan`, `sample: {n: plan}` (audits/sampling.py) and
`assay logs import --sample plan`.

A control of the form ``metric op number`` is planned with ``audits.stats.n_needed`` (exact
binomial power for rates, normal approximation for means; 80% power at the control's confidence). A
mean whose expected value and threshold lie in [0, 1] is planned for at least the exact bound of its
score total too, as ``policies.bounds`` decides a mean of [0, 1] scores.
Expected values come from the caller (``--expect``) or from the latest complete run of the same
audit in the catalog (its value, interval and design effect). A mean's spread comes from ``--sd``, else
from that run's interval, else it is assumed: sd 0.5, the largest a score in [0, 1] can have (the row
says so, ``assumed``). A mean whose expected value or threshold lies outside [0, 1] is not such a score
and has no largest spread: with neither ``--sd`` nor an earlier run its row names the input it needs
instead of an n (status ``no spread known``).
"""

from __future__ import annotations

import ast
import math
from dataclasses import dataclass

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.results import MetricSummary, RunResults

_RATES = ("accuracy", "exact_match", "selection_rate")
_SCANNER_PREFIX = {"pii": "pii_", "toxicity": "toxicity_", "counterfactual": "counterfactual_"}


_ATTACK = "attack_success_rate"


def _probe_rows(task, prepared) -> dict[str, int]:
    """A red-team probe task's metrics and the rows each is measured on: ``attack_success_rate`` on all of
    them, ``attack_success_rate_<family>`` on its family's (``audits.scanners.redteam``); {} for other tasks."""
    from audits.redteam.families import metric_for
    from audits.redteam.plan import is_probe_task

    if not is_probe_task(task):
        return {}
    frame = prepared.data[task.name].frame
    rows = {_ATTACK: int(len(frame))}
    if "family" in frame.columns:
        rows.update({metric_for(str(f)): int(n) for f, n in frame["family"].value_counts().items()})
    return rows


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


def latest_results(catalog, audit: str, before: str | None = None) -> tuple[str | None, RunResults | None]:
    """(run id, results) of the audit's latest complete run in ``catalog``, or (None, None); with
    ``before`` (a registered run), only runs started before it, so a resumed run plans as it first did."""
    from audits.store.queries import runs as runs_q

    runs = runs_q.list_runs(catalog, status="complete")
    runs = runs[runs["audit"] == audit]
    if before is not None:
        started = runs_q.get_run(catalog, before)["created_at"]
        runs = runs[runs["created_at"] < started]
    if runs.empty:
        return None, None
    run_id = str(runs.iloc[-1]["run_id"])
    return run_id, runs_q.get_results(catalog, run_id)


def _entry(results: RunResults | None, task: str, metric: str) -> MetricSummary | None:
    """The metric of ``task`` in the previous run's typed results (None when it has none)."""
    if results is None:
        return None
    return next((t.metric(metric) for t in results.tasks if t.name == task), None)


def parse_metric_values(items: list[str], flag: str, form: str, example: str,
                        positive: bool = False) -> dict[tuple[str | None, str], float]:
    """``METRIC=NUMBER`` (or ``task.metric=NUMBER``) items of a repeatable ``flag``, keyed (task or None, metric);
    ``positive``: the number must be above 0. One line otherwise: the item is not ``form``; ``example`` the fix."""
    out: dict[tuple[str | None, str], float] = {}
    for item in items:
        key, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = float("nan")
        if not sep or not key or not math.isfinite(number) or (positive and number <= 0):
            raise AssayError(f"{flag} {item!r} is not {form}", example)
        task, _, metric = key.rpartition(".")
        out[(task or None, metric)] = number
    return out


def parse_sd(items: list[str]) -> dict[tuple[str | None, str], float]:
    """``--sd METRIC=SD`` (or ``task.metric=SD``): the standard deviation of a mean's per-sample scores."""
    return parse_metric_values(items, "--sd", "METRIC=SD with SD a positive number",
                               "write e.g. --sd decision_logit=2.5 (the standard deviation of its per-sample scores)",
                               positive=True)


def check_sd(sd: dict[tuple[str | None, str], float], rows: list[JsonObject]) -> None:
    """Every ``--sd`` names a (task,) mean some planned control reads (a rate's spread follows from its value)."""
    for (task, metric), value in sd.items():
        key = f"{task}.{metric}" if task else metric
        hits = [r for r in rows if r["metric"] == metric and task in (None, r["task"]) and r["kind"] != "rate"]
        if not hits:
            means = sorted({str(r["metric"]) for r in rows if r["kind"] != "rate"}) or ["none"]
            raise AssayError(f"--sd {key}={value:g}: no control of these packs plans a mean {metric!r}"
                             + (f" for task {task!r}" if task else "") + f" (planned means: {', '.join(means)})",
                             "name a mean from that list (a rate's spread follows from its value), or drop --sd")


def plan_rows(prepared, packs, expect, previous, sd=None) -> list[JsonObject]:
    """One row per (control, task) of ``prepared``'s config (red-team probe tasks included) the plan can say
    something about (what `assay plan --json` prints); ``sd`` ({(task or None, metric): sd}, from ``--sd``)
    gives a mean's spread."""
    from audits import stats
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
                scope = [t for t in prepared.config.tasks if task_key(t.name) == path[1]]
                path = path[2:]
            else:
                scope = [t for t in prepared.config.tasks if control.applies_to is None
                         or control.applies_to.matches(t.name, t.type)]
            if len(path) != 1:
                continue
            metric = path[0]
            for task in scope:
                entry = _entry(previous, task.name, metric)
                if metric.startswith(_ATTACK):  # a probe task's rate, or one family's on its own rows
                    probes = _probe_rows(task, prepared)
                    if metric not in probes:
                        continue
                    have, kind = probes[metric], "rate"
                else:
                    produced = metric in prepared.metrics.get(task.name, []) or entry is not None or any(
                        metric.startswith(pre) for sc, pre in _SCANNER_PREFIX.items() if sc in prepared.config.scanners)
                    if not produced:
                        continue
                    have = int(len(prepared.data[task.name].frame))
                    kind = (entry.kind if entry is not None else None) or (
                        "rate" if metric in _RATES or metric.endswith("_rate") else "mean")
                expected = expect.get((task.name, metric), expect.get((None, metric)))
                source = "--expect"
                if expected is None and entry is not None and isinstance(entry.value, (int, float)):
                    expected, source = float(entry.value), "previous run"
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
                deff = entry.design_effect if entry is not None else None
                if kind == "rate" and entry is not None and entry.n_clusters and entry.n:
                    # each cluster counted once where the previous run could not estimate it (audits.stats)
                    # (only then: an estimated design effect's degrees-of-freedom factor is n_needed's to add)
                    if stats.unestimable_correlation(entry.events or 0.0, entry.n, deff, entry.n_clusters):
                        deff = entry.n / stats.effective_n(entry.events or 0.0, entry.n, deff, entry.n_clusters)
                if kind == "rate":
                    needed = stats.n_needed("rate", expected, threshold, confidence=control.confidence,
                                            design_effect=deff, n=entry.n if entry is not None else None,
                                            n_clusters=entry.n_clusters if entry is not None else None)
                    if needed and entry is not None and entry.n_clusters:
                        row["clusters_needed"] = stats.clusters_needed(
                            expected, threshold, confidence=control.confidence, n=entry.n,
                            n_clusters=entry.n_clusters, design_effect=deff)
                else:
                    n_prev, lo, hi = (entry.n, entry.ci_low, entry.ci_high) if entry is not None else (None,) * 3
                    level = float(entry.confidence or 0.95) if entry is not None else 0.95
                    given = (sd or {}).get((task.name, metric), (sd or {}).get((None, metric)))
                    unit = 0.0 <= expected <= 1.0 and 0.0 <= threshold <= 1.0
                    row["sd_from"] = "previous run"
                    if given is not None:  # the caller's sd, as an interval at n 100 (se sd / 10)
                        n_prev, level, row["sd"], row["sd_from"] = 100, 0.95, given, "--sd"
                        lo, hi = (float(x) for x in stats.normal_interval(expected, given / 10, level))
                    elif not all(isinstance(x, (int, float)) for x in (n_prev, lo, hi)) and not unit:
                        # an unbounded score has no largest spread: any sd assumed would make the n up
                        row.update(status="no spread known", sd_from=None, advice=(
                            f"{metric} is not a score in [0, 1], so no spread can be assumed: give --sd {metric}=SD "
                            f"(its per-sample standard deviation) or run a pilot of {stats.MIN_UNBOUNDED_N} or more "
                            f"samples and plan from that run"))
                        rows.append(row)
                        continue
                    elif not all(isinstance(x, (int, float)) for x in (n_prev, lo, hi)):
                        # no spread known: assume sd 0.5 (the largest for scores in [0, 1]) at n 100, se 0.05
                        n_prev, level = 100, 0.95
                        lo, hi = (float(x) for x in stats.normal_interval(expected, 0.05, level))
                        row["assumed_sd"], row["sd_from"] = 0.5, "assumed"
                        row["assumed"] = (f"sd 0.5, the largest for a score in [0, 1]; if {metric} can leave "
                                          f"[0, 1] or you know its spread, give --sd {metric}=SD")
                    # decided on the one-sided bound at the control's confidence (audits.stats._verdict)
                    needed = stats.n_needed(kind, expected, threshold, confidence=control.confidence, n=int(n_prev),
                                            low=float(lo), high=float(hi), interval_confidence=level)
                    if needed and 0.0 <= expected <= 1.0 and 0.0 <= threshold <= 1.0:
                        # scores in [0, 1] are decided on the exact bound of their total (policies.bounds,
                        # stats.bounded_mean_interval): plan for that bound, never fewer than it needs
                        bounded = stats.n_needed("rate", expected, threshold, confidence=control.confidence,
                                                 design_effect=deff)
                        needed = max(needed, bounded or 0)
                    elif needed and kind == "mean":  # unbounded scores: undecided under 30 (stats.skew_reason)
                        needed = max(needed, stats.MIN_UNBOUNDED_N)
                row["n_needed"] = needed
                if needed is None:
                    row["status"], row["advice"] = "undecidable", "the expected value sits on the threshold"
                elif have >= needed:
                    row["status"] = "enough"
                else:
                    row["status"] = "too small"
                    row["advice"] = (f"need about {needed} samples, the data gives {have}"
                                     + (f" (about {row['clusters_needed']} clusters at the previous run's mean "
                                        f"cluster size)" if row.get("clusters_needed") else "")
                                     + (" (raise or drop the limit: --limit, or the task's limit: in the config)"
                                        if prepared_limit(prepared) else ""))
                rows.append(row)
    return rows


def prepared_limit(prepared) -> bool:
    return any(len(td.frame) < (td.n_source or 0) for td in prepared.data.values())


@dataclass(frozen=True)
class PlannedSize:
    """The n a task needs: the largest any control asks for, and which control asks it."""

    task: str
    n: int
    control_id: str
    metric: str
    expected: float
    expected_from: str
    threshold: float
    op: str

    def reason(self) -> str:
        """``control INT-3 needs 412 at exact_match 0.9 (--expect) against >= 0.85``."""
        return (f"control {self.control_id} needs {self.n} at {self.metric} {self.expected:.4g} "
                f"({self.expected_from}) against {self.op} {self.threshold:g}")


def task_size(rows: list[JsonObject], task: str) -> PlannedSize:
    """The largest ``n_needed`` of the plan's rows for ``task``; a one-line AssayError when the plan
    gives none (no control reads the task, or none has an expected value), naming the fix."""
    mine = [r for r in rows if r["task"] == task]
    sized = [r for r in mine if isinstance(r.get("n_needed"), int)]
    if not sized:
        why = ("no control of the form 'metric op number' in the policy packs reads this task" if not mine else
               "; ".join(f"{r['control_id']} ({r['metric']}): {r['status']}" for r in mine))
        raise AssayError(f"task '{task}': sample n 'plan' has no size from the plan — {why}",
                         "give an integer sample n, or an expected value (sample.expect {metric: value} / "
                         "--expect METRIC=VALUE), or run the whole log once to plan from that run")
    top = max(sized, key=lambda r: r["n_needed"])
    return PlannedSize(task, int(top["n_needed"]), str(top["control_id"]), str(top["metric"]),
                       float(top["expected"]), str(top["expected_from"]), float(top["threshold"]), str(top["op"]))
