"""Exact binomial intervals (Clopper–Pearson), one-sided bounds, and the sample size a
conclusive verdict on a rate needs (decided on the one-sided bound, see ``_verdict``).

Clopper–Pearson inverts two one-sided binomial tests, so its coverage is at least the nominal
level for every n and p, including near 0 and 1, where Wald and percentile intervals fail
(Brown, Cai & DasGupta 2001). ``k`` may be fractional: with a design effect the interval is
taken at the effective sample size ``n / deff`` (Korn & Graubard 1998).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st


def clopper_pearson(k, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided exact interval for k events in n trials; arrays broadcast.

    Returns (low, high); low = 0 at k = 0 and high = 1 at k = n; NaN where n <= 0.
    """
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    alpha = 1.0 - confidence
    with np.errstate(invalid="ignore", divide="ignore"):
        low = np.where(k <= 0, 0.0, _st.beta.ppf(alpha / 2, np.maximum(k, 1e-12), n - k + 1))
        high = np.where(k >= n, 1.0, _st.beta.ppf(1 - alpha / 2, k + 1, np.maximum(n - k, 1e-12)))
    bad = n <= 0
    return np.where(bad, np.nan, low), np.where(bad, np.nan, high)


def effective_n(k: float, n: float, design_effect: float | None = None,
                n_clusters: int | None = None) -> float:
    """The sample size a (possibly clustered) rate's exact bounds are taken at: the one place.

    Unclustered: ``n``. Clustered with an estimated design effect: ``n / deff`` (deff floored at
    1; Korn & Graubard 1998). Clustered with no events (or every sample an event), or a design
    effect that could not be estimated (NaN, one cluster): the within-cluster correlation cannot
    be estimated from the data, so the conservative rule counts each cluster once (full
    within-cluster correlation): ``n_clusters``. Then 0 of 40 in 32 clusters is bounded at n = 32
    (below 8.9% at 95%), not at n = 40 (7.3%).

    With an estimated design effect and G clusters, the effective size is also degrees-of-freedom
    adjusted (Korn & Graubard 1998): ``n / deff * (t(n-1) / t(G-1))**2`` at the 97.5% point, since
    the design effect is itself estimated from only G clusters. Without it the per-group
    intervals of a few clusters each (5 clusters of ~8, correlation 0.4) held the rate 89% of the
    time instead of 95%."""
    deff = _finite(design_effect)
    if n_clusters and _correlation_unknown(k, n, deff):
        return float(min(n, n_clusters))
    if deff is None:
        return float(n)
    return n / max(1.0, deff) * df_factor(n, n_clusters)


def effective_counts(k: float, n: float, design_effect: float | None = None,
                     n_clusters: int | None = None) -> tuple[float, float]:
    """(events, n) of a rate at its effective size (``effective_n``; events scaled alike): how a clustered
    run enters a test on counts (quarter over quarter, the unpaired rate ratio). Raw when unclustered."""
    if n <= 0 or not n_clusters:
        return float(k), float(n)
    n_eff = effective_n(k, n, design_effect, int(n_clusters))
    return k * n_eff / n, n_eff


def df_factor(n: float, n_clusters: int | None) -> float:
    """Korn & Graubard's degrees-of-freedom factor ``(t(n-1) / t(G-1))**2`` at the 97.5% point
    (1 when unclustered or one sample per cluster)."""
    if not n_clusters or not 1 < n_clusters < n:
        return 1.0
    return float((_st.t.ppf(0.975, n - 1) / _st.t.ppf(0.975, n_clusters - 1)) ** 2)


def _finite(design_effect: float | None) -> float | None:
    return design_effect if design_effect is not None and math.isfinite(design_effect) else None


def _correlation_unknown(k: float, n: float, deff: float | None) -> bool:
    """No events, every sample an event, or no estimable design effect: nothing to estimate it from."""
    return k <= 0 or k >= n or deff is None


def unestimable_correlation(k: float, n: float, design_effect: float | None, n_clusters: int | None) -> bool:
    """True when ``effective_n`` counts each cluster once because the correlation is unknown."""
    return bool(n_clusters) and n_clusters < n and _correlation_unknown(k, n, _finite(design_effect))


def rate_interval(k: float, n: float, confidence: float = 0.95,
                  design_effect: float | None = None, n_clusters: int | None = None) -> tuple[float, float]:
    """The exact interval of a (possibly clustered) rate: ``k`` events in ``n`` samples, taken at
    the effective sample size ``effective_n`` (``n / deff``; the number of clusters when there are
    no events, all events, or no estimable design effect), i.e. Clopper–Pearson for
    ``k * n_eff / n`` events in ``n_eff``.

    The one place a clustered rate's interval is made: ``metric_interval`` and the policy
    engine's bounds (which recompute a stored rate at another level) both call it."""
    n_eff = effective_n(k, n, design_effect, n_clusters)
    low, high = clopper_pearson(k * n_eff / n, n_eff, confidence)
    return float(low), float(high)


