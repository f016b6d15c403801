"""The permission table behind the dashboard."""

from __future__ import annotations

import pytest

from dashboard.auth import PERMISSIONS, User, can


@pytest.mark.parametrize("role,review,signoff,raw_pii,adjudicate", [
    ("viewer", False, False, False, False),
    ("reviewer", True, False, False, False),
    ("committee", True, True, False, True),
    ("compliance", False, False, False, False),
    ("admin", True, False, True, True),
])
def test_permissions(role, review, signoff, raw_pii, adjudicate):
    user = User("x", role)
    assert (can(user, "review"), can(user, "signoff"), can(user, "view_raw_pii"), can(user, "adjudicate")) == (
        review, signoff, raw_pii, adjudicate)


def test_attest_by_owner_role_only():
    assert can(User("c", "compliance"), "attest", owner_role="compliance")
    assert not can(User("a", "admin"), "attest", owner_role="compliance")
    assert not can(User("r", "reviewer"), "attest")
    with pytest.raises(ValueError):
        can(User("a", "admin"), "launch_rockets")
    assert set(PERMISSIONS["view"]) == {"viewer", "reviewer", "committee", "compliance", "admin"}


# -- header sign-in only through the proxy ----------------------------------------------------

from dashboard.auth import proxy_problem  # noqa: E402


def test_header_sign_in_is_refused_without_a_configured_proxy_proof():
    assert "neither is set" in proxy_problem({"X-Forwarded-User": "bob"}, "10.0.0.5", env={})


def test_a_client_without_the_proxy_secret_is_refused():
    env = {"ASSAY_PROXY_SECRET": "s3cret-from-nginx"}
    assert proxy_problem({"X-Forwarded-User": "bob"}, "203.0.113.9", env=env)  # direct to the Streamlit port
    assert proxy_problem({"X-Forwarded-User": "bob", "X-Assay-Proxy-Secret": "guess"}, None, env=env)
    assert proxy_problem({"X-Forwarded-User": "bob", "X-Assay-Proxy-Secret": "s3cret-from-nginx"}, None, env=env) is None


def test_a_trusted_proxy_address_list():
    env = {"ASSAY_TRUSTED_PROXIES": "127.0.0.1, 10.1.0.0/16"}
    assert proxy_problem({}, "10.1.2.3", env=env) is None
    assert proxy_problem({}, "10.2.0.1", env=env)
    assert proxy_problem({}, None, env=env)


def test_the_dashboard_and_cli_share_one_permission_table():
    import audits.access as access

    assert PERMISSIONS is access.PERMISSIONS and User is access.User


def test_dashboard_fails_closed_when_users_exist_but_none_is_active(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from audits.store.catalog import Catalog
    from audits.store.queries import users as uq

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    uq.add_user(cat, "ada", "admin", "ada-password")
    uq.deactivate_user(cat, "ada")
    script = f"""
from audits.store.catalog import Catalog
from dashboard.auth import current_user
user = current_user(Catalog({str(cat.path)!r}))
import streamlit as st
st.write("signed in as " + user.role)
"""
    at = AppTest.from_string(script, default_timeout=60).run()
    assert any("deactivated" in e.value for e in at.error)
    assert not any("signed in as" in str(m.value) for m in at.markdown)


def test_a_signed_session_survives_a_refresh_and_expires(tmp_path, monkeypatch):
    """Sign in once; a new session (a refresh, a second tab) with the URL's token is the same user;
    a tampered, expired or other-catalog token, or a deactivated user, gets the sign-in form."""
    from streamlit.testing.v1 import AppTest

    from audits.store.catalog import Catalog
    from audits.store.queries import users as uq
    from audits.trust import session

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    uq.add_user(cat, "cleo", "committee", "cleo-password-1")
    script = f"""
from audits.store.catalog import Catalog
from dashboard.auth import current_user
import streamlit as st
user = current_user(Catalog({str(cat.path)!r}))
st.markdown("signed in as " + user.name + " / " + user.role)
"""

    def signed_in(at) -> bool:
        return any("signed in as cleo / committee" in str(m.value) for m in at.markdown)

    at = AppTest.from_string(script, default_timeout=60).run()
    at.text_input(key="assay_sign_in_name").set_value("cleo")
    at.text_input(key="assay_sign_in_password").set_value("cleo-password-1")
    at.button[0].click().run()
    assert signed_in(at)
    token = at.query_params["session"][0] if isinstance(at.query_params["session"], list) else at.query_params["session"]
    assert session.verify(token, cat.catalog_id) == "cleo"

    def fresh(tok: str):
        again = AppTest.from_string(script, default_timeout=60)
        again.query_params["session"] = tok
        return again.run()

    assert signed_in(fresh(token))                                         # a refresh keeps the user
    user, expiry, kid, sig = token.split(".")
    assert not signed_in(fresh(f"{user}.{int(expiry) + 3600}.{kid}.{sig}"))  # a longer expiry breaks the signature
    assert not signed_in(fresh(session.issue(cat.catalog_id, "cleo", hours=-1)))  # expired
    assert not signed_in(fresh(session.issue("another-catalog", "cleo")))      # bound to this catalog
    uq.deactivate_user(cat, "cleo")
    assert not signed_in(fresh(token))                                     # deactivation applies at once
