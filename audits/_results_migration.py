"""Reading old results files: schema 1 (the untyped dict, no ``schema_version``) migrates to the
current schema in memory, and blocks that gained a typed field after a bundle was written move out of
``extra``. The immutable file is never rewritten; :func:`audits.results.parse_results` calls these.
"""

from __future__ import annotations

import json

from audits._results_base import SCHEMA_VERSION, V1_FOUR_FIFTHS, V1_INTERVAL_METHOD
from audits._results_blocks import TASK_BLOCK_FIELDS, TaskResult
from audits.errors import AssayError
from audits.jsontypes import JsonObject


def _registered_direction(name: str) -> bool | None:
    """Whether a higher value is better, from the metric registry (scanner rates: lower is better)."""
    from audits.metrics import METRICS

    if name in METRICS:
        return bool(METRICS.get(name).higher_is_better)
    if name.startswith(("pii_", "toxicity_", "cf_")):
        return False
    return None


_V1_RATES = ("accuracy", "exact_match", "selection_rate", "pii_leak_rate", "toxicity_rate")


def _v1_kind(name: str) -> str:
    """Schema 1 did not record the kind of score; the built-in rates and corpus metrics are known."""
    if name in _V1_RATES or name.startswith("pii_rate_"):
        return "rate"
    return "corpus" if name in ("bleu", "f1", "precision", "recall") else "mean"


def _v1_statement(name: str, m: JsonObject) -> str:
    """The plain-English statement of a schema-1 metric; "" where its fields are not numbers (validation
    then names the bad key in one line)."""
    from audits.stats import describe

    num = lambda x: float("nan") if x is None else float(x)  # noqa: E731
    try:
        value = None if m.get("value") is None else float(m["value"])  # type: ignore[arg-type]
        return describe(name, value, num(m.get("ci_low")), num(m.get("ci_high")), int(m.get("n") or 0),  # type: ignore[arg-type]
                        kind=_v1_kind(name), method=V1_INTERVAL_METHOD)
    except (TypeError, ValueError, OverflowError):
        return ""


def _v1_threshold(config: JsonObject | None) -> float:
    """The bias scanner's four-fifths threshold from the bundle's config (the default when unset)."""
    scanners = (config.get("scanners") if isinstance(config, dict) else None) or {}
    bias = scanners.get("bias") if isinstance(scanners, dict) else None
    value = bias.get("four_fifths", V1_FOUR_FIFTHS) if isinstance(bias, dict) else V1_FOUR_FIFTHS
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise AssayError(f"config.yaml: scanners.bias.four_fifths is {value!r}, not a number",
                         "restore the bundle from a backup; `assay verify` shows what changed") from None


def _dicts(value: object) -> list[JsonObject]:
    """The JSON objects among ``value``'s items (a list) or values (an object); others are left for
    validation to name."""
    items = value if isinstance(value, list) else list(value.values()) if isinstance(value, dict) else []
    return [x for x in items if isinstance(x, dict)]


def _migrate_v1(data: JsonObject, config: JsonObject | None) -> JsonObject:
    """Schema 1 (untyped) -> 2: intervals were percentile bootstraps; thresholds from the config.
    Malformed parts are left as they are, for validation to report in one line with their key path."""
    data = json.loads(json.dumps(data))  # a deep copy; the caller's dict is never changed
    threshold = _v1_threshold(config)
    for task in _dicts(data.get("tasks")):
        metrics = task.get("metrics")
        for name, m in (metrics.items() if isinstance(metrics, dict) else []):
            if isinstance(m, dict):
                m.setdefault("method", V1_INTERVAL_METHOD)
                m.setdefault("higher_is_better", _registered_direction(name))
                m.setdefault("kind", _v1_kind(name))
                m.setdefault("statement", _v1_statement(name, m))
        for grouping in _dicts(task.get("fairness")):
            grouping.setdefault("four_fifths_threshold", threshold)
        extra = {k: task.pop(k) for k in list(task) if k not in TaskResult.model_fields}
        if isinstance(task.get("extra", {}), dict):
            task["extra"] = {**extra, **task.get("extra", {})}
    data["schema_version"] = SCHEMA_VERSION
    return data


def _lift_typed_blocks(data: JsonObject) -> JsonObject:
    """Blocks that gained a typed field after a bundle was written (sensitivity) move out of ``extra``."""
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not any(isinstance(t, dict) and isinstance(t.get("extra"), dict)
                                              and set(t["extra"]) & set(TASK_BLOCK_FIELDS) for t in tasks):
        return data
    data = {**data, "tasks": [dict(t) if isinstance(t, dict) else t for t in tasks]}
    for task in data["tasks"]:
        if isinstance(task, dict) and isinstance(task.get("extra"), dict):
            extra = dict(task["extra"])
            for key in TASK_BLOCK_FIELDS:
                if key in extra and task.get(key) is None:
                    task[key] = extra.pop(key)
            task["extra"] = extra
    return data
