"""Trends over the runs of one audit: is a metric drifting from quarter to quarter, and where did
it change?

- ``trend_test``: weighted least squares of the per-run estimates on the run's position in period
  order (0, 1, 2, ...), each run weighted by its n with one per-item variance pooled over the runs
  from their intervals (se = (high - low) / (2 z); mean of n·se²), as ``change_point`` (own
  inverse variances: family-wise error 7.7% over 4 metrics at 8 runs of 20). The slope's z statistic has a normal reference distribution when
  the variances are known. The standard error is scaled by sqrt(max(1, Q / (k - 2))) (Q the
  residual chi-square; the usual multiplicative-dispersion meta-regression), and where Q is
  beyond its chi-square(k - 2) 95% point (runs scatter more than their intervals allow) the
  reference is Student's t with k - 2 df.
- ``rate_trend_test`` (a rate: each run's events and n known, from an exact binomial interval):
  the Cochran-Armitage test on the counts, i.e. the n-weighted regression of the rates on the
  run's position with the pooled binomial variance p(1 - p), continuity-corrected (|T| - 1/2:
  uncorrected, 3 runs of 20 at 0.5 gave a family-wise error of 6.3% over 4 metrics; corrected, 2%;
  1, 3, 6 of 8 gives p = 0.022, the exact conditional test's 0.022). A clustered run counts at its
  effective n (n / design effect, events scaled alike). Where the runs scatter about the line
  beyond binomial (Q above its chi-square(k - 2) 95% point) the standard error is scaled by
  sqrt(Q / (k - 2)) and the reference is Student's t (k - 2 df); otherwise no floor on the
  dispersion (at 3 runs Q has one df: never scaled). The interval-based test above lost power on
  rates: 5 runs of 100, 0.9 -> 0.8, found 50% vs this test's 59%; 3 runs of 150: 53% vs 68%
  (tests/stats/test_trend_rates.py).
- ``change_point``: for each split of the runs, the difference of the means before and after,
  each run weighted by its n, with one per-item variance pooled over the runs (mean of n·se²); the
  largest |z|, Bonferroni-corrected over the k - 1 splits. Not each run's own inverse variance:
  a run that lands near 0 or 1 has a narrow interval by chance, weighs most, and the largest split
  then runs long (null simulation, 4 metrics: family-wise error 13% at 8 runs of 20, 9.6% at 4 of
  16; pooled: within 5%, tests/stats/test_change_point_fwer.py). Without n the runs weigh alike.
- ``trend_family``: both tests for every metric shown, the p-values Holm-corrected over them (each family
  separately: over 8 mixed metrics and 3-8 runs the trend flags erred 3.2-4.6% and the change flags 1.4-4.8%
  under a flat null, either flag of any metric 5.2-7.0%; tests/stats/test_trend_family_mixed.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as sps

from audits.stats._compare import holm

TREND_TEST = WLS = "weighted least squares on per-run estimates (n-weighted, variance pooled over runs), z/t test on the slope"
RATE_TREND_TEST = COCHRAN_ARMITAGE = ("Cochran-Armitage trend test on the counts (events / n per run; a clustered run at "
                                      "n / design effect; continuity-corrected), z/t test on the slope")
OVERDISPERSED = 0.01  # the lack-of-fit test's level in rate_trend_test
RATE_METHODS = ("clopper-pearson", "clopper-pearson-effective-n")  # a metric whose interval is exact binomial: a rate
CHANGE_TEST = CHANGE = "largest split of the runs' n-weighted means (z, variance pooled over runs), Bonferroni over splits"
_MIN_SE = 1e-9


@dataclass
class Trend:
    """The trend of one metric over ``k`` runs; ``slope`` is per run (in period order)."""

    metric: str
    k: int
    slope: float | None = None
    slope_se: float | None = None
    slope_low: float | None = None
    slope_high: float | None = None
    statistic: float | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    dispersion: float | None = None
    change_after: int | None = None  # index of the last run before the change point
    change_size: float | None = None
    change_p: float | None = None
    change_p_adjusted: float | None = None
    method: str = WLS
    change_method: str = CHANGE
    significant: bool = False
    change: bool = False


def standard_errors(low: Sequence[float], high: Sequence[float], confidence: float = 0.95) -> np.ndarray:
    """Each estimate's standard error from its two-sided interval (half-width / z)."""
    z = float(sps.norm.ppf(0.5 + confidence / 2))
    se = (np.asarray(high, dtype=np.float64) - np.asarray(low, dtype=np.float64)) / (2 * z)
    return np.maximum(se, _MIN_SE)


