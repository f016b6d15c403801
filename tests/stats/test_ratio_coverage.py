"""The ratio control "hallucination rate down at least 25% since the previous quarter"
(``rate / previous.rate <= 0.75``) holds both its errors at the boundary ratio 0.75, paired and
unpaired, at rates 0.02 / 0.1 / 0.3 and 50 / 200 / 1,000 items: seeded simulation.

A pass when the true ratio is 0.75 is the error a committee is misled by ("it fell by a quarter"
when it did not); a fail there is the other error (a reduction that held is reported as missed).
Each is decided on a one-sided 95% bound, so each may happen at most 5% of the time.

Before (paired log-Wald alone; these seeds, 1,000 pairs of runs per cell): with the two runs
agreeing on most items (outcome correlation 0.8) the lower bound sat above 0.75 — a fail — 8.5% (rate
0.02, 200 items), 9.7% (0.02, 1,000), 11.0% (0.1, 50), 8.6% (0.1, 200), 9.5% (0.3, 50) of the time; the
false-pass side held (<= 5.8%). Now (hull of the score and log-Wald intervals): false fail <= 4.8%,
false pass unchanged (<= 5.8%, within the Monte-Carlo limit 7.1%)."""

from __future__ import annotations

import numpy as np
import pytest

from audits.stats import (FAIL, INCONCLUSIVE, PASS, compare_rates, interval_level, paired_rate_ratio, rate_ratio,
                          rate_ratio_verdict)

LEVEL = interval_level("<=", 0.95)
RATIO = 0.75
SIMS = 1000
LIMIT = 0.05 + 3 * np.sqrt(0.05 * 0.95 / SIMS)


def _paired_cells(p0: float, rho: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """(SIMS, 4) counts: both runs, current only, previous only, neither; current rate 0.75 p0 with
    outcome correlation ``rho`` between the two runs on the same item."""
    p1 = RATIO * p0
    both = min(p1 * p0 + rho * np.sqrt(p1 * (1 - p1) * p0 * (1 - p0)), p1, p0)
    return rng.multinomial(n, [both, p1 - both, p0 - both, 1 - p1 - p0 + both], size=SIMS)


def _arrays(a: int, b: int, c: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    cur = np.r_[np.ones(a + b, bool), np.zeros(c + d, bool)]
    prev = np.r_[np.ones(a, bool), np.zeros(b, bool), np.ones(c, bool), np.zeros(d, bool)]
    return cur, prev


def _errors(results) -> tuple[float, float]:
    verdicts = [rate_ratio_verdict(r, "<=", RATIO)[0] for r in results]
    return verdicts.count(PASS) / SIMS, verdicts.count(FAIL) / SIMS


@pytest.mark.parametrize("rho", [0.0, 0.8])
@pytest.mark.parametrize("p0,n", [(0.02, 200), (0.02, 1000), (0.1, 50), (0.1, 200), (0.3, 50), (0.3, 1000)])
def test_paired_ratio_holds_both_errors_at_the_boundary(p0, n, rho):
    rng = np.random.default_rng(int(p0 * 1000) + n + int(rho * 10))
    results = [paired_rate_ratio(*_arrays(*cells), LEVEL) for cells in _paired_cells(p0, rho, n, rng)]
    false_pass, false_fail = _errors(results)
    assert false_pass <= LIMIT, false_pass
    assert false_fail <= LIMIT, false_fail
    covered = np.mean([r.low <= RATIO <= r.high for r in results])  # the 90% two-sided interval
    assert covered >= 0.90 - 3 * np.sqrt(0.09 / SIMS), covered


@pytest.mark.parametrize("p0", [0.02, 0.1, 0.3])
@pytest.mark.parametrize("n", [50, 200, 1000])
def test_unpaired_katz_ratio_holds_both_errors_at_the_boundary(p0, n):
    rng = np.random.default_rng(int(p0 * 1000) + n)
    x1, x0 = rng.binomial(n, RATIO * p0, SIMS), rng.binomial(n, p0, SIMS)
    false_pass, false_fail = _errors([rate_ratio(int(a), n, int(b), n, LEVEL) for a, b in zip(x1, x0)])
    assert false_pass <= LIMIT and false_fail <= LIMIT, (false_pass, false_fail)


def test_a_previous_rate_of_zero_never_claims_a_reduction():
    """No division by zero; 0 before and 0 now is undecided, anything now after 0 before is not 'down'."""
    zero = np.zeros(500, bool)
    now = np.zeros(500, bool)
    now[:3] = True
    both_zero = paired_rate_ratio(zero, zero, LEVEL)
    assert both_zero.low == 0.0 and np.isfinite(both_zero.high) and both_zero.high > 1
    assert rate_ratio_verdict(both_zero, "<=", RATIO)[0] == INCONCLUSIVE
    up_from_zero = paired_rate_ratio(now, zero, LEVEL)
    assert rate_ratio_verdict(up_from_zero, "<=", RATIO)[0] == FAIL and np.isfinite(up_from_zero.high)
    unpaired = rate_ratio(0, 500, 0, 500, LEVEL)
    assert np.isfinite(unpaired.ratio) and rate_ratio_verdict(unpaired, "<=", RATIO)[0] == INCONCLUSIVE
    assert rate_ratio_verdict(rate_ratio(3, 500, 0, 500, LEVEL), "<=", RATIO)[0] != PASS
    by_item = compare_rates({f"s{i}": 0.0 for i in range(50)}, {f"s{i}": 0.0 for i in range(50)}, LEVEL)
    assert rate_ratio_verdict(by_item, "<=", RATIO)[0] == INCONCLUSIVE


def test_paired_score_interval_matches_mcnemar_at_one():
    """At RR = 1 the score statistic is McNemar's (b - c) / sqrt(b + c): the interval's ends sit where
    it crosses +-z, so a table with b = c straddles 1 symmetrically in z."""
    from audits.stats._ratio import _paired_score

    assert _paired_score(1.0, 20, 12, 5, 200) == pytest.approx((12 - 5) / np.sqrt(17))
    r = paired_rate_ratio(*_arrays(20, 8, 8, 164), LEVEL)
    assert r.low < 1 < r.high and r.ratio == pytest.approx(1.0)
