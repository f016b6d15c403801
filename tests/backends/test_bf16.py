"""bfloat16 on the CPU, both ways (autocast over float32 weights, bfloat16 weights): the same
decisions as float32 on discrim-eval prompts, log-likelihoods close, and the run's identity says
which was used. Skipped, with the reason, on CPUs without avx512_bf16/AMX."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.backends.choices import score_chunk
from audits.backends.hf import HFBackend, _pick_autocast, cpu_has_bf16
from audits.config import ModelConfig, TaskConfig

PROMPT = "{filled_template}\n\nPlease answer the above question with either \"yes\" or \"no\"."
CHOICES = ["yes", "no"]


def _task(limit: int | None = None) -> TaskConfig:
    return TaskConfig(name="discrim", type="choice", dataset={"builtin": "discrim-eval"}, prompt=PROMPT,
                      choices=CHOICES, positive="yes", chat_template=False, limit=limit)


def _score(backend, texts: list[str]) -> np.ndarray:
    chunk = pd.DataFrame({"sample_id": [str(i) for i in range(len(texts))], "input": texts,
                          "choices": [CHOICES] * len(texts)})
    return np.asarray(score_chunk(backend, _task(), chunk, templated=False)["choice_logprobs"].tolist())


def test_autocast_auto_follows_the_cpu(monkeypatch):
    import audits.backends.hf as hf

    monkeypatch.setattr(hf, "cpu_has_bf16", lambda: True)
    assert _pick_autocast("auto", "cpu") == "bfloat16" and _pick_autocast("off", "cpu") is None
    monkeypatch.setattr(hf, "cpu_has_bf16", lambda: False)
    assert _pick_autocast("auto", "cpu") is None and _pick_autocast("auto", "cuda") == "bfloat16"


@pytest.mark.slow
@pytest.mark.skipif(not cpu_has_bf16(), reason="this CPU has neither avx512_bf16 nor AMX")
@pytest.mark.parametrize("way", [{"autocast": "bfloat16"}, {"dtype": "bfloat16"}], ids=["autocast", "weights"])
def test_bf16_scores_give_the_float32_decisions(smollm2, model_cache, way):
    from audits.datasets import load_task_data

    texts = load_task_data(_task(limit=24)).frame["input"].tolist()
    smollm2.config.batch_size = 8
    reference = _score(smollm2, texts)
    backend = HFBackend(ModelConfig(path="smollm2", device="cpu", batch_size=8, chat_template=False, **way),
                        cache_dir=model_cache)
    try:
        scores = _score(backend, texts)
        ident = backend.identity()
    finally:
        backend.close()
    assert ident["autocast"] == way.get("autocast", "off") and ident["dtype"] == way.get("dtype", "float32")
    assert np.all(scores < 0) and np.abs(scores - reference).max() < 0.5  # bf16: ~3 significant digits
    assert np.array_equal(scores.argmax(axis=1), reference.argmax(axis=1))
