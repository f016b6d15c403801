"""Who is using the dashboard, and what their role lets them do.

Identity, first that applies:

1. **OIDC** (``st.login``) when ``[auth]`` is configured in ``.streamlit/secrets.toml``: the user
   is ``st.user.email`` (or ``name``); the role comes from the catalog's users table, else from the
   claim named by ``$ASSAY_ROLE_CLAIM`` (e.g. ``roles``), else ``viewer``.
2. **Trusted reverse-proxy header** when ``$ASSAY_AUTH_HEADER`` is set (e.g. ``X-Forwarded-User``):
   the proxy authenticates; the role comes from the users table, else ``viewer``. The header is
   believed only when the request proves it came through the proxy, by either

   - the shared secret the proxy injects (``$ASSAY_PROXY_SECRET``, at least 16 characters, in the
     header ``$ASSAY_PROXY_SECRET_HEADER``, default ``X-Assay-Proxy-Secret``), compared in constant
     time. This is the way for a proxy on the same host (loopback): every local process shares
     that address, so an address cannot vouch for it. The proxy must overwrite (never pass on) a
     client's own copy of that header; or
   - the socket peer address being in ``$ASSAY_TRUSTED_PROXIES`` (comma-separated addresses or
     networks). A forwarded-for header is never believed: Streamlit's server (uvicorn) replaces the
     peer address with the ``X-Forwarded-For`` value when the peer is on loopback, so any request
     that carries ``X-Forwarded-For`` is refused by address (use the secret with such a proxy), and
     loopback addresses are never matched (Streamlit reports none for them).

   With neither configured, header sign-in is refused. A client that reaches the Streamlit port
   directly is refused.
3. **Local users** (the embedded default): a sign-in form checked against the salted scrypt
   hashes made by ``assay users add NAME --role ROLE``, throttled (lockout after repeated failures).
   The session (:mod:`audits.trust.session`) is a signed token bound to this catalog and to the
   user's current users row, kept in server memory for the browser tab and in a ``SameSite=Strict``
   cookie (never in the URL; a ``?session=`` left in an old link is removed unread), so a refresh or
   a second tab keeps the user. It expires after ``$ASSAY_SESSION_IDLE_MINUTES`` (default 30) without
   activity and 8 hours after sign-in; **Sign out** in the sidebar ends it everywhere at once, and
   changing the user's password, role or access (or removing them) ends all of their sessions. A
   refused session says why in one line and shows the sign-in form. The role is re-read every run.
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
COOKIE = "assay_session"          # the session token, so a refresh or a second tab keeps the user
_SESSION_KEY = "assay_auth_user"  # the signed-in name (st.session_state: server memory of one tab)
_TOKEN_KEY = "assay_auth_token"   # that tab's session token (audits.trust.session)
_COOKIE_READ_KEY = "assay_auth_cookie_read"
_CLEAR_COOKIE_KEY = "assay_auth_clear_cookie"
_PENDING_COOKIE_KEY = "assay_auth_pending_cookie"
_NOTICE_KEY = "assay_auth_notice"
_SESSION_PARAM = "session"  # where tokens were before: removed from the URL, never accepted
_TICKET_KEY = "assay_download_ticket"  # an OIDC/proxy tab's download ticket (audits.trust.session.ticket)


MIN_PROXY_SECRET = 16


def proxy_problem(headers: Mapping[str, str], client_ip: str | None, env: Mapping[str, str] | None = None) -> str | None:
    """None when the request provably came through the trusted proxy; else why it is refused.

    ``client_ip`` is the socket peer as Streamlit reports it (``st.context.ip_address``: None on
    loopback). The proxy proves itself with the shared secret it injects (constant-time compare) or
    by that peer address being listed in $ASSAY_TRUSTED_PROXIES, and then only when the request has
    no X-Forwarded-For header (the server would have put the header's value in place of the peer)."""
    env = os.environ if env is None else env
    secret = env.get(PROXY_SECRET_ENV) or ""
    networks = [n.strip() for n in (env.get(TRUSTED_PROXIES_ENV) or "").split(",") if n.strip()]
    if not secret and not networks:
        return (f"header sign-in needs {PROXY_SECRET_ENV} (a secret the proxy injects) or {TRUSTED_PROXIES_ENV}; "
                "neither is set, so the identity header is not trusted")
    if secret and len(secret) < MIN_PROXY_SECRET:
        return f"{PROXY_SECRET_ENV} is shorter than {MIN_PROXY_SECRET} characters, so it is not trusted"
    name = env.get(PROXY_SECRET_HEADER_ENV) or "X-Assay-Proxy-Secret"
    if secret and hmac.compare_digest((headers.get(name) or "").encode(), secret.encode()):
        return None
    if not networks:
        return f"this request did not come through the trusted proxy (no valid {name})"
    if any(str(h).lower() == "x-forwarded-for" for h in headers.keys()):
        return ("this request carries X-Forwarded-For, so its address is not the proxy's own; "
                f"a proxy that forwards addresses must prove itself with {PROXY_SECRET_ENV}")
    if not client_ip:
        return (f"this request comes from loopback, which {TRUSTED_PROXIES_ENV} cannot vouch for "
                f"(every local process shares it); a proxy on this host must send {PROXY_SECRET_ENV}")
    try:
        addr = ipaddress.ip_address(client_ip)
        listed = [ipaddress.ip_network(n, strict=False) for n in networks]
    except ValueError as err:
        return f"{TRUSTED_PROXIES_ENV} or the peer address is not an IP address or network ({err})"
    if not addr.is_loopback and any(addr in n for n in listed):
        return None
    return f"this request did not come through the trusted proxy ({client_ip} is not in {TRUSTED_PROXIES_ENV})"


def _catalog() -> Any | None:
    from dashboard import _catalog as opened

    return opened.catalog() if opened.has_catalog() else None


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


def _put_cookie(token: str | None) -> None:
    """Keep ``token`` in this browser's session cookie (None: delete it). Written by a script in the
    page (Streamlit cannot set cookies); read back from the websocket handshake on the next load."""
    value, age = (token, int(session.MAX_HOURS * 3600)) if token else ("", 0)
    st.html(f"<script>document.cookie = '{COOKIE}={value}; Path=/; SameSite=Strict; Max-Age={age}' + "
            "(location.protocol === 'https:' ? '; Secure' : '');</script>", unsafe_allow_javascript=True)


def _forget(notice: str | None = None) -> None:
    """Drop this tab's sign-in (and the cookie); ``notice`` is shown above the sign-in form."""
    for key in (_SESSION_KEY, _TOKEN_KEY):
        st.session_state.pop(key, None)
    st.session_state[_COOKIE_READ_KEY] = True
    st.session_state[_CLEAR_COOKIE_KEY] = True
    if notice:
        st.session_state[_NOTICE_KEY] = notice


def _signed_in(cat: Any) -> tuple[str, str] | None:
    """(name, role) of this tab's valid session, re-issuing its token on activity; None when signed out.

    The token comes from this tab's memory, else (once per tab) from the cookie. A refused token
    leaves a one-line notice and signs the tab out; nothing else changes."""
    from audits.store.queries.users import get_user

    if _SESSION_PARAM in st.query_params:  # an old sign-in link: never accepted, never left in the URL
        st.query_params.pop(_SESSION_PARAM, None)
    token = st.session_state.get(_TOKEN_KEY)
    if token is None and st.session_state.get(_SESSION_KEY):  # set by the server itself (tests, embedding)
        try:
            token = session.start(cat, st.session_state[_SESSION_KEY])
        except AssayError as err:
            _forget(err.problem)
            return None
    if token is None and not st.session_state.get(_COOKIE_READ_KEY):
        st.session_state[_COOKIE_READ_KEY] = True
        token = _cookie_token()
    if not token:
        return None
    try:
        found = session.resume(cat, token)
    except session.SessionRefused as err:
        _forget(err.problem)
        return None
    except AssayError as err:  # a bad setting (e.g. the idle timeout): refuse everyone until it is fixed
        _refuse(str(err))
    current = get_user(cat, found.name)
    if current is None:  # removed between the two reads
        _forget(f"user {found.name!r} is no longer an active user of this catalog")
        return None
    renewed = session.refreshed(found)
    st.session_state[_TOKEN_KEY] = renewed or token
    st.session_state[_SESSION_KEY] = found.name
    if renewed:
        _put_cookie(renewed)
    return found.name, str(current["role"])


def _cookie_token() -> str | None:
    try:
        return st.context.cookies.get(COOKIE)
    except Exception:  # no browser connection (AppTest, bare mode): no cookie
        return None


def _sign_in_form(cat: Any) -> None:
    """Render the sign-in form; on a good password start a session and rerun. Always stops the run."""
    from audits.store.queries.users import authenticate

    if st.session_state.pop(_CLEAR_COOKIE_KEY, False):
        _put_cookie(None)
    notice = st.session_state.get(_NOTICE_KEY)
    if notice:
        st.sidebar.warning(notice, icon=":material/logout:")
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
            token = session.start(cat, found["username"])
            st.session_state[_TOKEN_KEY] = token
            st.session_state[_SESSION_KEY] = found["username"]
            st.session_state[_COOKIE_READ_KEY] = True
            st.session_state.pop(_NOTICE_KEY, None)
            st.session_state.pop(_CLEAR_COOKIE_KEY, None)
            st.session_state[_PENDING_COOKIE_KEY] = token
            st.rerun()
        st.sidebar.error("Unknown user name or wrong password.")
    st.info("Sign in (in the sidebar) to use Assay.")
    st.stop()


def _local_user(cat: Any | None, announce: bool) -> User:
    from audits.store.queries.users import has_users, users_configured

    if cat is not None and users_configured(cat) and not has_users(cat):
        _refuse("Every user of this catalog is deactivated, so no one can sign in. An admin can re-activate "
                "an account with `assay users add NAME --role admin`.")
    if cat is None or not users_configured(cat):
        if announce:
            st.sidebar.warning("Demo mode: no users exist, so you are the local **admin**. "
                               "Add users with `assay users add NAME --role ROLE` to require sign-in.",
                               icon=":material/lock_open:")
        return User("admin", "admin", "demo")
    signed = _signed_in(cat)
    if signed is None:
        _sign_in_form(cat)
        raise AssertionError("unreachable")  # st.stop() ends the script run
    pending = st.session_state.pop(_PENDING_COOKIE_KEY, None)
    if pending:  # just signed in: the cookie keeps the session across a refresh or a second tab
        _put_cookie(pending)
    return User(signed[0], signed[1], "local")


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


def sign_out(cat: Any | None = None) -> None:
    """End this tab's local session everywhere (its token is revoked, so no copy of it works again);
    OIDC sessions use ``st.logout``."""
    if cat is None:
        cat = _catalog()
    notice = "You signed out."
    for token in (st.session_state.get(_TOKEN_KEY), st.session_state.pop(_TICKET_KEY, None)):
        if cat is None or not token:
            continue
        try:  # the OIDC tab's download ticket too: buttons it rendered build nothing after sign-out
            session.end(cat, token, "signed out")
        except AssayError as err:  # e.g. the catalog is locked or its log cannot be signed: say so, still forget
            notice = f"Signed out of this tab only; the session could not be ended elsewhere: {err.problem}"
    _forget(notice)
    if _oidc_configured() and st.user.is_logged_in:
        st.logout()


def download_ticket(user: User, cat: Any | None = None) -> str | None:
    """This tab's download ticket for ``user`` (OIDC or proxy header, just authenticated by this render):
    renewed while valid, else new; None without a catalog (nothing to download)."""
    cat = _catalog() if cat is None else cat
    if cat is None:
        return None
    token = session.ticket(cat, user.name, st.session_state.get(_TICKET_KEY))
    st.session_state[_TICKET_KEY] = token
    return token


def sign_out_button(user: User) -> None:
    """The sidebar's Sign out (local sessions and OIDC; a proxy or demo identity has none here)."""
    if user.source in ("local", "oidc"):
        st.sidebar.button("Sign out", key="assay_sign_out", on_click=sign_out, icon=":material/logout:")


def require(action: str) -> User:
    """The current user if :func:`audits.access.can` lets them do ``action``; otherwise explain and
    stop the page."""
    user = current_user(announce=False)
    if not can(user, action):
        st.warning(f"This needs the role {' or '.join(PERMISSIONS[action])}; you are signed in as {user.name} "
                   f"({user.role}).", icon=":material/block:")
        st.stop()
    return user
