"""Typed, versioned run results: the one contract between the runner and every reader.

``results.json`` in a run bundle is the serialisation of :class:`RunResults`. The runner builds
these models; the dashboard, reports, policies and the CLI import them instead of walking dicts
(after Inspect AI's versioned ``EvalLog``). Field order is part of the file format.

Versions
--------
- 1: the untyped dict written before this module existed (no ``schema_version`` key).
- 2: this module. Adds ``schema_version``, each metric's interval ``method`` and ``confidence``,
  and each fairness grouping's ``four_fifths_threshold``.

Bundles are immutable: an old file is never rewritten; :func:`load_results` migrates it in memory.
Scanner blocks accept extra keys (``extra="allow"``) so a scanner can publish more than a
reader knows about; the keys readers rely on are typed fields.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, ValidationError, model_validator

from audits.errors import AssayError
from audits.identity import ModelIdentity
from audits.jsontypes import JsonObject
from audits.stats._signature import LEGACY

if TYPE_CHECKING:
    import pandas as pd

SCHEMA_VERSION = 2
V1_INTERVAL_METHOD = LEGACY  # intervals before audits.stats: percentile bootstrap
V1_FOUR_FIFTHS = 0.8  # the bias scanner's default before the threshold was recorded


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN/inf/NA -> None, numpy scalars/arrays -> Python, tuples -> lists.

    The one NaN->None helper; results, tables shown to people and review items all use it.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [jsonable(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    try:  # pandas NA / NaT and anything else pandas calls missing
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python"))
    return value


def _identity_as_written(model: ModelIdentity) -> JsonObject:
    """The backend's identity as it wrote it (no keys it did not set)."""
    return jsonable(model.model_dump(exclude_unset=True))


