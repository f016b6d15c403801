"""A group's interval of a mean of unbounded scores is the bootstrap-t on the group's own resamples.

Before, ``group_interval`` ignored the replicates the bias scan drew for the group: it drew 1,000
resamples of its own at seed 0 for every group and every scan seed (one resample, i.e. Student t under
the bootstrap-t's name, when the scan drew none). Now the scan resamples the group's sums of y, w, y*y,
y*w, w*w with its other metrics (``stats.studentized_rows``), so the group's interval is the task's
interval of the same rows at the group's seed, and a scan without resamples forms none, as for BCa."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import stats
from audits.config import TaskConfig
import audits.scanners  # noqa: F401  (registers the built-in scanners)
from audits.scanners import _fairness as fx
from audits.scanners._scanmetric import ScanMean, mean_stats
from audits.scanners.bias import fairness_scan, parse_options

LOGIT = ScanMean("logit_score", "logit|test")


def _scan(seed: int, n_bootstrap: int):
    rng = np.random.default_rng(4)
    x = np.concatenate([rng.lognormal(0, 1, 60) - 2.0, rng.normal(-1, 2, 45)])  # both groups leave [0, 1]
    d = pd.DataFrame({"group": ["a"] * 60 + ["b"] * 45, "prediction": np.where(x > -1, "yes", "no")})
    d["positive"] = d["prediction"] == "yes"
    task = TaskConfig(name="hiring", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"],
                      positive="yes", sensitive=["group"], intersections=[])
    out = fairness_scan(task, d, {"logit_score": (LOGIT, mean_stats(x))}, parse_options({}), seed, n_bootstrap)
    return x, d, out.results["fairness"]["group"]["by_group"]


@pytest.mark.parametrize("seed", [3, 11])
def test_each_group_interval_is_the_task_interval_on_the_groups_resamples(seed):
    x, d, groups = _scan(seed, 300)
    seen = set()
    for g in ("a", "b"):
        rows = mean_stats(x[(d["group"] == g).to_numpy()])
        task = stats.metric_interval(LOGIT, rows, n_resamples=300, seed=fx.group_seed(seed, "hiring", "group", g))
        cell = groups[g]["logit_score"]
        assert cell["method"] == stats.STUDENTIZED
        assert (cell["ci_low"], cell["ci_high"]) == pytest.approx((task.low, task.high), rel=1e-9)
        seen.add(round(cell["ci_high"], 9))
    assert len(seen) == 2


def test_the_scan_seed_moves_the_group_interval_and_no_resamples_form_none():
    a, b = _scan(3, 300)[2]["a"]["logit_score"], _scan(11, 300)[2]["a"]["logit_score"]
    assert (a["ci_low"], a["ci_high"]) != (b["ci_low"], b["ci_high"])  # before: the same seed-0 draws for both
    none = _scan(3, 0)[2]["a"]["logit_score"]
    assert none["ci_low"] is None and none["ci_high"] is None  # before: Student t, named the bootstrap-t


def test_a_group_interval_takes_the_resamples_it_is_given():
    rng = np.random.default_rng(9)
    rows = mean_stats(rng.exponential(2.0, 40) - 1.0)
    value = float(rows[:, 0].mean())
    for seed in (1, 2):
        sums = stats.resample_sums(stats.studentized_rows(rows), 500, seed)
        iv = stats.group_interval(LOGIT, rows, LOGIT.aggregate(stats.resample_sums(rows, 500, seed)),
                                  studentized=sums)
        assert (iv.low, iv.high) == pytest.approx(stats.studentized_from_sums(rows, value, sums), rel=1e-12)
        assert (iv.low, iv.high) == pytest.approx(
            (lambda t: (t.low, t.high))(stats.metric_interval(LOGIT, rows, n_resamples=500, seed=seed)), rel=1e-9)
        assert iv.signature.resamples == 500
    with pytest.raises(ValueError, match="studentized="):
        stats.group_interval(LOGIT, rows, np.empty(0))
