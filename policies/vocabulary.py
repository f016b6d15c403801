"""The names a check expression may use, derived from what Assay produces.

A pack that names something no metric or scanner produces can never be evaluated, so it fails
when it is loaded, with the names that exist. Names come from the metric registry, the metrics
scanners declare in ``provides`` (``metric:<name>``), the typed result blocks
(:mod:`audits.results`) and the global names of :mod:`policies.context`.
"""

from __future__ import annotations

from difflib import get_close_matches
from functools import lru_cache

from pydantic import BaseModel

from audits.errors import AssayError
from audits.results import FairnessGrouping, MetricSummary, TaskResult
from policies.context import FAIRNESS_HELPERS, GLOBAL_ROOTS, SCANNER_METRICS, TASK_BLOCKS

_METRIC_FIELDS = tuple(MetricSummary.model_fields)


@lru_cache(maxsize=1)
def metric_names() -> frozenset[str]:
    """Every metric a run can have: registered metrics and the ones scanners publish."""
    from audits.metrics import METRICS

    return frozenset(METRICS.names()) | frozenset(SCANNER_METRICS)


def _block_model(root: str) -> type[BaseModel] | None:
    annotation = TaskResult.model_fields[root].annotation
    for arg in getattr(annotation, "__args__", (annotation,)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _task_name_problem(path: tuple[str, ...]) -> str | None:
    """Why a task-level name cannot exist, or None when it can."""
    root, rest = path[0], path[1:]
    if root == "n":
        return None if not rest else "'n' has no fields"
    metric_read = not rest or (len(rest) == 1 and rest[0] in _METRIC_FIELDS)
    if root in metric_names() and (metric_read or root not in TASK_BLOCKS):  # 'groundedness': metric and block
        return None if not rest or (len(rest) == 1 and rest[0] in _METRIC_FIELDS) else \
            f"a metric has only these fields: {', '.join(_METRIC_FIELDS)}"
    if root == "fairness":
        if len(rest) == 1 and rest[0] in FAIRNESS_HELPERS:
            return None
        if len(rest) >= 2 and rest[1] in FairnessGrouping.model_fields:
            return None
        return (f"write fairness.<helper> ({', '.join(FAIRNESS_HELPERS)}) or "
                f"fairness.<attribute>.<field> ({', '.join(FairnessGrouping.model_fields)})")
    if root in TASK_BLOCKS:
        model = _block_model(root)
        if not rest:
            return f"name a field of {root}"
        if model is not None and rest[0] not in model.model_fields:
            return f"{root} has these fields: {', '.join(model.model_fields)}"
        return None
    return "no metric or scanner produces it"


def name_problem(path: tuple[str, ...]) -> str | None:
    """Why a dotted name in a check can never be evaluated, or None when some run can have it."""
    root = path[0]
    if root in GLOBAL_ROOTS:
        if root == "tasks":
            return None if len(path) >= 3 and _task_name_problem(path[2:]) is None else \
                "write tasks.<task>.<metric or block>"
        return None
    if root == "previous":
        return _task_name_problem(path[1:]) if len(path) >= 2 else "write previous.<metric>"
    return _task_name_problem(path)


def check_names(names: tuple[tuple[str, ...], ...], where: str) -> None:
    """AssayError for the first name no run can have, listing the names that exist."""
    for path in names:
        why = name_problem(path)
        if why is not None:
            close = get_close_matches(path[0], sorted(metric_names() | set(TASK_BLOCKS) | set(GLOBAL_ROOTS)), n=1)
            hint = f"; did you mean '{close[0]}'?" if close and close[0] != path[0] else ""
            raise AssayError(f"{where}: '{'.'.join(path)}' can never be evaluated ({why}{hint})",
                             f"use a name Assay produces: metrics {', '.join(sorted(metric_names()))}; "
                             f"blocks {', '.join(TASK_BLOCKS)}; global {', '.join(GLOBAL_ROOTS)}; previous.<metric>")
