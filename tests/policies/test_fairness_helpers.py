"""Fairness helpers of the policy language: a verdict only where decisions vary."""

import pytest

from audits.results import FairnessGrouping
from policies.context import fairness_helper
from policies.expr import MissingInput


def _grouping(rates: dict[str, float], **extra) -> FairnessGrouping:
    by_group = {g: {"n": 100, "metrics": {"selection_rate": {"value": r, "n": 100}}} for g, r in rates.items()}
    lo, hi = min(rates.values()), max(rates.values())
    return FairnessGrouping.model_validate({
        "groups_compared": len(rates), "min_group_size": 30, "by_group": by_group,
        "demographic_parity_difference": hi - lo, "demographic_parity_ratio": (lo / hi) if hi else None, **extra})


def test_ratio_is_the_smallest_over_attributes():
    fairness = {"race": _grouping({"a": 0.5, "b": 0.4}), "gender": _grouping({"f": 0.5, "m": 0.3})}
    assert fairness_helper(fairness, "min_selection_rate_ratio") == pytest.approx(0.6)


def test_decisions_that_do_not_vary_give_no_verdict_and_say_why():
    note = "argmax decisions barely vary (selection rate 0.0%), so decision parity is uninformative"
    fairness = {"race": _grouping({"a": 0.0, "b": 0.0}, decision_parity_informative=False,
                                  decision_parity_note=note, overall_selection_rate=0.0)}
    with pytest.raises(MissingInput) as err:
        fairness_helper(fairness, "min_selection_rate_ratio")
    assert err.value.why == note


def _with_discrimination(value: float, low: float, high: float) -> FairnessGrouping:
    disc = {"measure": "logit difference of p(positive)", "value": value, "ci_low": low, "ci_high": high}
    return _grouping({"a": 0.0, "b": 0.0}, decision_parity_informative=False, discrimination=disc)


def test_discrimination_score_is_read_when_decisions_do_not_vary():
    fairness = {"race": _with_discrimination(0.13, 0.08, 0.37), "age": _with_discrimination(0.20, 0.03, 0.29)}
    assert fairness_helper(fairness, "max_discrimination_score") == pytest.approx(0.20)


def test_discrimination_bounds_decide_on_the_largest_bounds():
    from policies.bounds import _discrimination_bounds

    fairness = {"race": _with_discrimination(0.13, 0.08, 0.37), "age": _with_discrimination(0.20, 0.03, 0.29)}
    b = _discrimination_bounds(fairness, "fairness.max_discrimination_score", 0.95)
    assert (b.value, b.low, b.high) == pytest.approx((0.20, 0.08, 0.37))
    # a one-sided 95% control reads the 90% interval: each stored 95% side rescaled (normal ratio)
    b = _discrimination_bounds(fairness, "fairness.max_discrimination_score", 0.90)
    r = 1.6448536 / 1.9599640
    assert (b.low, b.high) == pytest.approx((0.13 - 0.05 * r, 0.13 + 0.24 * r), rel=1e-6)  # both from race
    assert "rescaled to 90%" in b.metrics[0]["method"]
