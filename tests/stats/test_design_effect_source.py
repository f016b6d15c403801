"""A stored design effect says whether it was estimated from the data or assumed (each cluster
counted once because no correlation could be estimated): 0 of 40 in 32 clusters stores 1.25,
which read as a measured design effect before (issue 20/21)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audits import stats
from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise
from audits.results import Estimate, MetricSummary

CLUSTERS = np.repeat(np.arange(32), [2] * 8 + [1] * 24)   # 40 samples in 32 clusters


def _rows(events: int) -> np.ndarray:
    y = np.zeros(40)
    y[:events] = 1.0
    return np.column_stack([y, np.ones(40)])


def test_summaries_say_where_their_design_effect_came_from():
    acc = get_metric("accuracy")
    none = summarise(acc, _rows(0), n_resamples=10, seed=0, clusters=CLUSTERS)
    assert none.design_effect == 1.25 and none.design_effect_source == "assumed"
    some = summarise(acc, np.column_stack([np.repeat([1.0, 0, 0, 1], 10), np.ones(40)]), n_resamples=10, seed=0,
                     clusters=np.repeat(np.arange(8), 5))
    assert some.design_effect_source == "estimated" and some.design_effect > 1
    assert summarise(acc, _rows(4), n_resamples=10).design_effect_source == "none"
    f1 = summarise(get_metric("token_f1"), np.column_stack([np.linspace(0, 1, 40), np.ones(40)]), n_resamples=50,
                   seed=0, clusters=np.repeat(np.arange(8), 5))
    assert f1.design_effect_source == "estimated"


def test_the_summary_model_carries_it_and_old_results_read_it_back():
    acc = get_metric("accuracy")
    r = summarise(acc, _rows(0), n_resamples=10, seed=0, clusters=CLUSTERS)
    fields = {k: getattr(r, k) for k in MetricSummary.model_fields if hasattr(r, k)}
    summary = MetricSummary.model_validate(json.loads(json.dumps({**fields, "ci_low": 0.0})))
    assert summary.design_effect_source == "assumed"
    old = {k: v for k, v in summary.model_dump().items() if k != "design_effect_source"}  # written before the field
    assert MetricSummary.model_validate(old).design_effect_source == "assumed"
    assert MetricSummary.model_validate({**old, "events": 3.0}).design_effect_source == "estimated"
    assert Estimate(value=0.2, n=50).design_effect_source == "none"
    with pytest.raises(ValueError):
        Estimate(value=0.2, n=50, design_effect=2.0, n_clusters=10, design_effect_source="guessed")


def test_the_sentence_calls_an_assumed_design_effect_assumed():
    one = stats.describe("accuracy", 0.5, 0.1, 0.9, 40, kind="rate", events=20, design_effect=40.0, n_clusters=1)
    assert "1 cluster, design effect 40 assumed (each cluster counted once), not estimated" in one
    measured = stats.describe("accuracy", 0.5, 0.3, 0.7, 40, kind="rate", events=20, design_effect=2.0, n_clusters=10)
    assert "design effect 2)" in measured and "assumed" not in measured
