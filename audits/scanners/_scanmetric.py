"""Mean-type metrics that scanners publish per sample (rates and means), so the bias scanner
can disaggregate them by group and the bootstrap can give them confidence intervals."""

from __future__ import annotations

from typing import Any

import numpy as np

from audits.metrics.base import Metric, MetricInputs, MetricResult
from audits.metrics.bootstrap import summarise


class ScanMean(Metric):
    """A mean of per-sample scanner values; stats are ``[value, 1]`` per sample."""

    requires = frozenset()
    kind = "mean"  # per-sample values (all 0/1: a rate): picks the interval method

    def __init__(self, name: str, signature: str, higher_is_better: bool = False,
                 options: dict[str, Any] | None = None):
        self.name = name  # type: ignore[misc]  # instance-level name: one class, many metrics
        self.higher_is_better = higher_is_better  # type: ignore[misc]
        self._signature = signature
        self._options = dict(options or {})

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        raise NotImplementedError("scanner metrics are computed by their scanner, not from predictions")

    def aggregate(self, summed: np.ndarray) -> np.ndarray:
        summed = np.asarray(summed, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(summed[..., 1] > 0, summed[..., 0] / np.where(summed[..., 1] > 0, summed[..., 1], 1), np.nan)

    def signature(self) -> str:
        return self._signature

    def options(self) -> dict[str, Any]:
        return dict(self._options)


def mean_stats(values: np.ndarray) -> np.ndarray:
    """Per-sample values (n,) -> stats (n, 2) = [value, 1]."""
    values = np.asarray(values, dtype=np.float64)
    return np.column_stack([values, np.ones_like(values)])


def publish(metric: ScanMean, values: np.ndarray, seed: int, n_bootstrap: int
            ) -> tuple[MetricResult, tuple[Metric, np.ndarray]]:
    """Summary with a seeded bootstrap CI, and the ``(metric, stats)`` pair for metric_stats."""
    stats = mean_stats(values)
    return summarise(metric, stats, n_resamples=n_bootstrap, seed=seed), (metric, stats)
