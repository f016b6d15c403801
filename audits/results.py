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
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Iterator

from pydantic import BaseModel, BeforeValidator, Field, PlainSerializer, ValidationError

# the models live in three private modules, by seam; this module is their one public import path
from audits._results_base import (SCHEMA_VERSION, V1_FOUR_FIFTHS, V1_INTERVAL_METHOD, Estimate, MetricSummary,
                                  _Strict, jsonable)
from audits._results_blocks import (TASK_BLOCK_FIELDS, AttackRate, CounterfactualBlock, Discrimination, ExplainBlock,
                                    FairnessGrouping, Gap, GroundednessBlock, GroupEntry, GroupTest, PiiBlock,
                                    RedteamBlock, SensitivityBlock, SensitivityVariant, SimilarityEstimate,
                                    TaskResult, ToxicityBlock, ToxicityGap)
from audits._results_estimates import detector_estimates
from audits._results_migration import _lift_typed_blocks, _migrate_v1
from audits.errors import AssayError
from audits.identity import ModelIdentity
from audits.jsontypes import JsonObject

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["SCHEMA_VERSION", "V1_FOUR_FIFTHS", "V1_INTERVAL_METHOD", "METRICS_FRAME_COLUMNS", "TASK_BLOCK_FIELDS",
           "AttackRate", "CounterfactualBlock", "Discrimination", "Estimate", "ExplainBlock", "FairnessGrouping", "Gap",
           "GroundednessBlock", "GroupEntry", "GroupTest", "MetricSummary", "PiiBlock", "RedteamBlock",
           "ReviewSummary", "RunResults", "ScannerBlocks", "SensitivityBlock", "SensitivityVariant",
           "SimilarityEstimate", "TaskResult", "ToxicityBlock", "ToxicityGap", "WrittenModelIdentity",
           "build_task_result", "detector_quality", "jsonable", "load_results", "parse_results"]


def _identity_as_written(model: ModelIdentity) -> JsonObject:
    """The backend's identity as it wrote it (no keys it did not set)."""
    return jsonable(model.model_dump(exclude_unset=True))


#: A model identity field as results.json and manifest.json hold it: read from any older form,
#: written back with only the keys the backend set.
WrittenModelIdentity = Annotated[ModelIdentity, BeforeValidator(ModelIdentity.read),
                                 PlainSerializer(_identity_as_written)]


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


# a task's scanner blocks as scanners return them: a typed block, or JSON for a scanner without one
ScannerBlocks = dict[str, "BaseModel | JsonObject"]


def detector_quality(quality: JsonObject) -> dict[str, Estimate]:
    """Every figure of a detector's measured-quality JSON with an interval (``<name>`` beside
    ``<name>_ci``), as an Estimate keyed by dotted path: the rule the blocks' ``detector_estimates`` use."""
    return {k: Estimate.model_validate(v) for k, v in detector_estimates(quality).items()}


def build_task_result(fields: JsonObject, blocks: ScannerBlocks, metrics: dict[str, JsonObject]) -> TaskResult:
    """A TaskResult from the runner's pieces; scanner blocks without a typed field go to ``extra``."""
    typed = {k: v for k, v in blocks.items() if k in TASK_BLOCK_FIELDS}
    extra = {k: v for k, v in blocks.items() if k not in TASK_BLOCK_FIELDS}
    return TaskResult.model_validate(jsonable({**fields, **typed, "metrics": metrics, "extra": extra}))


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
