"""Comparisons: two runs (paired when they scored the same samples), two groups, and the
correction for a family of comparisons.

Tests: McNemar's exact test for paired 0/1 scores; the paired t-test for paired continuous
scores; the pooled two-proportion z-test for unpaired rates (Fisher's exact test when an
expected cell count is below 5); Welch's t-test for unpaired means. Differences come with a
confidence interval (paired: t on the per-sample differences; unpaired rates: Newcombe's hybrid
score interval; unpaired means: Welch). Families are corrected with Holm's step-down method
(family-wise error), or Benjamini–Hochberg (false discovery rate) on request.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Sequence

import numpy as np
from scipy import stats as _st
from scipy.special import ndtri

from audits.jsontypes import JsonObject

MCNEMAR = "mcnemar-exact"
PAIRED_T = "paired-t"
TWO_PROPORTION_Z = "two-proportion-z"
FISHER = "fisher-exact"
WELCH = "welch-t"
HOLM = "holm"
BH = "benjamini-hochberg"


@dataclass
class Comparison:
    """``a - b`` with its interval and p-value; ``p_adjusted`` is filled by a family correction."""

    difference: float
    low: float
    high: float
    p_value: float
    method: str
    paired: bool
    n_a: int
    n_b: int
    p_adjusted: float | None = None
    correction: str | None = None

    def significant(self, alpha: float = 0.05) -> bool | None:
        p = self.p_adjusted if self.p_adjusted is not None else self.p_value
        return None if p is None or not math.isfinite(p) else bool(p < alpha)

    def to_dict(self) -> JsonObject:
        return asdict(self)


def _nan_comparison(method: str, paired: bool, n_a: int, n_b: int) -> Comparison:
    nan = float("nan")
    return Comparison(nan, nan, nan, nan, method, paired, n_a, n_b)


def _t_interval(mean: float, se: float, df: float, confidence: float) -> tuple[float, float]:
    if not (se > 0 and df > 0):
        return mean, mean
    half = float(_st.t.ppf((1 + confidence) / 2, df)) * se
    return mean - half, mean + half


def mcnemar_exact(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Comparison:
    """Paired 0/1 scores of the same samples: exact McNemar p (binomial on the discordant pairs)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    n = int(a.size)
    if n == 0:
        return _nan_comparison(MCNEMAR, True, 0, 0)
    only_a = int(np.sum((a == 1) & (b == 0)))
    only_b = int(np.sum((a == 0) & (b == 1)))
    m = only_a + only_b
    p = 1.0 if m == 0 else float(min(1.0, 2.0 * _st.binom.cdf(min(only_a, only_b), m, 0.5)))
    both = int(np.sum((a == 1) & (b == 1)))
    low, high = paired_difference_interval(both, only_a, only_b, n - both - only_a - only_b, confidence)
    return Comparison((only_a - only_b) / n, low, high, p, MCNEMAR, True, n, n)


def paired_difference_interval(both: int, only_a: int, only_b: int, neither: int, confidence: float = 0.95
                               ) -> tuple[float, float]:
    """Newcombe's (1998) hybrid score interval (method 10) for the difference of two rates on the same
    samples: each rate's Wilson interval, combined with the phi correlation of the 2 x 2 table. Was a t
    interval on the per-sample differences, which at low rates held the truth 85% of the time (30 probes,
    attack success 0.03 vs 0.08: seeded, 2,000 tables) and excluded 0 where McNemar's p was above 0.05
    (4 of 100 discordant one way: p = 0.125); this one held it at least 95% over rates 0.02-0.1 and 30-300
    samples (tests/stats/test_paired_rate_difference.py)."""
    n = both + only_a + only_b + neither
    if n <= 0:
        return float("nan"), float("nan")
    z = float(ndtri((1 + confidence) / 2))
    pa, pb = (both + only_a) / n, (both + only_b) / n
    la, ua = _wilson(both + only_a, n, z)
    lb, ub = _wilson(both + only_b, n, z)
    margins = float(both + only_a) * (only_b + neither) * (both + only_b) * (only_a + neither)
    phi = (both * neither - only_a * only_b) / math.sqrt(margins) if margins > 0 else 0.0
    below = (pa - la) ** 2 - 2 * phi * (pa - la) * (ub - pb) + (ub - pb) ** 2
    above = (ua - pa) ** 2 - 2 * phi * (ua - pa) * (pb - lb) + (pb - lb) ** 2
    d = pa - pb
    return max(-1.0, d - math.sqrt(max(below, 0.0))), min(1.0, d + math.sqrt(max(above, 0.0)))


