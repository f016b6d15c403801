"""The discrimination score (highest minus lowest group mean logit) reaches INT-FAIR-2's verdict on a
one-sided 95% bound; with the true range on the threshold either verdict is an error. Seeded
simulation, groups of normal logits (sd 1.5), true range 0.5: the percentile bootstrap of max - min
the scanner stores (rescaled to the one-sided bound) failed 19% (3 groups of 20), 30% (5 of 100) and
66% (5 of 20) of the time; ``stats.range_interval`` errs at most 5% either way."""

from __future__ import annotations

import numpy as np
import pytest

from audits import stats

LEVEL = stats.interval_level("<=", 0.95)


def _groups(rng, k: int, n: int, delta: float = 0.5) -> list[np.ndarray]:
    means = np.zeros(k)
    means[-1] = delta
    return [rng.normal(m, 1.5, n) for m in means]


@pytest.mark.parametrize("k, n", [(2, 20), (2, 100), (3, 20), (5, 20), (5, 100)])
def test_range_bounds_err_at_most_five_percent(k, n):
    rng = np.random.default_rng(100 * k + n)
    trials, fails, passes = 1000, 0, 0
    for _ in range(trials):
        groups = _groups(rng, k, n)
        low, high = stats.range_interval([float(g.mean()) for g in groups],
                                         [float(g.std(ddof=1) / np.sqrt(n)) for g in groups], LEVEL)
        verdict = stats.decide(low, high, "<=", 0.5)[0]
        fails += verdict == stats.FAIL
        passes += verdict == stats.PASS
    noise = 2 * (0.05 * 0.95 / trials) ** 0.5
    assert fails / trials <= 0.05 + noise and passes / trials <= 0.05 + noise, (fails, passes)


def test_the_bootstrap_of_the_range_it_replaces_failed_far_more_often():
    rng = np.random.default_rng(7)
    trials, fails = 200, 0
    for _ in range(trials):
        groups = _groups(rng, 5, 20)
        point = np.array([g.mean() for g in groups])
        draws = np.column_stack([rng.choice(g, (1000, 20)).mean(axis=1) for g in groups])
        low, high = stats.percentile_interval(draws.max(axis=1) - draws.min(axis=1), alpha=0.05)
        low, _ = stats.rescale(float(point.max() - point.min()), low, high, 0.95, LEVEL)
        fails += low > 0.5
    assert fails / trials > 0.4  # 0.66 measured


def test_a_clear_gap_is_still_decided():
    low, high = stats.range_interval([0.0, 0.1, 1.2], [0.05, 0.05, 0.05], LEVEL)
    assert 0.5 < low < 1.2 < high and stats.decide(low, high, "<=", 0.5)[0] == stats.FAIL
    low, high = stats.range_interval([0.0, 0.05, 0.1], [0.03, 0.03, 0.03], LEVEL)
    assert stats.decide(low, high, "<=", 0.5)[0] == stats.PASS
    assert all(np.isnan(stats.range_interval([0.3], [0.1], LEVEL)))


@pytest.mark.parametrize("k", [2, 3, 5])
def test_the_lowest_rate_ratio_errs_at_most_five_percent(k):
    """INT-FAIR-1 (`min selection-rate ratio >= 0.8`) with the true ratio on 0.8 (one group at 0.4, the
    rest 0.5, 100 each): Katz on the observed extremes failed it 8.6% (3 groups) and 12.6% (5 groups)."""
    rng = np.random.default_rng(k)
    p = np.full(k, 0.5)
    p[0] = 0.4
    trials, fails, passes = 2000, 0, 0
    level = stats.interval_level(">=", 0.95)
    for x in rng.binomial(100, p, size=(trials, k)):
        low, high = stats.ratio_range_interval([float(v) for v in x], [100.0] * k, level)
        verdict = stats.decide(low, high, ">=", 0.8)[0]
        fails += verdict == stats.FAIL
        passes += verdict == stats.PASS
    noise = 2 * (0.05 * 0.95 / trials) ** 0.5
    assert fails / trials <= 0.05 + noise and passes / trials <= 0.05 + noise, (fails, passes)
    clear = stats.ratio_range_interval([500.0, 300.0, 505.0], [1000.0] * 3, level)
    assert clear[1] < 0.8  # 0.59 measured tightly: still failed
