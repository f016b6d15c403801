"""Dashboard sessions (issue 19): sign-out, revocation by account changes, idle expiry, catalog binding.

Each test signs in through the real form on a real catalog (AppTest, in process). The token a tab
holds is what the browser's cookie would bring back on a refresh (tests/dashboard/test_browser_session.py
carries it in a real cookie), so a "fresh tab" here is a new AppTest given that token.
"""

from __future__ import annotations

import time

import pytest

from audits.store.catalog import Catalog
from audits.store.queries import users as uq
from audits.trust import session

SCRIPT = """
import streamlit as st
from dashboard import auth
with st.sidebar:
    user = auth.current_user()
    auth.sign_out_button(user)
st.markdown("signed in as " + user.name + " / " + user.role)
"""
TOKEN = "assay_auth_token"


@pytest.fixture
def cat(tmp_path, monkeypatch) -> Catalog:
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv(session.IDLE_ENV, raising=False)
    path = tmp_path / "c.duckdb"
    monkeypatch.setenv("ASSAY_CATALOG", str(path))
    c = Catalog(path)
    uq.add_user(c, "ada", "admin", "ada-password-1", actor="ada")      # the first user: an admin
    uq.add_user(c, "cleo", "committee", "cleo-password-1", actor="ada")
    return c


def app(token: str | None = None):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(SCRIPT, default_timeout=60)
    if token is not None:
        at.session_state[TOKEN] = token
    return at.run()


def who(at) -> str | None:
    found = [str(m.value)[len("signed in as "):] for m in at.markdown if str(m.value).startswith("signed in as ")]
    return found[0] if found else None


def notices(at) -> list[str]:
    return [str(w.value) for w in at.sidebar.warning]


def has_form(at) -> bool:
    return any(t.key == "assay_sign_in_name" for t in at.text_input)


def sign_in(name: str = "cleo", password: str = "cleo-password-1"):
    at = app()
    at.text_input(key="assay_sign_in_name").set_value(name)
    at.text_input(key="assay_sign_in_password").set_value(password)
    at.button[0].click().run()
    assert who(at) == f"{name} / {uq.get_user(Catalog(), name)['role']}"
    return at


def refused(at, phrase: str) -> None:
    """Signed out, with exactly one one-line notice containing ``phrase``, and the sign-in form."""
    assert who(at) is None and has_form(at)
    assert len(notices(at)) == 1 and phrase in notices(at)[0] and "\n" not in notices(at)[0], notices(at)
    assert TOKEN not in at.session_state and "assay_auth_user" not in at.session_state


def test_sign_in_keeps_the_token_out_of_the_url_and_a_fresh_tab_with_it_is_signed_in(cat):
    at = sign_in()
    token = at.session_state[TOKEN]
    assert "session" not in at.query_params
    assert any(token in h.proto.body for h in at.get("html"))    # handed to the browser's cookie, not the URL
    assert who(app(token)) == "cleo / committee"


def test_an_old_sign_in_link_is_removed_from_the_url_unread(cat):
    from streamlit.testing.v1 import AppTest

    token = session.start(cat, "cleo")
    at = AppTest.from_string(SCRIPT, default_timeout=60)
    at.query_params["session"] = token
    at.run()
    assert who(at) is None and has_form(at) and "session" not in at.query_params


def test_sign_out_ends_the_session_and_its_token_is_not_reusable(cat):
    at = sign_in()
    token = at.session_state[TOKEN]
    second_tab = app(token)
    assert who(second_tab) == "cleo / committee"
    at.button(key="assay_sign_out").click().run()
    assert who(at) is None and has_form(at) and "You signed out." in notices(at)[0]
    assert any("Max-Age=0" in h.proto.body for h in at.get("html"))  # the cookie is deleted
    refused(app(token), "this session was signed out")                 # a copied token: refused
    refused(second_tab.run(), "this session was signed out")           # the other tab, at its next click
    assert who(sign_in()) == "cleo / committee"                         # signing in again works


def test_a_sign_out_is_a_signed_log_entry_that_cannot_be_quietly_removed(cat):
    import duckdb

    from audits.trust.verify import verify

    at = sign_in()
    token = at.session_state[TOKEN]
    at.button(key="assay_sign_out").click().run()
    assert verify(cat).problems == []                                   # the entry itself verifies
    with duckdb.connect(str(cat.path)) as con:                          # an insider deletes the sign-out ...
        con.execute("DELETE FROM audit_log WHERE action = 'session.ended'")
    assert verify(cat).problems                                         # ... and verify says so


