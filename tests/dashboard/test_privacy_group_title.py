"""The per-group toxicity chart names its intervals' own method: a clustered task's intervals are not
'exact binomial' / 'Student t' (the title was fixed text whatever the intervals were)."""

from __future__ import annotations

import pandas as pd

from audits.stats import group_intervals
from dashboard.views.privacy import group_chart_title

SUMS = pd.DataFrame({"group": list("aaabbb"), "cluster": [f"c{i}" for i in range(6)], "n": [5] * 6,
                     "total": [5, 0, 1, 0, 0, 4], "total_sq": [5, 0, 1, 0, 0, 4], "binary": [True] * 6})


def test_clustered_intervals_are_named_as_computed():
    rates = group_intervals(SUMS)
    assert group_chart_title(rates, "gender", True) == \
        "share of toxic outputs by gender (95% CI, exact binomial at the effective n)"
    scores = group_intervals(SUMS.assign(total=[1.2, 0.3, 0.5, 0.1, 0.2, 2.0],
                                         total_sq=[0.5, 0.05, 0.1, 0.01, 0.02, 1.0], binary=False))
    assert group_chart_title(scores, "gender", False) == "mean toxicity score by gender (95% CI, Student t over clusters)"


def test_unclustered_intervals_keep_their_plain_names():
    plain = group_intervals(SUMS.drop(columns="cluster"))
    assert group_chart_title(plain, "age", True) == "share of toxic outputs by age (95% CI, exact binomial)"
