"""The ratio of two rates (this run's over the previous run's), paired where both runs answered the
same items, and a three-valued verdict on it ("down at least 25%": ratio <= 0.75).

- paired (both runs scored the same items, the shared ones at least half of each run's scored items;
  a smaller overlap is compared unpaired on all items, ``compare_rates``): RR = (a + b) / (a + c) over the shared items, where
  a = event in both runs, b = only in the current run, c = only in the previous run. The interval
  is the hull of two: the score interval (Nam & Blackwelder 2002, Tang, Tang & Chan 2003: the Rs
  whose score statistic, with the other cells at their maximum likelihood under RR = R, is within
  z) and the log-Wald interval, var(ln RR) = (b + c) / ((a + b)(a + c)) (each cell plus 0.5 when a
  discordant or marginal count is zero). The log-Wald alone is skewed when the runs agree on most
  items (few discordant pairs): at correlation 0.8 its lower bound sat above the true ratio 8-12%
  of the time (a "down 25%" that held was failed), while its upper bound held; the score interval
  balances the two tails but passes a true 0.75 up to 6% of the time at correlation 0.8. The hull
  keeps each tail at or under the better of the two (tests/stats/test_ratio_coverage.py). Where
  the previous run had no event on the shared items the score interval has no upper end; the
  upper end is then log-Wald's (finite, so a verdict is still formed: never a pass);
- unpaired: Katz's log interval, var(ln RR) = 1/x1 - 1/n1 + 1/x0 - 1/n0 (plus 0.5 on a zero count).

``rate_ratio_verdict`` decides ``ratio <op> threshold`` on the one-sided bound at ``confidence``
(the two-sided interval at 2c - 1, as every verdict in ``_verdict``), and when inconclusive
states about how many items (per run) would decide it at the observed ratio. Null
simulations in tests/grounding/test_ratio.py and tests/stats/test_ratio_coverage.py, test_ratio_low_rates.py
and test_ratio_clusters.py check its errors.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import brentq
from scipy.stats import norm

from audits.stats._binomial import effective_counts
from audits.stats._verdict import INCONCLUSIVE, NO_DATA, decide, interval_level

PAIRED = "paired: hull of the score (Nam-Blackwelder/Tang) and log-Wald intervals"
KATZ = "Katz log (unpaired), 0.5 on zero counts"


@dataclass(frozen=True)
class RateRatio:
    """``ratio`` = current rate / previous rate with its two-sided ``confidence`` interval."""

    ratio: float
    low: float
    high: float
    confidence: float
    method: str
    n: int                  # items behind it: shared items (paired) or the smaller run's n
    se_log: float
    paired: bool
    current_rate: float
    previous_rate: float


def _log_interval(ratio: float, se: float, confidence: float) -> tuple[float, float]:
    z = float(norm.ppf(0.5 + confidence / 2))
    return math.exp(math.log(ratio) - z * se), math.exp(math.log(ratio) + z * se)


def _paired_score(r: float, a: float, b: float, c: float, n: float) -> float:
    """The score statistic for RR = ``r`` on paired counts (a both, b current only, c previous only):
    (a + b - r (a + c)) / its standard error with the cells at their maximum likelihood under RR = r.
    At r = 1 it is McNemar's (b - c) / sqrt(b + c)."""
    qa, qb, qc = n * (1 + r), (a + c) * r * r - (a + b + 2 * c), c * (1 - r) * (a + b + c) / n
    q21 = (-qb + math.sqrt(max(qb * qb - 4 * qa * qc, 0.0))) / (2 * qa)
    var = n * ((1 + r) * q21 + (a + b + c) * (r - 1) / n)
    num = a + b - r * (a + c)
    if var <= 0:
        return 0.0 if num == 0 else math.copysign(1e6, num)
    return max(-1e6, min(1e6, num / math.sqrt(var)))


def _score_interval(a: float, b: float, c: float, n: float, confidence: float) -> tuple[float, float]:
    """The Rs whose paired score statistic lies within +-z: (0, inf) ends where no R reaches z."""
    z = float(norm.ppf(0.5 + confidence / 2))
    f = lambda t, target: _paired_score(math.exp(t), a, b, c, n) - target  # noqa: E731
    edge = 30.0  # ratios between e^-30 and e^30
    low = math.exp(brentq(f, -edge, edge, args=(z,))) if f(-edge, z) > 0 > f(edge, z) else 0.0
    high = math.exp(brentq(f, -edge, edge, args=(-z,))) if f(-edge, -z) > 0 > f(edge, -z) else math.inf
    return low, high


def paired_rate_ratio(current: np.ndarray, previous: np.ndarray, confidence: float = 0.95) -> RateRatio:
    """Ratio of two rates measured on the same items: ``current``/``previous`` 0/1, aligned, shape (n,)."""
    x = np.asarray(current, dtype=bool)
    y = np.asarray(previous, dtype=bool)
    n = len(x)
    a, b, c = float(np.sum(x & y)), float(np.sum(x & ~y)), float(np.sum(~x & y))
    score_low, score_high = _score_interval(a, b, c, float(n), confidence) if n else (0.0, math.inf)
    if min(b + c, a + b, a + c) == 0:
        a, b, c = a + 0.5, b + 0.5, c + 0.5
    ratio = (a + b) / (a + c)
    se = math.sqrt((b + c) / ((a + b) * (a + c)))
    low, high = _log_interval(ratio, se, confidence)
    if math.isfinite(score_high):  # unbounded when the previous run had no event on these items: keep log-Wald's
        high = max(high, score_high)
    return RateRatio(ratio, min(low, score_low), high, confidence, PAIRED, n, se, True,
                     float(np.mean(x)) if n else math.nan, float(np.mean(y)) if n else math.nan)


