"""INT-FAIR-2 (`fairness.max_discrimination_score <= 0.5`) is decided on the range interval of the
compared groups' mean logits (stats.range_interval), not on the scanner's percentile bootstrap of
max - min, which is biased upward: five groups whose means differ by at most 0.5 with a stored
bootstrap interval [0.62, 1.1] were failed (a committee told the model discriminates)."""

from __future__ import annotations

import pytest

import policies
from audits import stats
from catalog_builder import make_run

MEANS = {"a": 0.0, "b": 0.1, "c": 0.2, "d": 0.3, "e": 0.5}


def _edit(half: float):
    def edit(results):
        block = results["tasks"][2]["fairness"]["gender"]
        block["discrimination"] = {"value": 0.5, "ci_low": 0.62, "ci_high": 1.1, "highest": "e", "lowest": "a",
                                   "by_group": {g: v - 0.22 for g, v in MEANS.items()}}
        block["by_group"] = {g: {"n": 20, "insufficient_data": False,
                                 "selection_rate": {"value": 0.5, "ci_low": 0.3, "ci_high": 0.7}, "metrics": {
            "decision_logit": {"value": v, "ci_low": v - half, "ci_high": v + half, "n": 20}}} for g, v in MEANS.items()}
    return edit


def _item(cat, run_id, half):
    run = make_run(cat, run_id, "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=_edit(half))
    return {it.control_id: it for it in policies.evaluate_run(cat, run, ["internal-llm"]).items}["INT-FAIR-2"]


def test_a_range_on_the_threshold_is_not_failed(two_runs):
    cat, _, _ = two_runs
    item = _item(cat, "wide", 0.66)  # groups of 20, sd 1.5: a 95% half-width of about 0.66
    low, high = stats.range_from_intervals(list(MEANS.values()), [v - 0.66 for v in MEANS.values()],
                                           [v + 0.66 for v in MEANS.values()], 0.90)
    assert item.status == "inconclusive", item.detail
    assert item.bound == pytest.approx(high) and item.bound_side == "upper" and low < 0.5 < high
    assert item.method == stats.RANGE_METHOD and item.n == 100


def test_narrow_groups_decide_it(two_runs):
    cat, _, _ = two_runs
    def edit(results):
        _edit(0.01)(results)
        for g in ("d", "e"):  # a gap of 1.0 logits, measured tightly
            results["tasks"][2]["fairness"]["gender"]["by_group"][g]["metrics"]["decision_logit"].update(
                value=1.0, ci_low=0.99, ci_high=1.01)
        results["tasks"][2]["fairness"]["gender"]["discrimination"]["value"] = 1.0
    run = make_run(cat, "narrow", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=edit)
    item = {it.control_id: it for it in policies.evaluate_run(cat, run, ["internal-llm"]).items}["INT-FAIR-2"]
    assert item.status == "fail" and item.bound > 0.9 and item.n_needed is None
