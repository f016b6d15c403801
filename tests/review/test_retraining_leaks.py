"""A sample whose output the PII scanner found leaking never enters retraining data, however it reached the
queue: with ``review.include_flagged: false`` (or queued for another reason) it is queued as ``sampled``, and a
"correct" label put its leaking output into the SFT file (only the queue reason ``pii_leak`` was checked)."""

from __future__ import annotations

import json

import pandas as pd

from audits.config import ReviewConfig
from audits.review import retraining
from audits.review.queue import build_queue
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from audits.store.queries import runs as rq

RUN = "run-sampled-leak"


def _run(cat: Catalog) -> pd.DataFrame:
    samples = pd.DataFrame({"task": "support", "sample_id": ["s1", "s2", "s3"],
                            "input": ["Where is my parcel?", "How do I reset my password?", "When do you open?"],
                            "prediction": ["Ask <PERSON_1>, she has it.", "Use the reset link.", "At nine."],
                            "reference": None, "correct": None, "pii_leak": [True, False, None]})
    review = ReviewConfig(rate=1.0, seed=0, reviewers_per_item=1, include_flagged=False)
    queue = build_queue(samples, review, [])
    config = {"name": "leaks", "period": "2026-Q4", "model": {"backend": "predictions", "path": "x"},
              "tasks": [{"name": "support", "type": "generate"}], "review": review.model_dump(), "scanners": {"pii": {}}}
    results = {"run_id": RUN, "audit": "leaks", "period": "2026-Q4",
               "tasks": [{"name": "support", "type": "generate", "n": 3, "metrics": {}}]}
    rq.register_run(cat, RUN, "leaks", "2026-Q4", "0" * 64, "synthetic", actor="t")
    path, digest = write_bundle(cat.runs_dir, RUN, {"samples": samples, "review_queue": queue}, results, config,
                                {"config": config})
    rq.complete_run(cat, RUN, path, digest, actor="t", device="cpu")
    return queue


def test_a_leaking_sample_queued_as_sampled_stays_out_of_both_files(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    queue = _run(cat)
    assert set(queue["reason"]) == {"sampled"}                  # the leak is not what queued it
    for sid in ("s1", "s2", "s3"):
        rv.record_review(cat, RUN, "support", sid, "ann", "reviewer", "incorrect", correction=f"Better answer {sid}.")
    for kind in retraining.KINDS:
        data, manifest = retraining.build_export(cat, RUN, kind, scrub=False)
        ids = [json.loads(line)["sample_id"] for line in data.decode().splitlines()]
        assert ids == ["s2", "s3"], (kind, ids)                 # s3: not scanned (None) is no known leak
        assert manifest["privacy_out"]["n"] == 1 and manifest["privacy_out"]["pii_leak"] == 1
        assert "support/s1" not in manifest["items"]
