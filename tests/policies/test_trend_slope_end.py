"""``trend.<metric>.slope_high`` / ``slope_low`` are the ends of the trend test's stored two-sided 95%
interval, with no n of their own: read as exact facts, ``slope_high >= 0`` passed a slope the test
cannot decide (three runs with accuracy 0.80, 0.88, 0.81). They are now decided as
``trend.<metric>.slope`` is: on the slope's one-sided bound, n the runs, the value shown the slope."""

from __future__ import annotations

import policies
from catalog_builder import make_run
from policies.bounds import SLOPE_END


def _items(cat, run, tmp_path, checks: dict[str, str]):
    pack = tmp_path / "t.yaml"
    pack.write_text("name: t\ntitle: T\ncontrols:\n" + "".join(
        f"  - {{id: {cid}, title: t, source: s, owner: compliance, check: '{check}'}}\n" for cid, check in checks.items()))
    return {it.control_id: it for it in policies.evaluate_run(cat, run, [str(pack)]).items}


def test_slope_ends_are_decided_as_the_slope(two_runs, tmp_path):
    cat, _, _ = two_runs
    run = make_run(cat, "q1", "2027-Q1", acc=0.81, ratio=0.9, leak=0.0)
    got = _items(cat, run, tmp_path, {"HIGH": "trend.bbq_gender.accuracy.slope_high >= 0",
                                      "LOW": "trend.bbq_gender.accuracy.slope_low <= 0",
                                      "SLOPE": "trend.bbq_gender.accuracy.slope >= 0"})
    high, low, slope = got["HIGH"], got["LOW"], got["SLOPE"]
    assert slope.status == "inconclusive" and slope.n == 3
    assert high.status == low.status == "inconclusive", (high.detail, low.detail)   # was: pass on the stored end
    assert high.bound == slope.bound and high.bound_side == slope.bound_side == "lower"
    assert high.value == slope.value == low.value and high.n == low.n == 3   # the slope, not its interval's end
    assert high.method == low.method == SLOPE_END
    assert "trend.bbq_gender.accuracy.slope" in high.detail
