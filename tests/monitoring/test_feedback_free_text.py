"""A feedback value that is free text (a phone number, an email) is neither in results.json's
``unknown_values`` nor raw in samples.parquet: the bundle redacts ``feedback_raw`` like the other
free-text columns, and the results block withholds free text (it listed it raw before)."""

from __future__ import annotations

import json

import pandas as pd

from tests.monitoring.conftest import log_config, run_config, write_log

LEAKY = "wrong again, call me at 212-555-0147 or mail jo.smith@example.com"


def test_free_text_feedback_is_not_stored_raw(tmp_path, catalog):
    log = write_log(tmp_path / "q.jsonl", 40, 0.8, seed=5)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    rows[3]["thumbs"], rows[4]["thumbs"] = LEAKY, "meh"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    run_id = run_config(catalog, log_config(tmp_path, log, period="2026-Q4"))
    bundle = catalog.path.parent / f"{catalog.path.stem}.runs" / run_id
    results = (bundle / "results.json").read_text(encoding="utf-8")
    assert "212-555-0147" not in results and "jo.smith@example.com" not in results
    block = json.loads(results)["tasks"][0]["extra"]["feedback"]
    assert block["unknown_skipped"] == 2 and block["unknown_values"] == ["(free text, not shown)", "meh"]
    samples = pd.read_parquet(bundle / "samples.parquet")
    raw = samples.set_index("sample_id")["feedback_raw"]
    assert "212-555-0147" not in raw[rows[3]["id"]] and "jo.smith@example.com" not in raw[rows[3]["id"]]
    assert raw[rows[4]["id"]] == "meh" and raw[rows[0]["id"]] in ("up", "down")  # labels stay readable
    assert samples.set_index("sample_id").loc[rows[3]["id"], "feedback"] == "unknown"
