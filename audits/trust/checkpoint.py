"""Signed checkpoints of the audit log: (catalog id, entry count, head hash), signed ed25519.

Like a Certificate Transparency signed tree head: every append writes a checkpoint signed with
the installation key into the catalog (``log_checkpoints``) and, after the transaction commits,
into a witness file outside the catalog (and, when ``$ASSAY_CHECKPOINT_FILE`` is set, appends it
to that file too). A checkpoint exported earlier (``assay verify --export-checkpoint FILE``) or
printed in a report pins the log's first ``count`` entries for good.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import secrets
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, TypedDict

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audits.errors import AssayError
from audits.store.queries import checkpoints as stored_q
from audits.trust import account_witness, keys

FORMAT = "assay-checkpoint/1"
CHECKPOINT_FILE_ENV = "ASSAY_CHECKPOINT_FILE"


class Checkpoint(TypedDict):
    """A signed checkpoint as stored, witnessed, exported and printed in reports (JSON)."""

    format: str       # FORMAT
    catalog_id: str
    count: int        # entries covered: the log's first ``count``
    head: str         # the hash of entry ``count``
    ts: str           # when it was signed (ISO 8601, UTC)
    key_id: str       # which installation key signed it
    public_key: str   # that key, hex
    signature: str    # ed25519 over the canonical (format, catalog_id, count, head, ts, key_id), hex


_pending: dict[int, Checkpoint] = {}
_pending_lock = threading.Lock()


def _canonical(body: Checkpoint) -> bytes:
    return json.dumps({k: body[k] for k in ("format", "catalog_id", "count", "head", "ts", "key_id")},
                      sort_keys=True, separators=(",", ":")).encode("utf-8")


def make(catalog_id: str, count: int, head: str) -> Checkpoint:
    """A signed checkpoint of the first ``count`` entries, whose last hash is ``head``."""
    private = keys.signing_key()
    public = private.public_key()
    body: Checkpoint = {"format": FORMAT, "catalog_id": catalog_id, "count": int(count), "head": head,
                        "ts": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "key_id": keys.key_id(public), "public_key": keys.public_hex(public), "signature": ""}
    body["signature"] = private.sign(_canonical(body)).hex()
    return body


def check_signature(cp: Checkpoint, trusted: dict[str, Ed25519PublicKey] | None = None) -> str | None:
    """None when ``cp`` is signed by a key this installation trusts; else the problem."""
    trusted = keys.trusted_keys() if trusted is None else trusted
    try:
        if cp.get("format") != FORMAT:
            return f"checkpoint format {cp.get('format')!r} is not {FORMAT}"
        public = trusted.get(cp["key_id"])
        if public is None:
            return (f"checkpoint at entry {cp.get('count')} is signed by key {cp['key_id']}, which this installation "
                    f"({keys.key_dir()}) never used")
        public.verify(bytes.fromhex(cp["signature"]), _canonical(cp))
    except InvalidSignature:
        return f"checkpoint at entry {cp.get('count')} has a signature that does not match its contents"
    except (KeyError, ValueError, TypeError) as err:
        return f"checkpoint is malformed ({err})"
    return None


def check_head(con: Any, catalog_id: str, count: int, head: str | None, catalog_path: Any = None) -> None:
    """Before signing a new head: the entries so far must end at a head this installation signed.

    Otherwise an entry chained in without the key (a forged user, a forged act) would be covered by
    the next honest signature. A log never checkpointed and never witnessed (written before
    checkpoints existed) is signed as it stands only by an explicit :func:`adopting` act (`assay keys
    adopt`): signing it on the next ordinary write would also sign a log fabricated in that form."""
    behind = behind_witness(con, catalog_id, count, head, catalog_path)
    if behind:
        raise AssayError(f"this catalog file is {behind}", "put back the newest copy of the catalog (`assay verify` "
                         "names what is missing); nothing is signed onto an older copy, which would hide the newer "
                         f"entries (if they are lost for good, move {_witness_path(catalog_id, catalog_path).name} "
                         f"out of {keys.key_dir() / 'witness'})")
    if count == 0:
        wiped = wiped_copy(catalog_id, catalog_path)
        if wiped:
            raise AssayError(f"this catalog file is {wiped}", "restore the catalog from a backup; nothing is signed "
                             "into a wiped copy of a signed catalog")
        return
    rows = stored_q.bodies_at(con, count)
    for body in rows:
        try:
            cp = json.loads(body)
        except ValueError:
            continue
        if isinstance(cp, dict) and check_signature(cp) is None and cp.get("catalog_id") == catalog_id \
                and cp.get("head") == head:
            return
    if not rows and _legacy_log(con, catalog_id, catalog_path):
        if _adopting.get():
            return  # `assay keys adopt`: the operator holding the key signs a legacy log as it stands
        raise AssayError(f"the audit log of this catalog ({count} entries) was written before signed checkpoints "
                         "and has never been signed by this installation",
                         "check it with `assay verify`, then sign it as it stands with `assay keys adopt`")
    raise AssayError(f"audit log entry {count} is not covered by a checkpoint this installation signed "
                     "(written without the key)", "run `assay verify`, and restore the catalog from a backup; "
                     "nothing is signed over an unsigned entry")


def behind_witness(con: Any, catalog_id: str, count: int, head: str | None, catalog_path: Any) -> str | None:
    """Why a log of ``count`` entries ending at ``head`` is not the one the key dir last signed at this path, or None.

    A backup put back over the catalog after a sign-off (a rollback) has fewer entries than the witness, or
    others up to its count; its next entry, signed, would move the witness onto it and the sign-off would be
    gone without a trace."""
    witness = read_witness(catalog_id, catalog_path) if catalog_path is not None else None
    if not isinstance(witness, dict) or not isinstance(witness.get("count"), int) or check_signature(witness):
        return None
    signed, when = witness["count"], witness.get("ts")
    if signed > count:
        return (f"an older copy put back (rolled back): the key dir signed {signed} log entries of catalog "
                f"{catalog_id} at this path (last {when}), the log has {count}")
    at = head if signed == count else stored_q.log_hash_at(con, signed)
    if at != witness.get("head"):
        return (f"not the catalog the key dir signed at this path: its entries up to {signed} differ from those "
                f"signed {when} (another copy put in its place)")
    return None


_adopting: contextvars.ContextVar[bool] = contextvars.ContextVar("assay_adopting_legacy_log", default=False)


@contextlib.contextmanager
def adopting() -> Iterator[None]:
    """Within: the next append may sign a legacy (never signed) log as it stands (`assay keys adopt`)."""
    token = _adopting.set(True)
    try:
        yield
    finally:
        _adopting.reset(token)


def legacy_unsigned(con: Any, catalog_id: str, catalog_path: Any = None) -> bool:
    """Whether the catalog's log is a legacy one that no checkpoint of this installation covers yet."""
    return _legacy_log(con, catalog_id, catalog_path)