@pytest.mark.parametrize("change,phrase", [
    (lambda c: uq.add_user(c, "cleo", "committee", "a-new-password-2"), "the account 'cleo' changed"),
    (lambda c: uq.add_user(c, "cleo", "viewer"), "the account 'cleo' changed"),
    (lambda c: uq.deactivate_user(c, "cleo"), "no longer an active user"),
])
def test_a_password_role_or_access_change_ends_every_session_of_that_user(cat, change, phrase):
    at = sign_in()
    token = at.session_state[TOKEN]
    other = sign_in("ada", "ada-password-1")
    change(cat)
    refused(at.run(), phrase)                      # the open tab, at its next click
    refused(app(token), phrase)                    # the token anywhere else
    assert who(other.run()) == "ada / admin"       # another user's session is untouched


def test_idle_expiry_default_30_minutes_and_configurable(cat, monkeypatch):
    now = time.time()
    stale = session.issue(cat.catalog_id, "cleo", session.user_row(cat, "cleo"), now=now - 31 * 60)
    refused(app(stale), "expired after 30 minutes without activity")
    recent = session.issue(cat.catalog_id, "cleo", session.user_row(cat, "cleo"), now=now - 29 * 60)
    at = app(recent)
    assert who(at) == "cleo / committee"
    renewed = at.session_state[TOKEN]                                  # activity re-issues the token ...
    assert renewed != recent and session.decode(renewed, cat.catalog_id).session_id == \
        session.decode(recent, cat.catalog_id).session_id              # ... for the same session
    old = session.issue(cat.catalog_id, "cleo", session.user_row(cat, "cleo"), now=now - 8 * 3600 - 60)
    with pytest.raises(session.SessionRefused, match="8 hours after sign-in"):   # the cap, however active
        session.resume(cat, session.refreshed(session.decode(old, cat.catalog_id, timed=False), now), now)

    monkeypatch.setenv(session.IDLE_ENV, "0.02")                       # 1.2 s
    at = sign_in()
    time.sleep(2.5)
    refused(at.run(), "expired after 0.02 minutes without activity")
    monkeypatch.setenv(session.IDLE_ENV, "forever")
    bad = app(recent)
    assert who(bad) is None and [str(e.value) for e in bad.error] == [
        "ASSAY_SESSION_IDLE_MINUTES='forever' is not a number of minutes between 0 and 480 — "
        "set ASSAY_SESSION_IDLE_MINUTES to e.g. 30, or unset it"]
    with pytest.raises(Exception, match="ASSAY_SESSION_IDLE_MINUTES='forever' is not a number of minutes"):
        session.idle_seconds()


def test_a_token_for_another_catalog_a_forged_one_and_an_old_format_one_are_refused(cat, tmp_path):
    other = Catalog(tmp_path / "other.duckdb")
    uq.add_user(other, "cleo", "committee", "cleo-password-1")
    refused(app(session.start(other, "cleo")), "this session token is for another catalog")
    token = session.start(cat, "cleo")
    version, body, kid, sig = token.split(".")
    forged = session._b64(session._unb64(body).replace(b'"cleo"', b'"ada"'))
    refused(app(f"{version}.{forged}.{kid}.{sig}"), "not signed by this installation")
    refused(app("Y2xlbw.1796475013.abcd.sig"), "malformed or from an older Assay")
    with Catalog(cat.path).connect() as con:                           # refusals change nothing in the catalog
        assert con.execute("SELECT count(*) FROM audit_log WHERE action = 'session.ended'").fetchone()[0] == 0


def test_the_app_sidebar_has_sign_out_for_a_signed_in_user(cat):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(Path(__file__).resolve().parents[2] / "dashboard" / "app.py"), default_timeout=120)
    at.session_state["assay_auth_user"] = "cleo"      # as a test signs in (server memory, not the browser)
    at.run()
    assert not at.exception
    assert any("Signed in as **cleo** (committee)" in str(c.value) for c in at.sidebar.caption)
    at.sidebar.button(key="assay_sign_out").click().run()
    assert "You signed out." in notices(at) and not any("Signed in as" in str(c.value) for c in at.sidebar.caption)
