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
    assert first["sample_id"] in _card(at)
    at.button(key="rv_b_incorrect").click().run()          # incorrect without a correction: refused
    assert rv.history(review_catalog, "run-r").empty
    assert any("needs the corrected output" in w.value for w in at.warning)
    at.text_area(key="rv_correction").input("The right answer.")
    at.text_input(key="rv_note").input("leaks an e-mail")
    at.checkbox(key="rv_flag_privacy").check()
    at.button(key="rv_b_incorrect").click().run()
    assert _problems(at) == []
    rows = rv.history(review_catalog, "run-r")
    assert rows[["sample_id", "reviewer", "role", "label", "correction", "note"]].values.tolist() == [
        [first["sample_id"], "admin", "admin", "incorrect", "The right answer.", "leaks an e-mail"]]
    assert rv.flag_counts(review_catalog, "run-r")["privacy"] == 1
    assert any("Saved" in s.value for s in at.success)
    second = rv.next_item(review_catalog, "run-r", "admin")
    assert second["sample_id"] != first["sample_id"]
    assert second["sample_id"] in _card(at) and first["sample_id"] not in _card(at)
    assert at.text_area(key="rv_correction").value == ""  # a fresh card for the next item
    assert at.checkbox(key="rv_flag_privacy").value is False


def _card(at) -> str:
    return "".join(m.value for m in at.markdown if "assay-card" in m.value)


def test_undo_reopens_the_last_item_and_the_new_label_wins(review_catalog):
    at = page_app("review").run()
    first = rv.next_item(review_catalog, "run-r", "admin")
    at.button(key="rv_b_correct").click().run()
    at.button(key="rv_b_undo").click().run()
    assert first["sample_id"] in _card(at) and any("was: Correct" in w.value for w in at.warning)
    at.button(key="rv_b_needs_rephrasing").click().run()
    assert rv.my_latest_label(review_catalog, "run-r", first["task"], first["sample_id"], "admin")["label"] == \
        "needs_rephrasing"
    assert first["sample_id"] not in _card(at)


def test_a_leaked_email_is_marked_in_the_output(review_catalog):
    from dashboard.views.review import card_html
    queue = rv.review_queue(review_catalog, "run-r")
    leak = queue[queue["reason"].astype(str).str.contains("pii_leak")].iloc[0]
    item = {**rv.item_detail(review_catalog, "run-r", leak.task, leak.sample_id), "reason": leak.reason,
            "stratum": leak.stratum, "remaining": 1, "n_queue": len(queue)}
    html = card_html(item)
    assert 'class="assay-pii"' in html and "@example.com</mark>" in html and "personal data" in html


def test_viewer_cannot_label(review_catalog):
    uq.add_user(review_catalog, "vera", "viewer", "viewer-password")
    at = page_app("review")
    at.session_state["assay_auth_user"] = "vera"
    at.run()
    assert _problems(at) == []
    assert not [b for b in at.button if b.key == "rv_b_correct"]
    assert any("cannot label" in i.value for i in at.info)
    assert rv.history(review_catalog, "run-r").empty


def test_sign_in_then_label_as_reviewer(review_catalog):
    uq.add_user(review_catalog, "rita", "reviewer", "reviewer-password")
    at = page_app("review").run()
    assert not [b for b in at.button if b.key == "rv_b_correct"]  # users exist: sign-in first
    at.sidebar.text_input(key="assay_sign_in_name").input("rita")
    at.sidebar.text_input(key="assay_sign_in_password").input("wrong-password")
    at.sidebar.button[0].click().run()
    assert any("wrong password" in e.value for e in at.sidebar.error)
    at.sidebar.text_input(key="assay_sign_in_password").input("reviewer-password")
    at.sidebar.button[0].click().run()
    at.button(key="rv_b_correct").click().run()
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


def test_two_reviewers_at_once_are_served_different_items(review_catalog):
    first = rv.claim_next_item(review_catalog, "run-r", "ann")
    second = rv.claim_next_item(review_catalog, "run-r", "ben")
    assert first["sample_id"] != second["sample_id"]
    assert rv.claim_next_item(review_catalog, "run-r", "ann")["sample_id"] == first["sample_id"]  # still ann's
    rv.record_review(review_catalog, "run-r", first["task"], first["sample_id"], "ann", "reviewer", "correct")
    after = rv.claim_next_item(review_catalog, "run-r", "ann")
    assert after["sample_id"] not in (first["sample_id"], second["sample_id"])
    expired = rv.claim_next_item(review_catalog, "run-r", "cy", lease_s=-1)   # a lease that already ran out
    assert rv.claim_next_item(review_catalog, "run-r", "dee")["sample_id"] in (expired["sample_id"],
                                                                             rv.next_item(review_catalog, "run-r", "dee")["sample_id"])


def test_an_item_flagged_unsafe_stays_out_of_retraining_data(review_catalog):
    from audits.review import retraining

    queue = rv.review_queue(review_catalog, "run-r")
    item = queue[queue["reason"] != "pii_leak"].iloc[0]  # pii_leak items never enter retraining data at all
    for who in ("ann", "ben"):
        rid = rv.record_review(review_catalog, "run-r", item.task, item.sample_id, who, "reviewer", "correct")
    rv.record_flags(review_catalog, "run-r", item.task, item.sample_id, "ben", rid, ["unsafe"])
    assert rv.flag_counts(review_catalog, "run-r") == {"privacy": 0, "unsafe": 1, "biased": 0, "hallucination": 0}
    records, info = retraining._build(review_catalog, "run-r", "sft", scrub=False)
    assert info["n_flagged_out"] == 1 and f"{item.task}/{item.sample_id}" not in info["items"]
