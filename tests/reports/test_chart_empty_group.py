"""A group chart draws no empty row: BBQ's "bias when the context is ambiguous, by context" drew a
"clear (n=0)" bar beside the ambiguous one; a group with no samples is left out and named in the
caption, and a chart with no group left is one line saying why."""

from __future__ import annotations

import pandas as pd

from reports.charts import Chart, drawable, fairness_charts


def _frame(n_clear: int) -> pd.DataFrame:
    return pd.DataFrame({"task": "bbq-gender", "attribute": "context_condition", "metric": "bias_score_ambig",
                         "group": ["ambig", "disambig"], "value": [0.12, 0.0], "ci_low": [0.05, 0.0],
                         "ci_high": [0.2, 0.0], "n": [150, n_clear], "insufficient_data": [False, False]})


def test_a_group_without_samples_is_not_drawn():
    rows, empty = drawable(_frame(0))
    assert list(rows["group"]) == ["ambig"] and empty == ["disambig"]
    [chart] = fairness_charts(_frame(0))
    assert isinstance(chart, Chart)
    assert "Not drawn (no samples):" in chart.caption
    [chart] = fairness_charts(_frame(40))
    assert "Not drawn" not in chart.caption and list(drawable(_frame(40))[0]["group"]) == ["ambig", "disambig"]


def test_nothing_left_is_one_line():
    frame = _frame(0).assign(n=[0, 0])
    [line] = fairness_charts(frame)
    assert isinstance(line, str) and line.endswith("no group has samples (n=0).")
