"""The Ray executor's driver-side backend (for scanners) loads nothing until a scanner queries it."""

from __future__ import annotations

from audits.backends.base import Request
from audits.config import ModelConfig
from audits.executors.ray_data import LazyBackend
from tests.backends.test_backend_openai import CompletionsServer


def test_capabilities_and_reported_facts_need_no_load():
    lazy = LazyBackend(ModelConfig(path="no/such/model/dir"))  # loading it would fail
    assert lazy.capabilities == frozenset({"generate", "loglikelihood"}) and lazy.name == "hf"
    lazy.facts["has_chat_template"] = True  # as the Ray actors reported it
    assert lazy.has_chat_template is True
    assert lazy._inner is None
    off = LazyBackend(ModelConfig(backend="openai", base_url="http://127.0.0.1:9/v1", model_name="m", logprobs="off"))
    assert off.capabilities == frozenset({"generate"})


def test_first_query_loads_the_backend_once():
    server = CompletionsServer("echo")
    try:
        lazy = LazyBackend(ModelConfig(backend="openai", base_url=server.base_url, model_name="m", max_retries=0))
        assert lazy._inner is None
        assert lazy.generate([Request("0", "hello")]) == ["yes"]
        inner = lazy._inner
        assert inner is not None
        assert len(lazy.loglikelihood([Request("0", "Approve? Answer:", continuation=" yes")])) == 1
        assert lazy._inner is inner and lazy.identity()["backend"] == "openai"
        lazy.close()
        assert lazy._inner is None
    finally:
        server.close()
