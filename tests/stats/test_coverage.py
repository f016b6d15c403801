"""Intervals keep their stated coverage (issue 8): a seeded simulation through ``summarise``."""

from __future__ import annotations

import pytest

from tests.stats._coverage import RATE_NS, RATE_PS, mean_coverage, rate_coverage


@pytest.mark.parametrize("n", RATE_NS)
def test_rate_intervals_hold_95_percent_near_0_and_1(n):
    coverage = {p: rate_coverage(n, p, trials=1000, seed=n) for p in RATE_PS}
    print(f"n={n}: " + ", ".join(f"p={p}: {c:.3f}" for p, c in coverage.items()))
    assert min(coverage.values()) >= 0.93, coverage


@pytest.mark.parametrize("n", [30, 100])
def test_bca_interval_of_a_skewed_mean_holds_90_percent(n):
    coverage = mean_coverage(n, trials=400, seed=n)
    print(f"token_f1, skewed scores, n={n}: coverage {coverage:.3f}")
    assert coverage >= 0.90


def test_the_old_percentile_interval_would_fail_this_test():
    """The simulation can fail: the percentile bootstrap misses p = 0.01 at n = 30 most of the time."""
    import numpy as np

    from audits.metrics import bootstrap_ci, get_metric

    rng = np.random.default_rng(30)
    metric, held = get_metric("accuracy"), 0
    for k in rng.binomial(30, 0.01, size=200):
        stats = np.column_stack([np.r_[np.ones(k), np.zeros(30 - k)], np.ones(30)])
        low, high = bootstrap_ci(metric, stats, 500, seed=0)
        held += low <= 0.01 <= high
    assert held / 200 < 0.5
