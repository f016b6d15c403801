"""The names a check expression can read, resolved against a run's typed results (audits.results).

Per task (a check is evaluated once for every task in its scope):

- a metric name (``accuracy``, ``pii_leak_rate``, ``toxicity_rate``...) is the metric's value;
  ``accuracy.ci_low`` / ``.ci_high`` / ``.n`` read its interval; ``n`` is the task's sample count;
- ``fairness.<attribute>.<key>`` walks the task's fairness block; helpers over every attribute:
  ``fairness.min_selection_rate_ratio`` (= the smallest demographic-parity ratio),
  ``fairness.max_demographic_parity_difference``, ``fairness.max_equalized_odds_difference``;
- ``pii.<key>``, ``toxicity.<key>``, ``counterfactual.<key>`` walk those blocks;
- ``previous.<name>`` is the same name in the same task of the previous run of the same audit.

Global names: ``review.coverage`` / ``n_reviewed`` / ``n_queue`` / ``agreement`` (the reviews
API), ``days_since_previous_run``, ``quarters_since_previous_run``,
``days_since_previous_bias_audit``, ``quarters_since_previous_bias_audit``, and
``tasks.<task name>.<name>`` (``-`` and ``.`` in task names written as ``_``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pydantic import BaseModel

from audits.stats import parity_uninformative_note
from audits.results import Discrimination, FairnessGrouping, RunResults, TaskResult
from audits.store.catalog import Catalog
from audits.store.records import ReviewSummaryRecord, RunRecord
from audits.store.queries import runs as runs_q
from policies.expr import MissingInput, NotInTask

TASK_BLOCKS = ("fairness", "pii", "toxicity", "counterfactual", "groundedness")
GLOBAL_ROOTS = ("review", "tasks", "days_since_previous_run", "quarters_since_previous_run",
                "days_since_previous_bias_audit", "quarters_since_previous_bias_audit",
                "trend", "drift")  # trend.<metric>.<slope|slope_low|...>, drift.inputs (policies/context.py)
RESERVED_ROOTS = (*TASK_BLOCKS, *GLOBAL_ROOTS, "previous", "n")


def _scanner_metrics() -> tuple[str, ...]:
    """Metrics that scanners declare they publish (``metric:<name>`` in ``provides``)."""
    from audits.registry import import_submodules
    from audits.scanners.base import SCANNERS

    import_submodules("audits.scanners")
    return tuple(sorted({tok.split(":", 1)[1] for n in SCANNERS.names() for tok in SCANNERS.get(n).provides
                         if tok.startswith("metric:")}))


# metrics that scanners publish; known even when a run does not have them (-> no-data, not an error)
SCANNER_METRICS = _scanner_metrics()
_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")


def task_key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _walk(value: Any, parts: tuple[str, ...], name: str) -> Any:
    """Follow ``parts`` through models (fields and extra keys) and mappings; an estimate reads as its value."""
    for p in parts:
        if isinstance(value, BaseModel):
            fields = {**(value.model_extra or {}), **{k: getattr(value, k) for k in type(value).model_fields}}
            value = fields.get(p, _ABSENT)
        elif isinstance(value, dict):
            value = value.get(p, _ABSENT)
        else:
            value = _ABSENT
        if value is _ABSENT:
            raise MissingInput(name)
    if isinstance(value, BaseModel) and "value" in type(value).model_fields:
        value = getattr(value, "value")
    elif isinstance(value, dict) and "value" in value:
        value = value["value"]
    return value


_ABSENT = object()


def _why_no_ratio(attribute: str, block: FairnessGrouping) -> str:
    return f"{attribute} {block.groups_compared}/{len(block.by_group)}"


_HELPER_KEYS = {"min_selection_rate_ratio": "demographic_parity_ratio",
                "min_demographic_parity_ratio": "demographic_parity_ratio",
                "max_demographic_parity_difference": "demographic_parity_difference",
                "max_equalized_odds_difference": "equalized_odds_difference"}


def fairness_helper(fairness: dict[str, FairnessGrouping], helper: str, name: str = "fairness") -> float | None:
    """min_selection_rate_ratio / max_demographic_parity_difference / max_equalized_odds_difference.

    None when the task has no decision attributes at all (outside the check's scope); MissingInput
    when some attribute of a decision task has no measured gap (too few samples per group), so a
    check over "every group" never passes on the attributes that could be measured alone.
    """
    if helper == DISCRIMINATION_HELPER:
        return _max_discrimination(fairness, name)
    key = _HELPER_KEYS.get(helper)
    if key is None:
        return None
    # attributes of a decision task: the scanner measured selection rates there
    decision = {a: b for a, b in fairness.items()
                if any("selection_rate" in e.metrics for e in b.by_group.values())}
    if not decision:
        return None
    uninformative = next((b for b in decision.values() if b.decision_parity_informative is False), None)
    if uninformative is not None:  # decisions that do not vary: no fairness verdict, and say why
        raise MissingInput(name, uninformative.decision_parity_note
                           or parity_uninformative_note(uninformative.overall_selection_rate))
    vals, missing = [], []
    for attribute, block in decision.items():
        v = getattr(block, key)
        if _finite(v):
            vals.append(float(v))
        else:
            missing.append(_why_no_ratio(attribute, block))
    if missing:
        sizes = {b.min_group_size for b in decision.values()}
        raise MissingInput(name, f"no measured gap where too few groups have at least {min(sizes)} samples "
                                 f"(groups compared / groups): {', '.join(missing)}")
    if not vals:
        return None
    return min(vals) if helper.startswith("min") else max(vals)


DISCRIMINATION_HELPER = "max_discrimination_score"


def discrimination_blocks(fairness: dict[str, FairnessGrouping]) -> dict[str, Discrimination]:
    """Per attribute, the probability-based discrimination score (Tamkin et al. 2023's logit
    difference of p(positive) between the most- and least-favoured group) with its interval."""
    return {attribute: block.discrimination for attribute, block in (fairness or {}).items()
            if block.discrimination is not None and _finite(block.discrimination.value)}


def _max_discrimination(fairness: dict[str, FairnessGrouping], name: str) -> float | None:
    """The largest discrimination score over a task's attributes (None: a task without p(positive));
    unlike decision parity it is informative when argmax decisions do not vary."""
    found = discrimination_blocks(fairness)
    return max(float(d.value) for d in found.values()) if found else None


FAIRNESS_HELPERS = (*_HELPER_KEYS, DISCRIMINATION_HELPER)


def resolve_in_task(task: TaskResult, path: tuple[str, ...], name: str) -> Any:
    """A task-level name inside one task of the results (NotInTask when absent)."""
    root, rest = path[0], path[1:]
    if root == "n" and not rest:
        return task.n
    own = task.metric(root)  # 'groundedness' alone is the metric, groundedness.<key> its scanner's block
    metric_read = own is not None and (not rest or (len(rest) == 1 and rest[0] in type(own).model_fields))
    if root in TASK_BLOCKS and not metric_read:
        block = getattr(task, root)
        if not block:
            raise NotInTask(name)
        if root == "fairness" and len(rest) == 1 and rest[0] in FAIRNESS_HELPERS:
            val = fairness_helper(block, rest[0], name)
            if val is None:
                raise NotInTask(name)
            return val
        try:
            return _walk(block, rest, name)
        except MissingInput:
            raise NotInTask(name) from None
    entry = task.metric(root)
    if entry is None:
        raise NotInTask(name)
    if not rest:
        return entry.value
    if len(rest) == 1 and rest[0] in type(entry).model_fields:
        return getattr(entry, rest[0])
    raise NotInTask(name)


def quarter_index(period: str | None) -> int | None:
    m = _PERIOD.match(str(period or "").strip())
    return int(m.group(1)) * 4 + int(m.group(2)) - 1 if m else None


@dataclass
class RunContext:
    """Everything a check may read for one run; built once per evaluation."""

    run: RunRecord
    results: RunResults
    previous: RunRecord | None = None              # previous run's register row
    previous_results: RunResults | None = None
    bias_previous: RunRecord | None = None         # latest earlier run with fairness results
    review: ReviewSummaryRecord | None = None
    catalog_metric_names: set[str] = field(default_factory=set)
    catalog: Catalog | None = None                      # to read per-item outcomes (run-vs-run ratios)

    @property
    def tasks(self) -> list[TaskResult]:
        return list(self.results.tasks)

    def metric_names(self) -> set[str]:
        return {m for t in self.tasks for m in t.metrics}

    def item_outcomes(self, previous: bool, task: str, column: str) -> dict[str, float] | None:
        """Per-item values of a samples column (e.g. ``score_hallucination_rate``) of this run or the previous
        one, keyed by sample id; None when the catalog, run or column is not there."""
        from audits.store import bundle_reader

        run = self.previous if previous else self.run
        if self.catalog is None or not run:
            return None
        frame = bundle_reader.read_table(self.catalog, str(run["run_id"]), "samples", columns=["sample_id", column],
                                         filters={"task": task})
        if column not in frame.columns:
            return None
        return dict(zip(frame["sample_id"].astype(str), pd.to_numeric(frame[column], errors="coerce")))

    def previous_task(self, name: str) -> TaskResult | None:
        for t in (self.previous_results.tasks if self.previous_results else []):
            if t.name == name:
                return t
        return None

    def _since(self, other: dict | None, unit: str, name: str) -> float:
        if other is None:
            raise MissingInput(name, "there is no earlier run of this audit")
        if unit == "quarters":
            a, b = quarter_index(self.run.get("period")), quarter_index(other.get("period"))
            if a is not None and b is not None:
                return float(a - b)
        start, end = pd.Timestamp(other["created_at"]), pd.Timestamp(self.run["created_at"])
        days = (end - start).total_seconds() / 86400.0
        return days if unit == "days" else days / (365.25 / 4)

    def resolve_global(self, path: tuple[str, ...], name: str) -> Any:
        root, rest = path[0], path[1:]
        if root == "review":
            if not self.review:
                raise MissingInput(name, "no review summary for this run")
            return _walk(self.review, rest, name)
        if root == "tasks":
            if not rest:
                raise MissingInput(name, "write tasks.<task>.<metric>")
            for t in self.tasks:
                if task_key(t.name) == rest[0]:
                    if len(rest) < 2:
                        raise MissingInput(name, "write tasks.<task>.<metric>")
                    try:
                        return resolve_in_task(t, rest[1:], name)
                    except NotInTask:
                        raise MissingInput(name, f"task '{t.name}' does not have it") from None
            raise MissingInput(name, f"this run has no task '{rest[0]}'")
        if root.startswith(("days_since", "quarters_since")) and not rest:
            unit = "days" if root.startswith("days") else "quarters"
            other = self.bias_previous if root.endswith("bias_audit") else self.previous
            if root.endswith("bias_audit") and not any(t.fairness for t in self.tasks):
                raise MissingInput(name, "this run has no bias (fairness) results, so it is not a bias audit")
            return self._since(other, unit, name)
        if root in ("trend", "drift"):  # monitoring across runs (audits/store/queries/trends.py, audits/drift.py)
            return monitoring_value(self, root, rest, name)
        raise MissingInput(name)


def prefetch_monitoring(ctx: "RunContext", packs: list[Any]) -> None:
    """Compute the trend and drift that the packs' checks name before any check is evaluated, so the
    embedding work is not counted against one expression's evaluation time (policies/expr.py)."""
    roots = {path[0] for pack in packs for c in pack.controls if c.check is not None
             for path in pack.expression(c.id).names}
    for root, probe in (("trend", ("trend", "_", "slope")), ("drift", ("drift", "inputs"))):
        if root in roots:
            try:
                monitoring_value(ctx, root, probe[1:], ".".join(probe))
            except MissingInput:
                pass


TREND_FIELDS = ("slope", "slope_low", "slope_high", "p_value", "p_adjusted", "significant", "change", "k")


def monitoring_value(ctx: "RunContext", root: str, rest: tuple[str, ...], name: str) -> Any:
    """``trend.<metric>.<field>`` (the audit's runs up to this one, audits.stats.trend_family; a metric of one
    task of several is ``trend.<task>.<metric>.<field>``) and ``drift.inputs`` (1 when this run's inputs drifted
    from those of the latest run of an earlier period, else 0; audits.drift.input_drift). Computed once per evaluation."""
    cache = ctx.__dict__.setdefault("_monitoring", {})
    if ctx.catalog is None:
        raise MissingInput(name, "no catalog to read the audit's other runs from")
    if root == "drift":
        if rest != ("inputs",):
            raise MissingInput(name, "write drift.inputs")
        from audits.store.queries.trends import previous_period_run

        before = previous_period_run(ctx.catalog, str(ctx.run["run_id"]))  # not a rerun of this run's own period
        if before is None:
            raise MissingInput(name, "there is no run of an earlier period of this audit")
        if "drift" not in cache:
            from audits.drift import input_drift

            cache["drift"] = input_drift(ctx.catalog, before, str(ctx.run["run_id"]))
        if not cache["drift"].get("detectable", True):  # too few inputs for any test to call drift: not a pass
            raise MissingInput(name, f"too few inputs to detect drift (n {cache['drift']['n_a']} and "
                                     f"{cache['drift']['n_b']}: smallest possible p {cache['drift']['smallest_p_adjusted']:.3g})")
        return 1.0 if cache["drift"]["drift"] else 0.0
    if len(rest) < 2 or rest[-1] not in TREND_FIELDS:
        raise MissingInput(name, f"write trend.<metric>.<{'|'.join(TREND_FIELDS)}>")
    if "trend" not in cache:
        from audits.store.queries.trends import audit_trends

        cache["trend"] = audit_trends(ctx.catalog, str(ctx.run["audit"]), until=str(ctx.run["run_id"]))
    wanted = ".".join(rest[:-1])
    series = {task_key(k.rsplit(".", 1)[0]) + "." + k.rsplit(".", 1)[1] if "." in k else k: v
              for k, v in cache["trend"]["series"].items()}
    if wanted not in series:
        raise MissingInput(name, f"the audit has no metric '{wanted}' in every run; it has {', '.join(series) or 'none'}")
    value = series[wanted][rest[-1]]
    if value is None:
        raise MissingInput(name, f"a trend needs at least 3 runs; this audit has {series[wanted]['k']}")
    return float(value)


class TaskResolver:
    """Resolves names for one task of the run (plus the run's global names)."""

    def __init__(self, ctx: RunContext, task: TaskResult | None):
        self.ctx = ctx
        self.task = task

    def resolve(self, path: tuple[str, ...]) -> Any:
        name = ".".join(path)
        root = path[0]
        if root in GLOBAL_ROOTS:
            return self.ctx.resolve_global(path, name)
        if self.task is None:
            raise NotInTask(name)
        if root == "previous":
            if len(path) < 2:
                raise MissingInput(name, "write previous.<metric>")
            if self.ctx.previous is None:
                raise MissingInput(name, "there is no earlier run of this audit")
            prev = self.ctx.previous_task(self.task.name)
            if prev is None:
                raise MissingInput(name, f"the previous run has no task '{self.task.name}'")
            try:
                return resolve_in_task(prev, path[1:], name)
            except NotInTask:
                raise MissingInput(name, "the previous run does not have it") from None
        return resolve_in_task(self.task, path, name)


def _review_summary(cat: Catalog, run_id: str) -> ReviewSummaryRecord | None:
    try:
        from audits.store.queries.reviews import review_summary  # built by the review engineer
    except ImportError:
        return None
    summary = review_summary(cat, run_id)
    return dict(summary) if summary else None


def build_context(cat: Catalog, run_id: str) -> RunContext:
    """Read the run, its results, the previous run and the review summary."""
    run = runs_q.get_run(cat, run_id)
    results = runs_q.get_results(cat, run_id)
    ctx = RunContext(run=run, results=results, review=_review_summary(cat, run_id))
    ctx.catalog = cat
    prev_id = runs_q.previous_run(cat, run_id)
    if prev_id:
        ctx.previous = runs_q.get_run(cat, prev_id)
        ctx.previous_results = runs_q.get_results(cat, prev_id)
    cursor, hops = prev_id, 0
    while cursor and hops < 50:
        res = ctx.previous_results if cursor == prev_id else runs_q.get_results(cat, cursor)
        if any(t.fairness for t in res.tasks):
            ctx.bias_previous = runs_q.get_run(cat, cursor)
            break
        cursor, hops = runs_q.previous_run(cat, cursor), hops + 1
    try:
        hist = runs_q.metrics_history(cat)
        ctx.catalog_metric_names = set(hist["metric"].dropna().astype(str))
    except Exception:  # noqa: BLE001 - a vocabulary hint only; never blocks a check
        ctx.catalog_metric_names = set()
    return ctx
