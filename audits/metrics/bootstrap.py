"""Each metric's point value, interval and signature from its per-sample sufficient statistics.

``summarise`` gives each metric the interval its kind of score needs (``audits.stats``). The
resampler itself lives in :mod:`audits.stats` (``_resample``) (re-exported here for old imports).
"""

from __future__ import annotations

import numpy as np

from audits.metrics.base import Metric, MetricInputs, MetricResult
from audits.stats import (DEFAULT_RESAMPLES, bootstrap_ci, bootstrap_values,  # noqa: F401  (re-exported)
                          resample_counts)


def summarise(metric: Metric, stats: np.ndarray, n_resamples: int = DEFAULT_RESAMPLES,
              seed: int = 0, alpha: float = 0.05, clusters=None, cluster_name: str | None = None) -> MetricResult:
    """Point value, CI, n, signatures and per-sample scores from precomputed statistics.

    The interval method follows the kind of score (``audits.stats.metric_interval``): exact
    binomial for rates, BCa bootstrap for means, percentile bootstrap for corpus metrics.
    ``clusters`` (one id per row of ``stats``) makes every interval cluster-aware.
    """
    from audits.stats import describe, metric_interval

    stats = np.asarray(stats, dtype=np.float64)
    mask = metric.scored(stats) if stats.shape[0] else np.zeros(0, dtype=bool)
    scored = stats[mask] if stats.shape[0] else stats  # rows that could be scored
    groups = None
    if clusters is not None and stats.shape[0]:
        groups = np.asarray(list(clusters), dtype=object)[mask]
    iv = metric_interval(metric, scored, confidence=1.0 - alpha, n_resamples=n_resamples, seed=seed,
                         clusters=groups, cluster_name=cluster_name)
    value = float(metric.aggregate(stats.sum(axis=0))) if iv.n else float("nan")
    statement = describe(metric.name, value, iv.low, iv.high, iv.n, kind=iv.kind, confidence=iv.confidence,
                         events=iv.events, method=iv.method, design_effect=iv.design_effect,
                         n_clusters=iv.n_clusters, design_effect_source=iv.design_effect_source, caveat=iv.caveat)
    return MetricResult(name=metric.name, value=value, ci_low=iv.low, ci_high=iv.high, n=iv.n,
                        signature=metric.signature(),
                        per_sample=metric.per_sample(stats) if stats.shape[0] else np.empty(0),
                        kind=iv.kind, method=iv.method, confidence=iv.confidence, interval=iv.signature.format(),
                        events=iv.events, design_effect=iv.design_effect, n_clusters=iv.n_clusters,
                        statement=statement, design_effect_source=iv.design_effect_source, caveat=iv.caveat)


def compute(metric: Metric, inputs: MetricInputs, n_resamples: int = DEFAULT_RESAMPLES,
            seed: int = 0, alpha: float = 0.05, clusters=None) -> tuple[MetricResult, np.ndarray]:
    """Compute a metric with its CI; also returns the (n, k) stats for reuse by group."""
    stats = np.asarray(metric.stats(inputs), dtype=np.float64)
    return summarise(metric, stats, n_resamples, seed, alpha, clusters), stats
