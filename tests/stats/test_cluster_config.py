"""`cluster: COLUMN` on a task: checked before inference, carried to the intervals."""

from __future__ import annotations

import json

import pytest

from audits.config import parse_config
from audits.datasets import load_task_data
from audits.errors import AssayError


def _task(tmp_path, rows, cluster):
    path = tmp_path / "data.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    cfg = parse_config({"name": "t", "period": "2026-Q4", "tasks": [
        {"name": "qa", "type": "generate", "dataset": {"path": str(path)}, "prompt": "{q}",
         "fields": {"reference": "a"}, "cluster": cluster}]})
    return cfg.tasks[0]


def test_cluster_column_is_kept_for_the_intervals(tmp_path):
    rows = [{"q": f"q{i}", "a": "x", "ctx": f"c{i // 2}"} for i in range(6)]
    td = load_task_data(_task(tmp_path, rows, "ctx"))
    assert td.frame["cluster"].tolist() == ["c0", "c0", "c1", "c1", "c2", "c2"]


def test_missing_cluster_column_fails_before_inference(tmp_path):
    with pytest.raises(AssayError, match="ctx"):
        load_task_data(_task(tmp_path, [{"q": "a", "a": "x"}], "ctx"))


def test_null_cluster_ids_fail_before_inference(tmp_path):
    rows = [{"q": "a", "a": "x", "ctx": "c1"}, {"q": "b", "a": "x", "ctx": None}]
    with pytest.raises(AssayError, match="cluster column 'ctx' has 1 empty values"):
        load_task_data(_task(tmp_path, rows, "ctx"))


def test_builtin_datasets_declare_their_clusters():
    from audits.datasets.builtin import BUILTINS

    assert BUILTINS["discrim-eval"].fields["cluster"] == "decision_question_id"
    assert BUILTINS["bbq-gender"].fields["cluster"] == "context"
