"""The predictions backend: answers from a JSONL / CSV / Parquet file, looked up by (task, id)."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest

from audits.backends.base import Request, load_backend
from audits.config import ModelConfig
from audits.errors import AssayError


def _backend(path):
    return load_backend(ModelConfig(backend="predictions", path=str(path)))


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_predictions_are_returned_in_request_order(tmp_path, fmt):
    frame = pd.DataFrame({"sample_id": ["1", "2", "3"], "prediction": ["yes", "", "Paris"]})
    path = tmp_path / f"preds.{fmt}"
    if fmt == "jsonl":
        frame.to_json(path, orient="records", lines=True)
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    backend = _backend(path)
    assert backend.capabilities == frozenset({"generate"})
    assert backend.generate([Request("3", "q"), Request("1", "q"), Request("2", "q")]) == ["Paris", "yes", ""]
    ident = backend.identity()
    assert ident["backend"] == "predictions" and ident["rows"] == 3
    assert ident["file_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_task_column_disambiguates_ids(tmp_path):
    rows = [{"task": "qa", "sample_id": 0, "prediction": "Paris"},
            {"task": "bias", "sample_id": 0, "prediction": "no"},
            {"task": None, "sample_id": 7, "prediction": "shared"}]
    path = tmp_path / "preds.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    backend = _backend(path)
    requests = [Request("0", "p", task="bias"), Request("0", "p", task="qa"), Request("7", "p", task="qa")]
    assert backend.generate(requests) == ["no", "Paris", "shared"]


def test_missing_ids_are_counted_and_named(tmp_path):
    path = tmp_path / "preds.csv"
    pd.DataFrame({"sample_id": ["a"], "prediction": ["x"]}).to_csv(path, index=False)
    with pytest.raises(AssayError) as err:
        _backend(path).generate([Request(i, "p", task="qa") for i in ["a", "b", "c", "d", "e", "f", "g"]])
    message = str(err.value)
    assert "no prediction for 6 of 7 samples" in message and "qa/b, qa/c, qa/d, qa/e, qa/f" in message
    assert "qa/g" not in message and "add rows" in message


def test_bad_files_fail_with_the_fix(tmp_path):
    with pytest.raises(AssayError, match="does not exist"):
        _backend(tmp_path / "nope.jsonl")
    wrong = tmp_path / "wrong.csv"
    pd.DataFrame({"key": ["a"], "text": ["x"]}).to_csv(wrong, index=False)
    with pytest.raises(AssayError, match=r"lacks column\(s\) \['sample_id', 'prediction'\]"):
        _backend(wrong)
    flat_log = tmp_path / "log.csv"  # a flat production log's id/output read as sample_id/prediction
    pd.DataFrame({"id": ["a"], "output": ["x"]}).to_csv(flat_log, index=False)
    assert _backend(flat_log).generate([Request("a", "p", task="qa")]) == ["x"]
    dupes = tmp_path / "dupes.csv"
    pd.DataFrame({"sample_id": ["a", "a"], "prediction": ["x", "y"]}).to_csv(dupes, index=False)
    with pytest.raises(AssayError, match="duplicate sample_id.*add a 'task' column"):
        _backend(dupes)
    odd = tmp_path / "preds.txt"
    odd.write_text("x")
    with pytest.raises(AssayError, match="unknown extension"):
        _backend(odd)
