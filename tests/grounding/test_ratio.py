"""The ratio of two runs' rates (audits/stats/_ratio.py): pass, fail, inconclusive with the n that
would decide, pairing, and a seeded null simulation holding the verdict's error."""

import numpy as np

from audits.stats import (FAIL, INCONCLUSIVE, NO_DATA, PASS, compare_rates, interval_level, paired_rate_ratio,
                          rate_ratio, rate_ratio_verdict)

LEVEL = interval_level("<=", 0.95)  # the two-sided level of a one-sided 95% bound


def _paired(n: int, both: int, only_cur: int, only_prev: int) -> tuple[np.ndarray, np.ndarray]:
    cur = np.zeros(n, bool)
    prev = np.zeros(n, bool)
    cur[:both] = prev[:both] = True
    cur[both:both + only_cur] = True
    prev[both + only_cur:both + only_cur + only_prev] = True
    return cur, prev


def test_halved_rate_on_many_items_passes_down_25_percent():
    cur, prev = _paired(1000, 40, 10, 110)  # 5% now, 15% before: ratio 1/3
    r = paired_rate_ratio(cur, prev, LEVEL)
    assert abs(r.ratio - 50 / 150) < 1e-12 and r.paired
    verdict, bound, needed = rate_ratio_verdict(r, "<=", 0.75)
    assert verdict == PASS and bound < 0.75 and needed is None


def test_a_worse_rate_fails():
    cur, prev = _paired(1000, 40, 110, 10)  # 15% now, 5% before
    verdict, bound, _ = rate_ratio_verdict(paired_rate_ratio(cur, prev, LEVEL), "<=", 0.75)
    assert verdict == FAIL and bound > 0.75


def test_a_small_sample_is_inconclusive_with_the_n_that_would_decide():
    cur, prev = _paired(40, 2, 1, 4)  # 3/40 vs 6/40: ratio 0.5, far too few
    r = paired_rate_ratio(cur, prev, LEVEL)
    verdict, bound, needed = rate_ratio_verdict(r, "<=", 0.75)
    assert verdict == INCONCLUSIVE and r.low < 0.75 < r.high
    assert needed is not None and needed > 40
    # at that n, with the same proportions, it is decided
    k = int(np.ceil(needed / 40)) + 1
    big = paired_rate_ratio(np.tile(cur, k), np.tile(prev, k), LEVEL)
    assert rate_ratio_verdict(big, "<=", 0.75)[0] == PASS


def test_compare_rates_pairs_shared_items_and_falls_back_to_unpaired():
    cur = {f"s{i}": float(i % 10 == 0) for i in range(200)}
    prev = {f"s{i}": float(i % 5 == 0) for i in range(200)}
    prev["only-prev"] = 1.0
    cur["unscored"] = float("nan")
    r = compare_rates(cur, prev, LEVEL)
    assert r.paired and r.n == 200 and abs(r.ratio - 0.5) < 1e-12
    u = compare_rates({"a": 1.0, "b": 0.0}, {"c": 1.0, "d": 1.0}, LEVEL)
    assert not u.paired and u.method.startswith("Katz")
    assert compare_rates({}, prev) is None
    assert rate_ratio_verdict(None, "<=", 0.75)[0] == NO_DATA
    # unpaired Katz on counts: 10/100 over 20/100
    k = rate_ratio(10, 100, 20, 100, 0.95)
    assert abs(k.ratio - 0.5) < 1e-12 and k.low < 0.5 < k.high


def test_null_simulation_holds_the_error_rate():
    """At a true ratio of exactly 0.75 "down at least 25%" must pass at most ~5% of the time
    (one-sided 95%), paired (correlated runs) and unpaired."""
    rng = np.random.default_rng(20261205)
    sims, n = 2000, 400
    p = np.array([0.08, 0.07, 0.12, 0.73])  # both, current only, previous only, neither: 0.15 / 0.20 = 0.75
    cells = rng.multinomial(1, p, size=(sims, n)).argmax(axis=2)
    passes = 0
    for row in cells:
        cur, prev = (row == 0) | (row == 1), (row == 0) | (row == 2)
        passes += rate_ratio_verdict(paired_rate_ratio(cur, prev, LEVEL), "<=", 0.75)[0] == PASS
    assert passes / sims <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / sims), passes / sims
    x1 = rng.binomial(n, 0.15, sims)
    x0 = rng.binomial(n, 0.20, sims)
    unpaired = np.mean([rate_ratio_verdict(rate_ratio(a, n, b, n, LEVEL), "<=", 0.75)[0] == PASS for a, b in zip(x1, x0)])
    assert unpaired <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / sims), unpaired
