"""An automatic control evaluated on a run (re-exported by :mod:`policies.engine`).

The check's expression is evaluated per task in its scope (or once, for a run-level check) and decided
on confidence bounds (``policies.bounds``): pass when the control's interval clears the threshold, fail
when it lies wholly beyond it, otherwise inconclusive with the samples that would decide. An input the
check needs that is absent makes it ``no-data``; a name no task has and Assay does not know is refused.
The item's figures come from one task, the one that decides it (:func:`deciding_row`).
"""

from __future__ import annotations

import math
from typing import Any

from audits.errors import AssayError
from policies.bounds import EXACT_COUNT, SLOPE_END, IntervalEvaluator, Judgement, Unsupported
from policies.checklist import ChecklistItem, TaskCheck
from policies.context import RESERVED_ROOTS, SCANNER_METRICS, RunContext, TaskResolver
from policies.expr import MissingInput, NotInTask
from policies.schema import Control, Pack


def _scoped_tasks(ctx: RunContext, control: Control) -> list[dict]:
    tasks = ctx.tasks
    if control.applies_to is not None:
        tasks = [t for t in tasks if control.applies_to.matches(t.name, t.type)]
    return tasks


def _known_metric(ctx: RunContext, name: str) -> bool:
    from audits.metrics.base import METRICS
    try:
        import audits.metrics  # noqa: F401  (registers built-in metrics)
    except Exception:  # noqa: BLE001 - a vocabulary hint only
        pass
    return (name in ctx.metric_names() or name in METRICS or name in SCANNER_METRICS
            or name in ctx.catalog_metric_names)


def _check_names(ctx: RunContext, pack: Pack, control: Control, names: tuple[tuple[str, ...], ...]) -> None:
    for path in names:
        root = path[0]
        if root == "previous" and len(path) > 1:
            root = path[1]
        if root in RESERVED_ROOTS:
            continue
        if not _known_metric(ctx, root):
            raise AssayError(f"pack '{pack.name}', control {control.id}: the check names metric '{root}', "
                             f"which no task of run '{ctx.run['run_id']}' has and Assay does not know",
                             f"fix the name; this run's metrics are: {', '.join(sorted(ctx.metric_names())) or '(none)'}")


def deciding_row(rows: list[TaskCheck]) -> TaskCheck:
    """The task row that decides a check among ``rows`` (those sharing its verdict): the one furthest
    on the wrong side — the largest value for ``<=``/``<``, the smallest for ``>=``/``>`` — so its
    value, n, bound and n-needed are read together (the first row when none has a finite value)."""
    finite = [r for r in rows if _num(r.get("value")) is not None]
    if not finite:
        return rows[0]
    low_is_bad = str(rows[0].get("threshold") or "").lstrip().startswith(">")
    return (min if low_is_bad else max)(finite, key=lambda r: float(r["value"]))


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        return None
    return float(x)


