"""The Policies page with AppTest: checklist shown; only the attestation role attests; only the
committee signs off (a reviewer sees no sign-off form and nothing is stored)."""

from __future__ import annotations

import pytest

from audits.store.queries import policies as policies_q
from audits.store.queries import users as uq

PAGE = """
from dashboard import state
state.run_picker()
from dashboard.views import policies
policies.render()
"""


@pytest.fixture()
def page_catalog(two_runs, monkeypatch):
    cat, q3, q4 = two_runs
    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    uq.add_user(cat, "cleo", "committee", "committee-password")
    uq.add_user(cat, "rita", "reviewer", "reviewer-password")
    return cat, q4


def _app(user: str):
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_string(PAGE, default_timeout=120)
    at.session_state["assay_auth_user"] = user
    return at.run()


def test_reviewer_sees_checklist_but_cannot_attest_or_sign_off(page_catalog):
    cat, q4 = page_catalog
    at = _app("rita")
    assert not at.exception
    assert [e.value for e in at.error] == ["At least one automatic control fails — `assay check` exits 1 for this run."]
    assert [s.value for s in at.subheader][:1] == ["internal-llm"]
    shown = at.table[0].value   # a static table: long text wraps
    assert "INT-FAIR-1" in shown.index.tolist()
    # the one-sided 95% upper bound of the lowest ratio over every pair of groups (stats.ratio_range_interval)
    # the value with the threshold as a requirement, never "0.7 >= 0.8" (which reads as a false claim)
    assert shown.loc["INT-FAIR-1", "measured or attested"] == ("0.7 (threshold: at least 0.8) on loan-decisions; "
                                                               "upper bound 0.765, n=2,000")
    assert shown.columns.tolist() == ["status", "requires", "measured or attested", "detail"]  # fits 1280 px
    assert shown.loc["INT-FAIR-1", "status"] == "fail"                                # a word, not a glyph
    assert not [r for r in at.radio if r.key in ("pol_signoff_decision", "pol_att_decision")]
    assert any("Only the committee signs off" in i.value for i in at.info)
    assert policies_q.list_signoffs(cat, q4).empty


def test_committee_attests_and_signs_off(page_catalog):
    cat, q4 = page_catalog
    at = _app("cleo")
    assert not at.exception
    at.text_area(key="pol_att_note").input("Risks reviewed at the 12 Nov meeting")
    [b for b in at.button if b.label == "Record attestation"][0].click().run()
    assert not at.exception
    att = policies_q.list_attestations(cat, q4)
    assert att[["control_id", "username", "role", "status"]].values.tolist() == [
        ["INT-REL-1", "cleo", "committee", "attested"]]
    assert any("Recorded: attested INT-REL-1" in s.value for s in at.success)   # the page re-evaluated at once
    assert at.radio(key="pol_signoff_decision").value is None                   # nothing pre-selected
    sign = lambda: [b for b in at.button if b.label == "Sign off this run"][0].click().run()  # noqa: E731
    at.radio(key="pol_signoff_decision").set_value("approve")
    at.checkbox(key="pol_signoff_confirm").check()
    sign()
    assert any("reasoning" in e.value for e in at.error) and policies_q.list_signoffs(cat, q4).empty  # failing: note
    at.radio(key="pol_signoff_decision").set_value("reject")
    at.text_area(key="pol_signoff_note").input("four-fifths rule fails")
    at.checkbox(key="pol_signoff_confirm").uncheck()
    sign()
    assert any("confirmation" in e.value for e in at.error) and policies_q.list_signoffs(cat, q4).empty
    at.checkbox(key="pol_signoff_confirm").check()
    sign()
    assert not at.exception
    rows = policies_q.list_signoffs(cat, q4)
    assert rows[["username", "decision", "note"]].values.tolist() == [["cleo", "reject", "four-fifths rule fails"]]
    # after the sign-off: the status is first on the page, the form is empty, and the same click again
    # (same user, same decision) is refused with one line and records nothing
    assert any(m.value.startswith("**Sign-off:**") and ">rejected</span> by cleo" in m.value for m in at.markdown)
    assert at.radio(key="pol_signoff_decision").value is None
    assert at.text_area(key="pol_signoff_note").value == ""
    assert at.checkbox(key="pol_signoff_confirm").value is False
    at.radio(key="pol_signoff_decision").set_value("reject")
    at.text_area(key="pol_signoff_note").input("four-fifths rule fails")
    at.checkbox(key="pol_signoff_confirm").check()
    sign()
    assert any("already signed off" in e.value for e in at.error)
    assert len(policies_q.list_signoffs(cat, q4)) == 1


def test_a_rejected_attestations_note_is_shown_as_text_never_as_markup(page_catalog):
    """A rejected attestation is a failing control, listed in HTML with its note and link: markup typed
    into them (a fake badge, a javascript: link that reads the session cookie) must arrive escaped."""
    cat, q4 = page_catalog
    from policies import load_pack

    control = next(c for c in load_pack("internal-llm").controls if c.attestation is not None)
    role = control.attestation.role
    if role != "committee":
        uq.add_user(cat, "att", role, "attester-password")
    evil = "<a href='javascript:alert(document.cookie)'>evidence</a><b>APPROVED</b>"
    policies_q.add_attestation(cat, q4, "internal-llm", control.id, "cleo" if role == "committee" else "att", role,
                               role, status="rejected", note=evil)
    at = _app("cleo")
    assert not at.exception
    [shown] = [m.value for m in at.markdown if f"ctl-{control.id}" in m.value]
    assert "<a href=" not in shown and "<b>APPROVED" not in shown
    assert "&lt;a href=&#x27;javascript:alert(document.cookie)&#x27;&gt;evidence&lt;/a&gt;" in shown
