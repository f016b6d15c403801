"""Coverage of the interval the dashboard and reports show for a mean of unbounded scores: exactly
``stats.metric_interval`` (the studentized bootstrap envelope, 95%, 1,000 resamples) and whether it carries
``Interval.caveat`` ("coverage not assured: ..."). Shared by tests/stats/test_unbounded_display.py and
benchmarks/README.md; ``python -m tests.stats._display_coverage [trials]`` prints the table.

Each cell draws ``trials`` test sets of n scores from a shape with a known mean and counts how often the
interval holds it: overall, below it (low > mean), above it (high < mean), and among the intervals shown
without a caveat. A sample whose every score happens to lie in [0, 1] is read as a [0, 1] score (BCa, no
caveat: ``stats.unit_scores``); ``bca`` is their share (exponential n=5: about 1 in 10).
"""

from __future__ import annotations

import math

import numpy as np

from audits import stats
from tests.stats._unbounded_coverage import draw as _draw

SHAPES = ("normal", "t3", "logit-bumps", "exponential", "lognormal", "outliers")
NS = (5, 10, 20, 30, 50, 100, 200)


def draw(shape: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """(n scores, true mean): the shapes of ``_unbounded_coverage`` and the exponential (skewness 2)."""
    if shape == "exponential":
        return rng.exponential(1.0, n), 1.0
    x, mu = _draw(shape, (n,), rng)
    return x, mu


def cell(shape: str, n: int, trials: int, seed: int = 0) -> dict[str, float]:
    """Coverage figures of one (shape, n) over ``trials`` seeded test sets."""
    from audits.metrics import get_metric

    logit, rng = get_metric("decision_logit"), np.random.default_rng(seed)
    held = below = above = caveated = held_plain = formed = bca = 0
    for t in range(trials):
        x, mu = draw(shape, n, rng)
        iv = stats.metric_interval(logit, np.column_stack([x, np.ones(n)]), seed=t)
        if not (math.isfinite(iv.low) and math.isfinite(iv.high)):
            continue
        formed += 1
        bca += iv.method != stats.STUDENTIZED  # every score of the sample in [0, 1]: read as a [0, 1] score
        ok = iv.low <= mu <= iv.high
        held += ok
        below += iv.low > mu
        above += iv.high < mu
        caveated += iv.caveat is not None
        held_plain += ok and iv.caveat is None
    plain = formed - caveated
    return {"formed": formed, "coverage": held / formed, "low_above_mean": below / formed,
            "high_below_mean": above / formed, "caveated": caveated / formed,
            "coverage_uncaveated": held_plain / plain if plain else float("nan"), "uncaveated": plain,
            "bca": bca / formed, "caveated_studentized": caveated / (formed - bca) if formed > bca else float("nan")}


def main() -> None:  # python -m tests.stats._display_coverage [trials]
    import sys

    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"displayed 95% interval of a mean of unbounded scores; {trials} test sets a cell, seed 0")
    print("| shape | n | coverage | low > mean | high < mean | caveated | coverage without caveat (k) | BCa |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for shape in SHAPES:
        for n in NS:
            c = cell(shape, n, trials)
            plain = "—" if not c["uncaveated"] else f"{c['coverage_uncaveated']:.3f} ({c['uncaveated']})"
            print(f"| {shape} | {n} | {c['coverage']:.3f} | {c['low_above_mean']:.3f} | {c['high_below_mean']:.3f} "
                  f"| {c['caveated']:.2f} | {plain} | {c['bca']:.2f} |", flush=True)


if __name__ == "__main__":
    main()
