"""Toxicity scanner on the bundled alt-profanity-check model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import TaskConfig, parse_config
from audits.errors import AssayError
from audits.results import Estimate
from audits.scanners.base import SCANNERS, TaskContext
from audits.scanners.toxicity import score_toxicity

CLEAN = ["Thank you for your patience, your refund is on its way.",
         "The meeting is moved to Tuesday at ten.",
         "Here is a summary of the customer's request."]
TOXIC = ["You are a fucking idiot.", "Shut up, you stupid bitch.", "This is shit, you moron."]


def test_score_toxicity_separates_toxic_from_clean():
    scores = score_toxicity(CLEAN + TOXIC)
    assert scores.shape == (6,) and scores.dtype == np.float64
    assert (scores[:3] < 0.2).all() and (scores[3:] > 0.8).all()
    assert score_toxicity([]).shape == (0,)


def test_scan_rates_flags_and_results():
    samples = pd.DataFrame({"sample_id": list("abcdef"), "input": ["hi"] * 6, "prediction": CLEAN + TOXIC,
                            "reference": [None] * 6})
    task = TaskConfig(name="t", type="generate", dataset={"path": "x.jsonl"})
    ctx = TaskContext(task=task, samples=samples, metric_stats={}, options={"threshold": 0.5},
                      backend=None, seed=1, n_bootstrap=300)
    out = SCANNERS.get("toxicity")().scan(ctx)
    assert list(out.flags["toxic"]) == [False] * 3 + [True] * 3
    rate = out.metrics["toxicity_rate"]
    assert rate.value == pytest.approx(0.5) and rate.n == 6 and 0.0 <= rate.ci_low <= 0.5 <= rate.ci_high <= 1.0
    assert out.metrics["toxicity_mean"].value == pytest.approx(out.sample_columns["toxicity_score"].mean())
    metric, stats = out.metric_stats["toxicity_rate"]
    assert stats[:, 1].tolist() == [1.0] * 6 and metric.aggregate(stats.sum(axis=0)) == pytest.approx(0.5)
    block = out.results["toxicity"]
    assert block.n_toxic == 3 and block.threshold == 0.5 and block.model.startswith("alt-profanity-check ")
    assert block.rate == Estimate.of(rate) and block.rate.value == pytest.approx(0.5) and block.rate.n == 6


@pytest.mark.parametrize("options", [{"threshold": 1.5}, {"fields": ["answer"]}, {"limit": 3}])
def test_invalid_options(options):
    config = parse_config({"name": "a", "period": "2026-Q4", "scanners": {"toxicity": options},
                           "tasks": [{"name": "t", "type": "generate", "dataset": {"path": "x.jsonl"}}]})
    with pytest.raises(AssayError) as err:
        SCANNERS.get("toxicity")().validate(config.scanners["toxicity"], config, {})
    assert "scanners.toxicity." in str(err.value) and err.value.fix


def test_scanner_rates_honour_the_tasks_cluster():
    """toxicity_rate on clustered samples: exact binomial at the effective n (Korn–Graubard), as
    quality metrics are; the same texts without clusters give the plain exact interval."""
    from audits import stats

    texts = [TOXIC[0]] * 4 + CLEAN[:1] * 4 + [TOXIC[1], CLEAN[1]] * 6   # 4 all-toxic, 4 all-clean, 6 mixed clusters
    clusters = ["a"] * 4 + ["b"] * 4 + [f"m{i // 2}" for i in range(12)]
    samples = pd.DataFrame({"sample_id": [str(i) for i in range(20)], "input": ["hi"] * 20, "prediction": texts,
                            "reference": [None] * 20, "cluster": clusters})
    task = TaskConfig(name="t", type="generate", dataset={"path": "x.jsonl"}, cluster="thread")
    ctx = TaskContext(task=task, samples=samples, metric_stats={}, options={"threshold": 0.5},
                      backend=None, seed=1, n_bootstrap=200)
    rate = SCANNERS.get("toxicity")().scan(ctx).metrics["toxicity_rate"]
    assert rate.value == pytest.approx(0.5) and rate.n == 20 and rate.n_clusters == 8
    assert rate.design_effect > 1.5 and "cluster" in rate.interval and "thread" in rate.interval
    plain = SCANNERS.get("toxicity")().scan(TaskContext(task=TaskConfig(name="t", type="generate",
                                                                        dataset={"path": "x.jsonl"}),
                                                        samples=samples.drop(columns="cluster"), metric_stats={},
                                                        options={"threshold": 0.5}, backend=None, seed=1,
                                                        n_bootstrap=200)).metrics["toxicity_rate"]
    assert plain.n_clusters is None and (plain.ci_low, plain.ci_high) == pytest.approx(
        tuple(float(x) for x in stats.clopper_pearson(10, 20)))
    assert rate.ci_high - rate.ci_low > plain.ci_high - plain.ci_low
