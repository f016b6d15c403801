"""A task's sample is drawn by the stratify columns of the rows the loader read and hashed
(``TaskData.strata``), not by a second read of the dataset: a log that changes between load and draw
(appended, rotated, removed) cannot make the sample's strata describe other data than the manifest's hash."""

from __future__ import annotations

import json

import yaml

from audits.config import load_config
from audits.runner import prepare
from audits.sampling import draw_task_samples


def _config(tmp, log, sample):
    task = {"name": "support", "type": "generate", "dataset": {"path": str(log)}, "prompt": "{input}",
            "fields": {"reference": "answer"}, "metrics": ["exact_match"], "on_missing": "skip", "sample": sample}
    path = tmp / "audit.yaml"
    path.write_text(yaml.safe_dump({"name": "strata", "period": "2026-Q4", "model": {"backend": "predictions", "path": str(log)},
                                    "tasks": [task]}), encoding="utf-8")
    return load_config(path)


def _write(log, regions):
    rows = [{"input": None if i == 3 else f"question {i}", "answer": f"a{i}", "output": f"a{i}", "region": r}
            for i, r in enumerate(regions)]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_strata_come_from_the_rows_loaded_not_a_second_read(tmp_path):
    log = tmp_path / "log.jsonl"
    regions = ["eu"] * 30 + ["us"] * 10   # row 3 (eu) has no input: skipped, so 29 eu + 10 us are audited
    _write(log, regions)
    prepared = prepare(_config(tmp_path, log, {"n": 8, "stratify": "region", "seed": 3}))
    td = prepared.data["support"]
    assert td.strata is not None and td.strata["region"].tolist() == [r for i, r in enumerate(regions) if i != 3]
    assert "region" not in td.frame.columns and "region" in td.source_columns
    _write(log, ["apac"] * 40)            # the log rotates between load and draw
    record = draw_task_samples(prepared)["support"]
    assert record["strata"] == {"eu": 29, "us": 10} and record["drawn_by_stratum"] == {"eu": 6, "us": 2}
    sample = prepared.data["support"]
    assert len(sample.frame) == 8 and "region" not in sample.frame.columns and sample.strata is None
    _write(log, regions)
    again = prepare(_config(tmp_path, log, {"n": 8, "stratify": "region", "seed": 3}))
    log.unlink()                          # gone altogether between load and draw: the same sample, no error
    assert draw_task_samples(again) == {"support": record}
    assert again.data["support"].frame["sample_id"].tolist() == sample.frame["sample_id"].tolist()
