"""Adjudication shows the evidence that queued the item, as the first-pass card does: the leaked span as the
output's pseudonym (``<PERSON_2>``), outlined, the leak line in the output's own words, the raw value only for
roles allowed to see it; and what each reviewer said (their corrections). It showed the bare texts only."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.config import ReviewConfig
from audits.review.queue import build_queue
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from audits.store.queries import runs as rq
from tests.dashboard.conftest import page_app

RUN = "run-leak"
INPUT = "I am <PERSON_1> (<EMAIL_ADDRESS_1>). Where is my parcel?"
OUTPUT = "<PERSON_1>, we wrote to <EMAIL_ADDRESS_1>; <PERSON_2> will call you tomorrow."


def _leak_run(cat: Catalog, reviewers_per_item: int = 2) -> None:
    """One pii-support item whose output leaks a second person's name (a findings row, as the PII scanner
    stores it: redacted context), and two plain items; every item queued."""
    samples = pd.DataFrame([
        {"task": "pii-support", "sample_id": "pii-001", "input": INPUT, "prediction": OUTPUT, "reference": None,
         "pii_leak": True, "correct": None},
        *[{"task": "pii-support", "sample_id": f"pii-00{i}", "input": f"Question {i}?", "prediction": f"Answer {i}.",
           "reference": None, "pii_leak": False, "correct": None} for i in (2, 3)]])
    findings = pd.DataFrame([{"task": "pii-support", "sample_id": "pii-001", "scanner": "pii", "field": "prediction",
                              "entity_type": "PERSON", "start": 38, "end": 47, "score": 0.85, "leak": True,
                              "recognizer": "SpacyRecognizer", "context": "<EMAIL_ADDRESS>; <PERSON> will call you",
                              "value_hash": "0" * 64}])
    review = ReviewConfig(rate=1.0, seed=0, reviewers_per_item=reviewers_per_item)
    queue = build_queue(samples, review, [])
    config = {"name": "leaks", "period": "2026-Q4", "model": {"backend": "predictions", "path": "x"},
              "tasks": [{"name": "pii-support", "type": "generate"}], "review": review.model_dump(),
              "scanners": {"pii": {}}}
    results = {"run_id": RUN, "audit": "leaks", "period": "2026-Q4",
               "tasks": [{"name": "pii-support", "type": "generate", "n": 3, "metrics": {}}]}
    rq.register_run(cat, RUN, "leaks", "2026-Q4", "0" * 64, "synthetic", actor="t")
    path, digest = write_bundle(cat.runs_dir, RUN, {"samples": samples, "findings": findings, "review_queue": queue},
                                results, config, {"config": config})
    rq.complete_run(cat, RUN, path, digest, actor="t", device="cpu")


@pytest.fixture
def disagreement(tmp_path, use_catalog):
    from audits.store.queries import users as uq

    cat = Catalog(tmp_path / "c.duckdb")
    _leak_run(cat)
    rv.record_review(cat, RUN, "pii-support", "pii-001", "ann", "reviewer", "correct")
    rv.record_review(cat, RUN, "pii-support", "pii-001", "ben", "reviewer", "incorrect",
                     correction="Someone will call you tomorrow.", note="names a stranger")
    uq.add_user(cat, "chair", "committee", "committee-password")
    use_catalog(cat.path)
    return cat


def _cards(at) -> list[str]:
    return [m.value for m in at.markdown if "assay-card" in m.value]


def test_the_adjudicator_sees_the_leak_as_the_first_pass_card_shows_it(disagreement):
    from dashboard.views.review_item import evidence_card

    at = page_app("review")
    at.session_state["assay_auth_user"] = "chair"
    at.query_params["run"] = RUN
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="adj_item").value == "pii-support/pii-001"
    leak_cards = [c for c in _cards(at) if "pii-001" in c]
    assert len(leak_cards) == 1                      # the labeling card shows chair another item; this is adjudication
    card = leak_cards[0]
    line = card.split("The leaked text that queued this item", 1)[1]
    assert "&lt;PERSON_2&gt;</mark>" in line and "&lt;PERSON_1&gt;</mark>" not in line
    assert '<mark class="assay-leak"' in card.split("assay-output'>", 1)[1].split("</div>", 1)[0]
    assert "(raw, admins only)" not in card          # a committee member never sees the raw value
    # the same card as the first pass: one function builds both
    from audits.access import User
    item = {**rv.item_detail(disagreement, RUN, "pii-support", "pii-001"), "reason": "pii_leak", "stratum": "all",
            "remaining": 1, "n_queue": 1}
    assert evidence_card(RUN, User("chair", "committee"), item)[0] == card
    said = "".join(m.value for m in at.markdown if "What the reviewers said" in m.value)
    assert "<b>ann</b>: Correct" in said and "<b>ben</b>: Incorrect — corrected output: <i style='white-space:pre-wrap'>Someone will call you" in said

    at.radio(key="adj_label").set_value("incorrect")
    at.text_area(key="adj_correction").input("Someone will call you tomorrow.")
    next(b for b in at.button if b.label == "Adjudicate").click().run()
    assert not at.exception and any("Adjudicated pii-support/pii-001" in s.value for s in at.success)
    assert rv.disagreements(disagreement, RUN).empty