def _legacy_log(con: Any, catalog_id: str, catalog_path: Any) -> bool:
    """Whether the log was written before checkpoints existed, so its first signature may cover it as
    it is: it chains from the id-less genesis (catalog ids came with checkpoints), holds no checkpoint,
    and the key dir never signed a catalog of this id anywhere (a copy of a signed catalog with its
    checkpoints deleted is not legacy) nor another catalog at this path."""
    return (stored_q.chains_from_legacy_genesis(con) and not stored_q.stored(con)
            and read_witness(catalog_id, catalog_path) is None and newest_elsewhere(catalog_id, catalog_path) is None
            and (catalog_path is None or replaced_catalog(catalog_id, catalog_path) is None))


def record(con: Any, catalog_id: str, count: int, head: str) -> Checkpoint:
    """Sign and store the checkpoint inside the caller's transaction; the witness is written on commit."""
    cp = make(catalog_id, count, head)
    stored_q.insert(con, cp)
    with _pending_lock:
        _pending[id(con)] = cp
    return cp


def discard(con: Any) -> None:
    with _pending_lock:
        _pending.pop(id(con), None)
    account_witness.drop_pending(con)


def flush(con: Any, catalog_path: Any = None) -> None:
    """After a commit: copy the newest checkpoint outside the catalog (witness, operator file), and
    remember the account changes it signed (:func:`account_witness.remember_account_change`)."""
    with _pending_lock:
        cp = _pending.pop(id(con), None)
    account_witness.write_pending(con)
    if cp is None:
        return
    if catalog_path is not None:
        _remember_fork(cp, catalog_path)
    write_witness(cp, catalog_path)
    extra = os.environ.get(CHECKPOINT_FILE_ENV)
    if extra:
        with open(extra, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(cp, sort_keys=True) + "\n")


