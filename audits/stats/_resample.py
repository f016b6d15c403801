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

The bias scan resamples *summed* statistics of each group for several metrics at once
(``resample_sums`` / ``resample_blocks``): the same multinomial pooling of identical rows, and
for continuous statistics one index draw per resample shared by every metric of the group.
Those two keep their own random streams (the figures they give are unchanged from when they
lived in the bias scanner).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audits.stats._bootstrap import percentile_interval

DEFAULT_RESAMPLES = 1000
_CHUNK_CELLS = 2_000_000  # resamples x samples per chunk (~16 MB of int64 draws + 16 MB of counts)
_ROWWISE_MIN_N = 4_096  # from this many samples on, count draws one resample at a time


def resample_counts(n: int, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Multinomial(n, 1/n) multiplicities, shape (n_resamples, n)."""
    idx = rng.integers(0, n, size=(n_resamples, n))
    offsets = (np.arange(n_resamples) * n)[:, None]
    return np.bincount((idx + offsets).ravel(), minlength=n_resamples * n).reshape(n_resamples, n).astype(np.float64)


def _pooled(stats: np.ndarray, screen: bool = True) -> tuple[np.ndarray, np.ndarray] | None:
    """(distinct rows (d, k), their frequencies (d,)) when d * 4 <= n, else None.

    ``screen`` (the per-metric bootstrap): at least 8 finite rows, and a quick look at the first
    1,024 rows skips the full ``unique`` on clearly continuous statistics. Without it (the group
    sums of the bias scan) any NaN-free block with few distinct rows is pooled."""
    n = stats.shape[0]
    if screen:
        if n < 8 or not np.isfinite(stats).all():
            return None
        head = stats[:1024]
        if len(np.unique(head, axis=0)) * 4 > len(head):  # clearly continuous: skip the full unique
            return None
    elif n == 0 or np.isnan(stats).any():
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
    """Percentile interval (alpha/2, 1 - alpha/2) of the metric's bootstrap values (the one
    ``percentile_interval``); (nan, nan) when it cannot be formed."""
    return percentile_interval(bootstrap_values(metric, stats, n_resamples, seed), alpha=alpha)


def resample_sums(stats: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Summed statistics over ``n_resamples`` bootstrap resamples of the rows: (R, k).

    ``stats`` is (n, k). Identical rows are pooled: the multiplicities of the D distinct rows are
    drawn as Multinomial(n, m_d / n), the same distribution as summing the rows' own
    multiplicities, at R x D instead of R x n. Otherwise one index draw per resample.
    """
    stats = np.asarray(stats, dtype=np.float64)
    n = stats.shape[0]
    if n == 0 or n_resamples <= 0:
        return np.empty((0, stats.shape[1] if stats.ndim == 2 else 0))
    pooled = _pooled(stats, screen=False)
    if pooled is not None:
        distinct, freq = pooled
        return np.random.default_rng(seed).multinomial(n, freq, size=n_resamples).astype(np.float64) @ distinct
    return _dense_sums(stats, n_resamples, seed)


def resample_blocks(blocks: list[np.ndarray], n_resamples: int, seed: int) -> list[np.ndarray]:
    """Resampled sums for several (n, k_i) stat blocks of the same rows: list of (R, k_i).

    Poolable blocks (few distinct rows) are drawn on their own (seed ``seed + 7919 * (i + 1)``);
    the rest share one index draw per resample, so continuous metrics cost one pass together.
    """
    out: list[np.ndarray | None] = [None] * len(blocks)
    dense: list[int] = []
    for i, block in enumerate(blocks):
        block = np.asarray(block, dtype=np.float64)
        n = block.shape[0]
        if n == 0:  # no row of this group could be scored by this metric: nothing to resample
            out[i] = np.zeros((max(n_resamples, 0), block.shape[1] if block.ndim == 2 else 0))
            continue
        if _pooled(block, screen=False) is not None:
            out[i] = resample_sums(block, n_resamples, seed + 7919 * (i + 1))
        elif dense and n != np.asarray(blocks[dense[0]]).shape[0]:
            # a metric that scored fewer of these rows (e.g. groundedness: declined answers are out of n)
            # cannot share the joint index draw: it is drawn on its own
            out[i] = _dense_sums(block, n_resamples, seed + 7919 * (i + 1))
        else:
            dense.append(i)
    if dense:
        joint = np.concatenate([np.asarray(blocks[i], dtype=np.float64) for i in dense], axis=1)
        sums = _dense_sums(joint, n_resamples, seed)
        start = 0
        for i in dense:
            k = np.asarray(blocks[i]).shape[1]
            out[i] = sums[:, start:start + k]
            start += k
    return out  # type: ignore[return-value]


def _dense_sums(stats: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """One index draw per resample (no pooling). Constant columns (the ``1`` of a mean's
    ``[x, 1]``) sum to n x value in every resample; the others are gathered and summed."""
    n = stats.shape[0]
    out = np.empty((max(n_resamples, 0), stats.shape[1]))
    if n == 0:
        out[:] = np.nan
        return out
    const = np.all(stats == stats[0], axis=0)
    out[:, const] = n * stats[0, const]
    varying = np.flatnonzero(~const)
    if varying.size == 0:
        return out
    cols = stats[:, varying[0]] if varying.size == 1 else stats[:, varying]
    rng = np.random.default_rng(seed)
    for r in range(n_resamples):
        out[r, varying] = cols[rng.integers(0, n, size=n)].sum(axis=0)
    return out