def evaluate_check(ctx: RunContext, pack: Pack, control: Control, item: ChecklistItem) -> None:
    expr = pack.expression(control.id)
    _check_names(ctx, pack, control, expr.names)
    task_level = any(p[0] not in ("review", "tasks") and not p[0].startswith(("days_since", "quarters_since"))
                     for p in expr.names)
    scope: list[dict | None] = list(_scoped_tasks(ctx, control)) if task_level else [None]
    explicit = control.applies_to is not None
    results: list[TaskCheck] = []
    missing: list[str] = []
    outside: list[str] = []
    for task in scope:
        label = task.name if task else None
        resolver = _Recording(ctx, task)
        try:
            ok = bool(expr.evaluate(resolver))
            cmp = expr.comparison(resolver)
            judged = _judge(ctx, task, resolver, expr, control.confidence, ok)
        except NotInTask as miss:
            if explicit:
                missing.append(f"{label}: {miss.name} missing")
            else:
                outside.append(str(label))
            continue
        except MissingInput as miss:
            missing.append(f"{label + ': ' if label else ''}{miss.name} — {miss.why}")
            continue
        except ZeroDivisionError:  # the data, not the expression: e.g. a rate / previous.rate whose previous is 0
            missing.append(f"{label + ': ' if label else ''}{expr.source} — a divisor is 0 in the data "
                           "(e.g. the previous run's rate), so the ratio is undefined")
            continue
        except (TypeError, ValueError, OverflowError) as err:
            raise AssayError(f"pack '{pack.name}', control {control.id}: check {expr.source!r} cannot be "
                             f"evaluated{' on task ' + str(label) if label else ''} ({err})",
                             "fix the expression (see policies/SCHEMA.md)") from None
        results.append({"task": label, "passed": judged.verdict == "pass", "verdict": judged.verdict,
                        "value": _num(cmp[0]) if cmp and judged.method != SLOPE_END else _num(judged.value),
                        "threshold": cmp[1] if cmp else None, "bound": _num(judged.bound),
                        "bound_side": judged.bound_side, "n": judged.n, "n_needed": judged.n_needed,
                        "method": judged.method, "reason": judged.reason, "inputs": resolver.seen})
        if results[-1]["n"] is None:  # an exact fact or a comparison of two estimates: the count behind it
            results[-1]["n"] = _count_behind(ctx, task, resolver.seen)
            if results[-1]["bound"] is not None and results[-1]["bound"] == _num(judged.value):
                results[-1]["bound"] = results[-1]["bound_side"] = None  # a point interval: a fact, no bound
    item.tasks = results
    item.confidence = control.confidence
    failing = [r for r in results if r["verdict"] == "fail"]
    undecided = [r for r in results if r["verdict"] == "inconclusive"]
    shown = failing or undecided or results
    if shown:  # every figure of the item from one task: the one that decides it
        row = deciding_row(shown)
        if shown is not results:  # the deciding row leads the detail, as it leads the figures
            shown.sort(key=lambda r: r is not row)
        item.task = row["task"]
        item.value, item.threshold = row["value"], row["threshold"]
        item.bound, item.bound_side = row["bound"], row["bound_side"]
        item.n, item.method = row["n"], row["method"]
        item.n_needed = row["n_needed"] if not failing else None  # nothing is left to decide once it failed
    if failing:
        item.status = "fail"
        item.detail = "failed on " + ("; " if any(r["method"] == EXACT_COUNT for r in failing) else ", ").join(
            str(r["task"]) + (f": {r['reason']}" if r["method"] == EXACT_COUNT else "") for r in failing if r["task"]) if any(
            r["task"] for r in failing) else "failed: " + _inputs(failing[0])
        if missing:
            item.detail += "; no data: " + "; ".join(missing)
    elif undecided:
        item.status = "inconclusive"
        item.detail = "; ".join((f"{r['task']}: " if r["task"] else "") + r["reason"] for r in undecided)
        if missing:
            item.detail += "; no data: " + "; ".join(missing)
    elif missing or not results:
        item.status = "no-data"
        # no task decides it: a passing task's figures beside NO-DATA would read as its evidence
        item.task = item.value = item.bound = item.bound_side = item.n = item.n_needed = item.method = None
        item.detail = "; ".join(missing) if missing else (
            f"no task in this run has {', '.join('.'.join(p) for p in expr.names)}")
    else:
        item.status = "pass"
        item.detail = ("on " + ", ".join(str(r["task"]) for r in results)) if results[0]["task"] else _inputs(results[0])
    if results and results[0]["task"] is None and (words := _review_words(ctx, results[0])):
        item.detail += f" ({words})"
    if outside and results:
        item.detail += f" (not measured on {', '.join(outside)})"


def _judge(ctx: RunContext, task: Any, resolver: TaskResolver, expr: Any, confidence: float,
           point: bool) -> Judgement:
    """The verdict on the control's confidence bounds; a form without an interval reading
    (e.g. ``any(...)``) is decided on its point value and says so."""
    try:
        return IntervalEvaluator(ctx, task, resolver, confidence).judge(expr.tree.body)
    except Unsupported as why:
        return Judgement("pass" if point else "fail", reason=f"decided on the point value ({why} has no interval)")


class _Recording(TaskResolver):
    """A TaskResolver that remembers the scalar inputs it resolved (shown in the detail)."""

    def __init__(self, ctx: RunContext, task: dict | None):
        super().__init__(ctx, task)
        self.seen: dict[str, float] = {}

    def resolve(self, path: tuple[str, ...]) -> Any:
        value = super().resolve(path)
        if _num(value) is not None:
            self.seen[".".join(path)] = float(value)
        return value


# the count a run-level review figure is a share of (``queries.reviews.review_summary``)
_REVIEW_BASE = {"review.coverage": "n_samples", "review.queue_coverage": "n_queue"}


def _count_behind(ctx: RunContext, task: Any, seen: dict[str, float]) -> int | None:
    """The n behind a check the bounds evaluator gives none: a review share's base (all samples,
    or the queue), or, on a task, the n of the first metric it read (e.g. ``accuracy`` in a
    comparison with ``previous.accuracy``); None when nothing names one."""
    for name in seen:
        if task is None and name in _REVIEW_BASE and ctx.review:
            return int(ctx.review[_REVIEW_BASE[name]])  # type: ignore[literal-required]
        entry = getattr(task, "metrics", {}).get(name) if task is not None else None
        if entry is not None and _num(getattr(entry, "n", None)):
            return int(entry.n)
    return None


def _review_words(ctx: RunContext, result: TaskCheck) -> str:
    """'0 of 24 outputs reviewed; 19 in the review queue' for a check that read the review summary."""
    if not ctx.review or not any(k.startswith("review.") for k in (result.get("inputs") or {})):
        return ""
    r = ctx.review
    return f"{int(r['n_reviewed']):,} of {int(r['n_samples']):,} outputs reviewed; {int(r['n_queue']):,} in the review queue"


def _inputs(result: TaskCheck) -> str:
    return ", ".join(f"{k} = {v:.4g}" for k, v in (result.get("inputs") or {}).items())
