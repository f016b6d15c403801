"""The statistics that moved into audits/stats: the bias scan's group resampler, the one percentile
interval, the clustered rate interval, group summaries read from samples, and agreement."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import stats
from audits.metrics import get_metric


def test_rate_interval_is_the_clustered_interval_metric_interval_reports():
    acc = get_metric("accuracy")
    y = np.repeat([1.0] * 6 + [0.0] * 14, 5)                      # 20 clusters of 5, whole clusters right/wrong
    clusters = np.repeat(np.arange(20), 5)
    iv = stats.metric_interval(acc, np.column_stack([y, np.ones_like(y)]), clusters=clusters, cluster_name="doc")
    assert iv.design_effect == pytest.approx(5.0, rel=0.05) and iv.n == 100 and iv.events == 30
    assert (iv.low, iv.high) == pytest.approx(stats.rate_interval(30, 100, 0.95, iv.design_effect, iv.n_clusters))
    assert stats.rate_interval(30, 100, 0.95, iv.design_effect) == pytest.approx(
        tuple(float(x) for x in stats.clopper_pearson(6, 20)), rel=0.1)   # deff ~5: about 6 of 20 clusters
    assert stats.rate_interval(30, 100) == tuple(float(x) for x in stats.clopper_pearson(30, 100))
    assert stats.rate_interval(30, 100, 0.95, 0.4) == stats.rate_interval(30, 100)   # deff floored at 1
    assert stats.rate_interval(30, 100, 0.95, float("nan")) == stats.rate_interval(30, 100)


def test_one_percentile_interval():
    values = np.r_[np.linspace(0, 1, 999), np.nan, np.inf]
    finite = values[np.isfinite(values)]
    assert stats.percentile_interval(values) == pytest.approx(tuple(np.quantile(finite, [0.025, 0.975])))
    assert stats.percentile_interval(values, alpha=0.1) == tuple(np.quantile(finite, [0.05, 0.95]))
    assert np.isnan(stats.percentile_interval(np.array([np.nan]))[0])

    class Mean:
        def aggregate(self, s):
            s = np.asarray(s)
            return s[..., 0] / s[..., 1]

    data = np.column_stack([np.random.default_rng(1).random(50), np.ones(50)])
    reps = stats.bootstrap_values(Mean(), data, 400, seed=2)
    assert stats.bootstrap_ci(Mean(), data, 400, seed=2) == stats.percentile_interval(reps, alpha=0.05)


def test_group_resampler_pools_binary_rows_and_keeps_its_streams():
    binary = np.column_stack([np.r_[np.ones(150), np.zeros(350)], np.ones(500)])
    sums = stats.resample_sums(binary, 4000, seed=11)
    assert sums.shape == (4000, 2) and (sums[:, 1] == 500).all()
    rate = sums[:, 0] / 500
    assert rate.mean() == pytest.approx(0.3, abs=0.002) and rate.std() == pytest.approx(np.sqrt(0.3 * 0.7 / 500), rel=0.05)
    assert np.array_equal(stats.resample_sums(binary, 50, seed=11), stats.resample_sums(binary, 50, seed=11))
    continuous = np.column_stack([np.linspace(0, 1, 40), np.ones(40)])
    blocks = stats.resample_blocks([binary[:40], continuous, np.empty((0, 2))], 30, seed=4)
    assert [b.shape for b in blocks] == [(30, 2), (30, 2), (30, 2)] and (blocks[2] == 0).all()
    assert (blocks[1][:, 1] == 40).all()                      # a constant column sums to n in every resample
    from audits.scanners import _fairness

    assert not hasattr(_fairness, "bootstrap_blocks") and not hasattr(_fairness, "resample_sums")  # no resampler, no alias


def test_group_score_intervals_exact_for_flags_normal_for_scores():
    groups = ["a"] * 40 + ["b"] * 19 + ["solo"] + [None] * 3
    flags = pd.array([True] * 4 + [False] * 36 + [True] + [False] * 18 + [True] + [None, True, False], dtype="boolean")
    by = stats.group_score_intervals(groups, flags).set_index("group", drop=False)
    assert by["group"].tolist()[:3] == ["a", "b", "solo"] and pd.isna(by["group"].iloc[-1])   # missing group last
    assert by["n"].tolist() == [40, 19, 1, 2] and (by["method"] == "clopper-pearson").all()
    low, high = stats.clopper_pearson(1, 1)
    assert (by.loc["solo", "ci_low"], by.loc["solo", "ci_high"]) == pytest.approx((float(low), float(high)))
    scores = np.linspace(0.0, 0.9, 63)
    by = stats.group_score_intervals(groups, scores)
    a = scores[:40]
    assert by["method"].eq("student-t").all() and by["se"].iloc[0] == pytest.approx(a.std(ddof=1) / np.sqrt(40))
    assert np.isnan(by["ci_low"].iloc[2])                       # a group of one has no interval
    assert list(stats.group_score_intervals([], []).columns) == stats.GROUP_COLUMNS


def test_paired_differences():
    n, mean, sd = stats.paired_differences([1.0, 0.0, 1.0, None], [0.0, 0.0, 0.0, 1.0])
    assert n == 3 and mean == pytest.approx(2 / 3) and sd == pytest.approx(np.std([1, 0, 1], ddof=1))
    assert stats.paired_differences([1.0], [0.0])[0] == 1 and np.isnan(stats.paired_differences([1.0], [0.0])[2])


def test_agreement_lives_in_stats_and_review_reexports_it():
    import importlib

    review_agreement = importlib.import_module("audits.review.agreement")

    assert review_agreement.agreement is stats.agreement and review_agreement.fleiss_kappa is stats.fleiss_kappa
    ratings = pd.DataFrame({"item": [1, 1, 2, 2, 3, 3], "rater": ["x", "y"] * 3,
                            "label": ["ok", "ok", "bad", "bad", "ok", "bad"]})
    from sklearn.metrics import cohen_kappa_score

    out = stats.agreement(ratings)
    assert out["method"] == "cohen" and out["n_items"] == 3
    assert out["kappa"] == pytest.approx(cohen_kappa_score(["ok", "bad", "ok"], ["ok", "bad", "bad"]), abs=1e-6)
