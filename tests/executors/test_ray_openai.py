"""A served model audited through the openai backend, from Ray actors: each actor holds one HTTP
client (load_backend), the server's log-probabilities score the choices, results equal local."""

from __future__ import annotations

import pytest

from audits.config import parse_config
from audits.datasets import load_task_data
from audits.executors import open_executor
from tests.backends.test_backend_openai import CompletionsServer

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")


def _infer(kind: str, base_url: str):
    config = parse_config({
        "name": "served", "period": "2026-Q4",
        "model": {"backend": "openai", "base_url": base_url, "model_name": "served-model", "concurrency": 4,
                  "max_retries": 1},
        "executor": {"kind": kind, "num_workers": 2, "num_cpus": 2, "block_size": 3},
        "tasks": [{"name": "de", "type": "choice", "dataset": {"builtin": "discrim-eval"}, "limit": 12,
                   "prompt": "{filled_template}\n\nAnswer yes or no.", "choices": ["yes", "no"], "positive": "yes"}],
    })
    task = config.tasks[0]
    executor = open_executor(config)
    try:
        preds = executor.infer([(task, load_task_data(task, None).frame)], None)["de"]
    finally:
        executor.close()
    return preds, executor.execution


def test_ray_actors_score_choices_through_the_server():
    server = CompletionsServer("prompt_logprobs")
    try:
        local, _ = _infer("local", server.base_url)
        remote, execution = _infer("ray", server.base_url)
    finally:
        server.close()
    assert remote["prediction"].tolist() == local["prediction"].tolist()
    assert [list(x) for x in remote["choice_logprobs"]] == [list(x) for x in local["choice_logprobs"]]
    assert execution.workers == 2 and execution.stages[0].blocks == 4
    assert not ray.is_initialized()
