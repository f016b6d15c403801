"""Who the signed audit log says the users are (the only source identity trusts).

A ``users`` row is a user only when a ``user.*`` entry of the log recorded it (the entry carries the
row's SHA-256) and that entry is covered by a checkpoint signed with this installation's key. The
log is replayed in order: role, active flag and OS login per name, and the sign-in attempts that
decide a lockout. A log that does not verify (altered, truncated below the witness kept beside the
key, or a catalog file the key dir knew under another id) trusts no one: every lookup refuses.

The replay is cached per catalog file and extended incrementally (only new, signed entries are
read and checked), so a sign-in on every dashboard rerun costs one small query.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import duckdb

from audits.errors import AssayError
from audits.store.queries import audit_log
from audits.store.records import UserRecord

USER_ACTIONS = ("user.added", "user.changed", "user.deactivated")
SIGN_IN_FAILED = "user.sign_in_failed"
SIGNED_IN = "user.signed_in"
SESSION_ENDED = "session.ended"
_KEEP_FAILURES = 32  # per name: enough for any lockout rule


@dataclass(frozen=True)
class LoggedUser:
    """A user as the log last recorded them; ``row_sha256`` names the one ``users`` row that is real."""

    username: str
    role: str
    active: bool
    os_user: str | None
    row_sha256: str | None  # None: written before rows were hashed (legacy)
    seq: int
    ts: datetime | None = None  # when the log recorded it


@dataclass
class UserLog:
    """The replayed state of a verified log prefix (``count`` entries, the last hashing to ``head``)."""

    count: int = 0
    head: str = ""
    ever: bool = False  # the log created a user at some point (the catalog is managed for good)
    users: dict[str, LoggedUser] = field(default_factory=dict)
    failures: dict[str, list[datetime]] = field(default_factory=dict)  # failed sign-ins since the last success
    ended: dict[tuple[str, str], str] = field(default_factory=dict)  # (user, session id) -> why it ended
    user_hashes: set[str] = field(default_factory=set)  # hashes of the user.* entries replayed
    # users a change signed into another copy of this catalog (and missing here) took out: name -> why
    changed_elsewhere: dict[str, str] = field(default_factory=dict)

    def copy(self) -> "UserLog":
        return replace(self, users=dict(self.users), failures={k: list(v) for k, v in self.failures.items()},
                       ended=dict(self.ended), user_hashes=set(self.user_hashes),
                       changed_elsewhere=dict(self.changed_elsewhere))


_cache: dict[tuple[str, str], tuple[str, UserLog]] = {}
_lock = threading.Lock()


database_path = audit_log.database_path  # the catalog file a connection is open on


def _refuse(problem: str) -> AssayError:
    return AssayError(f"the audit log cannot be trusted ({problem}), so no user is",
                      "run `assay verify`, and restore the catalog from a backup before anyone signs in")


def _json(details: str | None) -> dict[str, object]:
    """A log entry's details as a mapping (empty when not JSON or not an object); values are checked by the reader."""
    try:
        info = json.loads(details or "{}")
    except ValueError:
        return {}
    return info if isinstance(info, dict) else {}


def _apply(state: UserLog, seq: int, ts: datetime, action: str, target: str | None, details: str) -> None:
    if action in (SIGN_IN_FAILED, SIGNED_IN) and target:
        if action == SIGNED_IN:
            state.failures.pop(target, None)
        else:
            state.failures[target] = (state.failures.get(target, []) + [ts])[-_KEEP_FAILURES:]
        return
    if action == SESSION_ENDED and target:  # a sign-out: every copy of that token is dead for good
        info = _json(details)
        if info.get("session_id"):
            state.ended[(target, str(info["session_id"]))] = str(info.get("reason") or "ended")
        return
    if action not in USER_ACTIONS or not target:
        return
    info = _json(details)
    row = info.get("row") if isinstance(info.get("row"), dict) else {}
    prev = state.users.get(target)
    role = info.get("role") or (prev.role if prev else "viewer")
    os_user = info.get("os_user") if action != "user.deactivated" else (prev.os_user if prev else None)
    state.users[target] = LoggedUser(target, str(role), action != "user.deactivated", os_user or None,
                                     row.get("sha256") if row.get("table") == "users" else None, seq, ts)
    state.ever = True


def _signed_count(con: duckdb.DuckDBPyConnection, cid: str, heads: dict[int, str], lower: int) -> int:
    """The count of the newest checkpoint signed by a trusted key that matches the chain (>= ``lower``)."""
    from audits.trust import checkpoint, keys

    trusted = keys.trusted_keys()
    for (body,) in con.execute("SELECT body FROM log_checkpoints WHERE count > ? ORDER BY count DESC",
                               [lower]).fetchall():
        try:
            cp = json.loads(body)
        except ValueError:
            continue
        if (isinstance(cp, dict) and checkpoint.check_signature(cp, trusted) is None
                and cp.get("catalog_id") == cid and heads.get(int(cp["count"])) == cp.get("head")):
            return int(cp["count"])
    return lower


