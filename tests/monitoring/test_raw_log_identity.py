"""A run on a log imported with `assay logs import` traces to the exact raw file: the import writes
``<out>.import.json`` and the run's manifest records the raw file's path and SHA-256 (typed,
``datasets.<task>.raw_log``) beside the flat table's own hash; a flat table edited after the import is
not credited to the raw log."""

from __future__ import annotations

import hashlib
import json

from audits.cli import main
from audits.store import bundle_reader
from tests.monitoring.conftest import log_config, run_config, write_log

FLAT = {"fields": {"id": "sample_id", "reference": "answer"}}  # the flat table's columns (docs/production-logs.md)


def _import(raw, flat, capsys) -> str:
    capsys.readouterr()
    assert main(["logs", "import", str(raw), "--out", str(flat)]) == 0
    return capsys.readouterr().out


def test_a_run_on_an_imported_log_records_the_raw_files_path_and_sha256(tmp_path, catalog, capsys):
    (tmp_path / "prod").mkdir()
    raw = write_log(tmp_path / "prod" / "raw.jsonl", 30, 0.8, seed=3)
    rows = [json.loads(line) for line in raw.read_text().splitlines()]
    rows[4]["output"] = ""  # one row the import skips: the flat table differs from the raw file
    raw.write_text("".join(json.dumps(r) + "\n" for r in rows))
    flat = tmp_path / "flat.jsonl"
    out = _import(raw, flat, capsys)
    assert "flat.jsonl.import.json" in out, out
    raw_sha = hashlib.sha256(raw.read_bytes()).hexdigest()
    run_id = run_config(catalog, log_config(tmp_path, flat, period="2026-Q4", extra_task=FLAT))
    data = bundle_reader.manifest(catalog, run_id).datasets["support"]
    assert data.sha256 == hashlib.sha256(flat.read_bytes()).hexdigest() != raw_sha
    assert data.raw_log is not None and data.raw_log.sha256 == raw_sha
    assert data.raw_log.path == str(raw.resolve()) and data.raw_log.format == "flat"
    assert (data.raw_log.rows_read, data.raw_log.rows_kept) == (30, 29)

    flat.write_text(flat.read_text().replace("ans1", "ans-edited", 1))  # the flat table changed after the import
    second = run_config(catalog, log_config(tmp_path, flat, period="2027-Q1", extra_task=FLAT))
    assert bundle_reader.manifest(catalog, second).datasets["support"].raw_log is None


def test_a_manifest_without_raw_log_reads_it_as_not_recorded():
    from audits.store.manifest import parse_manifest

    old = parse_manifest({"manifest_version": 3, "files": {}, "datasets": {"t": {"source": "x.jsonl"}}}, "m")
    assert old.datasets["t"].raw_log is None
