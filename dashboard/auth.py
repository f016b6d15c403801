"""Who is using the dashboard, and what their role lets them do.

Identity, first that applies:

1. **OIDC** (``st.login``) when ``[auth]`` is configured in ``.streamlit/secrets.toml``: the user
   is ``st.user.email`` (or ``name``); the role comes from the catalog's users table, else from the
   claim named by ``$ASSAY_ROLE_CLAIM`` (e.g. ``roles``), else ``viewer``.
2. **Trusted reverse-proxy header** when ``$ASSAY_AUTH_HEADER`` is set (e.g. ``X-Forwarded-User``):
   the proxy authenticates; the role comes from the users table, else ``viewer``. The header is
   believed only from the proxy: the request must carry the shared secret the proxy injects
   (``$ASSAY_PROXY_SECRET``, in the header ``$ASSAY_PROXY_SECRET_HEADER``, default
   ``X-Assay-Proxy-Secret``) or come from an address in ``$ASSAY_TRUSTED_PROXIES``; with neither
   configured, header sign-in is refused. A client that reaches the Streamlit port directly is refused.
3. **Local users** (the embedded default): a sign-in form checked against the salted scrypt
   hashes made by ``assay users add NAME --role ROLE``, throttled (lockout after repeated failures).
   A signed, expiring session token (:mod:`audits.trust.session`, 8 h) in the URL keeps the user
   signed in across a refresh or a second tab; the role is re-read from the users table every run.
   Only a catalog that never had users runs as a local ``admin`` (demos); once users exist and
   none is active, the dashboard refuses everyone (fails closed).

Roles and permissions live in :mod:`audits.access` (one table for the CLI and the dashboard).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from typing import Any, Mapping

import streamlit as st

from audits.access import PERMISSIONS, ROLES, User, can  # noqa: F401  (the one permission table)
from audits.errors import AssayError
from audits.trust import session

HEADER_ENV = "ASSAY_AUTH_HEADER"
ROLE_CLAIM_ENV = "ASSAY_ROLE_CLAIM"
PROXY_SECRET_ENV = "ASSAY_PROXY_SECRET"
PROXY_SECRET_HEADER_ENV = "ASSAY_PROXY_SECRET_HEADER"
TRUSTED_PROXIES_ENV = "ASSAY_TRUSTED_PROXIES"
_SESSION_KEY = "assay_auth_user"
_SESSION_PARAM = "session"  # signed, expiring token (audits.trust.session): survives a refresh


def proxy_problem(headers: Mapping[str, str], client_ip: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """None when the request provably came through the trusted proxy; else why it is refused.

    The proxy proves itself with the shared secret it injects (compared in constant time) or by
    its address being listed in $ASSAY_TRUSTED_PROXIES (comma-separated addresses or networks)."""
    env = os.environ if env is None else env
    secret = env.get(PROXY_SECRET_ENV) or ""
    networks = [n.strip() for n in (env.get(TRUSTED_PROXIES_ENV) or "").split(",") if n.strip()]
    if not secret and not networks:
        return (f"header sign-in needs {PROXY_SECRET_ENV} (a secret the proxy injects) or {TRUSTED_PROXIES_ENV}; "
                "neither is set, so the identity header is not trusted")
    if secret:
        name = env.get(PROXY_SECRET_HEADER_ENV) or "X-Assay-Proxy-Secret"
        given = headers.get(name) or ""
        if hmac.compare_digest(given.encode(), secret.encode()):
            return None
    if networks and client_ip:
        try:
            addr = ipaddress.ip_address(client_ip)
            if any(addr in ipaddress.ip_network(n, strict=False) for n in networks):
                return None
        except ValueError:
            pass
    return "this request did not come through the trusted proxy (no valid proxy secret or address)"


def _catalog() -> Any | None:
    from dashboard import state

    return state.catalog() if state.has_catalog() else None


def _role_from_table(cat: Any | None, name: str) -> str | None:
    """The role of ``name``'s latest users row; AssayError when that row is inactive (revoked)."""
    if cat is None:
        return None
    from audits.store.queries.users import get_user

    user = get_user(cat, name, include_inactive=True)
    if user is None:
        return None
    if not user["active"]:
        raise AssayError(f"user {name!r} was deactivated", "ask an admin to re-activate the account")
    return user["role"]


