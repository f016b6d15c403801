"""End to end on the real demo catalog (embedded model): the job's queue is labelable, the
summary and the retraining export work. Labels go into a copy of the catalog file, so the
shared session catalog is left as it was."""

from __future__ import annotations

import json
import shutil

import pytest

from audits.review import retraining
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv


@pytest.mark.slow
def test_label_demo_queue_and_export(demo_catalog, demo_run_ids, tmp_path):
    copy = tmp_path / "copy.duckdb"
    shutil.copy(demo_catalog, copy)
    cat = Catalog(copy)
    from audits.store.queries import users as uq

    uq.add_user(cat, "ann", "reviewer", "ann-password-1", actor="demo-admin")  # the demo catalog manages users
    run_id = demo_run_ids[-1]
    queue = rv.review_queue(cat, run_id)
    assert not queue.empty and set(queue.columns) >= {"task", "sample_id", "reason", "stratum", "priority"}
    assert queue["priority"].is_monotonic_increasing
    n, labelled = 0, []
    while (item := rv.next_item(cat, run_id, "ann")) is not None and n < 4:
        labelled.append((item["task"], str(item["sample_id"])))
        assert item["input"] and item["prediction"] is not None
        label = "correct" if n % 2 == 0 else "incorrect"
        rv.record_review(cat, run_id, item["task"], item["sample_id"], "ann", "reviewer", label,
                         correction=None if label == "correct" else "A corrected answer.")
        n += 1
    summary = rv.review_summary(cat, run_id)
    assert summary["n_reviewed"] == n and 0 < summary["coverage"] <= 1
    out = tmp_path / "sft.jsonl"
    manifest = retraining.write_export(cat, run_id, "sft", out)
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    leaks = {(t, str(s)) for t, s, r in zip(queue["task"], queue["sample_id"], queue["reason"]) if "pii_leak" in str(r)}
    left_out = sum(key in leaks for key in labelled)  # queued as PII leaks: never retraining data, whatever the label
    assert manifest["privacy_out"]["n"] == left_out
    assert len(rows) == manifest["counts"]["records"] == n - left_out - manifest["n_placeholder_only"] > 0
    assert not {(r["task"], str(r["sample_id"])) for r in rows} & leaks
    assert rows[0]["messages"][0]["role"] == "system"  # the demo config has a system prompt
