"""Bootstrap intervals from replicates: percentile, and BCa (bias-corrected and accelerated,
Efron 1987) with the acceleration from the jackknife.

The replicates come from Assay's seeded, vectorised bootstrap over per-sample sufficient
statistics (``audits.stats.bootstrap_values``); the jackknife is exact and cheap on
the same statistics: leaving row i out is ``aggregate(total - stats[i])``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr, ndtri


def percentile_interval(values: np.ndarray, confidence: float = 0.95, *,
                        alpha: float | None = None) -> tuple[float, float]:
    """Equal-tailed percentile interval of the finite replicates: the (alpha/2, 1 - alpha/2)
    quantiles, alpha = 1 - confidence unless given; (nan, nan) when there are none.

    The one percentile interval: corpus metrics, the per-metric ``bootstrap_ci`` and the bias
    scan's discrimination score all call it."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    alpha = 1.0 - confidence if alpha is None else alpha
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def jackknife_values(aggregate, stats: np.ndarray) -> np.ndarray:
    """Leave-one-row-out values (n,) of a sufficient-statistics metric: ``aggregate(total - row)``."""
    stats = np.asarray(stats, dtype=np.float64)
    return np.asarray(aggregate(stats.sum(axis=0)[None, :] - stats), dtype=np.float64)


def acceleration(jack: np.ndarray) -> float:
    """BCa acceleration from jackknife values; 0 when they do not vary."""
    jack = np.asarray(jack, dtype=np.float64)
    jack = jack[np.isfinite(jack)]
    if jack.size < 3:
        return 0.0
    d = jack.mean() - jack
    den = 6.0 * float(np.sum(d * d)) ** 1.5
    return float(np.sum(d ** 3) / den) if den > 0 else 0.0


def bca_interval(theta: float, values: np.ndarray, jack: np.ndarray,
                 confidence: float = 0.95) -> tuple[float, float]:
    """BCa interval from the point value, bootstrap replicates and jackknife values.

    Falls back to the percentile interval when the bias correction is undefined (every
    replicate on one side of ``theta``); (nan, nan) without replicates.
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0 or not np.isfinite(theta):
        return float("nan"), float("nan")
    below = (np.sum(values < theta) + 0.5 * np.sum(values == theta)) / values.size
    if below <= 0.0 or below >= 1.0:
        return percentile_interval(values, confidence)
    z0 = float(ndtri(below))
    a = acceleration(jack)
    alpha = 1.0 - confidence
    z = ndtri(np.array([alpha / 2, 1 - alpha / 2]))
    adj = z0 + (z0 + z) / (1.0 - a * (z0 + z))
    q = np.clip(ndtr(adj), 0.0, 1.0)
    low, high = np.quantile(values, q)
    return float(low), float(high)


def widen_for_clusters(value: float, low: float, high: float, units: int, confidence: float = 0.95
                       ) -> tuple[float, float]:
    """A bootstrap interval over G whole clusters, each side widened by ``t(G-1)/z * sqrt(G/(G-1))``
    (the small-sample expansion of the percentile interval, Hesterberg 2015): resampling few
    clusters understates the spread (BCa over 5 clusters held a mean 85% of the time at 95%,
    10 clusters 90%). Unchanged for G < 2 or non-finite bounds; the factor tends to 1 as G grows."""
    import math

    from scipy.stats import norm, t

    if units < 2 or not all(math.isfinite(x) for x in (value, low, high)):
        return low, high
    q = (1 + confidence) / 2
    factor = float(t.ppf(q, units - 1) / norm.ppf(q)) * math.sqrt(units / (units - 1))
    return value - (value - low) * factor, value + (high - value) * factor
