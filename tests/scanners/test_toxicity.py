"""Toxicity scanner on the bundled alt-profanity-check model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import TaskConfig, parse_config
from audits.errors import AssayError
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
    assert block["n_toxic"] == 3 and block["threshold"] == 0.5 and block["model"].startswith("alt-profanity-check ")


@pytest.mark.parametrize("options", [{"threshold": 1.5}, {"fields": ["answer"]}, {"limit": 3}])
def test_invalid_options(options):
    config = parse_config({"name": "a", "period": "2026-Q4", "scanners": {"toxicity": options},
                           "tasks": [{"name": "t", "type": "generate", "dataset": {"path": "x.jsonl"}}]})
    with pytest.raises(AssayError) as err:
        SCANNERS.get("toxicity")().validate(config.scanners["toxicity"], config, {})
    assert "scanners.toxicity." in str(err.value) and err.value.fix