def _extend(con: duckdb.DuckDBPyConnection, cid: str, base: UserLog) -> UserLog:
    """``base`` extended with the entries after it that chain to it and that a signed checkpoint covers."""
    rows = con.execute("SELECT seq, ts, actor, action, target, details, prev_hash, hash FROM audit_log "
                       "WHERE seq > ? ORDER BY seq", [base.count]).fetchall()
    prev = base.head or audit_log.genesis(cid)
    first = {audit_log.GENESIS, prev} if base.count == 0 else {prev}
    heads: dict[int, str] = {base.count: base.head} if base.count else {}
    checked = []
    for expected, (seq, ts, actor, action, target, details, prev_hash, digest) in enumerate(rows, base.count + 1):
        if seq != expected or prev_hash not in first:
            raise _refuse(f"entry {expected} is missing or does not link to the one before")
        if audit_log._row_hash(prev_hash, seq, ts.isoformat(timespec="microseconds"), actor, action, target,
                               details) != digest:
            raise _refuse(f"entry {seq} was altered")
        first = {digest}
        heads[seq] = digest
        checked.append((seq, ts, action, target, details, digest))
    covered = _signed_count(con, cid, heads, base.count) if rows else base.count
    state = base.copy()
    for seq, ts, action, target, details, digest in checked:
        if seq > covered:
            break  # appended without the installation key: not trusted (verify reports it)
        _apply(state, seq, ts, action, target, details)
        if action in USER_ACTIONS:
            state.user_hashes.add(digest)
    state.count, state.head = covered, heads.get(covered, base.head)
    return state


def _check_witness(cid: str, path: str, state: UserLog) -> None:
    """Refuse a log shorter than, or different from, what the key dir witnessed for this file."""
    from audits.trust import checkpoint

    other = checkpoint.replaced_catalog(cid, path)
    if other:
        raise _refuse(other)
    if state.count == 0:
        wiped = checkpoint.wiped_copy(cid, path)
        if wiped:
            raise _refuse(wiped)
    witness = checkpoint.read_witness(cid, path)
    if witness and isinstance(witness.get("count"), int) and witness["count"] > state.count:
        raise _refuse(f"the key dir witnessed {witness['count']} signed entries, the log has {state.count} signed")


def trusted_state(con: duckdb.DuckDBPyConnection) -> UserLog:
    """The users and sign-in state the signed log gives (AssayError when the log does not verify)."""
    from audits.trust import keys

    cid = audit_log.catalog_id(con) or "legacy"
    path = database_path(con)
    key = (path, str(keys.key_dir()))
    last = con.execute("SELECT count(*), max(seq) FROM audit_log").fetchone()
    with _lock:
        cached = _cache.get(key)
    base = UserLog()
    if cached and cached[0] == cid and cached[1].count and cached[1].count <= (last[1] or 0):
        row = con.execute("SELECT hash FROM audit_log WHERE seq = ?", [cached[1].count]).fetchone()
        if row and row[0] == cached[1].head:
            base = cached[1]
    if last[0] and not keys.trusted_keys():
        raise _refuse(f"no signing key in {keys.key_dir()} to check it with; set ASSAY_KEY_DIR")
    state = _extend(con, cid, base) if (last[1] or 0) > base.count or not base.count else base
    _check_witness(cid, path, state)
    with _lock:
        _cache[key] = (cid, state)
    return _older_copy(cid, state)


def _older_copy(cid: str, state: UserLog) -> UserLog:
    """``state`` without the users whom an account change this installation signed into another copy of
    the catalog (removed, demoted, password reset) took out, when this file lacks that change and has
    nothing newer for them: a removed user cannot act on a copy taken before the removal
    (:func:`audits.trust.account_witness.account_changes`)."""
    from audits.trust import account_witness

    out: UserLog | None = None
    for change in account_witness.account_changes(cid):
        name = change["username"]
        logged = state.users.get(name)
        if logged is None or change["hash"] in state.user_hashes:
            continue
        try:
            when = datetime.fromisoformat(change["ts"])
        except ValueError:
            continue
        if logged.ts is not None and logged.ts >= when:
            continue  # this copy changed them again since
        out = out or state.copy()
        what = "deactivated" if change["action"] == "user.deactivated" else "changed (role, password or OS login)"
        out.users[name] = replace(logged, active=False)
        out.changed_elsewhere[name] = (f"the account {name!r} was {what} at {change['ts'][:19]} UTC (log entry "
                                       f"{change['seq']}) in another copy of this catalog, which this file lacks: "
                                       "it is an older copy")
    return out or state


def matching_row(con: duckdb.DuckDBPyConnection, logged: LoggedUser) -> UserRecord | None:
    """The ``users`` row the log recorded for ``logged`` (None: deleted or edited, so not a user)."""
    cur = con.execute("SELECT * FROM users WHERE username = ? ORDER BY created_at DESC", [logged.username])
    columns = [d[0] for d in cur.description]
    for values in cur.fetchall():
        record = dict(zip(columns, values))
        if logged.row_sha256 is not None:
            if audit_log.digest_values("users", values) == logged.row_sha256:
                return record
        elif record["role"] == logged.role and bool(record["active"]) == logged.active:
            return record  # a legacy entry: the newest row that agrees with it
    return None