BOUNDED_MEAN = "clopper-pearson on the score total (scores in [0, 1])"


def bounded_mean_interval(total: float, n: float, confidence: float = 0.95, design_effect: float | None = None,
                          n_clusters: int | None = None) -> tuple[float, float]:
    """A conservative interval for the mean of ``n`` scores that each lie in [0, 1] and sum to
    ``total``: the exact rate interval of ``total`` events in ``n`` (``rate_interval``, clustered
    alike). Among [0, 1] distributions with a given mean the 0/1 one has the largest variance, so
    this holds its coverage at every n where a bootstrap's one-sided error at small n does not
    (tests/stats/test_bounded_mean_verdict.py: BCa 25% at n=3 for a 95% bound; this at most 5%)."""
    return rate_interval(total, n, confidence, design_effect, n_clusters)


def upper_bound(k, n, confidence: float = 0.95) -> np.ndarray:
    """One-sided exact upper bound; at k = 0 it is ``1 - (1 - confidence) ** (1 / n)``
    (0 of 10 at 95%: 0.259, the "rule of three" 3/n for large n)."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(k >= n, 1.0, _st.beta.ppf(confidence, k + 1, np.maximum(n - k, 1e-12)))
    return np.where(n <= 0, np.nan, out)


def lower_bound(k, n, confidence: float = 0.95) -> np.ndarray:
    """One-sided exact lower bound; at k = n it is ``(1 - confidence) ** (1 / n)``."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return 1.0 - upper_bound(n - k, n, confidence)


def _decisive_power(n: int, p: float, threshold: float, above: bool, confidence: float) -> float:
    """P(the one-sided exact ``confidence`` bound clears ``threshold``) when the rate is p: the
    lower bound above it (``above``), or the upper bound below it."""
    if above:  # smallest k whose lower bound clears the threshold
        lo, hi = 0, n + 1
        while lo < hi:
            mid = (lo + hi) // 2
            if float(lower_bound(mid, n, confidence)) > threshold:
                hi = mid
            else:
                lo = mid + 1
        return float(_st.binom.sf(lo - 1, n, p)) if lo <= n else 0.0
    lo, hi = -1, n  # largest k whose upper bound is below the threshold
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if float(upper_bound(mid, n, confidence)) < threshold:
            lo = mid
        else:
            hi = mid - 1
    return float(_st.binom.cdf(lo, n, p)) if lo >= 0 else 0.0


MAX_N = 10_000_000


def rate_n_needed(rate: float, threshold: float, confidence: float = 0.95, power: float = 0.8,
                  design_effect: float = 1.0, cluster_size: float | None = None) -> int | None:
    """Samples needed so that, if the true rate is ``rate``, the one-sided exact ``confidence``
    bound on ``rate``'s side clears ``threshold`` with probability ``power`` (how a control
    ``rate <= t`` or ``>= t`` is decided). At rate 0 this is the rule of three: 0 events in 299
    put the upper 95% bound below 1% (``1 - 0.05 ** (1 / 299) = 0.00997``).

    None when no n decides it (rate equals the threshold, or beyond ``MAX_N``). Multiplied by
    the design effect for clustered data; with the mean ``cluster_size`` also divided by the
    degrees-of-freedom factor (``df_factor``) at the clusters that n would hold, as
    ``effective_n`` will take it (a fixed point: the factor only grows towards 1 with n).
    """
    if not (math.isfinite(rate) and math.isfinite(threshold)) or rate == threshold:
        return None
    above = rate > threshold
    if (above and threshold >= 1.0) or (not above and threshold <= 0.0):
        return None  # no interval lies wholly above 1 or below 0
    lo, hi = 1, 1
    while _decisive_power(hi, rate, threshold, above, confidence) < power:
        lo, hi = hi, hi * 2
        if hi > MAX_N:
            return None
    while lo < hi:  # power grows with n apart from small saw-teeth; bisect to the first n that has it
        mid = (lo + hi) // 2
        if _decisive_power(mid, rate, threshold, above, confidence) >= power:
            hi = mid
        else:
            lo = mid + 1
    needed = int(math.ceil(lo * max(1.0, design_effect)))
    if cluster_size and cluster_size > 1 and design_effect > 1:
        for _ in range(50):
            more = int(math.ceil(lo * max(1.0, design_effect) / df_factor(needed, int(needed / cluster_size))))
            if more <= needed:
                break
            needed = more
    return needed