#: A model identity field as results.json and manifest.json hold it: read from any older form,
#: written back with only the keys the backend set.
WrittenModelIdentity = Annotated[ModelIdentity, BeforeValidator(ModelIdentity.read),
                                 PlainSerializer(_identity_as_written)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Estimate(_Open):
    """A value with its confidence interval and sample size (None where it cannot be formed).

    The one shape of every number with an interval in ``results.json``: metrics (``MetricSummary``),
    per-group values, scanner rates, counterfactual gaps and probe flip rates. ``method`` is the
    interval's (audits.stats), ``design_effect``/``n_clusters`` are set for clustered samples."""

    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    method: str | None = None
    design_effect: float | None = None
    n_clusters: int | None = None

    @classmethod
    def of(cls, result: Any) -> "Estimate":
        """From an ``audits.metrics.base.MetricResult`` (or any object with its fields); NaN -> None."""
        fields = {k: getattr(result, k, None) for k in cls.model_fields}
        return cls.model_validate(jsonable({**fields, "n": int(fields["n"] or 0), "method": fields["method"] or None}))


def _fold(data: Any, key: str, bounds: str | tuple[str, str] = ("ci_low", "ci_high")) -> Any:
    """Before a block's number carried an Estimate it was flat: ``key`` with its bounds beside it (two
    keys, or one key holding a [low, high] list); fold them into ``{value, ci_low, ci_high, n}``."""
    if not isinstance(data, dict) or key not in data or not (data[key] is None or isinstance(data[key], (int, float))):
        return data  # already an Estimate (or its dict)
    data = dict(data)
    bounds = data.pop(bounds, None) if isinstance(bounds, str) else [data.pop(b, None) for b in bounds]
    bounds = list(bounds) if isinstance(bounds, (list, tuple)) and len(bounds) == 2 else [None, None]
    value = data[key]
    data[key] = None if value is None and bounds == [None, None] else \
        {"value": value, "ci_low": bounds[0], "ci_high": bounds[1], "n": int(data.get("n") or 0)}
    return data


class MetricSummary(Estimate):
    """One metric of one task: value, interval, n and the exact recipe of both.

    ``kind`` is rate / mean / corpus (it chose the interval ``method``); ``interval`` is the
    formatted interval signature (method, confidence, resamples, seed); ``events`` counts the 1s
    of a rate; ``design_effect``/``n_clusters`` are set for clustered tasks; ``statement`` is the
    summary in plain English (zero events as a one-sided bound).
    """

    signature: str = ""
    method: str = V1_INTERVAL_METHOD
    confidence: float = 0.95
    higher_is_better: bool | None = None
    kind: str | None = None
    interval: str = ""
    events: float | None = None
    statement: str = ""


class GroupEntry(_Open):
    """One group of a fairness grouping: its size and every metric's estimate in that group."""

    n: int
    insufficient_data: bool = False
    metrics: dict[str, Estimate] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fold_flat_metrics(cls, data: Any) -> Any:
        """The scanner writes ``{n, insufficient_data, <metric>: {...}}``; metrics go under ``metrics``."""
        if isinstance(data, dict) and "metrics" not in data:
            keep = {k: v for k, v in data.items() if not isinstance(v, dict)}
            keep["metrics"] = {k: v for k, v in data.items() if isinstance(v, dict)}
            return keep
        return data


class Gap(_Open):
    difference: float | None = None
    ratio: float | None = None


class GroupTest(_Open):
    """One pair of groups' selection rates (audits.stats.group_tests, Holm-corrected over the task)."""

    group: str
    reference: str
    difference: float | None = None
    p_value: float | None = None
    method: str | None = None
    ratio: float | None = None
    ratio_low: float | None = None   # Katz interval of the ratio
    ratio_high: float | None = None
    p_adjusted: float | None = None
    correction: str | None = None
    reading: str | None = None       # the four-fifths reading on the corrected p


class Discrimination(Estimate):
    """Tamkin et al. (2023)'s logit-difference discrimination score between the compared groups."""

    measure: str | None = None
    highest: str | None = None
    lowest: str | None = None
    by_group: dict[str, float] = Field(default_factory=dict)  # each group's mean logit minus the groups' mean


class FairnessGrouping(_Open):
    """Fairness of one attribute (or intersection, key ``a×b``) within a task."""

    groups_compared: int = 0
    min_group_size: int = 0
    four_fifths_threshold: float = V1_FOUR_FIFTHS
    demographic_parity_difference: float | None = None
    demographic_parity_ratio: float | None = None
    four_fifths_violation: bool | None = None
    equalized_odds_difference: float | None = None
    group_tests: list[GroupTest] = Field(default_factory=list)
    four_fifths_reading: str | None = None                              # the worst pair's reading
    demographic_parity_ratio_ci: list[float | None] | None = None       # the worst pair's Katz interval
    decision_parity_informative: bool | None = None                     # False: argmax decisions barely vary
    overall_selection_rate: float | None = None
    decision_parity_note: str | None = None
    discrimination: Discrimination | None = None
    metrics: dict[str, Gap] = Field(default_factory=dict)
    by_group: dict[str, GroupEntry] = Field(default_factory=dict)

    @property
    def small_groups(self) -> list[str]:
        return [g for g, e in self.by_group.items() if e.insufficient_data]


class PiiBlock(_Open):
    """What the PII scanner found in a task, and how good its detector is."""

    entities: list[str] = Field(default_factory=list)
    fields: list[str] = Field(default_factory=list)
    score_threshold: float | None = None
    thresholds: dict[str, float] = Field(default_factory=dict)   # per entity, from the detection profile
    profile: str | None = None                                    # the profile file, or "default"
    findings: int = 0
    leaks: int = 0
    samples_with_leak: int = 0
    by_entity: dict[str, int] = Field(default_factory=dict)
    by_field: dict[str, int] = Field(default_factory=dict)
    rates: dict[str, Estimate] = Field(default_factory=dict)
    store_raw: bool = False
    value_hash: str | None = None
    engine: str | None = None
    detector: JsonObject = Field(default_factory=dict)
    detector_below_target: list[str] = Field(default_factory=list)  # entities whose recall misses its target
    long_texts: JsonObject | None = None  # texts scanned in overlapping windows (n, window_chars, note)


class ToxicityBlock(_Open):
    """The share of toxic outputs and the mean toxicity score, each with its interval."""

    threshold: float | None = None
    fields: list[str] = Field(default_factory=list)
    rate: Estimate | None = None
    mean: Estimate | None = None
    n: int = 0
    n_toxic: int = 0
    model: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_flat(cls, data: Any) -> Any:
        """Written before Estimate: ``rate``/``mean`` numbers beside ``rate_ci``/``mean_ci`` lists."""
        return _fold(_fold(data, "rate", "rate_ci"), "mean", "mean_ci")


class ToxicityGap(Estimate):
    by_value: dict[str, float] = Field(default_factory=dict)  # mean toxicity for each swapped value


class SimilarityEstimate(Estimate):
    model: str | None = None  # the sentence-embedding model


class CounterfactualBlock(_Open):
    attribute: str | None = None
    values: list[str] = Field(default_factory=list)
    mode: str | None = None
    n: int = 0
    flip_rate: Estimate | None = None
    toxicity_gap: ToxicityGap | None = None
    similarity_mean: SimilarityEstimate | None = None
    decision_by_value: dict[str, dict[str, int]] = Field(default_factory=dict)
    skipped: str | None = None


class ExplainBlock(_Open):
    n_explained: int = 0
    target: str | None = None
    max_evals: int | None = None
    method: str | None = None
    samples: list[str] = Field(default_factory=list)
    skipped: str | None = None


class SensitivityVariant(_Open):
    variant: str
    n: int = 0
    flips: int = 0
    flip_rate: Estimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_flat(cls, data: Any) -> Any:
        """Written before Estimate: ``flip_rate`` with ``ci_low``/``ci_high`` beside it."""
        return _fold(data, "flip_rate")


class SensitivityBlock(_Open):
    """The prompt-sensitivity probe: decisions that flip under each rewording (exact intervals)."""

    variants: list[SensitivityVariant] = Field(default_factory=list)
    n: int = 0
    flipped_under_any: int = 0
    flip_rate_any: Estimate | None = None

    @model_validator(mode="before")
    @classmethod
    def _fold_flat(cls, data: Any) -> Any:
        """Written before Estimate: ``flip_rate_any`` with ``ci_low``/``ci_high`` beside it."""
        return _fold(data, "flip_rate_any")


class RedteamBlock(_Open):
    """Red-team probes of a task (audits/scanners/redteam.py): attack success overall, per family, per
    attack technique and per sensitive group, each with its exact interval; the detectors' measured
    quality; for the leak probe, the run's canary and whether a system prompt had to be planted."""

    n: int = 0
    successes: int = 0
    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    families: dict[str, Estimate] = Field(default_factory=dict)
    by_attack: dict[str, Estimate] = Field(default_factory=dict)
    by_group: dict[str, dict[str, Estimate]] = Field(default_factory=dict)
    quoted_not_counted: int = 0
    owasp: dict[str, str] = Field(default_factory=dict)
    detectors: JsonObject = Field(default_factory=dict)
    canary: str | None = None
    planted_system_prompt: bool | None = None
    note: str | None = None


class GroundednessBlock(_Open):
    """Claims of each answer checked against the task's context (audits/scanners/groundedness.py), and the
    detector's own measured quality on held-out, length-matched HaluEval (``detector``: per subset
    balanced accuracy, AUROC, precision and recall for "unsupported" with intervals; top level = the
    lowest subset; ``below_target`` lists subsets under target; ``second_set``: the same figures on FaithGate's
    100 hand-labelled answers, outside the targets — ``reports.sections.second_set_text`` says it in words)."""

    context: str | None = None              # the task's context column
    detector_version: str | None = None
    signature: str | None = None            # detector version, coefficients hash, options
    n: int = 0
    n_scorable: int = 0                     # rows with claims scored (the rates' n)
    n_hallucinated: int = 0
    n_abstained: int = 0                    # declined: no claims, not a hallucination
    n_not_scorable: int = 0                 # empty/over-long context, empty answer, a claim not in English
    not_scorable_reasons: dict[str, int] = Field(default_factory=dict)
    detector: JsonObject = Field(default_factory=dict)


class TaskResult(_Strict):
    """One task of a run: what was measured, on which data, and every scanner's block."""

    name: str
    type: str
    n: int
    positive: str | None = None
    source: str | None = None
    dataset_sha256: str | None = None
    attributes: list[str] = Field(default_factory=list)
    metrics: dict[str, MetricSummary] = Field(default_factory=dict)
    fairness: dict[str, FairnessGrouping] = Field(default_factory=dict)
    pii: PiiBlock | None = None
    toxicity: ToxicityBlock | None = None
    counterfactual: CounterfactualBlock | None = None
    explain: ExplainBlock | None = None
    sensitivity: SensitivityBlock | None = None
    redteam: RedteamBlock | None = None
    groundedness: GroundednessBlock | None = None
    extra: JsonObject = Field(default_factory=dict, description="blocks from scanners without a typed block")

    def metric(self, name: str) -> MetricSummary | None:
        return self.metrics.get(name)


class ReviewSummary(_Strict):
    rate: float = 0.0
    queue: int = 0


class RunResults(_Strict):
    """The whole run, as written to ``results.json``."""

    schema_version: int = SCHEMA_VERSION
    run_id: str
    audit: str
    period: str
    model: WrittenModelIdentity = Field(default_factory=ModelIdentity)
    tasks: list[TaskResult] = Field(default_factory=list)
    review: ReviewSummary = Field(default_factory=ReviewSummary)
    policy: list[str] = Field(default_factory=list)

    def task(self, name: str) -> TaskResult:
        for t in self.tasks:
            if t.name == name:
                return t
        raise AssayError(f"run {self.run_id} has no task '{name}' (tasks: {', '.join(self.task_names)})",
                         "pick one of the run's tasks")

    @property
    def task_names(self) -> list[str]:
        return [t.name for t in self.tasks]

    def metrics(self) -> Iterator[tuple[TaskResult, str, MetricSummary]]:
        """(task, metric name, summary) for every metric of every task, in file order."""
        for t in self.tasks:
            for name, m in t.metrics.items():
                yield t, name, m

    def metrics_frame(self) -> "pd.DataFrame":
        """One row per (task, metric): value, interval, n, method, direction and signature."""
        import pandas as pd

        rows = [{"task": t.name, "metric": name, "value": m.value, "ci_low": m.ci_low, "ci_high": m.ci_high,
                 "n": m.n, "method": m.method, "design_effect": m.design_effect, "statement": m.statement,
                 "higher_is_better": m.higher_is_better, "signature": m.signature}
                for t, name, m in self.metrics()]
        return pd.DataFrame(rows, columns=METRICS_FRAME_COLUMNS)

    def to_json(self) -> str:
        return json.dumps(jsonable(self.model_dump(mode="python", exclude_none=False)), indent=2)


METRICS_FRAME_COLUMNS = ["task", "metric", "value", "ci_low", "ci_high", "n", "method", "design_effect",
                         "statement", "higher_is_better", "signature"]
TASK_BLOCK_FIELDS = ("fairness", "pii", "toxicity", "counterfactual", "explain", "sensitivity", "redteam",
                     "groundedness")


# a task's scanner blocks as scanners return them: a typed block, or JSON for a scanner without one
ScannerBlocks = dict[str, "BaseModel | JsonObject"]


def build_task_result(fields: JsonObject, blocks: ScannerBlocks, metrics: dict[str, JsonObject]) -> TaskResult:
    """A TaskResult from the runner's pieces; scanner blocks without a typed field go to ``extra``."""
    typed = {k: v for k, v in blocks.items() if k in TASK_BLOCK_FIELDS}
    extra = {k: v for k, v in blocks.items() if k not in TASK_BLOCK_FIELDS}
    return TaskResult.model_validate(jsonable({**fields, **typed, "metrics": metrics, "extra": extra}))


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
    from audits.stats import describe

    num = lambda x: float("nan") if x is None else float(x)  # noqa: E731
    return describe(name, None if m.get("value") is None else float(m["value"]), num(m.get("ci_low")),
                    num(m.get("ci_high")), int(m.get("n") or 0), kind=_v1_kind(name), method=V1_INTERVAL_METHOD)


def _migrate_v1(data: JsonObject, config: JsonObject | None) -> JsonObject:
    """Schema 1 (untyped) -> 2: intervals were percentile bootstraps; thresholds from the config."""
    data = json.loads(json.dumps(data))  # a deep copy; the caller's dict is never changed
    threshold = ((config or {}).get("scanners") or {}).get("bias", {}) or {}
    threshold = float(threshold.get("four_fifths", V1_FOUR_FIFTHS))
    for task in data.get("tasks", []):
        for name, m in (task.get("metrics") or {}).items():
            m.setdefault("method", V1_INTERVAL_METHOD)
            m.setdefault("higher_is_better", _registered_direction(name))
            m.setdefault("kind", _v1_kind(name))
            m.setdefault("statement", _v1_statement(name, m))
        for grouping in (task.get("fairness") or {}).values():
            grouping.setdefault("four_fifths_threshold", threshold)
        extra = {k: task.pop(k) for k in list(task) if k not in TaskResult.model_fields}
        task["extra"] = {**extra, **task.get("extra", {})}
    data["schema_version"] = SCHEMA_VERSION
    return data


def _lift_typed_blocks(data: JsonObject) -> JsonObject:
    """Blocks that gained a typed field after a bundle was written (sensitivity) move out of ``extra``."""
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not any(isinstance(t, dict) and set(t.get("extra") or {}) & set(TASK_BLOCK_FIELDS)
                                              for t in tasks):
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


def parse_results(data: Any, source: str = "results.json", config: JsonObject | None = None) -> RunResults:
    """Validate (and migrate) a parsed results file; one-line errors name the file and key path."""
    if not isinstance(data, dict):
        raise AssayError(f"{source}: results must be a JSON object, got {type(data).__name__}",
                         "restore the bundle from a backup; `assay verify` shows what changed")
    version = data.get("schema_version", 1)
    if not isinstance(version, int) or version < 1 or version > SCHEMA_VERSION:
        raise AssayError(f"{source}: unknown schema_version {version!r} (this Assay reads 1 to {SCHEMA_VERSION})",
                         "upgrade Assay to read results written by a newer version")
    if version == 1:
        data = _migrate_v1(data, config)
    data = _lift_typed_blocks(data)
    try:
        return RunResults.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        path = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise AssayError(f"{source}: invalid results at '{path}': {first['msg']}",
                         "the bundle does not match its schema; run `assay verify` to check it") from None


def load_results(path: Path, config: JsonObject | None = None) -> RunResults:
    """Read ``results.json`` (any known schema version) from a bundle."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AssayError(f"{path} does not exist", "check the run id with `assay runs`") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AssayError(f"cannot read {path}: {err}", "run `assay verify` to check the bundle") from None
    return parse_results(data, str(path), config)
