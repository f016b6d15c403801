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


def test_the_secret_supports_a_loopback_proxy_and_must_be_long():
    env = {"ASSAY_PROXY_SECRET": "0123456789abcdef", "ASSAY_PROXY_SECRET_HEADER": "X-From-Caddy"}
    assert proxy_problem({"X-From-Caddy": "0123456789abcdef", "X-Forwarded-For": "198.51.100.4"}, None, env=env) is None
    assert proxy_problem({"X-Assay-Proxy-Secret": "0123456789abcdef"}, None, env=env)  # the configured header only
    assert "shorter than 16" in proxy_problem({"X-Assay-Proxy-Secret": "short"}, None,
                                              env={"ASSAY_PROXY_SECRET": "short"})


def test_a_trusted_proxy_address_list():
    env = {"ASSAY_TRUSTED_PROXIES": "127.0.0.1, 10.1.0.0/16"}
    assert proxy_problem({}, "10.1.2.3", env=env) is None
    assert proxy_problem({}, "10.2.0.1", env=env)
    assert "loopback" in proxy_problem({}, None, env=env)            # Streamlit reports no address for loopback
    assert "loopback" in proxy_problem({}, None, env={"ASSAY_TRUSTED_PROXIES": "10.9.9.9"})


def test_a_forwarded_for_header_never_vouches_for_an_address():
    """uvicorn puts X-Forwarded-For in place of a loopback peer: the spoof of issue 19 arrives as the
    listed address itself, so any request carrying the header is refused by address."""
    env = {"ASSAY_TRUSTED_PROXIES": "10.9.9.9"}
    spoof = {"X-Forwarded-For": "10.9.9.9", "X-Forwarded-User": "admin"}
    assert "X-Forwarded-For" in proxy_problem(spoof, "10.9.9.9", env=env)
    assert "X-Forwarded-For" in proxy_problem({"x-forwarded-for": "10.9.9.9"}, "10.9.9.9", env=env)
    assert proxy_problem({"X-Forwarded-User": "admin"}, "10.9.9.9", env=env) is None  # the real peer, no header


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
