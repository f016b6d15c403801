"""Every row a run left out is in its manifest (version 3), not only in results.json: rows read, filtered
out, skipped by reason and out of timestamp order, so `rows_read -> rows_used` adds up for a reader of the
bundle; manifests from before open with the accounting marked not recorded (never read as zero). Two runs
of one config record the same model, data, code and config identities."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from audits.config import parse_config
from audits.runner import run_audit
from audits.store.bundle import read_manifest
from audits.store.catalog import Catalog
from audits.store.manifest import MANIFEST_VERSION, parse_manifest
from tests.monitoring.conftest import write_log

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "manifest_v1"


@pytest.fixture
def catalog(tmp_path, monkeypatch) -> Catalog:
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    return Catalog(tmp_path / "c.duckdb")


def _raw_log(tmp_path: Path) -> Path:
    """30 logged rows: one without input, two without output, rows 4 and 20 swapped in time."""
    log = write_log(tmp_path / "q.jsonl", 30, 0.8, seed=1)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    rows[2]["output"], rows[7]["output"], rows[11]["input"] = None, "  ", ""
    rows[4]["timestamp"], rows[20]["timestamp"] = rows[20]["timestamp"], rows[4]["timestamp"]
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return log


def _log_config(log: Path, **task) -> dict:
    return {"name": "support-log", "period": "2026-Q4", "bootstrap": 50,
            "model": {"backend": "predictions", "path": str(log)},
            "tasks": [{"name": "support", "type": "generate", "dataset": {"path": str(log)},
                       "fields": {"id": "id", "reference": "answer"}, "prompt": "{input}",
                       "metrics": ["exact_match"], **task}]}


def test_a_raw_log_run_records_its_skipped_rows_in_the_manifest(tmp_path, catalog):
    log = _raw_log(tmp_path)
    run = run_audit(parse_config(_log_config(log)), catalog, actor="tester")
    data = read_manifest(catalog.runs_dir / run).datasets["support"]
    assert data.rows_read == 30 and data.rows_filtered_out == 0
    assert data.rows_skipped == {"no input": 1, "no output": 2}
    assert data.out_of_order == 14 and data.rows_used == 27
    assert data.rows_read - data.rows_filtered_out - sum(data.rows_skipped.values()) == data.rows_used
    assert data.skipped_line() == "1 skipped (no input); 2 skipped (no output); 14 out of timestamp order (kept)"
    written = json.loads((catalog.runs_dir / run / "manifest.json").read_text())
    assert written["manifest_version"] == MANIFEST_VERSION == 3
    assert written["datasets"]["support"]["rows_skipped"] == {"no input": 1, "no output": 2}


def test_filter_and_missing_prompt_fields_are_counted(tmp_path, catalog):
    log = write_log(tmp_path / "q.jsonl", 20, 1.0, seed=2)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for i in (0, 2):  # web rows (even) with no value for the prompt's field
        rows[i]["question"] = None
    for r in rows[1:]:
        r.setdefault("question", r["input"])
    rows[0].pop("question")
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = _log_config(log, prompt="{question}", on_missing="skip", dataset={"path": str(log),
                                                                               "filter": {"segment": "web"}})
    run = run_audit(parse_config(config), catalog, actor="tester")
    data = read_manifest(catalog.runs_dir / run).datasets["support"]
    assert (data.rows_read, data.rows_filtered_out, data.rows_skipped, data.rows_used) == \
        (20, 10, {"missing prompt field": 2}, 8)
    assert data.rows_skipped_missing == 2  # the version 2 field is still written
    assert data.skipped_line() == "2 skipped (missing prompt field); 10 filtered out (dataset.filter)"


def test_nothing_skipped_is_an_empty_record_not_a_missing_one(tmp_path, catalog):
    log = write_log(tmp_path / "q.jsonl", 12, 1.0, seed=3)
    run = run_audit(parse_config(_log_config(log)), catalog, actor="tester")
    data = read_manifest(catalog.runs_dir / run).datasets["support"]
    assert data.rows_skipped == {} and data.out_of_order == 0 and data.skipped_line() == "none skipped"


def test_older_manifests_say_not_recorded(tmp_path):
    bundle = tmp_path / "old"
    shutil.copytree(FIXTURE, bundle)  # version 1 (no manifest_version)
    v1 = read_manifest(bundle).datasets["qa"]
    assert v1.rows_skipped is None and v1.rows_read is None
    assert v1.skipped_line() == "not recorded (bundle written before manifest version 3)"
    v2 = parse_manifest({"manifest_version": 2, "files": {}, "datasets": {"faq": {
        "source": "d.jsonl", "sha256": "c" * 64, "rows_used": 2, "rows_in_source": 5, "rows_skipped_missing": 3}}})
    assert v2.manifest_version == 3
    assert v2.datasets["faq"].rows_skipped is None and v2.datasets["faq"].rows_skipped_missing == 3


def test_bad_row_accounting_is_one_line_naming_the_key():
    from audits.errors import AssayError

    with pytest.raises(AssayError) as err:
        parse_manifest({"files": {}, "manifest_version": 3, "datasets": {"t": {"rows_skipped": {"no output": "x"}}}},
                       "runs/r1/manifest.json")
    assert "invalid manifest at 'datasets.t.rows_skipped.no output'" in str(err.value.problem)


def test_two_runs_of_one_config_record_the_same_identities(tmp_path, catalog):
    log = _raw_log(tmp_path)
    config = _log_config(log)
    first, second = (read_manifest(catalog.runs_dir / run_audit(parse_config(config), catalog, actor="tester"))
                     for _ in range(2))
    assert first.run_id != second.run_id
    assert first.datasets["support"].sha256 == second.datasets["support"].sha256 == first.model.file_sha256
    assert first.config_sha256 == second.config_sha256 and first.code.sha256 == second.code.sha256
    assert first.model == second.model and first.datasets == second.datasets
    for m in (first, second):  # every identity is there: model, data, code, config
        assert all(len(h or "") == 64 for h in (m.model.file_sha256, m.datasets["support"].sha256, m.code.sha256,
                                                 m.config_sha256))
