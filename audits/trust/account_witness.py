"""The key dir's memory of account changes and sign-outs: an older copy of the catalog cannot undo them.

Inside the write transaction that logs a removal, a new role, a new password or OS login, or a sign-out,
the change is signed with the installation key; once the transaction commits
(:func:`audits.trust.checkpoint.flush`) it is appended to ``<catalog id>.accounts.jsonl`` beside the
witnesses, so a copy of the catalog taken before it cannot revive the rights or the session it ended.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any, TypedDict

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audits.jsontypes import JsonObject
from audits.trust import keys

ACCOUNT_FORMAT = "assay-account-change/1"
ACCOUNT_ACTIONS = ("user.changed", "user.deactivated")  # a removal, a new role, a new password or OS login
SESSION_ENDED = "session.ended"  # a sign-out: remembered too, so a copy taken before it cannot revive the token


class AccountChange(TypedDict):
    """One account change this installation signed into a catalog (a line of ``<catalog id>.accounts.jsonl``
    beside the witnesses): whoever the change took rights from keeps them in no copy that lacks it."""

    format: str       # ACCOUNT_FORMAT
    catalog_id: str
    username: str
    action: str       # user.changed | user.deactivated
    seq: int          # the log entry that recorded it ...
    hash: str         # ... and that entry's hash
    ts: str           # the entry's time as logged (ISO 8601, UTC)
    key_id: str
    signature: str    # ed25519 over the canonical fields above, hex (and session_id, when present)


class SessionEnd(AccountChange, total=False):
    """A ``session.ended`` line of the same file: the session id the sign-out ended."""

    session_id: str


_pending_lock = threading.Lock()
_pending_accounts: dict[int, list[AccountChange]] = {}
_ACCOUNT_FIELDS = ("format", "catalog_id", "username", "action", "seq", "hash", "ts", "key_id")


def _account_canonical(body: AccountChange) -> bytes:
    fields = _ACCOUNT_FIELDS + (("session_id",) if "session_id" in body else ())
    return json.dumps({k: body[k] for k in fields}, sort_keys=True, separators=(",", ":")).encode("utf-8")  # type: ignore[literal-required]


def remember_account_change(con: Any, catalog_id: str, username: str, action: str, seq: int, digest: str,
                            ts: str, details: JsonObject | None = None) -> None:
    """Inside the write transaction that logs a ``user.changed`` / ``user.deactivated`` entry, or a
    ``session.ended`` one (``details["session_id"]``): sign it and write it beside the witnesses once the
    transaction commits (nothing when it rolls back)."""
    session_id = (details or {}).get("session_id") if action == SESSION_ENDED else None
    if action not in ACCOUNT_ACTIONS and not isinstance(session_id, str):
        return
    private = keys.signing_key()
    body: SessionEnd = {"format": ACCOUNT_FORMAT, "catalog_id": catalog_id, "username": username,
                        "action": action, "seq": int(seq), "hash": digest, "ts": ts,
                        "key_id": keys.key_id(private.public_key()), "signature": ""}
    if session_id is not None:
        body["session_id"] = session_id
    body["signature"] = private.sign(_account_canonical(body)).hex()
    with _pending_lock:
        _pending_accounts.setdefault(id(con), []).append(body)


def _accounts_path(catalog_id: str) -> Path:
    return keys.key_dir() / "witness" / f"{catalog_id}.accounts.jsonl"


def _write_account_change(change: AccountChange) -> None:
    path = _accounts_path(change["catalog_id"])
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(change, sort_keys=True) + "\n")


def account_changes(catalog_id: str) -> list[AccountChange]:
    """The account changes this installation signed into any copy of ``catalog_id`` (signatures checked;
    a line not signed by a trusted key is ignored)."""
    return [c for c in _remembered(catalog_id) if c["action"] in ACCOUNT_ACTIONS]


def session_ended_elsewhere(catalog_id: str, username: str, session_id: str) -> SessionEnd | None:
    """The sign-out of ``session_id`` (of ``username``) this installation signed into any copy of
    ``catalog_id``, or None: a copy taken before the sign-out lacks its entry, the key dir does not."""
    for change in _remembered(catalog_id):
        if (change["action"] == SESSION_ENDED and change["username"] == username
                and change.get("session_id") == session_id):
            return change
    return None


_remembered_cache: dict[tuple[str, int, int, tuple[str, ...]], list[SessionEnd]] = {}


def _remembered(catalog_id: str) -> list[SessionEnd]:
    """Every signed line of ``<catalog id>.accounts.jsonl`` (a line not signed by a trusted key is ignored);
    read again only when the file or the trusted keys change (a dashboard checks it on every page)."""
    path = _accounts_path(catalog_id)
    try:
        stat = path.stat()
        trusted = keys.trusted_keys()
        key = (str(path), stat.st_mtime_ns, stat.st_size, tuple(sorted(trusted)))
        if key in _remembered_cache:
            return _remembered_cache[key]
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []
    out = _verified_lines(lines, catalog_id, trusted)
    with _pending_lock:
        _remembered_cache.clear()  # one file per process in practice: keep only the newest reading
        _remembered_cache[key] = out
    return out


def _verified_lines(lines: list[str], catalog_id: str, trusted: dict[str, Ed25519PublicKey]) -> list[SessionEnd]:
    """The lines that parse, name ``catalog_id`` and carry a good signature by a ``trusted`` key."""
    out: list[SessionEnd] = []
    for line in lines:
        try:
            body = json.loads(line)
            public = trusted.get(body["key_id"]) if isinstance(body, dict) else None
            if public is None or body.get("format") != ACCOUNT_FORMAT or body.get("catalog_id") != catalog_id:
                continue
            public.verify(bytes.fromhex(body["signature"]), _account_canonical(body))
        except (ValueError, KeyError, TypeError, InvalidSignature):
            continue
        out.append(body)
    return out


def take_pending(con: Any) -> list[AccountChange]:
    """The changes signed inside ``con``'s transaction, now that it committed (see ``checkpoint.flush``)."""
    with _pending_lock:
        return _pending_accounts.pop(id(con), [])


def drop_pending(con: Any) -> None:
    """Forget the changes signed inside ``con``'s transaction: it rolled back."""
    with _pending_lock:
        _pending_accounts.pop(id(con), None)


def write_pending(con: Any) -> None:
    """Append the changes signed inside ``con``'s committed transaction to the key dir."""
    for change in take_pending(con):
        _write_account_change(change)