def rate_ratio(x1: float, n1: int, x0: float, n0: int, confidence: float = 0.95) -> RateRatio:
    """Unpaired ratio of x1/n1 over x0/n0 (Katz log interval)."""
    p1, p0 = x1 / n1, x0 / n0
    if x1 == 0 or x0 == 0 or x1 == n1 or x0 == n0:
        x1, x0, n1, n0 = x1 + 0.5, x0 + 0.5, n1 + 1, n0 + 1
    ratio = (x1 / n1) / (x0 / n0)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    low, high = _log_interval(ratio, se, confidence)
    return RateRatio(ratio, low, high, confidence, KATZ, int(min(n1, n0)), se, False, p1, p0)


Design = tuple[float | None, int | None]  # a run's stored (design effect, clusters); (None, None) unclustered


def compare_rates(current: dict[str, float], previous: dict[str, float], confidence: float = 0.95,
                  current_design: Design = (None, None), previous_design: Design = (None, None)) -> RateRatio | None:
    """Ratio of two runs' rates from per-item 0/1 outcomes keyed by item id (NaN/None: not scored).

    Paired over the items both runs scored when they are at least half of each run's scored items;
    else unpaired (Katz) on all of both runs' items, the method text saying so (pairing a small overlap
    dropped the rest of the data: 10 shared of 200 gave a ratio from 10 items). None
    when either run has no scored item. Unpaired, a clustered run (``*_design``: its stored design effect and
    clusters) counts at its effective size, as a clustered rate's interval does: on the raw counts, contexts of
    5 items at correlation 0.1-0.2 passed a true ratio of 0.75 8.5-10.7% of the time (tests/stats/
    test_ratio_clusters.py). Paired runs on the same items were within 5% there (a context's propensity, shared by
    both runs, cancels in the pairs), so pairs are not adjusted; one that changed between runs would not cancel. A previous rate of 0 gives a ratio from the 0.5-corrected
    counts whose interval never passes "down by a quarter" (0 and 0: inconclusive; up from 0: it
    fails once the current events are clear); a policy reports it as no-data first ("divisor is 0")."""
    cur = {k: float(v) for k, v in current.items() if v is not None and np.isfinite(v)}
    prev = {k: float(v) for k, v in previous.items() if v is not None and np.isfinite(v)}
    if not cur or not prev:
        return None
    shared = sorted(set(cur) & set(prev))
    if shared and 2 * len(shared) >= max(len(cur), len(prev)):  # pairs cover at least half of each run's items
        return paired_rate_ratio(np.array([cur[k] for k in shared]) > 0.5, np.array([prev[k] for k in shared]) > 0.5,
                                 confidence)
    x1, n1 = effective_counts(sum(v > 0.5 for v in cur.values()), len(cur), *current_design)
    x0, n0 = effective_counts(sum(v > 0.5 for v in prev.values()), len(prev), *previous_design)
    out = rate_ratio(x1, n1, x0, n0, confidence)
    if n1 < len(cur) or n0 < len(prev):
        out = replace(out, method=f"{KATZ}, at each run's effective size (clustered)", n=min(len(cur), len(prev)))
    if shared:  # too few shared items to pair on: all the data, unpaired, and the method says why
        out = replace(out, method=f"{out.method}: only {len(shared)} item(s) shared, under half of a run's "
                                  f"{max(len(cur), len(prev))} scored, so not paired")
    return out


def ratio_n_needed(r: RateRatio, threshold: float, confidence: float = 0.95, power: float = 0.8) -> int | None:
    """Items per run at which the one-sided ``confidence`` bound would clear ``threshold`` with
    ``power`` (80%, as every other n-needed in ``_verdict``) if the observed ratio held (the log
    standard error shrinks as 1/sqrt(n)); None when it never would. Was at 50% power: the n at which
    the bound clears only if the estimate lands exactly on the observed ratio."""
    gap = abs(math.log(r.ratio) - math.log(threshold))
    if gap == 0 or not math.isfinite(r.se_log) or r.n == 0:
        return None
    z = float(norm.ppf(confidence)) + float(norm.ppf(power))
    return int(math.ceil(r.n * (z * r.se_log / gap) ** 2))


def rate_ratio_verdict(r: RateRatio | None, op: str, threshold: float, confidence: float = 0.95
                       ) -> tuple[str, float | None, int | None]:
    """(verdict, bound used, items that would decide) for ``ratio <op> threshold`` at one-sided
    ``confidence``; ``r`` must carry the two-sided interval at ``interval_level(op, confidence)``."""
    if r is None:
        return NO_DATA, None, None
    verdict, bound, _ = decide(r.low, r.high, op, threshold)
    needed = ratio_n_needed(r, threshold, confidence) if verdict == INCONCLUSIVE else None
    return verdict, bound, needed


def one_sided_level(op: str, confidence: float = 0.95) -> float:
    """The two-sided level whose bound is the one-sided ``confidence`` bound (2c - 1)."""
    return interval_level(op, confidence)
