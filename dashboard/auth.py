"""Who is using the dashboard, and what their role lets them do.

Identity, first that applies:

1. **OIDC** (``st.login``) when ``[auth]`` is configured in ``.streamlit/secrets.toml``: the user
   is ``st.user.email`` (or ``name``); the role comes from the catalog's users table, else from the
   claim named by ``$ASSAY_ROLE_CLAIM`` (e.g. ``roles``), else ``viewer``.
2. **Trusted reverse-proxy header** when ``$ASSAY_AUTH_HEADER`` is set (e.g. ``X-Forwarded-User``):
   the proxy authenticates; the role comes from the users table, else ``viewer``. A request
   without the header is refused (no fallback to a weaker method).
3. **Local users** (the embedded default): a sign-in form checked against the salted scrypt
   hashes made by ``assay users add NAME --role ROLE``. When the catalog has no users at all,
   the dashboard runs as a local ``admin`` for development and demos, and says so in the sidebar.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import streamlit as st

from audits.store.queries.users import ROLES

HEADER_ENV = "ASSAY_AUTH_HEADER"
ROLE_CLAIM_ENV = "ASSAY_ROLE_CLAIM"
_SESSION_KEY = "assay_auth_user"

# action -> roles allowed. `attest` is further limited to the control's owner role (see can()).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "view": ROLES,
    "review": ("reviewer", "committee", "admin"),
    "adjudicate": ("committee", "admin"),
    "export_retraining": ("reviewer", "committee", "compliance", "admin"),
    "export": ("committee", "compliance", "admin"),
    "attest": ("committee", "compliance", "admin"),
    "signoff": ("committee",),
    "view_raw_pii": ("admin",),
    "manage_users": ("admin",),
}


@dataclass(frozen=True)
class User:
    """A signed-in person. ``source``: oidc | header | local | demo."""

    name: str
    role: str
    source: str = "local"


def can(user: User, action: str, owner_role: str | None = None) -> bool:
    """Whether ``user`` may do ``action``. For ``attest``, pass the control's owner role: only
    that role may attest it. Unknown actions are a bug (ValueError)."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}")
    if action == "attest" and owner_role is not None:
        return user.role == owner_role
    return user.role in PERMISSIONS[action]


def _catalog() -> Any | None:
    from dashboard import state

    return state.catalog() if state.has_catalog() else None


def _role_from_table(cat: Any | None, name: str) -> str | None:
    if cat is None:
        return None
    from audits.store.queries.users import get_user

    user = get_user(cat, name)
    return user["role"] if user else None


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets.toml: not configured
        return False


def _role_from_claim(info: Any) -> str | None:
    claim = os.environ.get(ROLE_CLAIM_ENV)
    if not claim:
        return None
    value = info.get(claim)
    values = value if isinstance(value, (list, tuple)) else [value]
    granted = [r for r in values if r in ROLES]
    return max(granted, key=ROLES.index) if granted else None  # the most privileged listed role


def _oidc_user(cat: Any | None) -> User:
    if not st.user.is_logged_in:
        st.sidebar.button("Log in", on_click=st.login, type="primary", key="assay_oidc_login")
        st.info("Sign in with your organisation's account to use Assay.")
        st.stop()
    name = str(st.user.get("email") or st.user.get("name") or st.user.get("sub"))
    role = _role_from_table(cat, name) or _role_from_claim(st.user) or "viewer"
    return User(name, role, "oidc")


def _header_user(cat: Any | None, header: str) -> User:
    name = (st.context.headers.get(header) or "").strip()
    if not name:
        st.error(f"The reverse proxy did not send the identity header `{header}`. "
                 f"Open Assay through the proxy, or unset {HEADER_ENV} for local sign-in.")
        st.stop()
    return User(name, _role_from_table(cat, name) or "viewer", "header")


def _local_user(cat: Any | None, announce: bool) -> User:
    from audits.store.queries.users import authenticate, get_user, has_users

    if cat is None or not has_users(cat):
        if announce:
            st.sidebar.warning("Demo mode: no users exist, so you are the local **admin**. "
                               "Add users with `assay users add NAME --role ROLE` to require sign-in.",
                               icon=":material/lock_open:")
        return User("admin", "admin", "demo")
    signed = st.session_state.get(_SESSION_KEY)
    if signed:
        current = get_user(cat, signed)  # role changes and deactivation apply at once
        if current is not None:
            return User(signed, current["role"], "local")
        st.session_state.pop(_SESSION_KEY, None)
    with st.sidebar.form("assay_sign_in"):
        st.markdown("**Sign in**")
        name = st.text_input("User name", key="assay_sign_in_name")
        password = st.text_input("Password", type="password", key="assay_sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        found = authenticate(cat, name.strip(), password)
        if found:
            st.session_state[_SESSION_KEY] = found["username"]
            st.rerun()
        st.sidebar.error("Unknown user name or wrong password.")
    st.info("Sign in (in the sidebar) to use Assay.")
    st.stop()
    raise AssertionError("unreachable")  # st.stop() ends the script run


def current_user(cat: Any | None = None, announce: bool = True) -> User:
    """The person using this session (may render a sign-in form and stop the page).

    ``cat`` defaults to the dashboard's catalog; ``announce`` shows the demo-mode note.
    """
    if cat is None:
        cat = _catalog()
    if _oidc_configured():
        return _oidc_user(cat)
    header = os.environ.get(HEADER_ENV)
    if header:
        return _header_user(cat, header)
    return _local_user(cat, announce)


def sign_out() -> None:
    """Forget a local sign-in (OIDC sessions use ``st.logout``)."""
    st.session_state.pop(_SESSION_KEY, None)
    if _oidc_configured() and st.user.is_logged_in:
        st.logout()


def require_role(*roles: str) -> User:
    """The current user if their role is one of ``roles``; otherwise explain and stop the page."""
    user = current_user(announce=False)
    if user.role not in roles:
        st.warning(f"This needs the role {' or '.join(roles)}; you are signed in as {user.name} ({user.role}).",
                   icon=":material/block:")
        st.stop()
    return user


def require(action: str) -> User:
    """The current user if ``can(user, action)``; otherwise explain and stop the page."""
    return require_role(*PERMISSIONS[action])
