"""The report names each trend's own test: since rates are tested on their counts (Cochran-Armitage)
the PDF's trend caption and table said "weighted least squares" for every series. The names come
from the series' ``method`` as ``audit_trends`` computed it on a real catalog."""

from __future__ import annotations

import pandas as pd

from audits import stats
from reports.trend import trend_chart, trend_tables, trend_tests_text


def test_rate_and_mean_series_name_their_own_tests(report_runs):
    cat, _, q4 = report_runs
    got = trend_tables(cat, {"audit": "unit-audit", "run_id": q4},
                       [("bbq-gender", "accuracy"), ("support-qa", "token_f1")])
    methods = dict(zip(got["trend"]["series"], got["trend"]["method"]))
    assert methods["bbq-gender.accuracy"] == stats.RATE_TREND_TEST
    assert methods["support-qa.token_f1"] == stats.TREND_TEST
    words = trend_tests_text(got["trend"])
    assert words.startswith("rates: Cochran-Armitage") and "other measures: weighted least squares" in words
    only_rate = got["trend"][got["trend"]["series"] == "bbq-gender.accuracy"]
    assert "least squares" not in trend_tests_text(only_rate)
    chart = trend_chart(got["trend_points"][got["trend_points"]["series"] == "bbq-gender.accuracy"], only_rate)
    assert "Cochran-Armitage" in chart.caption and "least squares" not in chart.caption


def test_no_series_no_test_named():
    assert trend_tests_text(pd.DataFrame(columns=["series", "method"])) == "no series tested yet"
