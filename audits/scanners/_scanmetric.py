"""Mean-type metrics that scanners publish per sample (rates and means), so the bias scanner
can disaggregate them by group and every one gets a confidence interval, cluster-aware when the
task declares ``cluster:`` (like quality metrics)."""

from __future__ import annotations

from typing import Any, TypedDict

import numpy as np

from audits.jsontypes import JsonObject
from audits.metrics.base import Metric, MetricInputs, MetricResult
from audits.metrics.bootstrap import summarise


class ScanMean(Metric):
    """A mean of per-sample scanner values; stats are ``[value, 1]`` per sample."""

    requires = frozenset()
    kind = "mean"  # per-sample values (all 0/1: a rate): picks the interval method

    def __init__(self, name: str, signature: str, higher_is_better: bool = False,
                 options: JsonObject | None = None):
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

    def options(self) -> JsonObject:
        return dict(self._options)


def mean_stats(values: np.ndarray) -> np.ndarray:
    """Per-sample values (n,) -> stats (n, 2) = [value, 1]."""
    values = np.asarray(values, dtype=np.float64)
    return np.column_stack([values, np.ones_like(values)])


class Clusters(TypedDict, total=False):
    """``publish``'s cluster arguments: each sample's cluster id and the column's name (empty: unclustered)."""

    clusters: list[object]
    cluster_name: str


def task_clusters(ctx: Any) -> Clusters:
    """The task's ``cluster:`` ids for ``publish``, read as the runner reads them for quality
    metrics (the samples' ``cluster`` column, named by ``task.cluster``); {} when unclustered."""
    samples = getattr(ctx, "samples", None)
    if samples is None or "cluster" not in samples.columns:
        return {}
    return {"clusters": samples["cluster"].tolist(), "cluster_name": ctx.task.cluster or "cluster"}


def publish(metric: ScanMean, values: np.ndarray, seed: int, n_bootstrap: int, clusters=None,
            cluster_name: str | None = None) -> tuple[MetricResult, tuple[Metric, np.ndarray]]:
    """Summary with its interval (exact for rates, BCa for means; over whole clusters when
    ``clusters`` gives one id per value), and the ``(metric, stats)`` pair for metric_stats."""
    stats = mean_stats(values)
    if clusters is not None and len(clusters) != len(stats):
        raise ValueError(f"{metric.name}: {len(clusters)} cluster ids for {len(stats)} values")
    return (summarise(metric, stats, n_resamples=n_bootstrap, seed=seed, clusters=clusters,
                      cluster_name=cluster_name), (metric, stats))
