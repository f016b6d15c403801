"""Per-group intervals the dashboard charts (toxicity by group): computed by audits.stats from
sums read in SQL, exact binomial for a 0/1 flag (a one-sample group is never zero width)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audits.stats import clopper_pearson
from audits.store.queries import dashboard as dq

sys.path.insert(0, str(Path(__file__).parents[1] / "policies"))
from catalog_builder import _tables, make_run  # noqa: E402
from audits.store.catalog import Catalog  # noqa: E402


@pytest.fixture()
def toxic_run(tmp_path, monkeypatch):
    """A real run whose samples carry a toxic flag and a score; 'solo' is a group of one."""
    import catalog_builder

    groups = ["a"] * 40 + ["b"] * 19 + ["solo"]
    toxic = [True] * 4 + [False] * 36 + [True] * 1 + [False] * 18 + [True]
    samples = pd.DataFrame({"task": "support-qa", "sample_id": [str(i) for i in range(60)], "input": "q",
                            "prediction": "a", "gender": groups, "flag_toxic": toxic,
                            "toxicity_score": np.linspace(0.0, 0.9, 60)})

    def tables(results):
        out = _tables(results)
        out["samples"] = samples
        return out

    monkeypatch.setattr(catalog_builder, "_tables", tables)
    cat = Catalog(tmp_path / "c.duckdb")
    return cat, make_run(cat, "run-tox", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0)


def test_toxic_rate_by_group_is_exact_binomial(toxic_run):
    cat, run = toxic_run
    by = dq.score_by_group(cat, run, "support-qa", "flag_toxic", "gender").set_index("group")
    assert by["n"].to_dict() == {"a": 40, "b": 19, "solo": 1}
    assert (by["method"] == "clopper-pearson").all()
    for group, k, n in (("a", 4, 40), ("b", 1, 19), ("solo", 1, 1)):
        low, high = (float(x) for x in clopper_pearson(k, n))
        assert (by.at[group, "ci_low"], by.at[group, "ci_high"]) == pytest.approx((low, high))
    assert by.at["solo", "ci_high"] - by.at["solo", "ci_low"] == pytest.approx(0.975)   # 1 of 1: [0.025, 1]


def test_score_by_group_has_no_interval_for_a_group_of_one(toxic_run):
    cat, run = toxic_run
    by = dq.score_by_group(cat, run, "support-qa", "toxicity_score", "gender").set_index("group")
    assert (by["method"] == "student-t").all() and by.loc[["a", "b"], "ci_low"].notna().all()
    assert np.isnan(by.at["solo", "ci_low"]) and np.isnan(by.at["solo", "ci_high"])


def test_chart_captions_name_each_intervals_method():
    from audits.stats import interval_methods
    from reports.charts import group_chart, metrics_chart

    assert interval_methods(["clopper-pearson", "bca-bootstrap", "clopper-pearson", None]) == \
        "exact binomial; BCa bootstrap"
    groups = pd.DataFrame({"group": ["a", "b"], "value": [0.1, 0.2], "ci_low": [0.05, 0.1], "ci_high": [0.2, 0.3],
                           "n": [40, 40], "method": "clopper-pearson"})
    caption = group_chart(groups, "t", "gender", "toxicity_rate").caption
    assert "95% CI (exact binomial)" in caption and "bootstrap" not in caption
    metrics = pd.DataFrame({"task": ["t", "t"], "metric": ["accuracy", "token_f1"], "value": [0.8, 0.5],
                            "ci_low": [0.7, 0.4], "ci_high": [0.9, 0.6], "method": ["clopper-pearson", "bca-bootstrap"],
                            "compare_value": [np.nan] * 2, "compare_ci_low": [np.nan] * 2,
                            "compare_ci_high": [np.nan] * 2})
    assert metrics_chart(metrics).caption == "Each metric's value and 95% CI (exact binomial; BCa bootstrap, by metric)."
