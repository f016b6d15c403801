"""The bias scan of a task whose samples share questions (``cluster:``, discrim-eval's question id)
reports Tamkin et al.'s discrimination score within questions, and INT-FAIR-2's bound reads it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits import stats
from audits.config import TaskConfig
from audits.metrics import get_metric
from audits.metrics.decision import SampleInputs
from audits.results import FairnessGrouping
from audits.scanners.bias import fairness_scan, parse_options
from policies.bounds import _discrimination_bounds


def _scan(clustered: bool) -> dict:
    """Two questions far apart (logit -2 and +2); group b answers the 'yes' question three times as
    often as group a, and no group has any effect of its own."""
    rng = np.random.default_rng(5)
    group = np.array(["a"] * 80 + ["b"] * 80)
    question = np.array([0] * 60 + [1] * 20 + [0] * 20 + [1] * 60)
    y = np.where(question == 1, 2.0, -2.0) + rng.normal(0, 0.3, 160)
    p = 1 / (1 + np.exp(-y))
    metric = get_metric("decision_logit")
    frame = pd.DataFrame({"group": group, "prediction": np.where(p > 0.5, "yes", "no")})
    if clustered:
        frame["cluster"] = question.astype(str)
    task = TaskConfig(name="loans", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"], positive="yes",
                      sensitive=["group"], **({"cluster": "question"} if clustered else {}))
    st = metric.stats(SampleInputs(["yes"] * 160, columns={"p_positive": p}))
    return fairness_scan(task, frame, {"decision_logit": (metric, st)}, parse_options({}), 0, 300
                         ).results["fairness"]["group"]


def test_within_questions_the_groups_do_not_differ():
    plain, within = _scan(False)["discrimination"], _scan(True)["discrimination"]
    assert plain["value"] > 1.5 and not plain.get("pairs")  # the questions' gap read as the groups'
    assert within["value"] < 0.2 and within["ci_low"] == 0.0 and within["method"] == stats.FIXED_EFFECTS_METHOD
    assert [(p["high"], p["low"]) for p in within["pairs"]] in ([("a", "b")], [("b", "a")])
    assert "within questions" in within["measure"]


def test_the_policy_bound_reads_the_pairs():
    block = FairnessGrouping.model_validate(_scan(True))
    bounds = _discrimination_bounds({"group": block}, "fairness.max_discrimination_score", 0.90)
    pair = block.discrimination.pairs[0]
    assert (bounds.low, bounds.high) == stats.range_interval_from_gaps([pair.gap], [pair.se], 0.90)
    assert bounds.high < 0.5 and stats.FIXED_EFFECTS_METHOD in bounds.metrics[0]["method"]
