"""A policy control on the selection-rate ratio (``fairness.min_selection_rate_ratio``) of a
clustered task is bounded at each group's effective sample size, as the group's own interval
and the group tests are (issue 20/21): the stored design effect and clusters travel with it."""

from __future__ import annotations

import pytest

from audits import stats
from policies.bounds import _ratio_bounds


def _block(clustered: bool) -> dict:
    extra = {"design_effect": 9.0, "n_clusters": 6} if clustered else {}
    return {"group": {"by_group": {
        "a": {"n": 60, "selection_rate": {"value": 40 / 60, "n": 60, **extra}},
        "b": {"n": 60, "selection_rate": {"value": 20 / 60, "n": 60, **extra}}}}}


def test_clustered_ratio_interval_is_wider():
    plain = _ratio_bounds(_block(False), "ratio", 0.9)
    clustered = _ratio_bounds(_block(True), "ratio", 0.9)
    assert plain.value == clustered.value == pytest.approx(0.5)
    n_eff = stats.effective_n(20, 60, 9.0, 6)
    expected = stats.ratio_range_interval([40 / 60 * n_eff, 20 / 60 * n_eff], [n_eff, n_eff], 0.9)
    assert (clustered.low, clustered.high) == pytest.approx(expected)
    assert clustered.high > 0.8 > plain.high           # 'ratio >= 0.8' is no longer failed on 6 + 6 clusters


def test_equal_groups_without_design_effects_compare():
    block = {"g": {"by_group": {k: {"n": 50, "selection_rate": {"value": 0.5, "n": 50}} for k in "ab"}}}
    assert _ratio_bounds(block, "ratio", 0.9).value == pytest.approx(1.0)