def trend_test(values: Sequence[float], se: Sequence[float], confidence: float = 0.95,
               n: Sequence[float] | None = None) -> dict[str, float | None]:
    """Slope per run, its standard error and interval, the test statistic and two-sided p-value;
    runs weighted as in ``change_point`` (by ``n``, variance pooled over the runs)."""
    y, s = np.asarray(values, dtype=np.float64), np.asarray(se, dtype=np.float64)
    size = np.ones_like(y) if n is None else np.asarray(n, dtype=np.float64)
    ok = np.isfinite(y) & np.isfinite(s) & np.isfinite(size) & (size > 0)
    x, y, s, size = np.arange(len(ok), dtype=np.float64)[ok], y[ok], s[ok], size[ok]
    k = int(y.size)
    if k < 3:  # two points always lie on a line: no test of a trend
        return {"slope": None, "slope_se": None, "slope_low": None, "slope_high": None, "statistic": None,
                "p_value": None, "dispersion": None}
    w = size / float(np.mean(size * np.maximum(s, _MIN_SE) ** 2))  # not 1 / own se²: see change_point
    xw, yw = np.sum(w * x) / w.sum(), np.sum(w * y) / w.sum()
    sxx = np.sum(w * (x - xw) ** 2)
    slope = float(np.sum(w * (x - xw) * (y - yw)) / sxx)
    resid = y - (yw + slope * (x - xw))
    dispersion = float(np.sum(w * resid ** 2) / (k - 2))
    se_b = float(np.sqrt(1.0 / sxx) * np.sqrt(max(1.0, dispersion)))  # never narrower than the intervals allow
    # runs scattering about the line beyond their intervals (Q above its chi-square(k - 2) 95% point): Student t
    ref = sps.t(df=k - 2) if sps.chi2.sf(dispersion * (k - 2), k - 2) < 0.05 else sps.norm()
    stat = slope / se_b
    crit = float(ref.ppf(0.5 + confidence / 2))
    return {"slope": slope, "slope_se": se_b, "slope_low": slope - crit * se_b, "slope_high": slope + crit * se_b,
            "statistic": float(stat), "p_value": float(2 * ref.sf(abs(stat))), "dispersion": dispersion}


def rate_counts(values: Sequence[float], n: Sequence[float], methods: Sequence[object],
                design_effects: Sequence[float] | None = None) -> tuple[np.ndarray, np.ndarray] | None:
    """(events, effective n) per run when the series is a rate (every run with a value has an exact
    binomial interval, ``RATE_METHODS``), else None. A clustered run (Korn-Graubard) counts at
    n / design effect; one without a stored design effect leaves the series to ``trend_test``
    (its effective n is unknown)."""
    y, size = np.asarray(values, dtype=np.float64), np.asarray(n, dtype=np.float64)
    deff = np.full_like(y, np.nan) if design_effects is None else np.asarray(design_effects, dtype=np.float64)
    seen = np.isfinite(y) & np.isfinite(size) & (size > 0)
    if not seen.any():
        return None
    for i in np.flatnonzero(seen):
        if methods[i] not in RATE_METHODS or (methods[i] == RATE_METHODS[1] and not np.isfinite(deff[i])):
            return None
    n_eff = np.where(seen, size / np.where(np.isfinite(deff), np.maximum(deff, 1.0), 1.0), np.nan)
    return np.where(seen, y * n_eff, np.nan), n_eff


