"""A control on a mean of [0, 1] scores (token F1, ROUGE, groundedness) keeps its stated error.

Seeded simulation with the truth on the threshold, so every pass is an error: ``mean >= mu`` at 95%
decided on the BCa interval's one-sided bound passed 25% of the time at n=3 (scores Beta(9, 1), mean
0.9), 16% at n=5, 8% at n=10-30; decided on ``stats.bounded_mean_interval`` (the exact rate bound of
the score total) it passes at most 5% at every n, and ``mean <= mu`` likewise."""

from __future__ import annotations

import numpy as np
import pytest

from audits import stats
from audits.metrics import get_metric

LEVEL = stats.interval_level(">=", 0.95)  # the 90% interval: its ends are the one-sided 95% bounds


def _scores(kind: str, n: int, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    if kind == "near-one":  # Beta(9, 1): a detector-like score near 1, skewed left
        return rng.beta(9, 1, size=n), 0.9
    if kind == "mostly-zero":  # a token-F1-like score: 40% zeros, the rest Beta(0.6, 2.5)
        return np.where(rng.random(n) < 0.4, 0.0, rng.beta(0.6, 2.5, size=n)), 0.6 * 0.6 / 3.1
    return np.where(rng.random(n) < 0.5, 0.4, 0.6), 0.5  # two values


@pytest.mark.parametrize("kind", ["near-one", "mostly-zero", "two-values"])
@pytest.mark.parametrize("n", [3, 10, 30, 100])
def test_the_bounded_mean_bound_errs_at_most_five_percent(kind, n):
    rng = np.random.default_rng(1000 * n + len(kind))
    trials, passed_high, passed_low = 1000, 0, 0
    for _ in range(trials):
        x, mu = _scores(kind, n, rng)
        low, high = stats.bounded_mean_interval(float(x.sum()), n, LEVEL)
        passed_high += stats.decide(low, high, ">=", mu)[0] == stats.PASS
        passed_low += stats.decide(low, high, "<=", mu)[0] == stats.PASS
    se = (0.05 * 0.95 / trials) ** 0.5
    assert passed_high / trials <= 0.05 + 2 * se and passed_low / trials <= 0.05 + 2 * se, (passed_high, passed_low)


def test_the_bca_bound_it_replaces_in_verdicts_erred_far_more_at_small_n():
    metric, rng = get_metric("token_f1"), np.random.default_rng(3)
    trials, passed = 200, 0
    for t in range(trials):
        x, mu = _scores("near-one", 3, rng)
        iv = stats.metric_interval(metric, np.column_stack([x, np.ones(3)]), confidence=LEVEL, seed=t)
        passed += stats.decide(iv.low, iv.high, ">=", mu)[0] == stats.PASS
    assert passed / trials > 0.15  # 0.25 measured: five times the stated 5%
