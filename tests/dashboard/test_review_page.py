"""The Review page with AppTest: a label is stored and the next item comes up; a viewer cannot
label; local sign-in; a lead reviewer adjudicates a disagreement."""

from __future__ import annotations

import pytest

from audits.review.synthetic import make_review_run
from audits.store.catalog import Catalog
from audits.store.queries import reviews as rv
from audits.store.queries import users as uq
from tests.dashboard.conftest import page_app


@pytest.fixture
def review_catalog(tmp_path, use_catalog):
    cat = Catalog(tmp_path / "review.duckdb")
    make_review_run(cat, "run-r", n=40, reviewers_per_item=2)
    use_catalog(cat.path)
    return cat


def _problems(at) -> list[str]:
    return [str(e.value) for e in at.exception] + [str(e.value) for e in at.error]


def test_review_is_stored_and_next_item_comes_up(review_catalog):
    at = page_app("review").run()
    assert _problems(at) == []
    first = rv.next_item(review_catalog, "run-r", "admin")
    assert any(first["sample_id"] in c.value for c in at.caption)
    at.radio(key="rv_label").set_value("incorrect")
    at.text_area(key="rv_correction").input("The right answer.")
    at.text_input(key="rv_note").input("leaks an e-mail")
    at.button[0].click().run()  # "Save label"
    assert _problems(at) == []
    rows = rv.history(review_catalog, "run-r")
    assert rows[["sample_id", "reviewer", "role", "label", "correction", "note"]].values.tolist() == [
        [first["sample_id"], "admin", "admin", "incorrect", "The right answer.", "leaks an e-mail"]]
    assert any("Saved" in s.value for s in at.success)
    second = rv.next_item(review_catalog, "run-r", "admin")
    assert second["sample_id"] != first["sample_id"]
    assert any(second["sample_id"] in c.value for c in at.caption)
    assert at.text_area(key="rv_correction").value == ""  # the form was cleared for the next item


def test_viewer_cannot_label(review_catalog):
    uq.add_user(review_catalog, "vera", "viewer", "viewer-password")
    at = page_app("review")
    at.session_state["assay_auth_user"] = "vera"
    at.run()
    assert _problems(at) == []
    assert not [r for r in at.radio if r.key == "rv_label"]
    assert any("cannot label" in i.value for i in at.info)
    assert rv.history(review_catalog, "run-r").empty


def test_sign_in_then_label_as_reviewer(review_catalog):
    uq.add_user(review_catalog, "rita", "reviewer", "reviewer-password")
    at = page_app("review").run()
    assert not [r for r in at.radio if r.key == "rv_label"]  # users exist: sign-in first
    at.sidebar.text_input(key="assay_sign_in_name").input("rita")
    at.sidebar.text_input(key="assay_sign_in_password").input("wrong-password")
    at.sidebar.button[0].click().run()
    assert any("wrong password" in e.value for e in at.sidebar.error)
    at.sidebar.text_input(key="assay_sign_in_password").input("reviewer-password")
    at.sidebar.button[0].click().run()
    at.radio(key="rv_label").set_value("correct")
    at.button[0].click().run()
    assert _problems(at) == []
    assert rv.history(review_catalog, "run-r")[["reviewer", "role", "label"]].values.tolist() == [
        ["rita", "reviewer", "correct"]]


def test_lead_reviewer_adjudicates(review_catalog):
    item = rv.review_queue(review_catalog, "run-r").iloc[0]
    rv.record_review(review_catalog, "run-r", item.task, item.sample_id, "ann", "reviewer", "correct")
    rv.record_review(review_catalog, "run-r", item.task, item.sample_id, "ben", "reviewer", "incorrect",
                     correction="Better.")
    uq.add_user(review_catalog, "chair", "committee", "committee-password")
    at = page_app("review")
    at.session_state["assay_auth_user"] = "chair"
    at.run()
    assert _problems(at) == []
    assert at.selectbox(key="adj_item").value == f"{item.task}/{item.sample_id}"
    at.radio(key="adj_label").set_value("needs_rephrasing")
    at.text_area(key="adj_correction").input("Final answer.")
    next(b for b in at.button if b.label == "Adjudicate").click().run()
    assert _problems(at) == []
    assert rv.disagreements(review_catalog, "run-r").empty
    final = rv.final_labels(review_catalog, "run-r")
    assert final[["label", "correction", "source"]].values.tolist() == [["needs_rephrasing", "Final answer.", "adjudication"]]
