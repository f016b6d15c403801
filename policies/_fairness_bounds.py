"""The fairness names a check reads as intervals (``policies.bounds``): the smallest selection-rate
ratio and the largest discrimination score, each over every pair of an attribute's groups."""

from __future__ import annotations

import math
from typing import Any

from audits import stats
from policies._bounds_base import Bounds, _finite, _get
from policies.expr import MissingInput, NotInTask


def _rate_n(rate: tuple) -> tuple:
    return rate[:2]


def _ratio_bounds(fairness: Any, label: str, confidence: float) -> Bounds:
    """The smallest selection-rate ratio over a task's decision attributes, with [min of the lower
    bounds, min of the upper bounds] of each attribute's interval for its lowest-over-highest ratio
    over all its groups at once (``stats.ratio_range_interval``; each group at its effective n when
    clustered). Katz on the observed lowest and highest group alone ignored that they were picked as
    the extremes: with 5 groups a true ratio of 0.8 failed ``>= 0.8`` 12.6% of the time."""
    best: Bounds | None = None
    lows, highs = [], []
    for attribute, block in (fairness or {}).items():
        rates = []
        for group, entry in (_get(block, "by_group") or {}).items():
            metrics = _get(entry, "metrics") or entry
            sr = _get(metrics, "selection_rate")
            size = _get(sr, "n") or _get(entry, "n")
            if sr is None or _get(entry, "insufficient_data") or not (_finite(_get(sr, "value")) and _finite(size)):
                continue
            rates.append((float(_get(sr, "value")), int(size), _get(sr, "design_effect"), _get(sr, "n_clusters")))
        if len(rates) < 2:
            continue
        (p_lo, n_lo, *_), (p_hi, n_hi, *_) = min(rates, key=_rate_n), max(rates, key=_rate_n)
        if not p_hi > 0:
            continue  # no group selected: no ratio
        # a clustered task: each group at its effective n (audits.stats.effective_n), as its interval and tests
        eff = [stats.effective_n(p * n, n, deff, g) for p, n, deff, g in rates]
        low, high = stats.ratio_range_interval([p * e for (p, *_), e in zip(rates, eff)], eff, confidence)
        if not (math.isfinite(low) and math.isfinite(high)):
            continue
        ratio = p_lo / p_hi
        lows.append(low)
        highs.append(high)
        if best is None or ratio < best.value:
            best = Bounds(ratio, low, high, [{"name": label, "kind": "ratio", "n": sum(n for _, n, *_ in rates),
                                              "design_effect": None, "method": stats.RATIO_RANGE_METHOD}])
    if best is None:
        raise NotInTask(label)
    best.low, best.high = min(lows), min(highs)
    return best


def _discrimination_bounds(fairness: Any, label: str, confidence: float, n: int | None = None) -> Bounds:
    """The largest discrimination score over a task's attributes with [max of the lower bounds, max of
    the upper bounds] of each attribute's range interval (``stats.range_interval``: every pairwise gap
    of the compared groups' mean decision logits at once, from each group's stored interval; where the
    samples share questions, every pair's fixed-effects gap with its own standard error). The
    scanner's percentile bootstrap of max - min is biased upward and, read as a bound, failed a true
    score on the threshold 19-66% of the time with 3-5 groups (tests/stats/test_range_interval.py);
    it is used only where a group's own interval is missing (a bundle without per-group logits)."""
    from policies.context import discrimination_blocks

    found = discrimination_blocks(fairness or {})
    if not found:
        raise NotInTask(label)
    ends, methods, sizes = [], set(), []
    for attribute, d in found.items():
        pairs = list(d.pairs or [])
        if pairs and all(_finite(p.gap) and _finite(p.se) for p in pairs):  # effects within questions
            ends.append(stats.range_interval_from_gaps([float(p.gap) for p in pairs], [float(p.se) for p in pairs],
                                                       confidence))
            methods.add(stats.FIXED_EFFECTS_METHOD)
            sizes.append(int(d.n or 0))
            continue
        groups = [(_get(fairness[attribute], "by_group") or {}).get(g) for g in d.by_group]
        logits = [(_get(e, "metrics") or {}).get("decision_logit") if e is not None else None for e in groups]
        if len(logits) >= 2 and all(x is not None and all(_finite(_get(x, k)) for k in ("value", "ci_low", "ci_high"))
                                    for x in logits):
            ends.append(stats.range_from_intervals([float(x.value) for x in logits], [float(x.ci_low) for x in logits],
                                                   [float(x.ci_high) for x in logits], confidence))
            methods.add(stats.RANGE_METHOD)
            sizes.append(sum(int(x.n or 0) for x in logits))
        elif _finite(d.ci_low) and _finite(d.ci_high):
            ends.append(stats.rescale(float(d.value), float(d.ci_low), float(d.ci_high), 0.95, confidence))
            methods.add("bootstrap-percentile (logit difference, Tamkin et al. 2023)"
                        + ("" if abs(confidence - 0.95) < 1e-9 else f"; stored 95% interval rescaled to {confidence:.0%}"))
        else:
            raise MissingInput(label, "a discrimination score has no interval (too few samples per group)")
    return Bounds(max(float(d.value) for d in found.values()), max(lo for lo, _ in ends), max(hi for _, hi in ends),
                  [{"name": label, "kind": "difference", "n": max(sizes) if sizes else n, "design_effect": None,
                    "method": "; ".join(sorted(methods))}])


def verdict_bounds(attribute: str, block: Any, confidence: float = 0.95) -> tuple[Bounds | None, Bounds | None]:
    """One attribute's (selection-rate ratio, discrimination score) as the fairness controls decide them
    at ``confidence`` (``min_selection_rate_ratio >= t``, ``max_discrimination_score <= t``): the ends
    are the one-sided ``confidence`` bounds those verdicts turn on, so the Fairness page and the report
    show the bound the verdict uses, not a second interval. None where the control has no interval."""
    level = stats.interval_level(">=", confidence)
    found: list[Bounds | None] = []
    for read, label in ((_ratio_bounds, "fairness.min_selection_rate_ratio"),
                        (_discrimination_bounds, "fairness.max_discrimination_score")):
        try:
            found.append(read({attribute: block}, label, level))
        except (NotInTask, MissingInput):
            found.append(None)
    return found[0], found[1]
