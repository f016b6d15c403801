"""Three-valued verdicts on confidence bounds, and the sample size that would decide.

One rule for every control: an inequality (``value <= t``, ``>= t``, ``<``, ``>``) at confidence
c is decided on the ONE-SIDED bounds at c. ``value >= t`` passes when the lower one-sided bound
clears t, fails when the upper one-sided bound is below t, and is otherwise ``inconclusive``;
either error has probability at most 1 - c. The one-sided bounds at c are the ends of the
two-sided interval at ``interval_level(op, c) = 2c - 1`` (95% -> the 90% interval), so
``decide`` works on that interval. With m estimated quantities in one comparison each bound is
taken at 1 - (1 - c) / m (Bonferroni). ``==`` / ``!=`` stay on the two-sided c interval.
The sample size that would decide (``n_needed``) and the sentence beside a rate
(``audits.stats.describe``: "below 1.00% (95% confidence)") use the same one-sided bound:
0 events in 299 decide ``rate <= 0.01`` at 95%, 0 in 298 do not.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from scipy.special import ndtri

from audits.jsontypes import JsonObject
from audits.stats._binomial import rate_n_needed

PASS, FAIL, INCONCLUSIVE, NO_DATA = "pass", "fail", "inconclusive", "no-data"
POWER = 0.8
ONE_SIDED = ("<", "<=", ">", ">=")


def interval_level(op: str, confidence: float, estimates: int = 1) -> float:
    """The two-sided level whose ends are the bounds a control ``op`` at ``confidence`` is
    decided on: ``1 - 2 (1 - c) / m`` for an inequality over m estimates (2c - 1 for one), c
    for ``==`` / ``!=``."""
    if op not in ONE_SIDED:
        return confidence
    return round(1.0 - 2.0 * (1.0 - confidence) / max(1, int(estimates)), 12)


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

    def to_dict(self) -> JsonObject:
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
             power: float = POWER, interval_confidence: float | None = None,
             n_clusters: int | None = None) -> int | None:
    """Samples for a conclusive verdict at ``power`` if the true value is the observed one; the
    verdict is on the one-sided ``confidence`` bound (see the module docstring).

    Rates: exact (Clopper–Pearson) one-sided bound, scaled by the design effect; 0 events
    against 1% at 95% need 299. Means and corpus metrics: normal approximation with the spread
    read off the interval ``low``/``high`` (two-sided at ``interval_confidence``, default
    ``confidence``) over ``n``. None when no sample size decides it (value on the threshold).
    A clustered rate (``n`` samples in ``n_clusters``) also counts the degrees of freedom the
    needed n's clusters would give (``rate_n_needed``'s ``cluster_size``), as the verdict will.
    """
    if not (math.isfinite(value) and math.isfinite(threshold)) or value == threshold:
        return None
    deff = design_effect if design_effect is not None and math.isfinite(design_effect) else 1.0
    if kind == "rate":
        return rate_n_needed(value, threshold, confidence, power, deff, _estimated_size(value, n, n_clusters))
    if n is None or n < 2 or low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return None
    level = confidence if interval_confidence is None else interval_confidence
    sd = (high - low) / (2 * float(ndtri((1 + level) / 2))) * math.sqrt(n)  # includes the design effect
    if sd <= 0:
        return None
    return int(math.ceil(((float(ndtri(confidence)) + float(ndtri(power))) * sd / abs(value - threshold)) ** 2))


def gap_n_needed(gap: float, unit_half_widths: list[float], level: float, confidence: float,
                 power: float = POWER) -> int | None:
    """Samples per run for a comparison of several estimates (this run against the previous) decided on
    the sum of their one-sided bounds at two-sided ``level`` (Bonferroni): ``unit_half_widths`` are
    each estimate's half-width on the deciding side times the square root of its own n, so every run
    is scaled to the same n; the gap's standard deviation is at most their sum over z, and n is where
    the bound clears 0 with ``power`` at the observed ``gap``. None when the gap is 0."""
    z = float(ndtri((1 + level) / 2))
    spread = sum(unit_half_widths) / z
    if not (math.isfinite(gap) and math.isfinite(spread)) or gap == 0 or spread <= 0:
        return None
    return int(math.ceil(((float(ndtri(confidence)) + float(ndtri(power))) * spread / abs(gap)) ** 2))


def clusters_needed(value: float, threshold: float, *, confidence: float = 0.95, n: int | None = None,
                    n_clusters: int | None = None, design_effect: float | None = None,
                    power: float = POWER) -> int | None:
    """For a clustered rate, ``n_needed`` in clusters: the independent units the exact bound needs,
    times the design effect, over the current mean cluster size (``n / n_clusters``). With no
    events the design effect is taken as ``n / n_clusters`` (``_binomial.effective_n``), so this
    is the number of units itself: each cluster counted once. None when unclustered or undecidable."""
    if not n or not n_clusters or n_clusters >= n:
        return None
    deff = design_effect if design_effect is not None and math.isfinite(design_effect) else 1.0
    size = _estimated_size(value, n, n_clusters)
    if size is None:  # no events (or all): each cluster counted once, no degrees-of-freedom factor
        units = rate_n_needed(value, threshold, confidence, power, 1.0)
        return None if units is None else int(math.ceil(round(units * max(1.0, deff) * n_clusters / n, 9)))
    needed = rate_n_needed(value, threshold, confidence, power, deff, size)
    return None if needed is None else int(math.ceil(round(needed / size, 9)))


def _estimated_size(value: float, n: int | None, n_clusters: int | None) -> float | None:
    """The mean cluster size when a clustered rate's design effect is estimated (a rate strictly
    between 0 and 1: with none or only events it is assumed and ``effective_n`` takes no
    degrees-of-freedom factor); None otherwise."""
    if not n or not n_clusters or n_clusters >= n or not 0.0 < value < 1.0:
        return None
    return n / n_clusters


def needed_words(needed: int, clusters: int | None = None) -> str:
    """How an n-needed is said beside an inconclusive verdict (one wording for every caller)."""
    extra = f", i.e. about {clusters} clusters at the current mean cluster size" if clusters else ""
    return f"about {needed} samples{extra} would decide it (80% power at the observed value)"


def verdict(value: float, low: float, high: float, op: str, threshold: float, *, kind: str = "mean",
            confidence: float = 0.95, n: int | None = None, design_effect: float | None = None,
            n_clusters: int | None = None) -> Verdict:
    """Decide ``value op threshold`` at ``confidence``; ``low``/``high`` is the two-sided
    interval at ``interval_level(op, confidence)`` (for ``<=`` at 95%: the 90% interval, whose
    upper end is the one-sided 95% bound). Inconclusive verdicts carry ``n_needed``."""
    outcome, bound, side = decide(low, high, op, threshold)
    needed = None
    reason = ""
    if outcome == INCONCLUSIVE:
        if op in ("==", "!="):
            reason = "an equality cannot be shown from a sample; state a tolerance (e.g. <= 0.01)"
        else:
            needed = n_needed(kind, value, threshold, confidence=confidence, n=n, low=low, high=high,
                              design_effect=design_effect, interval_confidence=interval_level(op, confidence),
                              n_clusters=n_clusters)
            clusters = clusters_needed(value, threshold, confidence=confidence, n=n, n_clusters=n_clusters,
                                       design_effect=design_effect) if needed and kind == "rate" else None
            reason = (f"the one-sided {confidence:.0%} {side} bound {bound:.4g} does not clear {threshold:g}"
                      + (f"; {needed_words(needed, clusters)}" if needed else "; the observed value sits on the threshold"))
    return Verdict(outcome, value, bound, side, op, threshold, confidence, n, needed, reason)
