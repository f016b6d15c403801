"""An undecided comparison of two estimates (INT-ERR-1: `(1 - accuracy) <= 0.75 * (1 - previous.accuracy)`)
carries the n that would decide it, as every other undecided verdict (was: none); a decided one
carries none."""

from __future__ import annotations

import policies
from catalog_builder import _metric, make_run


def _acc(value: float, n: int):
    def edit(results):
        results["tasks"][0]["metrics"]["accuracy"] = _metric(value, n=n)
    return edit


def _item(cat, run_id, value, n):
    run = make_run(cat, run_id, "2027-Q1", acc=value, ratio=0.9, leak=0.0, edit=_acc(value, n))
    return {it.control_id: it for it in policies.evaluate_run(cat, run, ["internal-llm"]).items}["INT-ERR-1"]


def test_an_undecided_run_on_run_comparison_says_the_n_that_would_decide(two_runs):
    cat, _, _ = two_runs   # the previous run (Q4): accuracy 0.88 of 2000
    item = _item(cat, "small", 0.93, 200)  # errors 0.07 vs 0.75 x 0.12 = 0.09: down, but 200 items do not show it
    assert item.status == "inconclusive", item.detail
    assert item.n == 200 and item.n_needed and item.n_needed > 200
    assert f"about {item.n_needed} samples in each run would decide it" in item.detail


def test_a_decided_comparison_carries_no_n_needed(two_runs):
    cat, _, _ = two_runs
    item = _item(cat, "big", 0.96, 2000)
    assert item.status == "pass" and item.n_needed is None


def test_the_stated_n_decides_it_at_least_four_times_in_five(two_runs):
    """Seeded: both runs at the stated n, the observed accuracies true (0.93 against 0.88), decided by
    the verdict's own rule (each exact bound at 97.5%, Bonferroni over the two)."""
    import numpy as np

    from audits import stats

    cat, _, _ = two_runs
    n = _item(cat, "sim", 0.93, 200).n_needed
    level, rng, passed = stats.interval_level("<=", 0.95, 2), np.random.default_rng(0), 0
    for k1, k0 in zip(rng.binomial(n, 0.07, 1000), rng.binomial(n, 0.12, 1000)):
        high1 = float(stats.clopper_pearson(k1, n, level)[1])
        low0 = float(stats.clopper_pearson(k0, n, level)[0])
        passed += high1 - 0.75 * low0 < 0
    assert passed / 1000 >= 0.78, (n, passed)
