"""The scanner interface (after presidio's registry of recognizers).

A scanner looks at one task's samples after inference and emits findings, per-sample
columns, flags, extra metrics and a block of results for ``assay results --json``.
Scanners run in ``order`` (PII and toxicity before bias, so bias can disaggregate them;
explanations last, so they can pick flagged samples first).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from audits.backends.base import Backend
from audits.config import AuditConfig, TaskConfig
from audits.metrics.base import Metric, MetricResult
from audits.registry import Registry


@dataclass
class TaskContext:
    """Everything a scanner may read for one task. ``samples`` is aligned with ``metric_stats``."""

    task: TaskConfig
    samples: pd.DataFrame
    metric_stats: dict[str, tuple[Metric, np.ndarray]]
    results: dict[str, Any]
    options: dict[str, Any]
    backend: Backend | None
    seed: int
    n_bootstrap: int
    flags: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class ScanOutput:
    findings: pd.DataFrame | None = None
    sample_columns: dict[str, Any] = field(default_factory=dict)
    flags: dict[str, np.ndarray] = field(default_factory=dict)
    metrics: dict[str, MetricResult] = field(default_factory=dict)
    metric_stats: dict[str, tuple[Metric, np.ndarray]] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)


class Scanner(ABC):
    name: ClassVar[str] = ""
    order: ClassVar[int] = 50

    def validate(self, options: dict[str, Any], config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        """Check options and data *before* inference; raise AssayError with the fix."""
        return None

    @abstractmethod
    def scan(self, ctx: TaskContext) -> ScanOutput:
        """Scan one task."""


SCANNERS: Registry[type[Scanner]] = Registry("scanner")
