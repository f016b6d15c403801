"""The names a check expression can read, built from a run's results.json.

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

from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from policies.expr import MissingInput, NotInTask

TASK_BLOCKS = ("fairness", "pii", "toxicity", "counterfactual")
GLOBAL_ROOTS = ("review", "tasks", "days_since_previous_run", "quarters_since_previous_run",
                "days_since_previous_bias_audit", "quarters_since_previous_bias_audit")
RESERVED_ROOTS = (*TASK_BLOCKS, *GLOBAL_ROOTS, "previous", "n")
# metrics that scanners publish; known even when a run does not have them (-> no-data, not an error)
SCANNER_METRICS = ("pii_leak_rate", "pii_rate_input", "pii_rate_prediction", "pii_rate_reference", "toxicity_rate", "toxicity_mean",
                   "counterfactual_flip_rate", "refusal_rate")
_RATIO_KEYS = ("demographic_parity_ratio", "selection_rate_ratio", "four_fifths_ratio", "min_ratio")
_PERIOD = re.compile(r"^(\d{4})-Q([1-4])$")


def task_key(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _walk(value: Any, parts: tuple[str, ...], name: str) -> Any:
    for p in parts:
        if isinstance(value, dict) and p in value:
            value = value[p]
        else:
            raise MissingInput(name)
    if isinstance(value, dict) and "value" in value and _finite(value.get("value")):
        return value["value"]
    return value


def _attribute_blocks(fairness: Any) -> dict[str, dict]:
    """{attribute key: block} from a fairness block of either shape: flat or under 'attributes'."""
    if not isinstance(fairness, dict):
        return {}
    source = fairness.get("attributes") if isinstance(fairness.get("attributes"), dict) else fairness
    return {k: v for k, v in source.items() if isinstance(v, dict)}


def _why_no_ratio(attribute: str, block: dict) -> str:
    groups = block.get("by_group") if isinstance(block.get("by_group"), dict) else {}
    return f"{attribute} {block.get('groups_compared') or 0}/{len(groups)}"


def fairness_helper(fairness: Any, helper: str, name: str = "fairness") -> float | None:
    """min_selection_rate_ratio / max_demographic_parity_difference / max_equalized_odds_difference.

    None when the task has no decision attributes at all (outside the check's scope); MissingInput
    when some attribute of a decision task has no measured gap (too few samples per group), so a
    check over "every group" never passes on the attributes that could be measured alone.
    """
    blocks = _attribute_blocks(fairness)
    if helper in ("min_selection_rate_ratio", "min_demographic_parity_ratio"):
        keys: tuple[str, ...] = _RATIO_KEYS
    elif helper == "max_demographic_parity_difference":
        keys = ("demographic_parity_difference",)
    elif helper == "max_equalized_odds_difference":
        keys = ("equalized_odds_difference",)
    else:
        return None
    decision = {k: b for k, b in blocks.items() if any(x in b for x in keys)}
    if not decision:
        return None
    vals, missing = [], []
    for attribute, block in decision.items():
        found = [_finite_value(block.get(k)) for k in keys if k in block]
        found = [v for v in found if v is not None]
        if found:
            vals.append(min(found) if helper.startswith("min") else max(found))
        else:
            missing.append(_why_no_ratio(attribute, block))
    if missing:
        sizes = {b.get("min_group_size") for b in decision.values()} - {None}
        at_least = f"at least {min(sizes)}" if sizes else "enough"
        raise MissingInput(name, f"no measured gap where too few groups have {at_least} samples "
                                 f"(groups compared / groups): {', '.join(missing)}")
    return min(vals) if helper.startswith("min") else max(vals)


def _finite_value(v: Any) -> float | None:
    v = v.get("value") if isinstance(v, dict) else v
    return float(v) if _finite(v) else None


FAIRNESS_HELPERS = ("min_selection_rate_ratio", "min_demographic_parity_ratio",
                    "max_demographic_parity_difference", "max_equalized_odds_difference")


def resolve_in_task(task: dict, path: tuple[str, ...], name: str) -> Any:
    """A task-level name inside one task dict of results.json (NotInTask when absent)."""
    root, rest = path[0], path[1:]
    if root == "n" and not rest:
        if _finite(task.get("n")):
            return task["n"]
        raise NotInTask(name)
    if root in TASK_BLOCKS:
        if root not in task or task[root] in (None, {}):
            raise NotInTask(name)
        if root == "fairness" and len(rest) == 1 and rest[0] in FAIRNESS_HELPERS:
            val = fairness_helper(task[root], rest[0], name)
            if val is None:
                raise NotInTask(name)
            return val
        block = task[root]
        if root == "fairness":
            block = {**block, **_attribute_blocks(block)}
        try:
            return _walk(block, rest, name)
        except MissingInput:
            raise NotInTask(name) from None
    metrics = task.get("metrics") or {}
    if root not in metrics:
        raise NotInTask(name)
    entry = metrics[root]
    if not rest:
        return entry.get("value") if isinstance(entry, dict) else entry
    if isinstance(entry, dict) and len(rest) == 1 and rest[0] in entry:
        return entry[rest[0]]
    raise NotInTask(name)


def quarter_index(period: str | None) -> int | None:
    m = _PERIOD.match(str(period or "").strip())
    return int(m.group(1)) * 4 + int(m.group(2)) - 1 if m else None


@dataclass
class RunContext:
    """Everything a check may read for one run; built once per evaluation."""

    run: dict[str, Any]
    results: dict[str, Any]
    previous: dict[str, Any] | None = None              # previous run's register row
    previous_results: dict[str, Any] | None = None
    bias_previous: dict[str, Any] | None = None         # latest earlier run with fairness results
    review: dict[str, Any] | None = None
    catalog_metric_names: set[str] = field(default_factory=set)

    @property
    def tasks(self) -> list[dict]:
        return list(self.results.get("tasks") or [])

    def metric_names(self) -> set[str]:
        return {m for t in self.tasks for m in (t.get("metrics") or {})}

    def previous_task(self, name: str) -> dict | None:
        for t in (self.previous_results or {}).get("tasks") or []:
            if t.get("name") == name:
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
                if task_key(str(t.get("name"))) == rest[0]:
                    if len(rest) < 2:
                        raise MissingInput(name, "write tasks.<task>.<metric>")
                    try:
                        return resolve_in_task(t, rest[1:], name)
                    except NotInTask:
                        raise MissingInput(name, f"task '{t.get('name')}' does not have it") from None
            raise MissingInput(name, f"this run has no task '{rest[0]}'")
        if root.startswith(("days_since", "quarters_since")) and not rest:
            unit = "days" if root.startswith("days") else "quarters"
            other = self.bias_previous if root.endswith("bias_audit") else self.previous
            if root.endswith("bias_audit") and not any(t.get("fairness") for t in self.tasks):
                raise MissingInput(name, "this run has no bias (fairness) results, so it is not a bias audit")
            return self._since(other, unit, name)
        raise MissingInput(name)


class TaskResolver:
    """Resolves names for one task of the run (plus the run's global names)."""

    def __init__(self, ctx: RunContext, task: dict | None):
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
            prev = self.ctx.previous_task(str(self.task.get("name")))
            if prev is None:
                raise MissingInput(name, f"the previous run has no task '{self.task.get('name')}'")
            try:
                return resolve_in_task(prev, path[1:], name)
            except NotInTask:
                raise MissingInput(name, "the previous run does not have it") from None
        return resolve_in_task(self.task, path, name)


def _review_summary(cat: Catalog, run_id: str) -> dict[str, Any] | None:
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
    prev_id = runs_q.previous_run(cat, run_id)
    if prev_id:
        ctx.previous = runs_q.get_run(cat, prev_id)
        ctx.previous_results = runs_q.get_results(cat, prev_id)
    cursor, hops = prev_id, 0
    while cursor and hops < 50:
        res = ctx.previous_results if cursor == prev_id else runs_q.get_results(cat, cursor)
        if any(t.get("fairness") for t in res.get("tasks") or []):
            ctx.bias_previous = runs_q.get_run(cat, cursor)
            break
        cursor, hops = runs_q.previous_run(cat, cursor), hops + 1
    try:
        hist = runs_q.metrics_history(cat)
        ctx.catalog_metric_names = set(hist["metric"].dropna().astype(str))
    except Exception:  # noqa: BLE001 - a vocabulary hint only; never blocks a check
        ctx.catalog_metric_names = set()
    return ctx
