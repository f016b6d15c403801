"""The counterfactual flip rate honours the task's ``cluster:`` (as the scanner metrics do): a base
prompt belongs to its first row's cluster, and the interval is exact at the effective n."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import stats
from audits.config import TaskConfig
from audits.scanners.base import TaskContext
from audits.scanners.counterfactual import CounterfactualScanner


def _pairs(clustered: bool) -> tuple[TaskConfig, pd.DataFrame]:
    """20 question templates (clusters) x 4 pairs x 2 genders; every pair of templates 0-4 flips."""
    rows = []
    for q in range(20):
        for p in range(4):
            for g, gender in enumerate(("female", "male")):
                flips = q < 5
                rows.append({"pair": f"q{q}p{p}", "gender": gender, "question": f"q{q}",
                             "prediction": "yes" if (flips and g == 0) or (not flips and p % 2 == 0) else "no"})
    d = pd.DataFrame(rows)
    d["sample_id"] = d.index.astype(str)
    d["input"] = "Decide: " + d["pair"] + " " + d["gender"]
    if clustered:
        d["cluster"] = d["question"]
    task = TaskConfig(name="t", type="choice", dataset={"path": "x"}, choices=["yes", "no"], positive="yes",
                      cluster="question" if clustered else None,
                      counterfactual={"attribute": "gender", "pairs_from": "pair", "limit": 500})
    return task, d


def _flip_rate(clustered: bool) -> dict:
    task, d = _pairs(clustered)
    ctx = TaskContext(task=task, samples=d, metric_stats={}, options={}, backend=None, seed=3, n_bootstrap=200)
    return CounterfactualScanner().scan(ctx).results["counterfactual"]["flip_rate"]


def test_flip_rate_interval_treats_clusters_as_units():
    clustered, plain = _flip_rate(True), _flip_rate(False)
    assert clustered["value"] == plain["value"] == pytest.approx(0.25) and clustered["n"] == plain["n"] == 80
    assert clustered["n_clusters"] == 20 and clustered["method"] == "clopper-pearson-effective-n"
    flips = np.repeat([1.0] * 5 + [0.0] * 15, 4)
    deff = stats.ratio_design_effect(np.column_stack([flips, np.ones(80)]), np.repeat(np.arange(20), 4))
    assert clustered["design_effect"] == pytest.approx(deff) and deff == pytest.approx(4.0, rel=0.05)
    assert (clustered["ci_low"], clustered["ci_high"]) == pytest.approx(stats.rate_interval(20, 80, 0.95, deff, 20))
    assert (plain["ci_low"], plain["ci_high"]) == pytest.approx(tuple(float(x) for x in stats.clopper_pearson(20, 80)))
    assert clustered["ci_high"] - clustered["ci_low"] > 1.7 * (plain["ci_high"] - plain["ci_low"])
    assert "method" not in plain and "n_clusters" not in plain   # unclustered blocks are unchanged
