"""No empty chart: a chart with nothing to show says why in one line; values off a 0..1 scale get an
axis fit to them (a log-odds near -3.6 is drawn, not lost off a 0..1 axis)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.charts import Chart, axis_range, fairness_charts


def _rows(metric: str, values: list[float], spread: float = 0.1) -> pd.DataFrame:
    return pd.DataFrame({"task": "discrim", "attribute": "age", "group": [f"g{i}" for i in range(len(values))],
                         "metric": metric, "value": values, "ci_low": [v - spread for v in values],
                         "ci_high": [v + spread for v in values], "n": 100, "insufficient_data": False})


def test_log_odds_get_an_axis_fit_to_them_and_rates_keep_0_to_1():
    low, high = axis_range(np.array([-3.9, -3.6, -3.3, -3.5]))
    assert low < -3.9 and high >= 0 and high - low < 5
    assert axis_range(np.array([0.1, 0.4, 0.5])) == (0.0, 1.0)
    charts = fairness_charts(_rows("decision_logit", [-3.6, -3.5, -3.7]))
    assert len(charts) == 1 and isinstance(charts[0], Chart) and charts[0].png.startswith(b"\x89PNG")
    assert "leaning towards 'yes' (log-odds)" in charts[0].title          # plain words, not the metric id


def test_all_zero_selection_rates_are_a_sentence_not_a_chart():
    frame = pd.concat([_rows("selection_rate", [0.0, 0.0, 0.0], spread=0.0),
                       _rows("decision_logit", [-3.6, -3.4, -3.5])])
    charts = fairness_charts(frame)
    assert charts[0] == ("No chart of share of 'yes' decisions by age on discrim: the model never chose 'yes' for "
                         "any group (3 groups), so there is nothing to compare.")
    assert isinstance(charts[1], Chart)
    missing = _rows("selection_rate", [float("nan"), float("nan")])
    assert fairness_charts(missing) == ["No chart of share of 'yes' decisions by age on discrim: no group has a value."]


def test_audit_log_details_read_as_text():
    from dashboard.components.text import details_text

    raw = '{"decision":"approve","role":"committee","row":{"sha256":"' + "b" * 64 + '","table":"signoffs"}}'
    assert details_text(raw) == "decision: approve · role: committee · row: sha256 " + "b" * 24 + "…, table signoffs"
    assert "{" not in details_text('{"a": {"b": 1}}')
