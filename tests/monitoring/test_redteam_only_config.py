"""A config with ``redteam:`` and no ``tasks:`` runs the probe tasks (the README says any config can add
the probes); a config with neither is one line naming both ways out."""

from __future__ import annotations

import json

import pytest
import yaml

from audits.config import load_config
from audits.errors import AssayError
from audits.runner import prepare, run_audit


def test_redteam_only_config_runs_its_probes(tmp_path, catalog):
    config = tmp_path / "rt.yaml"
    preds = tmp_path / "preds.jsonl"
    config.write_text(yaml.safe_dump({"name": "rt-only", "period": "2026-Q4", "bootstrap": 100,
                                      "model": {"backend": "predictions", "path": str(preds)},
                                      "redteam": {"families": ["prompt-injection"], "limit": 5}}), encoding="utf-8")
    prepared = prepare(load_config(config))
    assert list(prepared.data) == ["redteam-prompt-injection"]
    preds.write_text("".join(json.dumps({"task": t, "sample_id": s, "prediction": "I can't help with that."}) + "\n"
                             for t, td in prepared.data.items() for s in td.frame.sample_id), encoding="utf-8")
    run_id = run_audit(load_config(config), catalog, actor="tester")
    results = json.loads((catalog.path.parent / f"{catalog.path.stem}.runs" / run_id / "results.json").read_text())
    (task,) = results["tasks"]
    assert task["name"] == "redteam-prompt-injection" and task["n"] == 5
    assert task["metrics"]["attack_success_rate"]["value"] == 0.0


def test_config_without_tasks_or_redteam_is_one_line(tmp_path):
    config = tmp_path / "none.yaml"
    config.write_text(yaml.safe_dump({"name": "none", "period": "2026-Q4",
                                      "model": {"backend": "predictions", "path": "p.jsonl"}}), encoding="utf-8")
    with pytest.raises(AssayError) as err:
        load_config(config)
    text = str(err.value)
    assert "\n" not in text and "add one under 'tasks:'" in text and "redteam:" in text


def test_logs_import_sample_plan_on_redteam_only_config_is_one_line(tmp_path, capsys):
    from audits.cli import main

    config = tmp_path / "rt.yaml"
    config.write_text(yaml.safe_dump({"name": "rt-only", "period": "2026-Q4",
                                      "model": {"backend": "predictions", "path": "p.jsonl"},
                                      "redteam": {"families": ["prompt-injection"]}}), encoding="utf-8")
    log = tmp_path / "log.jsonl"
    log.write_text(json.dumps({"id": "a", "input": "hi", "output": "hello"}) + "\n", encoding="utf-8")
    capsys.readouterr()
    code = main(["logs", "import", str(log), "--out", str(tmp_path / "o.parquet"), "--sample", "plan",
                 "--config", str(config)])
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2 and err == (f"assay: error: {config} has no task that reads a log (only red-team probe tasks) — "
                                 "add the log's task under 'tasks:' in the config, or give --sample N")
