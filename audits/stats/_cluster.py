"""Clustered samples: the single place that turns a cluster column into cluster sums and a
design effect (cf. Inspect AI's ``_cluster_partition``).

Because metrics are per-sample sufficient statistics, summing a cluster's rows gives one row
per cluster, and every bootstrap or jackknife over those rows resamples whole clusters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cluster_codes(clusters) -> tuple[np.ndarray, int]:
    """Integer codes (n,) in order of first appearance, and the number of clusters."""
    codes, uniques = pd.factorize(pd.Series(list(clusters), dtype=object), sort=False)
    if (codes < 0).any():
        raise ValueError("cluster ids must not be null")
    return codes.astype(np.int64), len(uniques)


def cluster_sums(stats: np.ndarray, clusters) -> np.ndarray:
    """Per-cluster sums of the statistics, shape (G, k)."""
    stats = np.asarray(stats, dtype=np.float64)
    codes, g = cluster_codes(clusters)
    out = np.zeros((g, stats.shape[1]))
    np.add.at(out, codes, stats)
    return out


def ratio_design_effect(stats: np.ndarray, clusters) -> float:
    """Design effect of a mean ``sum(y) / sum(w)`` (stats columns [y, w]): the cluster-robust
    (linearised, G/(G-1) corrected) variance over the independent-samples variance.

    1 when there is one sample per cluster; NaN when either variance is undefined.
    """
    stats = np.asarray(stats, dtype=np.float64)
    y, w = stats[:, 0], stats[:, 1]
    total = w.sum()
    if total <= 0 or stats.shape[0] < 2:
        return float("nan")
    mean = y.sum() / total
    resid = y - mean * w
    n = stats.shape[0]
    iid = n / (n - 1) * float(np.sum(resid ** 2))
    sums = cluster_sums(resid[:, None], clusters)[:, 0]
    g = sums.size
    if g < 2 or iid <= 0:
        return float("nan")
    robust = g / (g - 1) * float(np.sum(sums ** 2))
    return robust / iid


def variance_design_effect(clustered: np.ndarray, independent: np.ndarray) -> float:
    """Design effect from two sets of bootstrap replicates (cluster and independent resampling)."""
    a = np.asarray(clustered, dtype=np.float64)
    b = np.asarray(independent, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2 or np.var(b) <= 0:
        return float("nan")
    return float(np.var(a) / np.var(b))
