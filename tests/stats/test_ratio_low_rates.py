"""The "down at least 25% since the previous quarter" control (``rate / previous.rate <= 0.75``) at the
rates and sizes hallucination audits have: previous rate 0.01-0.1, 30-500 items per run, paired (outcome
correlation 0 and 0.5 between the runs on an item) and unpaired. Seeded null at the boundary ratio 0.75:
the control passes at most 5% of the time (+ Monte-Carlo noise), and the 95% interval of the ratio holds
0.75 at least 95% of the time. tests/stats/test_ratio_coverage.py covers 0.02-0.3 and 50-1,000 items.

Measured (2,000 pairs of runs a cell, a one-off sweep of p0 in {0.01, 0.02, 0.05, 0.1} x n in {30, 50, 100,
200, 500} x {unpaired, correlation 0, 0.5, 0.8}, 80 cells): false pass at most 5.35% (p0 0.1, n 500,
unpaired; none above the Monte-Carlo limit 6.5%), 0 where the events are too few to show a fall (p0 0.01,
n <= 100); false fail at most 6.4% (0.05, 500, correlation 0); 95% coverage at least 95.1%. At n 30-100 and
rates 0.01-0.02 the interval is wide and the verdict nearly always inconclusive: no fall of a quarter can be
shown from 0-3 events."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from audits.stats import PASS, interval_level, paired_rate_ratio, rate_ratio, rate_ratio_verdict

LEVEL = interval_level("<=", 0.95)
RATIO = 0.75
SIMS = 1000
LIMIT = 0.05 + 3 * np.sqrt(0.05 * 0.95 / SIMS)


@functools.lru_cache(maxsize=None)
def _paired(a: int, b: int, c: int, d: int, level: float):
    cur = np.r_[np.ones(a + b, bool), np.zeros(c + d, bool)]
    prev = np.r_[np.ones(a, bool), np.zeros(b, bool), np.ones(c, bool), np.zeros(d, bool)]
    return paired_rate_ratio(cur, prev, level)


@functools.lru_cache(maxsize=None)
def _unpaired(x1: int, x0: int, n: int, level: float):
    return rate_ratio(x1, n, x0, n, level)


def _runs(p0: float, n: int, rho: float | None, level: float, rng: np.random.Generator) -> list:
    p1 = RATIO * p0
    if rho is None:
        return [_unpaired(int(a), int(b), n, level) for a, b in zip(rng.binomial(n, p1, SIMS), rng.binomial(n, p0, SIMS))]
    both = min(p1 * p0 + rho * np.sqrt(p1 * (1 - p1) * p0 * (1 - p0)), p1)
    cells = rng.multinomial(n, [both, p1 - both, p0 - both, 1 - p1 - p0 + both], size=SIMS)
    return [_paired(*(int(v) for v in t), level) for t in cells]


@pytest.mark.parametrize("rho", [None, 0.0, 0.5])
@pytest.mark.parametrize("p0,n", [(0.01, 30), (0.01, 500), (0.05, 100), (0.05, 500), (0.1, 30), (0.1, 200)])
def test_the_ratio_control_holds_its_error_at_low_rates(p0, n, rho):
    seed = int(p0 * 1000) * 7 + n * 13 + (0 if rho is None else int(rho * 10) + 1)
    verdicts = [rate_ratio_verdict(r, "<=", RATIO)[0] for r in _runs(p0, n, rho, LEVEL, np.random.default_rng(seed))]
    assert verdicts.count(PASS) / SIMS <= LIMIT, verdicts.count(PASS) / SIMS
    wide = _runs(p0, n, rho, 0.95, np.random.default_rng(seed))
    covered = np.mean([r.low <= RATIO <= r.high for r in wide])
    assert covered >= 0.95 - 3 * np.sqrt(0.05 * 0.95 / SIMS), covered
