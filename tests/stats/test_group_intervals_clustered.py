"""Per-group intervals read from stored samples (the dashboard's toxicity by group) of a clustered
task count clusters: the bundle reader adds up sums per group and cluster, audits.stats makes the
interval at the group's effective sample size (issue 20/21). An unclustered task of the same
bundle (its cluster cells empty) keeps the plain exact interval."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audits import stats
from audits.metrics import get_metric
from audits.store.queries import dashboard as dq

sys.path.insert(0, str(Path(__file__).parents[1] / "policies"))
from catalog_builder import _tables, make_run  # noqa: E402
from audits.store.catalog import Catalog  # noqa: E402

# support-qa: 8 clusters of 10 in group a (toxic clusters 0 and 1), 4 clusters of 10 in group b (none toxic)
TOXIC = np.repeat([1, 1, 0, 0, 0, 0, 0, 0] + [0, 0, 0, 0], 10).astype(bool)
GROUPS = ["a"] * 80 + ["b"] * 40
CLUSTERS = [f"ctx{i // 10}" for i in range(120)]


@pytest.fixture()
def clustered_run(tmp_path, monkeypatch):
    import catalog_builder

    samples = pd.DataFrame({"task": "support-qa", "sample_id": [str(i) for i in range(120)], "input": "q",
                            "prediction": "a", "gender": GROUPS, "flag_toxic": TOXIC, "cluster": CLUSTERS,
                            "toxicity_score": np.where(TOXIC, 0.9, 0.1) + np.linspace(0, 0.05, 120)})
    plain = pd.DataFrame({"task": "bbq", "sample_id": [f"p{i}" for i in range(40)], "input": "q",
                          "prediction": "a", "gender": ["a"] * 20 + ["b"] * 20, "flag_toxic": [True] * 2 + [False] * 38,
                          "cluster": None, "toxicity_score": np.linspace(0, 1, 40)})

    def tables(results):
        out = _tables(results)
        out["samples"] = pd.concat([samples, plain], ignore_index=True)
        return out

    monkeypatch.setattr(catalog_builder, "_tables", tables)
    cat = Catalog(tmp_path / "c.duckdb")
    return cat, make_run(cat, "run-cl", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0)


def test_clustered_toxic_rate_by_group(clustered_run):
    cat, run = clustered_run
    by = dq.score_by_group(cat, run, "support-qa", "flag_toxic", "gender").set_index("group")
    assert by.loc["a", "n_clusters"] == 8 and by.loc["a", "method"] == "clopper-pearson-effective-n"
    rate = stats.clustered_rate(TOXIC[:80], CLUSTERS[:80])
    assert (by.at["a", "ci_low"], by.at["a", "ci_high"]) == pytest.approx(rate.interval())
    assert by.at["a", "design_effect"] == pytest.approx(rate.design_effect) and rate.design_effect > 5
    plain_high = float(stats.clopper_pearson(20, 80)[1])
    assert by.at["a", "ci_high"] > plain_high + 0.1            # 20 of 80 in whole clusters: 2 of 8 clusters
    # b: no toxic output in 4 clusters: bounded at 4 samples, its design effect assumed
    assert by.at["b", "design_effect_source"] == "assumed"
    assert by.at["b", "ci_high"] == pytest.approx(float(stats.clopper_pearson(0, 4)[1]))


def test_clustered_score_by_group_matches_the_sample_path(clustered_run):
    cat, run = clustered_run
    by = dq.score_by_group(cat, run, "support-qa", "toxicity_score", "gender").set_index("group")
    same = stats.group_score_intervals(GROUPS, np.where(TOXIC, 0.9, 0.1) + np.linspace(0, 0.05, 120),
                                       clusters=CLUSTERS).set_index("group")
    assert by.loc["a", ["ci_low", "ci_high"]].tolist() == pytest.approx(same.loc["a", ["ci_low", "ci_high"]].tolist())
    assert by.at["a", "method"] == "student-t-clustered" and by.at["a", "design_effect"] > 5
    rate = stats.group_score_intervals(GROUPS, TOXIC, clusters=CLUSTERS).set_index("group")
    iv = stats.group_interval(get_metric("accuracy"), np.column_stack([TOXIC[:80], np.ones(80)]), np.empty(0),
                              0.95, CLUSTERS[:80])
    assert (rate.at["a", "ci_low"], rate.at["a", "ci_high"]) == pytest.approx((iv.low, iv.high))


def test_an_unclustered_task_beside_a_clustered_one_keeps_exact_intervals(clustered_run):
    cat, run = clustered_run
    by = dq.score_by_group(cat, run, "bbq", "flag_toxic", "gender").set_index("group")
    assert (by["method"] == "clopper-pearson").all() and by["n"].to_dict() == {"a": 20, "b": 20}
    assert (by.at["a", "ci_low"], by.at["a", "ci_high"]) == pytest.approx(
        tuple(float(x) for x in stats.clopper_pearson(2, 20)))
