"""`trend.<metric>.slope >= 0` is decided on the trend test's interval for the slope, not read as an
exact fact (three runs with accuracy 0.80, 0.88, 0.81: the slope's point is positive, its interval
wide; it passed on the point value)."""

from __future__ import annotations

from catalog_builder import make_run, one_control


def test_a_slope_is_decided_on_its_interval(two_runs, tmp_path):
    cat, _, _ = two_runs
    run = make_run(cat, "q1", "2027-Q1", acc=0.81, ratio=0.9, leak=0.0)
    item = one_control(cat, run, tmp_path, "trend.bbq_gender.accuracy.slope >= 0")
    assert item.value > 0 and item.status == "inconclusive", item.detail
    assert item.bound < 0 and item.bound_side == "lower" and item.n == 3