def rate_trend_test(events: Sequence[float], n: Sequence[float], confidence: float = 0.95) -> dict[str, float | None]:
    """Cochran-Armitage trend test over runs in period order from each run's ``events`` of ``n``
    (effective counts may be fractional): the slope of the rate per run (n-weighted least squares),
    its standard error from the pooled binomial variance (scaled by sqrt(Q / (k - 2)) with a
    Student t reference only when the runs scatter beyond binomial), interval and p-value."""
    e, size = np.asarray(events, dtype=np.float64), np.asarray(n, dtype=np.float64)
    ok = np.isfinite(e) & np.isfinite(size) & (size > 0)
    x, e, size = np.arange(len(ok), dtype=np.float64)[ok], e[ok], size[ok]
    k = int(e.size)
    p_bar = float(e.sum() / size.sum()) if k else math.nan
    if k < 3 or not 0 < p_bar < 1:  # fewer than 3 runs, or no event (or only events) anywhere: nothing to test
        return {"slope": None if k < 3 else 0.0, "slope_se": None, "slope_low": None, "slope_high": None,
                "statistic": None, "p_value": None if k < 3 else 1.0, "dispersion": None}
    y = e / size
    xw = float(np.sum(size * x) / size.sum())
    sxx = float(np.sum(size * (x - xw) ** 2))
    slope = float(np.sum(size * (x - xw) * (y - p_bar)) / sxx)
    var = p_bar * (1 - p_bar)
    q = float(np.sum(size * (y - (p_bar + slope * (x - xw))) ** 2) / var)
    dispersion = q / (k - 2)
    # runs scatter beyond binomial (Q past its chi-square(k - 2) 99% point; from 4 runs: at 3, Q has one df
    # and a t with one df threw away the power this test is for): scale and use t
    over = k > 3 and sps.chi2.sf(q, k - 2) < OVERDISPERSED
    se_b = float(np.sqrt(var / sxx) * (np.sqrt(dispersion) if over else 1.0))
    ref = sps.t(df=k - 2) if over else sps.norm()
    # continuity correction: the statistic T = slope * sxx = sum x (events - n p) moves in steps of one event;
    # |T| - 1/2 (and the interval widened by 1/(2 sxx), so that it excludes 0 exactly when p < 1 - confidence)
    cc = 0.5 / sxx
    stat = float(np.sign(slope) * max(0.0, abs(slope) - cc) / se_b)
    crit = float(ref.ppf(0.5 + confidence / 2))
    return {"slope": slope, "slope_se": se_b, "slope_low": slope - crit * se_b - cc,
            "slope_high": slope + crit * se_b + cc, "statistic": stat, "p_value": float(2 * ref.sf(abs(stat))),
            "dispersion": dispersion}


def change_point(values: Sequence[float], se: Sequence[float],
                 n: Sequence[float] | None = None) -> dict[str, float | int | None]:
    """The split of the runs with the largest standardised jump in mean, Bonferroni p-value; runs
    weighted by ``n`` (items per run; alike without it), variance pooled over the runs."""
    y, s = np.asarray(values, dtype=np.float64), np.asarray(se, dtype=np.float64)
    size = np.ones_like(y) if n is None else np.asarray(n, dtype=np.float64)
    idx = np.flatnonzero(np.isfinite(y) & np.isfinite(s) & np.isfinite(size) & (size > 0))
    if idx.size < 2:
        return {"change_after": None, "change_size": None, "change_p": None}
    per_item = float(np.mean(size[idx] * np.maximum(s[idx], _MIN_SE) ** 2))  # one variance for all runs
    y, w = y[idx], size[idx] / per_item
    best = (0.0, None, None)
    for t in range(1, y.size):
        wa, wb = w[:t].sum(), w[t:].sum()
        diff = np.sum(w[t:] * y[t:]) / wb - np.sum(w[:t] * y[:t]) / wa
        z = diff / np.sqrt(1.0 / wa + 1.0 / wb)
        if abs(z) > abs(best[0]):
            best = (float(z), int(idx[t - 1]), float(diff))
    z, after, size = best
    if after is None:
        return {"change_after": None, "change_size": None, "change_p": None}
    p = min(1.0, float(2 * sps.norm.sf(abs(z))) * (y.size - 1))
    return {"change_after": after, "change_size": size, "change_p": p}


def trend_family(series: dict[str, tuple[Sequence[float], ...]],
                 alpha: float = 0.05, confidence: float = 0.95,
                 rates: dict[str, tuple[Sequence[float], Sequence[float]]] | None = None) -> list[Trend]:
    """A ``Trend`` per metric from ``{metric: (values, ci_low, ci_high[, n])}`` in period order; a metric
    in ``rates`` (``{metric: (events, effective n)}``, as ``rate_counts`` gives) is tested by
    ``rate_trend_test`` (its ``method`` says so), the others by ``trend_test``; trend and
    change-point p-values are each Holm-corrected over the metrics shown; ``significant`` /
    ``change`` when the adjusted p-value is below ``alpha``."""
    out: list[Trend] = []
    for metric, (values, low, high, *sizes) in series.items():
        se = standard_errors(low, high, confidence)
        counts = (rates or {}).get(metric)
        trend = (rate_trend_test(*counts, confidence) if counts is not None
                 else trend_test(values, se, confidence, *sizes[:1]))
        out.append(Trend(metric=metric, k=int(np.isfinite(np.asarray(values, dtype=np.float64)).sum()),
                         method=WLS if counts is None else COCHRAN_ARMITAGE,
                         **trend, **change_point(values, se, *sizes[:1])))
    for attr, adj_attr, flag in (("p_value", "p_adjusted", "significant"), ("change_p", "change_p_adjusted", "change")):
        raw = [np.nan if getattr(t, attr) is None else getattr(t, attr) for t in out]
        for t, p in zip(out, holm(raw)):
            if np.isfinite(p):
                setattr(t, adj_attr, float(p))
                setattr(t, flag, bool(p < alpha))
    return out