def _refuse(message: str) -> None:
    st.error(message)
    st.stop()


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
    try:
        role = _role_from_table(cat, name) or _role_from_claim(st.user) or "viewer"
    except AssayError as err:
        _refuse(str(err))
    return User(name, role, "oidc")


def _header_user(cat: Any | None, header: str) -> User:
    problem = proxy_problem(st.context.headers, getattr(st.context, "ip_address", None))
    if problem:
        _refuse(f"Sign-in refused: {problem}.")
    name = (st.context.headers.get(header) or "").strip()
    if not name:
        st.error(f"The reverse proxy did not send the identity header `{header}`. "
                 f"Open Assay through the proxy, or unset {HEADER_ENV} for local sign-in.")
        st.stop()
    try:
        return User(name, _role_from_table(cat, name) or "viewer", "header")
    except AssayError as err:
        _refuse(str(err))
        raise


def _restore_session(cat: Any) -> str | None:
    """The user a signed, unexpired session token in the URL names (a refresh, a second tab)."""
    return session.verify(st.query_params.get(_SESSION_PARAM), cat.catalog_id)


def _keep_session_in_url(cat: Any, name: str) -> None:
    """Page switches drop query parameters; put a valid token back so a refresh keeps the user."""
    if session.verify(st.query_params.get(_SESSION_PARAM), cat.catalog_id) != name:
        st.query_params[_SESSION_PARAM] = session.issue(cat.catalog_id, name)


def _local_user(cat: Any | None, announce: bool) -> User:
    from audits.store.queries.users import authenticate, get_user, has_users, users_configured

    if cat is not None and users_configured(cat) and not has_users(cat):
        _refuse("Every user of this catalog is deactivated, so no one can sign in. An admin can re-activate "
                "an account with `assay users add NAME --role admin`.")
    if cat is None or not users_configured(cat):
        if announce:
            st.sidebar.warning("Demo mode: no users exist, so you are the local **admin**. "
                               "Add users with `assay users add NAME --role ROLE` to require sign-in.",
                               icon=":material/lock_open:")
        return User("admin", "admin", "demo")
    signed = st.session_state.get(_SESSION_KEY) or _restore_session(cat)
    if signed:
        current = get_user(cat, signed)  # role changes and deactivation apply at once
        if current is not None:
            st.session_state[_SESSION_KEY] = signed
            _keep_session_in_url(cat, signed)
            return User(signed, current["role"], "local")
        st.session_state.pop(_SESSION_KEY, None)
        st.query_params.pop(_SESSION_PARAM, None)
    with st.sidebar.form("assay_sign_in"):
        st.markdown("**Sign in**")
        name = st.text_input("User name", key="assay_sign_in_name")
        password = st.text_input("Password", type="password", key="assay_sign_in_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if submitted:
        try:
            found = authenticate(cat, name.strip(), password)  # throttled; same cost for unknown names
        except AssayError as err:
            st.sidebar.error(str(err))
            st.stop()
        if found:
            st.session_state[_SESSION_KEY] = found["username"]
            st.query_params[_SESSION_PARAM] = session.issue(cat.catalog_id, found["username"])
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
    st.query_params.pop(_SESSION_PARAM, None)
    if _oidc_configured() and st.user.is_logged_in:
        st.logout()


def require_role(*roles: str) -> User:
    """The current user if their role is one of ``roles``; otherwise explain and stop the page."""
    user = current_user(announce=False)
    if user.role not in roles:  # noqa: SIM102
        st.warning(f"This needs the role {' or '.join(roles)}; you are signed in as {user.name} ({user.role}).",
                   icon=":material/block:")
        st.stop()
    return user


def require(action: str) -> User:
    """The current user if ``can(user, action)``; otherwise explain and stop the page."""
    return require_role(*PERMISSIONS[action])
