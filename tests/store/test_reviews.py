"""Review labels in the catalog: append-only, latest per reviewer wins, roles enforced,
adjudication wins, every label in the audit log, next_item order and coverage."""

from __future__ import annotations

import pytest

from audits.errors import AssayError
from audits.review.synthetic import make_review_run
from audits.store.catalog import Catalog
from audits.store.queries import audit_log
from audits.store.queries import reviews as rv


@pytest.fixture
def cat(tmp_path) -> Catalog:
    cat = Catalog(tmp_path / "c.duckdb")
    make_review_run(cat, "r1", n=40, reviewers_per_item=2)
    return cat


def _first(cat, i=0):
    row = rv.review_queue(cat, "r1").iloc[i]
    return row.task, row.sample_id


def test_append_only_latest_label_per_reviewer_wins(cat):
    task, sid = _first(cat)
    rv.record_review(cat, "r1", task, sid, "ann", "reviewer", "incorrect", correction="A")
    rv.record_review(cat, "r1", task, sid, "ann", "reviewer", "correct")
    rv.record_review(cat, "r1", task, sid, "ben", "reviewer", "correct")
    assert rv.history(cat, "r1")["label"].tolist() == ["incorrect", "correct", "correct"]  # nothing rewritten
    latest = rv.latest_reviews(cat, "r1")
    assert sorted(zip(latest["reviewer"], latest["label"])) == [("ann", "correct"), ("ben", "correct")]
    status = rv.queue_status(cat, "r1").iloc[0]
    assert (status["status"], status["final_label"], status["source"]) == ("agreed", "correct", "consensus")
    with cat.connect() as con:
        log = audit_log.entries(con)
        assert audit_log.verify_chain(con) == []
    labels = log[log["action"] == "review.label"]
    assert len(labels) == 3 and set(labels["target"]) == {f"r1/{task}/{sid}"}
    assert "A" not in " ".join(labels["details"])  # corrections are hashed, not copied into the log


def test_roles_labels_and_queue_membership_are_checked(cat):
    task, sid = _first(cat)
    with pytest.raises(AssayError, match="viewer"):
        rv.record_review(cat, "r1", task, sid, "vic", "viewer", "correct")
    with pytest.raises(AssayError, match="cannot adjudicate"):
        rv.record_review(cat, "r1", task, sid, "ann", "reviewer", "correct", adjudication=True)
    with pytest.raises(AssayError, match="unknown review label"):
        rv.record_review(cat, "r1", task, sid, "ann", "reviewer", "fine")
    outside = {f"q{i:03d}" for i in range(40)} - set(rv.review_queue(cat, "r1")["sample_id"])
    with pytest.raises(AssayError, match="not in the review queue"):
        rv.record_review(cat, "r1", task, sorted(outside)[0], "ann", "reviewer", "correct")
    with pytest.raises(AssayError, match="does not exist"):
        rv.record_review(cat, "nope", task, sid, "ann", "reviewer", "correct")
    assert rv.history(cat, "r1").empty


def test_disagreement_then_adjudication_wins(cat):
    task, sid = _first(cat)
    rv.record_review(cat, "r1", task, sid, "ann", "reviewer", "correct")
    rv.record_review(cat, "r1", task, sid, "ben", "reviewer", "incorrect", correction="B")
    d = rv.disagreements(cat, "r1")
    assert d[["sample_id", "labels"]].values.tolist() == [[sid, "ann: correct; ben: incorrect"]]
    rv.record_review(cat, "r1", task, sid, "chair", "committee", "incorrect", correction="Final", adjudication=True)
    assert rv.disagreements(cat, "r1").empty
    final = rv.final_labels(cat, "r1")
    assert final[["sample_id", "label", "correction", "source"]].values.tolist() == [[sid, "incorrect", "Final", "adjudication"]]
    assert final.iloc[0]["reviewers"] == ["ann", "ben", "chair"]


def test_next_item_order_k_reviewers_and_skip(cat):
    queue = rv.review_queue(cat, "r1")
    first = rv.next_item(cat, "r1", "ann")
    assert (first["task"], first["sample_id"]) == _first(cat)
    assert first["reason"] == "pii_leak" and "@example.com" in first["prediction"]
    assert first["input"].startswith("Question") and first["reference"].startswith("Answer")
    assert first["remaining"] == len(queue)
    rv.record_review(cat, "r1", first["task"], first["sample_id"], "ann", "reviewer", "correct")
    assert rv.next_item(cat, "r1", "ann")["sample_id"] == queue.iloc[1]["sample_id"]
    assert rv.next_item(cat, "r1", "ben")["sample_id"] == queue.iloc[0]["sample_id"]  # still needs a 2nd
    rv.record_review(cat, "r1", first["task"], first["sample_id"], "ben", "reviewer", "correct")
    assert rv.next_item(cat, "r1", "cat")["sample_id"] == queue.iloc[1]["sample_id"]  # k = 2 reached
    skipped = rv.next_item(cat, "r1", "cat", skip={(queue.iloc[1]["task"], queue.iloc[1]["sample_id"])})
    assert skipped["sample_id"] == queue.iloc[2]["sample_id"]


def test_summary_coverage_and_agreement(cat):
    queue = rv.review_queue(cat, "r1")
    for i, row in enumerate(queue.iloc[:6].itertuples()):
        rv.record_review(cat, "r1", row.task, row.sample_id, "ann", "reviewer", "correct")
        rv.record_review(cat, "r1", row.task, row.sample_id, "ben", "reviewer", "correct" if i < 4 else "incorrect")
    s = rv.review_summary(cat, "r1")
    assert (s["n_queue"], s["n_reviewed"], s["n_samples"]) == (len(queue), 6, 40)
    assert s["coverage"] == pytest.approx(6 / 40)
    assert s["agreement"]["method"] == "cohen" and s["agreement"]["n_items"] == 6
    assert s["agreement"]["kappa"] == pytest.approx(0.0)  # ann always "correct": no agreement beyond chance
    assert s["disagreements"] == 2 and s["reviewers"] == ["ann", "ben"]
    assert s["labels"] == {"correct": 4}


def test_item_values_are_plain_python():
    """Parquet cells (pd.NA, NaN, numpy arrays and scalars) come back as None, lists and scalars."""
    import numpy as np
    import pandas as pd

    assert rv.plain(pd.NA) is None and rv.plain(float("nan")) is None and rv.plain(pd.NaT) is None
    assert rv.plain(np.array(["yes", "no"])) == ["yes", "no"]
    assert rv.plain(np.bool_(True)) is True and type(rv.plain(np.int64(3))) is int
    assert rv.plain([1.0, np.nan]) == [1.0, None]


def test_next_item_has_no_na_values(cat):
    item = rv.next_item(cat, "r1", "ann")
    assert all(v is None or isinstance(v, (str, int, float, bool, list)) for v in item.values())