def paired_t(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Comparison:
    """Paired continuous scores: t-test and t interval on the per-sample differences."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    keep = np.isfinite(a) & np.isfinite(b)
    d = a[keep] - b[keep]
    n = int(d.size)
    if n < 2:
        return _nan_comparison(PAIRED_T, True, n, n)
    se = float(np.std(d, ddof=1) / math.sqrt(n))
    mean = float(d.mean())
    if se == 0:
        p = 1.0 if mean == 0 else 0.0
    else:
        p = float(2 * _st.t.sf(abs(mean / se), n - 1))
    low, high = _t_interval(mean, se, n - 1, confidence)
    return Comparison(mean, low, high, p, PAIRED_T, True, n, n)


def _wilson(k: float, n: float, z: float) -> tuple[float, float]:
    p = k / n
    den = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return max(0.0, centre - half), min(1.0, centre + half)


def two_proportions(k_a: float, n_a: int, k_b: float, n_b: int, confidence: float = 0.95) -> Comparison:
    """Unpaired rates k_a/n_a vs k_b/n_b: pooled z-test (Fisher's exact test when an expected
    count is below 5) and Newcombe's hybrid score interval for the difference."""
    if n_a <= 0 or n_b <= 0:
        return _nan_comparison(TWO_PROPORTION_Z, False, n_a, n_b)
    pa, pb = k_a / n_a, k_b / n_b
    pooled = (k_a + k_b) / (n_a + n_b)
    expected = [pooled * n_a, (1 - pooled) * n_a, pooled * n_b, (1 - pooled) * n_b]
    if min(expected) < 5:
        # effective (clustered) counts may be fractional: Fisher's table takes whole ones
        table = [[round(k_a), round(n_a) - round(k_a)], [round(k_b), round(n_b) - round(k_b)]]
        p, method = float(_st.fisher_exact(table)[1]), FISHER
    else:
        se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
        p = 1.0 if se == 0 else float(2 * _st.norm.sf(abs(pa - pb) / se))
        method = TWO_PROPORTION_Z
    z = float(ndtri((1 + confidence) / 2))
    la, ua = _wilson(k_a, n_a, z)
    lb, ub = _wilson(k_b, n_b, z)
    d = pa - pb
    low = d - math.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + math.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    return Comparison(d, low, high, min(1.0, p), method, False, n_a, n_b)


def welch(a: Sequence[float], b: Sequence[float], confidence: float = 0.95) -> Comparison:
    """Unpaired means: Welch's t-test and interval."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if a.size < 2 or b.size < 2:
        return _nan_comparison(WELCH, False, int(a.size), int(b.size))
    va, vb = np.var(a, ddof=1) / a.size, np.var(b, ddof=1) / b.size
    se = math.sqrt(va + vb)
    d = float(a.mean() - b.mean())
    if se == 0:
        return Comparison(d, d, d, 1.0 if d == 0 else 0.0, WELCH, False, int(a.size), int(b.size))
    df = (va + vb) ** 2 / (va ** 2 / (a.size - 1) + vb ** 2 / (b.size - 1))
    p = float(2 * _st.t.sf(abs(d / se), df))
    low, high = _t_interval(d, se, df, confidence)
    return Comparison(d, low, high, p, WELCH, False, int(a.size), int(b.size))


def compare_scores(a: Sequence[float], b: Sequence[float], *, kind: str, paired: bool,
                   confidence: float = 0.95) -> Comparison:
    """The right test for two sets of per-sample scores: ``kind`` 'rate' (0/1) or 'mean'."""
    if paired:
        return mcnemar_exact(a, b, confidence) if kind == "rate" else paired_t(a, b, confidence)
    if kind == "rate":
        a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
        a, b = a[np.isfinite(a)], b[np.isfinite(b)]
        return two_proportions(float(a.sum()), int(a.size), float(b.sum()), int(b.size), confidence)
    return welch(a, b, confidence)


def _ranked(p_values: Sequence[float]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(p as floats, an all-NaN output, indices of the finite p-values in ascending order)."""
    p = np.asarray(p_values, dtype=np.float64)
    ok = np.flatnonzero(np.isfinite(p))
    return p, np.full(p.shape, np.nan), ok[np.argsort(p[ok], kind="mergesort")]


def holm(p_values: Sequence[float]) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error); NaN entries stay NaN and do not count."""
    p, out, order = _ranked(p_values)
    m = order.size
    if m == 0:
        return out
    adj = np.maximum.accumulate((m - np.arange(m)) * p[order])
    out[order] = np.minimum(adj, 1.0)
    return out


def benjamini_hochberg(p_values: Sequence[float]) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate); NaN entries stay NaN."""
    p, out, order = _ranked(p_values)
    m = order.size
    if m == 0:
        return out
    raw = p[order] * m / np.arange(1, m + 1)
    out[order] = np.minimum(np.minimum.accumulate(raw[::-1])[::-1], 1.0)
    return out


