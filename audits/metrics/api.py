"""What the job and the config checks call: look metrics up, check them against a task before
inference, and choose sensible defaults per task type."""

from __future__ import annotations

from audits.errors import AssayError
from audits.metrics.base import METRICS, Metric

TASK_TYPES = ("generate", "choice")

_MISSING_HINT = {
    "references": ("needs reference answers but the dataset has none",
                   "map a reference column with fields.reference, or remove the metric"),
    "labels": ("needs gold labels but the dataset has none",
               "map a label column with fields.label, or remove the metric"),
    "feedback": ("needs user feedback but the task declares none",
                 "add 'feedback: {field: COLUMN, positive: VALUE}' to the task, or remove the metric"),
    "positive": ("needs the task's positive choice but none is set",
                 "set 'positive: <choice>' on the task, or remove the metric"),
}


def _task_type(task_type: str) -> str:
    """'decision' is a choice task with a positive choice."""
    return "choice" if task_type == "decision" else task_type


def get_metric(name: str) -> Metric:
    """A metric instance by name; ``evaluate:<name or path>[#key]`` loads a Hugging Face evaluate module."""
    from audits.metrics.hf_evaluate import PREFIX, EvaluateMetric

    if name.startswith(PREFIX):
        return EvaluateMetric(name)
    if name not in METRICS:
        known = ", ".join(METRICS.names() + [f"{PREFIX}<local module path>"])
        raise AssayError(f"unknown metric {name!r}", f"use one of: {known}")
    return METRICS.get(name)()


def _requirements(metric: type[Metric] | Metric, task_type: str) -> frozenset[str]:
    required = getattr(metric, "required_inputs", None)
    return frozenset(required(task_type)) if callable(required) else frozenset(metric.requires)


def check_metrics(task_name: str, task_type: str, metric_names: list[str], available: set[str]) -> None:
    """Raise AssayError before inference when a metric is unknown, does not apply to the task
    type, or needs inputs the data lacks. ``available`` ⊆ {"references", "labels", "positive"}."""
    from audits.metrics.hf_evaluate import PREFIX, EvaluateMetric

    kind = _task_type(task_type)
    if kind not in TASK_TYPES:
        raise AssayError(f"task {task_name!r}: unknown task type {task_type!r}", f"use one of: {', '.join(TASK_TYPES)}")
    for name in metric_names:
        if name.startswith(PREFIX):
            metric: type[Metric] = EvaluateMetric
        elif name not in METRICS:
            known = ", ".join(METRICS.names() + [f"{PREFIX}<local module path>"])
            raise AssayError(f"task {task_name!r}: unknown metric {name!r}", f"use one of: {known}")
        else:
            metric = METRICS.get(name)
        if kind not in metric.task_types:
            fitting = [m for m in METRICS.names() if kind in METRICS.get(m).task_types]
            raise AssayError(f"task {task_name!r}: metric {name!r} applies to "
                             f"{'/'.join(sorted(metric.task_types))} tasks, not {kind} tasks",
                             f"use one of: {', '.join(fitting)}")
        for field in sorted(_requirements(metric, kind)):
            if field not in available:
                problem, fix = _MISSING_HINT.get(field, (f"needs {field} but the dataset has none",
                                                         "provide it, or remove the metric"))
                raise AssayError(f"task {task_name!r}: metric {name!r} {problem}", fix)
        if name.startswith(PREFIX):
            try:
                get_metric(name)  # load it now (cached), so a missing module fails before inference
            except AssayError as err:
                raise AssayError(f"task {task_name!r}: {err.problem}", err.fix) from None


def default_metrics(task_type: str, available: set[str]) -> list[str]:
    """Metrics to compute when a task names none, given the inputs the data has."""
    kind = _task_type(task_type)
    names: list[str] = []
    if kind == "generate" and "references" in available:
        names += ["exact_match", "token_f1", "rouge1", "rouge2", "rougeL", "bleu"]
    if kind == "choice":
        if "labels" in available:
            names += ["accuracy", "f1"]
        if "positive" in available:
            names.append("selection_rate")
    return names
