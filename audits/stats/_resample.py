"""The resampler: a seeded, vectorised bootstrap over per-sample sufficient statistics.

``metric`` is anything with ``aggregate(stats_sums) -> value`` (an :class:`audits.metrics.base.Metric`);
this module imports nothing from the metrics, so statistics stay one floor below them.

A resample is a vector of multiplicities (how often each sample was drawn); the resampled
statistics are ``counts @ stats``. Drawing all resamples as one count matrix, in chunks to
bound memory, makes 1,000 resamples of 100k samples a few matrix products.

Resampling is exact (multinomial: n draws with replacement). When the stats have few distinct
rows (accuracy, selection rate, F1 counts: a handful of row types), a resample's sum depends only
on how often each row *type* was drawn, which is Multinomial(n, type frequencies): those counts
are drawn directly, R x d instead of R x n (same distribution, another random stream).
Otherwise chunks are kept small (~16 MB) so their buffers are reused instead of freshly mapped, and large samples count each resample's draws
with its own ``bincount`` (cache-friendly) instead of one offset ``bincount`` over the chunk; the
random stream is consumed in the same order either way, so values never depend on chunking.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DEFAULT_RESAMPLES = 1000
_CHUNK_CELLS = 2_000_000  # resamples x samples per chunk (~16 MB of int64 draws + 16 MB of counts)
_ROWWISE_MIN_N = 4_096  # from this many samples on, count draws one resample at a time


def resample_counts(n: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Multinomial(n, 1/n) multiplicities, shape (n_resamples, n)."""
    idx = rng.integers(0, n, size=(n_resamples, n))
    offsets = (np.arange(n_resamples) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=n_resamples * n).reshape(n_resamples, n).astype(np.float64)


def _pooled(stats: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(distinct rows (d, k), their frequencies (d,)) when d * 4 <= n, else None."""
    n = stats.shape[0]
    if n < 8 or not np.isfinite(stats).all():
        return None
    head = stats[:1024]
    if len(np.unique(head, axis=0)) * 4 > len(head):  # clearly continuous: skip the full unique
        return None
    distinct, inverse = np.unique(stats, axis=0, return_inverse=True)
    if distinct.shape[0] * 4 > n:
        return None
    return distinct, np.bincount(inverse.ravel(), minlength=distinct.shape[0]) / n


def bootstrap_values(metric: Any, stats: np.ndarray, n_resamples: int = DEFAULT_RESAMPLES,
                     seed: int = 0) -> np.ndarray:
    """The metric on each bootstrap resample, shape (n_resamples,). NaN-free unless the metric is."""
    stats = np.asarray(stats, dtype=np.float64)
    n = stats.shape[0]
    if n == 0 or n_resamples <= 0:
        return np.empty(0)
    rng = np.random.default_rng(seed)
    pooled = _pooled(stats)
    if pooled is not None:
        distinct, freq = pooled
        counts = rng.multinomial(n, freq, size=n_resamples).astype(np.float64)
        return metric.aggregate((np.ascontiguousarray(distinct.T) @ counts.T).T)
    chunk = min(n_resamples, max(1, _CHUNK_CELLS // max(n, 1)))
    stats_t = np.ascontiguousarray(stats.T)  # (k, n) @ (n, r) is several times faster than (r, n) @ (n, k)
    out = []
    if n < _ROWWISE_MIN_N:
        for start in range(0, n_resamples, chunk):
            counts = resample_counts(n, min(chunk, n_resamples - start), rng)
            out.append(metric.aggregate((stats_t @ counts.T).T))
        return np.concatenate(out)
    counts = np.empty((chunk, n))
    for start in range(0, n_resamples, chunk):
        size = min(chunk, n_resamples - start)
        draws = rng.integers(0, n, size=(size, n))  # the same stream resample_counts would use
        for row in range(size):
            counts[row] = np.bincount(draws[row], minlength=n)
        out.append(metric.aggregate((stats_t @ counts[:size].T).T))
    return np.concatenate(out)


def bootstrap_ci(metric: Any, stats: np.ndarray, n_resamples: int = DEFAULT_RESAMPLES,
                 seed: int = 0, alpha: float = 0.05) -> tuple[float, float]:
    """Percentile interval (alpha/2, 1 - alpha/2); (nan, nan) when it cannot be formed."""
    values = bootstrap_values(metric, stats, n_resamples, seed)
    values = values[~np.isnan(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)
