"""Dataset loading: field mapping, hashes, binning and every bad input as one clear error."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.datasets import load_task_data
from audits.errors import AssayError


def task(path, **kw) -> TaskConfig:
    base = dict(name="t", type="generate", dataset={"path": str(path)}, prompt="{q}",
                fields={"id": "id", "reference": "a"})
    base.update(kw)
    return TaskConfig.model_validate(base)


def jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


ROWS = [{"id": f"s{i}", "q": f"question {i}", "a": f"answer {i}", "age": 20 + 15 * i, "g": "ab"[i % 2]}
        for i in range(4)]


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_formats_give_the_same_samples(tmp_path, fmt):
    frame = pd.DataFrame(ROWS)
    path = tmp_path / f"d.{fmt}"
    {"jsonl": lambda: jsonl(path, ROWS), "csv": lambda: frame.to_csv(path, index=False),
     "parquet": lambda: frame.to_parquet(path)}[fmt]()
    data = load_task_data(task(path, sensitive=["g", {"column": "age", "bins": [0, 40, 100]}]))
    assert data.frame["sample_id"].tolist() == ["s0", "s1", "s2", "s3"]
    assert data.frame["input"].tolist()[1] == "question 1"
    assert data.frame["reference"].tolist()[2] == "answer 2"
    assert data.frame["age"].tolist() == ["0-40", "0-40", "40-100", "40-100"]
    assert data.frame["age_raw"].tolist() == [20, 35, 50, 65]
    assert data.available == {"references"}
    assert len(data.sha256) == 64


def test_hash_changes_with_content(tmp_path):
    a = load_task_data(task(jsonl(tmp_path / "a.jsonl", ROWS))).sha256
    b = load_task_data(task(jsonl(tmp_path / "b.jsonl", ROWS[:3]))).sha256
    assert a != b


def test_choice_labels_by_index_and_text(tmp_path):
    rows = [{"id": 1, "q": "x", "o0": "cat", "o1": "dog", "y": 1}, {"id": 2, "q": "y", "o0": "cat", "o1": "dog", "y": 0}]
    t = TaskConfig.model_validate(dict(name="c", type="choice", dataset={"path": str(jsonl(tmp_path / "c.jsonl", rows))},
                                       prompt="{q}", fields={"id": "id", "label": "y", "choices": ["o0", "o1"]}))
    data = load_task_data(t)
    assert data.frame["label"].tolist() == ["dog", "cat"]
    assert data.frame["choices"].tolist()[0] == ["cat", "dog"]


@pytest.mark.parametrize("make, kw, expected", [
    (lambda p: jsonl(p, ROWS), {"prompt": "{question}"}, "the prompt template names column 'question'"),
    (lambda p: jsonl(p, ROWS), {"fields": {"reference": "answer"}}, "fields.reference names column 'answer'"),
    (lambda p: jsonl(p, ROWS), {"sensitive": ["ethnicity"]}, "sensitive names column 'ethnicity'"),
    (lambda p: p.write_text("", encoding="utf-8") or p, {}, "has no rows"),
    (lambda p: (p.write_bytes("{\"q\": \"caf\xe9\"}\n".encode("latin-1")), p)[1], {}, "is not UTF-8"),
    (lambda p: jsonl(p, ROWS + [{"id": "s0", "q": "dup", "a": "x", "g": "a", "age": 1}]), {}, "appears twice"),
    (lambda p: jsonl(p, [{**r, "g": None} for r in ROWS]), {"sensitive": ["g"]}, "has 4 empty values"),
    (lambda p: jsonl(p, ROWS), {"sensitive": [{"column": "age", "bins": [0, 30]}]}, "falls outside bins"),
])
def test_bad_data_is_one_clear_error(tmp_path, make, kw, expected):
    path = make(tmp_path / "d.jsonl")
    with pytest.raises(AssayError) as err:
        load_task_data(task(path, **kw))
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_missing_file(tmp_path):
    with pytest.raises(AssayError, match="does not exist"):
        load_task_data(task(tmp_path / "nope.jsonl"))


def test_builtins_load_offline():
    de = load_task_data(TaskConfig.model_validate(dict(
        name="de", type="choice", dataset={"builtin": "discrim-eval"}, prompt="{filled_template}",
        choices=["yes", "no"], positive="yes", sensitive=["race", "gender"])), limit=50)
    assert de.n_source == 9450 and len(de.frame) == 50
    assert de.frame["race"].nunique() >= 4  # the seeded order mixes groups into small limits
    bbq = load_task_data(TaskConfig.model_validate(dict(
        name="bbq", type="choice", dataset={"builtin": "bbq-gender"}, prompt="{context} {question}")), limit=10)
    assert all(label in choices for label, choices in zip(bbq.frame["label"], bbq.frame["choices"]))
    qa = load_task_data(TaskConfig.model_validate(dict(
        name="qa", type="generate", dataset={"builtin": "reference-qa"}, prompt="{question}")))
    assert qa.n_source >= 40 and qa.frame["reference"].notna().all()
