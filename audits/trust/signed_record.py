"""Small JSON records this installation signs with its key (ed25519), so a file kept beside the data (not
in the catalog) can be trusted as written by Assay: e.g. `assay logs import`'s ``<out>.import.json``, whose
raw-log path, SHA-256 and row counts a run copies into its manifest. Anyone can edit such a file; without
the key dir nobody can re-sign it, and :func:`problem` names the edit."""

from __future__ import annotations

import json

from cryptography.exceptions import InvalidSignature

from audits.jsontypes import JsonObject
from audits.trust import keys

_SIGNED_BY = ("key_id", "signature")


def _canonical(body: JsonObject) -> bytes:
    fields = {k: v for k, v in body.items() if k not in _SIGNED_BY}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode("utf-8")


def sign(body: JsonObject) -> JsonObject:
    """``body`` with ``key_id`` and ``signature`` (over every other field) added by the current key."""
    private = keys.signing_key()
    out = {k: v for k, v in body.items() if k not in _SIGNED_BY}
    out["key_id"] = keys.key_id(private.public_key())
    out["signature"] = private.sign(_canonical(out)).hex()
    return out


def problem(body: JsonObject) -> str | None:
    """None when ``body`` carries a valid signature by a key this installation holds; else why not."""
    kid, signature = body.get("key_id"), body.get("signature")
    if not isinstance(kid, str) or not isinstance(signature, str):
        return "it is not signed (written by hand, or by an Assay before import records were signed)"
    public = keys.trusted_keys().get(kid)
    if public is None:
        return f"it is signed by key {kid}, which this installation ({keys.key_dir()}) never used"
    try:
        public.verify(bytes.fromhex(signature), _canonical(body))
    except (InvalidSignature, ValueError):
        return "its signature does not match its contents (edited after the import)"
    return None
