"""Signed, expiring sign-in sessions for the dashboard, so a refresh or a second tab keeps the user.

A session token is ``name.expiry.key_id.signature``: the installation's ed25519 key signs
``assay-session|catalog id|name|expiry``, so it cannot be forged without the key, is bound to one
catalog, and stops working at ``expiry`` (default 8 hours). A valid token only says who signed in;
the role is still read from the users table at every use, so deactivation and demotion apply at once.
"""

from __future__ import annotations

import base64
import time

from cryptography.exceptions import InvalidSignature

from audits.trust import keys

SESSION_HOURS = 8.0


def _payload(catalog_id: str, name: str, expiry: int) -> bytes:
    return f"assay-session|{catalog_id}|{name}|{expiry}".encode()


def issue(catalog_id: str, name: str, hours: float = SESSION_HOURS, now: float | None = None) -> str:
    """A token for ``name`` on this catalog, valid for ``hours``."""
    expiry = int((time.time() if now is None else now) + hours * 3600)
    private = keys.signing_key()
    kid = keys.key_id(private.public_key())
    sig = base64.urlsafe_b64encode(private.sign(_payload(catalog_id, name, expiry))).decode().rstrip("=")
    user = base64.urlsafe_b64encode(name.encode()).decode().rstrip("=")
    return f"{user}.{expiry}.{kid}.{sig}"


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify(token: str | None, catalog_id: str, now: float | None = None) -> str | None:
    """The user name a valid, unexpired token for this catalog names; None otherwise."""
    if not token or token.count(".") != 3:
        return None
    user, expiry, kid, sig = token.split(".")
    try:
        name, when = _unb64(user).decode(), int(expiry)
    except (ValueError, UnicodeDecodeError):
        return None
    if when < (time.time() if now is None else now):
        return None
    public = keys.trusted_keys().get(kid)
    if public is None:
        return None
    try:
        public.verify(_unb64(sig), _payload(catalog_id, name, when))
    except (InvalidSignature, ValueError):
        return None
    return name
