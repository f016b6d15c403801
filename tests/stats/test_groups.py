"""Group against group: two-proportion tests over every pair, Katz ratio interval, Holm
over the task's groupings, and the four-fifths rule read with significance; in the bias scan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as st

from audits import stats
from audits.config import TaskConfig
from audits.scanners.bias import fairness_scan, parse_options


def test_group_tests_and_holm_reading():
    fams = [stats.group_tests({"a": (0.30, 200), "b": (0.60, 200), "c": (0.55, 200)}),
            stats.group_tests({"x": (0.40, 20), "y": (0.55, 20)})]
    raw = [t["p_value"] for f in fams for t in f]
    stats.correct_group_tests(fams)
    a = next(t for t in fams[0] if t["group"] == "a")
    assert a["reference"] == "b" and a["ratio"] == pytest.approx(0.5)
    pooled = 0.45
    z = 0.30 / np.sqrt(pooled * (1 - pooled) * (2 / 200))
    assert a["p_value"] == pytest.approx(2 * st.norm.sf(z)) and a["method"] == "two-proportion-z"
    np.testing.assert_allclose([t["p_adjusted"] for f in fams for t in f], stats.holm(raw))
    assert a["reading"] == "below four-fifths, significant"
    x = fams[1][0]   # 8 of 20 against 11 of 20: ratio 0.73 but nothing shown at this n
    assert x["reading"] == "below four-fifths, not significant at this n" and x["ratio_low"] < 0.8 < x["ratio_high"]


def test_bias_scan_reports_ratio_interval_and_reading():
    rng = np.random.default_rng(0)
    n = 600
    gender = np.where(np.arange(n) % 2 == 0, "female", "male")
    yes = np.where(gender == "female", rng.random(n) < 0.30, rng.random(n) < 0.60)
    samples = pd.DataFrame({"sample_id": [str(i) for i in range(n)], "gender": gender,
                            "prediction": np.where(yes, "yes", "no"), "positive": yes, "label": None})
    task = TaskConfig(name="loans", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"],
                      positive="yes", sensitive=["gender"])
    block = fairness_scan(task, samples, {}, parse_options({}), seed=1, n_bootstrap=100).results["fairness"]["gender"]
    assert block["four_fifths_reading"] == "below four-fifths, significant"
    low, high = block["demographic_parity_ratio_ci"]
    assert low < block["demographic_parity_ratio"] < high < 0.8
    sel = block["by_group"]["female"]["selection_rate"]
    k = round(sel["value"] * sel["n"])
    assert (sel["ci_low"], sel["ci_high"]) == pytest.approx(tuple(float(x) for x in stats.clopper_pearson(k, sel["n"])))
