"""Deferred dashboard downloads re-check every kind of session when the file is built, not only
password sessions: an OIDC or proxy-header identity is held by a download ticket that idles out, is
ended by Sign out and is bound to the account as it was at render. Before, such a build passed for a
deactivated user (the render-time role stood in) and after sign-out or any idle time."""

from __future__ import annotations

import logging
import time

import pytest

from audits.access import User
from audits.errors import AssayError


@pytest.fixture
def cat(tmp_path, monkeypatch):
    from audits.store.catalog import Catalog
    from audits.store.queries import users as users_q
    from audits.trust import session
    from tests.trust.conftest import make_run

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv(session.IDLE_ENV, raising=False)
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password-1", actor="ada")
    users_q.add_user(cat, "olga@example.org", "compliance", actor="ada")  # signs in by OIDC (no password)
    make_run(cat)
    return cat


class _Refusals(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def refusals():
    handler = _Refusals()
    logger = logging.getLogger("assay.dashboard.downloads")
    logger.addHandler(handler)
    yield handler.lines
    logger.removeHandler(handler)


def _build(cat, source: str, ticket: str | None, role: str = "compliance", name: str = "olga@example.org"):
    from dashboard.downloads import Holder, builder

    made: list[str] = []
    build = builder(cat, Holder(User(name, role, source), ticket), "export",
                    lambda u: made.append(u.role) or "task,value\n", "r1", "r1-metrics.csv", "csv")
    return build, made


@pytest.mark.parametrize("source", ["oidc", "header"])
def test_a_ticket_builds_while_the_identity_stands(cat, source):
    from audits.trust import session

    build, made = _build(cat, source, session.ticket(cat, "olga@example.org", None))
    assert build() == b"task,value\n" and made == ["compliance"]


@pytest.mark.parametrize("source", ["oidc", "header"])
@pytest.mark.parametrize("end", ["signed out", "deactivated", "role changed", "idle", "no ticket", "forged"])
def test_an_ended_oidc_or_header_session_builds_nothing(cat, refusals, source, end, monkeypatch):
    from audits.store.queries import audit_log
    from audits.store.queries import users as users_q
    from audits.trust import session

    ticket = session.ticket(cat, "olga@example.org", None)
    build, made = _build(cat, source, None if end == "no ticket" else ticket)
    if end == "signed out":
        session.end(cat, ticket, "signed out")
    elif end == "deactivated":
        users_q.deactivate_user(cat, "olga@example.org", actor="ada")
    elif end == "role changed":
        users_q.add_user(cat, "olga@example.org", "viewer", actor="ada")
    elif end == "idle":
        monkeypatch.setenv(session.IDLE_ENV, "0.01")  # 0.6 s
        time.sleep(1.6)
    elif end == "forged":  # another user's ticket
        build, made = _build(cat, source, session.ticket(cat, "ada", None))
    with cat.connect() as con:
        before = len(audit_log.entries(con))
    with pytest.raises(AssayError):
        build()
    with cat.connect() as con:
        assert len(audit_log.entries(con)) == before  # nothing built, nothing logged as a download
    assert made == []
    assert len(refusals) == 1 and refusals[0].startswith(f"download r1-metrics.csv refused for olga@example.org ({source} session): ")


def test_a_claim_role_user_not_in_the_catalog_is_refused_once_an_admin_lists_them(cat):
    """An OIDC user with no users row (role from the claim) keeps that role only while the account is
    unchanged: an admin adding a row for them (e.g. to deactivate them) ends the page's ticket."""
    from audits.store.queries import users as users_q
    from audits.trust import session

    ticket = session.ticket(cat, "nina@example.org", None)
    build, made = _build(cat, "oidc", ticket, role="compliance", name="nina@example.org")
    assert build() and made == ["compliance"]
    users_q.add_user(cat, "nina@example.org", "viewer", actor="ada")
    users_q.deactivate_user(cat, "nina@example.org", actor="ada")
    with pytest.raises(AssayError, match="changed"):
        build()


PAGE = """
import streamlit as st
from audits.access import User
from dashboard import auth
st.session_state["ticket"] = auth.download_ticket(User("olga@example.org", "compliance", "oidc"))
if st.session_state.get("sign_out"):
    auth.sign_out()
"""


def test_sign_out_ends_the_tabs_download_ticket(cat, monkeypatch):
    """The sidebar's Sign out (OIDC tabs have one) ends the tab's ticket, so buttons it rendered earlier
    build nothing; a render renews the same ticket rather than piling up new ones."""
    from streamlit.testing.v1 import AppTest

    from audits.trust import session

    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    at = AppTest.from_string(PAGE, default_timeout=60)
    at.run()
    first = at.session_state["ticket"]
    at.run()
    again = at.session_state["ticket"]
    assert session.decode(first, cat.catalog_id).session_id == session.decode(again, cat.catalog_id).session_id
    build, _ = _build(cat, "oidc", first)
    assert build()
    at.session_state["sign_out"] = True
    at.run()
    with pytest.raises(session.SessionRefused, match="signed out"):
        session.check_ticket(cat, first, "olga@example.org")
    with pytest.raises(AssayError):
        build()
