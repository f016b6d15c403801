"""The prompt-sensitivity probe on the real embedded model."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.backends import choices as ch
from audits.config import TaskConfig
from audits.errors import AssayError
from audits.scanners.base import TaskContext
from audits.scanners.sensitivity import SensitivityScanner, flip_interval

PROMPTS = ["Is 7 a prime number? Answer yes or no.", "Is the sky green? Answer yes or no.", "Is water wet?"]


def _ctx(backend, variants):
    task = TaskConfig.model_validate({"name": "t", "type": "choice", "dataset": {"path": "x.jsonl"},
                                      "choices": ["yes", "no"], "chat_template": False})
    chunk = pd.DataFrame({"sample_id": ["0", "1", "2"], "input": PROMPTS, "choices": [["yes", "no"]] * 3})
    samples = chunk.merge(ch.score_chunk(backend, task, chunk, False), on="sample_id")
    return TaskContext(task=task, samples=samples, metric_stats={}, options={"variants": variants, "max_samples": 3},
                       backend=backend, seed=1, n_bootstrap=0)


@pytest.mark.slow
def test_identity_variant_flips_nothing_and_flips_are_counted(smollm2):
    out = SensitivityScanner().scan(_ctx(smollm2, ["{input}", "Question: {input}\nAnswer:"]))
    block = out.results["sensitivity"]
    assert block.variants[0].flips == 0 and block.n == 3
    assert block.flipped_under_any == block.variants[1].flips
    rate = block.flip_rate_any
    assert 0 <= rate.ci_low <= rate.value <= rate.ci_high <= 1 and rate.n == 3 and rate.method == "clopper-pearson"


def test_variant_without_placeholder_fails_and_exact_bounds():
    with pytest.raises(AssayError, match="placeholder"):
        SensitivityScanner().validate({"variants": ["Answer:"]}, None, {})
    low, high = flip_interval(0, 50)
    assert low == 0.0 and high == pytest.approx(1 - 0.025 ** (1 / 50))  # exact: 0 of 50 -> below 7.1%