def _witness_path(catalog_id: str, catalog_path: Any = None) -> Path:
    """One witness per catalog id and file location: a copied catalog (same id, another path) is a
    fork with its own witness, not a truncation of the original."""
    where = _path_tag(catalog_path) if catalog_path else "any"
    return keys.key_dir() / "witness" / f"{catalog_id}-{where}.json"


def write_witness(cp: Checkpoint, catalog_path: Any = None) -> None:
    path = _witness_path(cp["catalog_id"], catalog_path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(json.dumps(cp, sort_keys=True), encoding="utf-8")
    tmp.replace(path)


def _path_tag(catalog_path: Any) -> str:
    import hashlib

    return hashlib.sha256(str(Path(catalog_path).resolve()).encode()).hexdigest()[:12]


def witnessed_here(catalog_path: Any) -> dict[str, Checkpoint]:
    """catalog id -> the witness checkpoint, for every catalog the key dir saw at this file path
    (the key dir's memory of which catalogs it signed where; the witness files are signed)."""
    folder = keys.key_dir() / "witness"
    out: dict[str, Checkpoint] = {}
    if catalog_path is None or not folder.is_dir():
        return out
    tag = _path_tag(catalog_path)
    for path in folder.glob(f"*-{tag}.json"):
        try:
            cp = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(cp, dict) and check_signature(cp) is None and isinstance(cp.get("count"), int):
            out[str(cp.get("catalog_id"))] = cp
    return out


def elsewhere(catalog_id: str, catalog_path: Any) -> list[Checkpoint]:
    """The witnesses (signature checked) the key dir keeps for ``catalog_id`` at paths other than this one."""
    folder = keys.key_dir() / "witness"
    here = _witness_path(catalog_id, catalog_path).name if catalog_path else None
    out: list[Checkpoint] = []
    for path in sorted(folder.glob(f"{catalog_id}-*.json")) if folder.is_dir() else []:
        try:
            cp = json.loads(path.read_text(encoding="utf-8")) if path.name != here else None
        except (OSError, ValueError):
            continue
        if isinstance(cp, dict) and check_signature(cp) is None and cp.get("catalog_id") == catalog_id \
                and isinstance(cp.get("count"), int):
            out.append(cp)
    return out


def newest_elsewhere(catalog_id: str, catalog_path: Any) -> Checkpoint | None:
    """The witness with the most entries that the key dir signed for ``catalog_id`` at another file path
    (a copy's original), or None."""
    return max(elsewhere(catalog_id, catalog_path), key=lambda cp: cp["count"], default=None)


def replaced_catalog(catalog_id: str, catalog_path: Any) -> str | None:
    """Why the file at ``catalog_path`` is not the catalog this installation signed there, or None.

    A wiped catalog given a new id (or a different catalog copied over it) has a fresh, empty log
    that would otherwise verify; the key dir remembers the id it signed at this path."""
    others = {cid: cp for cid, cp in witnessed_here(catalog_path).items() if cid != catalog_id}
    if not others:
        return None
    cid, cp = max(others.items(), key=lambda kv: str(kv[1].get("ts")))
    return (f"this file held catalog {cid} ({cp['count']} signed log entries, last signed {cp.get('ts')}), "
            f"but is now catalog {catalog_id}: wiped, re-identified or replaced (if replaced on purpose, move "
            f"{_witness_path(cid, catalog_path).name} out of {keys.key_dir() / 'witness'})")


def wiped_copy(catalog_id: str, catalog_path: Any) -> str | None:
    """Why a log with no signed entry at ``catalog_path`` is a wiped copy of a catalog the key dir signed elsewhere, or None.

    Catalog ids are random per new catalog, so only a copy (or a file given a copied id) has an empty log
    under an id the key dir signed entries of; reading it as a fresh, unmanaged catalog would make everyone
    a local admin."""
    ahead = newest_elsewhere(catalog_id, catalog_path) if catalog_path is not None else None
    if ahead is None or int(ahead["count"]) < 1:
        return None
    return (f"a wiped copy of catalog {catalog_id}: the key dir signed {ahead['count']} log entries of it at another "
            f"path (last {ahead.get('ts')}), and this file has no signed entry")


# -- the key dir's memory of forks: two copies of one catalog, each given its own signed entries -----------------

FORK_FORMAT = "assay-fork/1"


def forks_path(catalog_id: str) -> Path:
    """Lines {format, catalog_id, count, here, there}: entry ``count`` signed at one path (checkpoint ``here``)
    while another path's witness (``there``) already covered an entry ``count`` of the same catalog."""
    return keys.key_dir() / "witness" / f"{catalog_id}.forks.jsonl"


def _remember_fork(cp: Checkpoint, catalog_path: Any) -> None:
    """Before this path's witness moves to ``cp``: a copy at another path already holds a signed entry
    ``cp["count"]`` of this catalog (a copy taken earlier and written since, or an original written after a
    copy went its own way), so the two now diverge; remember it, whichever of them is shown later."""
    for other in elsewhere(cp["catalog_id"], catalog_path):
        if other["count"] >= cp["count"]:
            fork = {"format": FORK_FORMAT, "catalog_id": cp["catalog_id"], "count": int(cp["count"]),
                    "here": cp, "there": other}
            with open(forks_path(cp["catalog_id"]), "a", encoding="utf-8") as fh:
                fh.write(json.dumps(fork, sort_keys=True) + "\n")


def read_witness(catalog_id: str, catalog_path: Any = None) -> Checkpoint | None:
    path = _witness_path(catalog_id, catalog_path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load(path: str | Path) -> Checkpoint:
    """A checkpoint file (JSON; with several lines, the last one)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        try:
            cp = json.loads(text)
        except ValueError:  # a JSONL file of checkpoints ($ASSAY_CHECKPOINT_FILE): the newest
            cp = json.loads([ln for ln in text.splitlines() if ln.strip()][-1])
    except (OSError, ValueError, IndexError) as err:
        raise AssayError(f"cannot read checkpoint {path}: {getattr(err, 'strerror', None) or err}",
                         "pass a file written by `assay verify --export-checkpoint`") from None
    if not isinstance(cp, dict) or cp.get("format") != FORMAT:
        raise AssayError(f"{path} is not an Assay checkpoint", "pass a file written by `assay verify --export-checkpoint`")
    return cp


def save(cp: Checkpoint, path: str | Path, force: bool = False) -> None:
    path = Path(path)
    if path.exists() and not force:
        raise AssayError(f"{path} already exists", "choose another file name, or remove the old file first")
    path.write_text(json.dumps(cp, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def latest(cat: Any) -> Checkpoint | None:
    """The newest checkpoint stored in the catalog (not verified; `assay verify` does that)."""
    with cat.connect() as con:
        body = stored_q.newest_body(con)
    return json.loads(body) if body else None


def report_table(cat: Any) -> "pd.DataFrame":
    """The newest signed checkpoint as (field, value) rows, for a report's appendix: enough to
    rebuild the JSON file that `assay verify --against` takes."""
    import pandas as pd

    cp = latest(cat)
    if cp is None:
        return pd.DataFrame(columns=["field", "value"])
    keys_order = ("format", "catalog_id", "count", "head", "ts", "key_id", "public_key", "signature")
    return pd.DataFrame({"field": list(keys_order), "value": [str(cp.get(k)) for k in keys_order]})
