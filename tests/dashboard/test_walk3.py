"""What the third walk of the demo (every page, every role, 1280x800) found, pinned (issue 20, re-audit)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.charts import axis_range


def _rows(values, lows, highs) -> pd.DataFrame:
    return pd.DataFrame({"group": ["Asian (n=54)", "Black (n=59)", "white (n=57)"], "value": values, "ci_low": lows,
                         "ci_high": highs, "n": [54, 59, 57], "sample size": ["at least 30 samples (compared)"] * 3})


def test_a_fairness_chart_of_all_zero_yes_rates_is_one_line_not_dots_on_the_floor():
    from dashboard.views.fairness import why_no_group_chart

    zero = _rows([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.066, 0.06, 0.063])
    why = why_no_group_chart(zero, "selection_rate", "race", "loan-decisions")
    assert why == ("No chart of share of 'yes' decisions by race on loan-decisions: the model never chose 'yes' "
                   "for any group (3 groups), so there is nothing to compare.")     # the demo drew five dots at 0
    assert why_no_group_chart(_rows([0.0, 0.1, 0.2], [0, 0.05, 0.1], [0.1, 0.2, 0.3]), "accuracy", "race", "t") is None


def test_small_rates_get_an_axis_that_fits_them_on_screen_and_paper():
    from dashboard.views.fairness import group_figure

    small = _rows([0.021, 0.028, 0.025], [0.018, 0.024, 0.02], [0.025, 0.031, 0.03])
    low, high = group_figure(small, "p_positive", "race").layout.yaxis.range   # was 0..1.05: a flat line at the floor
    assert low == 0 and 0.031 < high < 0.04
    logit = _rows([-3.7, -3.6, -3.5], [-3.9, -3.8, -3.7], [-3.5, -3.4, -3.3])
    assert not group_figure(logit, "decision_logit", "race").layout.yaxis.title.text   # was cut off at the top
    assert axis_range(np.array([0.018, 0.031])) == (0.0, 0.031 * 1.15)         # the report's chart: the same rule
    assert axis_range(np.array([0.1, 0.4, 0.5])) == (0.0, 1.0)                 # ordinary rates keep 0..1
    assert tuple(group_figure(_rows([0.4, 0.5, 0.6], [0.3, 0.4, 0.5], [0.5, 0.6, 0.7]), "accuracy", "race")
                 .layout.yaxis.range) == (0, 1.05)


def test_toxicity_by_group_with_no_toxic_output_is_one_line_with_its_bound():
    from dashboard.views.privacy import toxicity_group_figure, why_no_toxicity_chart

    zero = _rows([0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.066, 0.06, 0.063])
    what = "the share of toxic outputs by race on loan-decisions"
    assert why_no_toxicity_chart(zero, what, rate=True) == (
        "No chart of the share of toxic outputs by race on loan-decisions: no output of any group was scored toxic "
        "(0 of 170; each group's share is below its upper bound, at most 6.6%).")   # was whiskers on the floor
    some = _rows([0.0, 0.017, 0.0], [0.0, 0.002, 0.0], [0.066, 0.09, 0.063])
    assert why_no_toxicity_chart(some, what, rate=True) is None
    assert toxicity_group_figure(some, "t", rate=True).layout.yaxis.range[1] < 0.11


def test_trends_with_one_period_say_so_instead_of_a_one_dot_chart_per_measure():
    from dashboard.views.trends import single_run_note

    one = {"runs": [{"run_id": "20261205-220711-5d83d9", "period": "2026-Q3"}], "series": {}}
    assert single_run_note(one).startswith("Only one period of this audit so far (2026-Q3): a trend needs at least two")
    two = {"runs": [{"run_id": "a", "period": "2026-Q3"}, {"run_id": "b", "period": "2026-Q4"}], "series": {}}
    assert single_run_note(two) is None


def test_with_two_runs_the_trends_caption_says_nothing_was_tested():
    """Two periods: every slope is None (two points always lie on a line), so the caption must not speak of
    p-values corrected over 44 series (walk 7)."""
    from dashboard.views.trends import tests_caption

    runs = [{"run_id": "a", "period": "2026-Q3"}, {"run_id": "b", "period": "2026-Q4"}]
    body = {"runs": runs, "series": {"t.accuracy": {"p_value": None}}, "test": "WLS", "change_test": "split"}
    assert tests_caption("demo", body, 44, []) == ("Audit **demo**: 2 run(s) in period order. No trend is tested yet: "
                                                   "a trend needs at least 3 runs with a value.")
    body["series"]["t.accuracy"]["p_value"] = 0.2
    assert "p-values corrected (Holm) over 44 distinct series." in tests_caption("demo", body, 44, [])
