"""A production log's free-text feedback: redacted at rest like every free text, and shown (redacted) on the
Review card of an item queued for negative feedback. A real run through the predictions backend, AppTest."""

from __future__ import annotations

import json

import pandas as pd

from audits.review.evidence import feedback_of
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from tests.monitoring.conftest import log_config, run_config, write_log


def test_feedback_text_is_stored_redacted_and_shown_redacted(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    log = write_log(tmp_path / "q4.jsonl", 24, 0.5, seed=5)
    rows = [json.loads(line) for line in log.read_text().splitlines()]
    for i, row in enumerate(rows):
        if row["thumbs"] == "down":
            row["comment"] = f"wrong again, write to jane.roe{i}@example.com instead"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run_id = run_config(cat, log_config(tmp_path, log, period="2026-Q4"))

    samples = pd.read_parquet(cat.runs_dir / run_id / "samples.parquet")
    said = samples.loc[samples["feedback"] == "negative", "feedback_text"].tolist()
    assert said and all("@example.com" not in t and "<EMAIL_ADDRESS" in t and t.startswith("wrong again")
                        for t in said)
    assert not samples["feedback_text"].astype(str).str.contains("jane.roe").any()

    queue = rv.review_queue(cat, run_id)
    first = queue.iloc[0]
    assert first["reason"] == "negative_feedback"
    fb = feedback_of(cat, run_id, first["task"], first["sample_id"])
    assert fb["kind"] == "negative" and fb["value"] == "down" and "<EMAIL_ADDRESS" in fb["text"]
    up = samples.loc[samples["feedback"] == "positive", "sample_id"].iloc[0]
    assert feedback_of(cat, run_id, "support", str(up))["text"] is None

    from tests.dashboard.conftest import page_app

    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    at = page_app("review").run()
    assert not at.exception and not at.error
    card = "".join(m.value for m in at.markdown if "assay-card" in m.value)
    assert "a user gave this answer negative feedback" in card
    assert "The user's feedback: negative (logged as down)" in card
    assert "wrong again, write to" in card and "&lt;EMAIL_ADDRESS" in card and "@example.com" not in card
    assert "negative_feedback" not in card and "stratum" not in card and "group: segment " in card
