"""A row with no value for a field the prompt needs is never run as the text "nan" or "None": one line
before inference naming task, field and row count, or (``on_missing: skip``) left out and counted."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.datasets import load_task_data
from audits.errors import AssayError

# row s1 lacks 'q' altogether, s2 has null, s3 a NaN (CSV/Parquet), s4 an empty string: a value, except in
# CSV, which cannot tell an empty field from a missing one (read with na_values [""])
ROWS = [{"id": "s0", "q": "first?", "c": "x"}, {"id": "s1", "c": "y"}, {"id": "s2", "q": None, "c": "z"},
        {"id": "s3", "q": float("nan"), "c": None}, {"id": "s4", "q": "", "c": "w"}]


def task(path, **kw) -> TaskConfig:
    return TaskConfig.model_validate({"name": "faq", "type": "generate", "dataset": {"path": str(path)},
                                      "prompt": "{q} ({c})", "fields": {"id": "id"}, **kw})


def write(tmp_path, fmt: str):
    frame = pd.DataFrame(ROWS)
    path = tmp_path / f"d.{fmt}"
    if fmt == "jsonl":  # JSON has no NaN: s3's q is written as null, and s1 really lacks the key
        path.write_text("".join(json.dumps({k: (None if v != v else v) for k, v in r.items()}) + "\n"
                                for r in ROWS), encoding="utf-8")
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_missing_prompt_field_is_one_line_before_inference(tmp_path, fmt):
    path = write(tmp_path, fmt)
    with pytest.raises(AssayError) as err:
        load_task_data(task(path))
    message = str(err.value)
    n = 4 if fmt == "csv" else 3
    assert message.startswith(f"task 'faq': {n} of 5 rows of {path} have no value for a field the prompt needs "
                              f"('q' in {n}, 'c' in 1; absent, null or NaN)")
    assert "on_missing: skip" in message and "\n" not in message


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_on_missing_skip_leaves_the_rows_out_and_counts_them(tmp_path, fmt):
    data = load_task_data(task(write(tmp_path, fmt), on_missing="skip"))
    kept = ["s0"] if fmt == "csv" else ["s0", "s4"]
    assert data.frame["sample_id"].tolist() == kept
    assert data.frame["input"].tolist() == ["first? (x)", " (w)"][:len(kept)]  # an empty string is a value
    assert data.n_skipped == 5 - len(kept) and data.n_source == 5
    assert not data.frame["input"].str.contains("nan|None").any()


def test_skipped_rows_keep_the_sample_ids_of_the_source(tmp_path):
    """Without an id column a sample's id is its row number in the source, skipped rows or not."""
    path = write(tmp_path, "jsonl")
    data = load_task_data(task(path, on_missing="skip", fields={}))
    assert data.frame["sample_id"].tolist() == ["0", "4"]


def test_limit_counts_the_rows_the_run_would_use(tmp_path):
    """--limit keeps the first N rows; only those are checked (a bad row past the limit is not run)."""
    path = write(tmp_path, "jsonl")
    assert load_task_data(task(path), limit=1).frame["input"].tolist() == ["first? (x)"]
    with pytest.raises(AssayError, match=r"1 of 2 rows .* \('q' in 1;"):
        load_task_data(task(path), limit=2)


def test_skip_that_leaves_nothing_is_an_error(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"id": "a", "q": None, "c": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(AssayError, match="so on_missing: skip leaves none"):
        load_task_data(task(path, on_missing="skip"))


def test_the_run_records_the_skipped_rows(tmp_path):
    """The count reaches the manifest (datasets.<task>.rows_skipped_missing) and the results (extra.data)."""
    from audits.config import parse_config
    from audits.runner import run_audit
    from audits.store.catalog import Catalog
    from audits.store.queries import runs as runs_q

    path = write(tmp_path, "jsonl")
    preds = tmp_path / "p.jsonl"
    preds.write_text("".join(json.dumps({"task": "faq", "sample_id": s, "prediction": "ok"}) + "\n"
                             for s in ("s0", "s4")), encoding="utf-8")
    raw = {"name": "unit", "period": "2026-Q4", "bootstrap": 50,
           "model": {"backend": "predictions", "path": str(preds)},
           "tasks": [{"name": "faq", "type": "generate", "dataset": {"path": str(path)}, "prompt": "{q} ({c})",
                      "fields": {"id": "id", "reference": "c"}, "on_missing": "skip", "metrics": ["exact_match"]}]}
    cat = Catalog(tmp_path / "c.duckdb")
    run = run_audit(parse_config(raw), cat, actor="tester")
    manifest = json.loads((cat.runs_dir / run / "manifest.json").read_text())
    assert manifest["datasets"]["faq"]["rows_skipped_missing"] == 3
    assert manifest["datasets"]["faq"]["rows_used"] == 2
    assert runs_q.get_results(cat, run).task("faq").extra["data"] == {"on_missing": "skip", "rows_skipped": 3}