def correct(comparisons: list[Comparison], method: str = HOLM) -> list[Comparison]:
    """Fill ``p_adjusted`` over one family of comparisons (in place; also returned)."""
    adjust = holm if method == HOLM else benjamini_hochberg
    adjusted = adjust([c.p_value for c in comparisons])
    for c, p in zip(comparisons, adjusted):
        c.p_adjusted = None if not np.isfinite(p) else float(p)
        c.correction = method
    return comparisons


def parity_ratio(k_a: float, n_a: int, k_b: float, n_b: int, confidence: float = 0.95
                 ) -> tuple[float, float, float]:
    """Selection-rate ratio (k_a/n_a) / (k_b/n_b) with the Katz log interval; 0.5 is added to
    each count when one is zero. (nan, nan, nan) when either group is empty or never selected."""
    if n_a <= 0 or n_b <= 0 or k_b <= 0:
        return float("nan"), float("nan"), float("nan")
    ratio = (k_a / n_a) / (k_b / n_b)
    if k_a == 0 or k_a == n_a or k_b == n_b:
        k_a, n_a, k_b, n_b = k_a + 0.5, n_a + 0.5, k_b + 0.5, n_b + 0.5
    se = math.sqrt(max(0.0, 1 / k_a - 1 / n_a + 1 / k_b - 1 / n_b))
    z = float(ndtri((1 + confidence) / 2))
    centre = math.log((k_a / n_a) / (k_b / n_b))
    return float(ratio), math.exp(centre - z * se), math.exp(centre + z * se)


FOUR_FIFTHS_SIGNIFICANT = "below four-fifths, significant"
FOUR_FIFTHS_NOT_SIGNIFICANT = "below four-fifths, not significant at this n"
FOUR_FIFTHS_OK = "at or above four-fifths"


def four_fifths_flag(ratio: float, p_adjusted: float | None, threshold: float = 0.8,
                     alpha: float = 0.05) -> str | None:
    """The EEOC reading: the four-fifths rule together with a test of significance."""
    if ratio is None or not math.isfinite(ratio):
        return None
    if ratio >= threshold:
        return FOUR_FIFTHS_OK
    if p_adjusted is not None and math.isfinite(p_adjusted) and p_adjusted < alpha:
        return FOUR_FIFTHS_SIGNIFICANT
    return FOUR_FIFTHS_NOT_SIGNIFICANT
