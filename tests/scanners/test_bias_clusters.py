"""The bias scan of a clustered task (``cluster:``): each group's interval, the group tests and the
four-fifths reading count clusters, not samples (issue 20/21). Without it, 6 clusters of 10
identical decisions per group read as 60 independent ones and a chance gap read "significant"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.results import FairnessGrouping
from audits.scanners.bias import fairness_scan, parse_options
from audits.stats import clopper_pearson


def _task(**kw) -> TaskConfig:
    return TaskConfig(**{**dict(name="hiring", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"],
                                positive="yes", sensitive=["group"]), **kw})


def _frame(clustered: bool) -> pd.DataFrame:
    # group a: 4 of its 6 clusters say yes throughout (40/60); group b: 2 of 6 (20/60)
    per_cluster = [1, 1, 1, 1, 0, 0] + [1, 1, 0, 0, 0, 0]
    yes = np.repeat(per_cluster, 10).astype(bool)
    d = pd.DataFrame({"group": ["a"] * 60 + ["b"] * 60, "prediction": np.where(yes, "yes", "no"), "positive": yes})
    if clustered:
        d["cluster"] = [f"c{i // 10}" for i in range(120)]
    return d


def _scan(clustered: bool) -> dict:
    task = _task(cluster="template") if clustered else _task()
    return fairness_scan(task, _frame(clustered), {}, parse_options({"min_group_size": 10}), 0, 200
                         ).results["fairness"]["group"]


def test_clustered_groups_are_tested_at_their_effective_size():
    plain, clustered = _scan(False), _scan(True)
    (t_plain,), (t_clustered,) = plain["group_tests"], clustered["group_tests"]
    assert t_plain["p_adjusted"] < 0.01 and t_clustered["p_adjusted"] > 0.05     # 6 + 6 clusters decide nothing
    assert t_plain["ratio"] == t_clustered["ratio"] == pytest.approx(0.5)
    assert clustered["four_fifths_reading"] == "below four-fifths, not significant at this n"
    assert plain["four_fifths_reading"] == "below four-fifths, significant"
    assert t_clustered["n_effective"] < 10
    low, high = clustered["demographic_parity_ratio_ci"]
    assert low < plain["demographic_parity_ratio_ci"][0] and high > plain["demographic_parity_ratio_ci"][1]


def test_clustered_group_intervals_count_clusters():
    plain, clustered = _scan(False), _scan(True)
    a_plain, a = plain["by_group"]["a"]["selection_rate"], clustered["by_group"]["a"]["selection_rate"]
    assert a_plain["method"] == "clopper-pearson" and a["method"] == "clopper-pearson-effective-n"
    assert (a_plain["ci_low"], a_plain["ci_high"]) == pytest.approx(tuple(float(x) for x in clopper_pearson(40, 60)))
    # every cluster all-or-nothing: only 2 of the 6 carry the rarer outcome, too few to estimate the
    # correlation (audits.stats._clustered.MIN_OUTCOME_CLUSTERS), so each cluster counts once: design effect n/G, assumed
    assert a["n_clusters"] == 6 and a["design_effect"] == pytest.approx(10) and a["design_effect_source"] == "assumed"
    assert a["ci_high"] - a["ci_low"] > 2 * (a_plain["ci_high"] - a_plain["ci_low"])
    block = FairnessGrouping.model_validate(clustered)   # the typed results read it
    est = block.by_group["a"].metrics["selection_rate"]
    assert est.n_clusters == 6 and est.design_effect == pytest.approx(a["design_effect"])
