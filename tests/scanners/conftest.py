"""Shared scanner fixtures: the embedded model, converted once per session into a temporary cache."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def smollm2_scan_backend(tmp_path_factory):
    """The hf backend on the embedded SmolLM2-135M-Instruct (greedy, CPU, 8 new tokens)."""
    from audits.backends.hf import HFBackend
    from audits.config import ModelConfig

    backend = HFBackend(ModelConfig(path="smollm2", device="cpu", batch_size=8, max_new_tokens=8),
                        cache_dir=tmp_path_factory.mktemp("assay-cache"))
    yield backend
    backend.close()
