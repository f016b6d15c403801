"""The scanner interface (after presidio's registry of recognizers).

A scanner looks at one task's samples after inference and emits findings, per-sample
columns, flags, extra metrics and a block of results for ``assay results --json``.
Each scanner declares its options as a pydantic model (``Options``: the same file/key-path errors
as the rest of the config) and what it ``provides`` and ``requires`` (tokens such as ``metrics``,
``flags``, ``metric:pii_leak_rate``); :func:`scan_order` runs every provider before its consumers
(PII and toxicity before bias, so bias can disaggregate them; explanations after every flag, so
they can pick flagged samples first).

A CPU-heavy scanner hands its per-row work (detection on each text) to ``ctx.map_rows`` as an
``audits.executors.RowStage``, so it runs where the job's executor puts it (``ray``: a Ray Data
stage on the cluster's CPUs); the aggregation (rates, intervals, findings) stays in ``scan``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping, TypeVar, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, ValidationError

from audits.backends.base import Backend
from audits.config import AuditConfig, ScannerOptions, TaskConfig, UncheckedOptions
from audits.executors.base import Executor, RowStage, run_in_process
from audits.errors import AssayError
from audits.metrics.base import Metric, MetricResult
from audits.registry import Registry
from audits.results import ScannerBlocks


def as_text(value: Any) -> str:
    """A sample field as the text a scanner reads: None and NaN (a missing cell) are empty."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


@dataclass
class TaskContext:
    """Everything a scanner may read for one task. ``samples`` is aligned with ``metric_stats``.

    ``options`` is the scanner's typed ``Options`` as ``runner.prepare`` checked them; a mapping given
    here instead (a direct call) is held as :class:`UncheckedOptions` and checked by the scanner."""

    task: TaskConfig
    samples: pd.DataFrame
    metric_stats: dict[str, tuple[Metric, np.ndarray]]
    options: ScannerOptions
    backend: Backend | None
    seed: int
    n_bootstrap: int
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    executor: Executor | None = None  # the job's executor; None: per-row stages run in this process

    def __post_init__(self) -> None:
        if not isinstance(self.options, ScannerOptions):
            self.options = UncheckedOptions.model_validate(dict(self.options or {}))

    def map_rows(self, stage: RowStage, rows: list[Any]) -> list[Any]:
        """``stage`` over ``rows`` on the job's executor (one result per row, in order)."""
        if self.executor is not None:
            return self.executor.map_rows(stage, rows)
        return run_in_process(stage, rows)


@dataclass
class ScanOutput:
    findings: pd.DataFrame | None = None
    sample_columns: dict[str, np.ndarray | pd.Series | list[Any]] = field(default_factory=dict)
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    metric_stats: dict[str, tuple[Metric, np.ndarray]] = field(default_factory=dict)
    results: ScannerBlocks = field(default_factory=dict)  # block name -> typed block (or JSON)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


O = TypeVar("O", bound=BaseModel)


def parse_scanner_options(name: str, model: type[O], options: BaseModel | Mapping[str, object] | None,
                          source: str = "config") -> O:
    """``scanners.<name>`` as its typed model: an instance of ``model`` passes through (checked once, in
    ``runner.prepare``); options as written are validated, one line naming the key path and the fix."""
    if isinstance(options, model):
        return options
    if isinstance(options, UncheckedOptions):
        options = options.as_written()
    elif isinstance(options, BaseModel):
        options = options.model_dump()
    try:
        return model.model_validate(options or {})
    except ValidationError as err:
        first = err.errors()[0]
        key = ".".join(["scanners", name, *(str(p) for p in first["loc"])])
        block, path = _block_model(model, tuple(first["loc"]))  # a nested block's own fields (judge: base_url, ...)
        allowed = ", ".join(block.model_fields)
        if first["type"] == "extra_forbidden":
            raise AssayError(f"{source}: unknown option '{key}'", f"use only: {allowed}") from None
        raise AssayError(f"{source}: invalid value at '{key}': {first['msg']} (got {first.get('input')!r})",
                         f"correct it; options of {'.'.join(['scanners', name, *path])}: {allowed}") from None


def _block_model(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[type[BaseModel], list[str]]:
    """The options model that holds the key at ``loc`` (the nested block's, e.g. ``judge``'s, for
    ``judge.temperature``) and its key path below ``scanners.<name>``."""
    block, path = model, []
    for part in loc[:-1]:
        if isinstance(part, int):  # an item of a list of blocks
            continue
        info = block.model_fields.get(part)
        inner = _model_in(info.annotation) if info is not None else None
        if inner is None:
            break
        block, path = inner, [*path, part]
    return block, path


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation (``JudgeOptions | None``, ``list[X]``), or None."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


class Scanner(ABC):
    name: ClassVar[str] = ""
    Options: ClassVar[type[ScannerOptions]] = ScannerOptions
    provides: ClassVar[frozenset[str]] = frozenset()
    requires: ClassVar[frozenset[str]] = frozenset()

    def parse(self, options: ScannerOptions | Mapping[str, object] | None, source: str = "config") -> ScannerOptions:
        """The typed options with defaults filled in, passed as they are to ``validate`` and ``scan``
        (a scanner without an ``Options`` model gets them unchecked and checks them in ``validate``)."""
        if self.Options is ScannerOptions:
            return options if isinstance(options, ScannerOptions) else UncheckedOptions.model_validate(dict(options or {}))
        return parse_scanner_options(self.name, self.Options, options, source)

    def validate(self, options: ScannerOptions, config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        """Check options and data *before* inference; raise AssayError with the fix."""
        return None

    @abstractmethod
    def scan(self, ctx: TaskContext) -> ScanOutput:
        """Scan one task."""


SCANNERS: Registry[type[Scanner]] = Registry("scanner")


def scan_order(names: list[str]) -> list[str]:
    """Scanners in an order where every provider runs before the scanners that require it.

    Ties keep the given (config) order, so the order is deterministic; a cycle is a bug.
    """
    classes = {n: SCANNERS.get(n) for n in names}
    pending = list(dict.fromkeys(names))
    ordered: list[str] = []
    while pending:
        for name in pending:
            needs = classes[name].requires
            if not any(needs & classes[other].provides for other in pending if other != name):
                ordered.append(name)
                pending.remove(name)
                break
        else:
            raise RuntimeError(f"scanner dependency cycle among {pending}")
    return ordered
