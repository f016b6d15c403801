"""The report's trend chart draws one panel per series on its own axis (a hallucination rate near
0.02 beside an accuracy near 0.8 is not flattened against the floor), each with its 95% interval band
and its trend test in the panel title."""

from __future__ import annotations

import numpy as np
import pandas as pd

from reports.trend import trend_chart, trend_figure

PERIODS = ["2026-Q2", "2026-Q3", "2026-Q4"]


def _frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    points = pd.DataFrame(
        [{"series": "support.exact_match", "period": p, "value": v, "ci_low": v - 0.06, "ci_high": v + 0.05, "n": 150}
         for p, v in zip(PERIODS, [0.9, 0.7333, 0.6933])]
        + [{"series": "support.hallucination_rate", "period": p, "value": v, "ci_low": lo, "ci_high": hi, "n": 150}
           for p, v, lo, hi in zip(PERIODS, [0.0133, 0.02, 0.0133], [0.0016, 0.0041, 0.0016], [0.0473, 0.0573, 0.0473])])
    trends = pd.DataFrame([
        {"series": "support.exact_match", "k": 3, "slope": -0.1101, "slope_low": -0.1746, "slope_high": -0.0456,
         "p_adjusted": 0.0008213, "significant": True},
        {"series": "support.hallucination_rate", "k": 3, "slope": 0.0, "slope_low": -0.02, "slope_high": 0.02,
         "p_adjusted": 1.0, "significant": False}])
    return points, trends


def test_one_panel_per_series_on_its_own_axis_with_band_and_verdict():
    points, trends = _frames()
    fig = trend_figure(points, trends)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    by_title = {ax.get_title().replace("\n", " "): ax for ax in axes}
    acc = next(ax for t, ax in by_title.items() if "matching the reference" in t)
    hal = next(ax for t, ax in by_title.items() if "does not support" in t)
    lo, hi = hal.get_ylim()
    assert lo >= 0 and hi < 0.08  # the rate's own scale: its band fills the panel, not 0..1
    lo, hi = acc.get_ylim()
    assert 0.5 < lo < 0.64 and 0.95 <= hi <= 1.0
    assert "falling 0.11 per run (p=0.000821 after correction): a real trend" in acc.get_title().replace("\n", " ")
    assert "flat 0 per run (p=1 after correction): no real trend" in hal.get_title().replace("\n", " ")
    for ax in axes:  # the interval band: a filled polygon spanning every run's interval
        band = ax.collections[0].get_paths()[0].vertices
        assert band[:, 0].min() == 0 and band[:, 0].max() == 2
    hal_band = hal.collections[0].get_paths()[0].vertices[:, 1]
    assert np.isclose(hal_band.max(), 0.0573) and np.isclose(hal_band.min(), 0.0016)
    chart = trend_chart(points, trends)
    assert chart.png.startswith(b"\x89PNG") and chart.caption.startswith("2 metrics over 3 periods, one panel each")


def test_two_runs_say_not_tested_and_one_series_gets_one_panel():
    points, _ = _frames()
    points = points[(points["series"] == "support.exact_match") & (points["period"] != "2026-Q4")]
    trends = pd.DataFrame([{"series": "support.exact_match", "k": 2, "slope": None, "slope_low": None,
                            "slope_high": None, "p_adjusted": None, "significant": False}])
    fig = trend_figure(points, trends)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 1 and axes[0].get_title().endswith("not tested (a trend needs 3 runs)")
