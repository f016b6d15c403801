"""A sign-off is recorded once: the same user signing the same run with the same decision again is
refused in the query layer (the dashboard's second click, the CLI run twice), with nothing written."""

from __future__ import annotations

import pytest

from audits.errors import AssayError
from audits.store.queries import audit_log
from audits.store.queries import policies as policies_q
from tests.trust.conftest import catalog, key_dir  # noqa: F401  (fixtures: a real catalog with cleo's approve)


def _signoff_entries(cat) -> int:
    with cat.connect() as con:
        return int((audit_log.entries(con)["action"] == "policy.signoff").sum())


def test_a_second_identical_signoff_is_refused_and_nothing_is_written(catalog):  # noqa: F811
    before, logged = len(policies_q.list_signoffs(catalog, "r1")), _signoff_entries(catalog)
    with pytest.raises(AssayError) as err:
        policies_q.add_signoff(catalog, "r1", "cleo", "committee", "approve", "again")
    assert str(err.value).startswith("cleo has already signed off run 'r1' with 'approve'")
    assert "\n" not in str(err.value)
    assert len(policies_q.list_signoffs(catalog, "r1")) == before
    assert _signoff_entries(catalog) == logged


def test_a_changed_decision_is_recorded_and_then_cannot_be_repeated(catalog):  # noqa: F811
    policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject", "fairness gap found")
    assert policies_q.list_signoffs(catalog, "r1")["decision"].tolist() == ["approve", "reject"]
    with pytest.raises(AssayError, match="already signed off run 'r1' with 'reject'"):
        policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject")
    policies_q.add_signoff(catalog, "r1", "cleo", "committee", "approve", "gap explained")  # back again: a change
    assert policies_q.list_signoffs(catalog, "r1")["decision"].tolist() == ["approve", "reject", "approve"]


def test_another_committee_member_may_sign_the_same_decision(catalog):  # noqa: F811
    from audits.store.queries import users as users_q

    users_q.add_user(catalog, "cora", "committee", "cora-password", actor="ada")
    policies_q.add_signoff(catalog, "r1", "cora", "committee", "approve")
    assert policies_q.list_signoffs(catalog, "r1")["username"].tolist() == ["cleo", "cora"]
