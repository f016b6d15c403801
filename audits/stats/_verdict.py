"""Three-valued verdicts on a confidence interval, and the sample size that would decide.

A control ``value >= t`` passes when the whole interval clears t (lower bound >= t), fails
when the whole interval is below t (upper bound < t), and is otherwise ``inconclusive``. Each
bound of a two-sided ``confidence`` interval is a one-sided bound at (1 + confidence) / 2, so a
verdict errs in either direction with probability at most (1 - confidence) / 2.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy.special import ndtri

from audits.stats._binomial import rate_n_needed

PASS, FAIL, INCONCLUSIVE, NO_DATA = "pass", "fail", "inconclusive", "no-data"
POWER = 0.8


@dataclass
class Verdict:
    verdict: str                 # pass | fail | inconclusive
    value: float
    bound: float | None          # the bound the decision turned on
    bound_side: str | None       # 'lower' | 'upper'
    op: str
    threshold: float
    confidence: float
    n: int | None = None
    n_needed: int | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(low: float, high: float, op: str, threshold: float) -> tuple[str, float | None, str | None]:
    """(verdict, bound used, which bound) for ``value op threshold`` given the interval."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return NO_DATA, None, None
    t = threshold
    if op in (">=", ">"):
        if low > t or (op == ">=" and low == t):
            return PASS, low, "lower"
        if high < t or (op == ">" and high == t):
            return FAIL, high, "upper"
        return INCONCLUSIVE, low, "lower"
    if op in ("<=", "<"):
        if high < t or (op == "<=" and high == t):
            return PASS, high, "upper"
        if low > t or (op == "<" and low == t):
            return FAIL, low, "lower"
        return INCONCLUSIVE, high, "upper"
    excluded = low > t or high < t
    if op == "==":
        if low == high == t:
            return PASS, high, "upper"
        return (FAIL, low if low > t else high, "lower" if low > t else "upper") if excluded else (INCONCLUSIVE, high, "upper")
    if op == "!=":
        return (PASS, low if low > t else high, "lower" if low > t else "upper") if excluded else (INCONCLUSIVE, high, "upper")
    raise ValueError(f"unknown comparison {op!r}")


def n_needed(kind: str, value: float, threshold: float, *, confidence: float = 0.95, n: int | None = None,
             low: float | None = None, high: float | None = None, design_effect: float | None = None,
             power: float = POWER) -> int | None:
    """Samples for a conclusive verdict at ``power`` if the true value is the observed one.

    Rates: exact (Clopper–Pearson) power, scaled by the design effect. Means and corpus
    metrics: normal approximation with the spread read off the interval (``low``/``high`` at
    ``confidence`` over ``n``). None when no sample size decides it (value on the threshold).
    """
    if not (math.isfinite(value) and math.isfinite(threshold)) or value == threshold:
        return None
    deff = design_effect if design_effect is not None and math.isfinite(design_effect) else 1.0
    if kind == "rate":
        return rate_n_needed(value, threshold, confidence, power, deff)
    if n is None or n < 2 or low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    z = float(ndtri((1 + confidence) / 2))
    sd = (high - low) / (2 * z) * math.sqrt(n)  # already includes the design effect when clustered
    if sd <= 0:
        return None
    return int(math.ceil(((z + float(ndtri(power))) * sd / abs(value - threshold)) ** 2))


def verdict(value: float, low: float, high: float, op: str, threshold: float, *, kind: str = "mean",
            confidence: float = 0.95, n: int | None = None, design_effect: float | None = None) -> Verdict:
    """Decide ``value op threshold`` on the interval; inconclusive verdicts carry ``n_needed``."""
    outcome, bound, side = decide(low, high, op, threshold)
    needed = None
    reason = ""
    if outcome == INCONCLUSIVE:
        if op in ("==", "!="):
            reason = "an equality cannot be shown from a sample; state a tolerance (e.g. <= 0.01)"
        else:
            needed = n_needed(kind, value, threshold, confidence=confidence, n=n, low=low, high=high,
                              design_effect=design_effect)
            reason = (f"the {confidence:.0%} interval [{low:.4g}, {high:.4g}] contains {threshold:g}"
                      + (f"; about {needed} samples would decide it (80% power at the observed value)"
                         if needed else "; the observed value sits on the threshold"))
    return Verdict(outcome, value, bound, side, op, threshold, confidence, n, needed, reason)
