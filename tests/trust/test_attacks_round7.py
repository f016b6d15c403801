"""Round 7 of the catalog-writer attacks (an insider who can write the DuckDB file, the bundles, the config and
the files beside the data, but does not hold the key dir): the logs import record, forks and rollbacks of the
catalog file, and signed acts' times."""

from __future__ import annotations

import hashlib
import json

from audits.cli import main
from audits.datasets.raw_log import record_path
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from tests.monitoring.conftest import log_config, run_config, write_log

FLAT = {"fields": {"id": "sample_id", "reference": "answer"}}


def _imported(tmp_path, capsys):
    """A raw log of 30 rows (one the import skips), imported to a flat table: (raw, flat, record path)."""
    (tmp_path / "prod").mkdir()
    raw = write_log(tmp_path / "prod" / "raw.jsonl", 30, 0.8, seed=3)
    rows = [json.loads(line) for line in raw.read_text().splitlines()]
    rows[4]["output"] = ""
    raw.write_text("".join(json.dumps(r) + "\n" for r in rows))
    flat = tmp_path / "flat.jsonl"
    assert main(["logs", "import", str(raw), "--out", str(flat)]) == 0
    capsys.readouterr()
    return raw, flat, record_path(flat)


def _raw_log(cat: Catalog, tmp_path, flat, period: str):
    run_id = run_config(cat, log_config(tmp_path, flat, period=period, extra_task=FLAT))
    return bundle_reader.manifest(cat, run_id).datasets["support"].raw_log


def test_an_import_record_edited_to_name_another_raw_log_or_hide_skipped_rows_is_not_credited(tmp_path, key_dir,
                                                                                           capsys):
    """The record is a plain file beside the flat table: edited before the run, it would put a false
    provenance (another raw file, with that file's real SHA-256) or false skip counts into the signed manifest."""
    raw, flat, record = _imported(tmp_path, capsys)
    body = json.loads(record.read_text())
    assert body["key_id"] and body["signature"]
    cat = Catalog(tmp_path / "c.duckdb")
    honest = _raw_log(cat, tmp_path, flat, "2026-Q3")
    assert honest is not None and (honest.rows_read, honest.rows_kept) == (30, 29)

    other = tmp_path / "prod" / "clean.jsonl"  # a clean log the flat table was not made from
    write_log(other, 29, 1.0, seed=9)
    forged = {**body, "raw_log": {**body["raw_log"], "path": str(other),
                                  "sha256": hashlib.sha256(other.read_bytes()).hexdigest(), "rows_read": 29}}
    record.write_text(json.dumps(forged))
    assert _raw_log(cat, tmp_path, flat, "2026-Q4") is None

    record.write_text(json.dumps({k: v for k, v in forged.items() if k not in ("key_id", "signature")}))
    assert _raw_log(cat, tmp_path, flat, "2027-Q1") is None  # stripping the signature does not help


def test_a_flat_table_edited_with_its_records_hash_recomputed_is_not_credited(tmp_path, key_dir, capsys):
    """Drop the bad interactions from the flat table and recompute flat_sha256: the raw log would vouch for it."""
    _raw, flat, record = _imported(tmp_path, capsys)
    kept = [line for line in flat.read_text().splitlines() if '"no idea"' not in line]
    flat.write_text("\n".join(kept) + "\n")
    body = json.loads(record.read_text())
    record.write_text(json.dumps({**body, "flat_sha256": hashlib.sha256(flat.read_bytes()).hexdigest()}))
    assert _raw_log(Catalog(tmp_path / "c.duckdb"), tmp_path, flat, "2026-Q4") is None


def test_an_import_signed_by_another_installation_is_not_credited(tmp_path, key_dir, capsys, monkeypatch):
    _raw, flat, _record = _imported(tmp_path, capsys)
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "other-keys"))
    assert _raw_log(Catalog(tmp_path / "c2.duckdb"), tmp_path, flat, "2026-Q4") is None
