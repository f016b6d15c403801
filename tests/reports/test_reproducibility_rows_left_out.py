"""The report's reproducibility table listed only rows_used per dataset, so a reader could not account
for rows a production log lost (blank outputs, filtered, out of order). It now has
``<task>.rows_left_out`` from the manifest (``DatasetIdentity.skipped_line``), and says "not recorded"
for a bundle written before manifest version 3."""

from __future__ import annotations

import json

from reports.data import reproducibility_table, tables
from tests.monitoring.conftest import log_config, run_config, write_log


def _value(table, item: str) -> str:
    [value] = table.loc[table["item"] == item, "value"].tolist()
    return value


def test_rows_left_out_is_in_the_reproducibility_table(tmp_path, monkeypatch):
    from audits.store.catalog import Catalog
    from audits.store.queries import runs as runs_q

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    catalog = Catalog(tmp_path / "c.duckdb")
    log = write_log(tmp_path / "q.jsonl", 30, 1.0, seed=1)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    rows[2]["output"], rows[7]["output"], rows[11]["input"] = None, "   ", ""
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q4", feedback=False))

    table = tables(catalog, run_id)["reproducibility"]
    assert _value(table, "support.rows_used") == "27"
    assert _value(table, "support.rows_left_out") == "1 skipped (no input); 2 skipped (no output)"

    manifest = runs_q.get_manifest(catalog, run_id)
    old = manifest.model_copy(update={"datasets": {
        name: d.model_copy(update={"rows_skipped": None}) for name, d in manifest.datasets.items()}})
    before_v3 = reproducibility_table(runs_q.get_run(catalog, run_id), old)
    assert _value(before_v3, "support.rows_left_out") == "not recorded (bundle written before manifest version 3)"
