"""Shared fixtures: the embedded model, converted once per session into a temporary cache."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def model_cache(tmp_path_factory) -> Path:
    """An empty Assay cache dir; the first smollm2 load converts the GGUF file into it."""
    return tmp_path_factory.mktemp("assay-cache")


@pytest.fixture(scope="session")
def smollm2(model_cache):
    """The hf backend on the embedded SmolLM2-135M-Instruct (greedy, float32 on CPU)."""
    from audits.backends.hf import HFBackend
    from audits.config import ModelConfig

    backend = HFBackend(ModelConfig(path="smollm2", device="cpu", batch_size=8, max_new_tokens=8), cache_dir=model_cache)
    yield backend
    backend.close()
