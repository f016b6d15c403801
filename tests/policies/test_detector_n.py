"""A detector-quality control (INT-HAL-3: ``groundedness.detector.by_subset.qa.balanced_accuracy >= 0.8``)
is decided on a bound recomputed from the held-out counts by the figure's own method, with its n: a
measurement on too few held-out items is inconclusive with the n that would decide, a figure whose n is
unknown or whose detector is not the one measured (stale) reaches no verdict. Before, the stored
interval was rescaled with no n: a 20-item bootstrap interval [0.9, 1.0] passed, with n none."""

from __future__ import annotations

import pytest

import policies
from audits import stats
from catalog_builder import make_run

CONTROL = "INT-HAL-3"


def _qa(tp: int, n_gold: int, tn: int, n_neg: int, ci: list[float], counts: bool = True, **top) -> callable:
    def edit(results):
        ba = round(0.5 * (tp / n_gold + tn / n_neg), 4)
        sub = {"balanced_accuracy": ba, "balanced_accuracy_ci": ci,
               "interval": "95%: balanced accuracy percentile bootstrap"}
        if counts:
            sub.update({"n": n_gold + n_neg, "n_gold": n_gold, "n_negative": n_neg, "tp": tp, "tn": tn})
        results["tasks"][1]["groundedness"] = {"detector": {"measured": True, "by_subset": {"qa": sub}, **top}}
    return edit


def _item(cat, run_id, edit):
    run = make_run(cat, run_id, "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=edit)
    return {it.control_id: it for it in policies.evaluate_run(cat, run, ["internal-llm"]).items}[CONTROL]


def test_twenty_held_out_items_are_inconclusive_with_the_n_that_would_decide(two_runs):
    cat, _, _ = two_runs
    item = _item(cat, "few", _qa(9, 10, 10, 10, [0.9, 1.0]))  # a bootstrap interval that cleared 0.8
    low, _ = stats.balanced_accuracy_interval(9, 10, 10, 10, 0.90)
    assert item.status == "inconclusive", item.detail
    assert item.n == 20 and item.bound == pytest.approx(low) and item.bound < 0.8
    assert item.n_needed is not None and item.n_needed > 20
    assert item.method == stats.BALANCED_METHOD and item.task == "support-qa"


def test_the_shipped_measurement_passes_on_its_price_bonett_bound(two_runs):
    cat, _, _ = two_runs
    item = _item(cat, "many", _qa(191, 209, 209, 209, [0.9327, 0.9725]))
    low, _ = stats.balanced_accuracy_interval(191, 209, 209, 209, 0.90)
    assert item.status == "pass" and item.n == 418 and item.n_needed is None
    assert item.bound == pytest.approx(low)


def test_no_counts_no_n_no_verdict(two_runs):
    cat, _, _ = two_runs
    item = _item(cat, "nocounts", _qa(191, 209, 209, 209, [0.9327, 0.9725], counts=False))
    assert item.status == "no-data" and "no sample size" in item.detail


def test_a_stale_measurement_reaches_no_verdict(two_runs):
    cat, _, _ = two_runs
    item = _item(cat, "stale", _qa(191, 209, 209, 209, [0.9327, 0.9725], stale=True))
    assert item.status == "no-data" and "stale" in item.detail
