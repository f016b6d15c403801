"""The installation's keys, kept outside the catalog.

One directory (``$ASSAY_KEY_DIR``, default ``~/.local/share/assay/keys``) holds:

- ``signing/<key_id>.key``: an ed25519 private key (PKCS#8 PEM, mode 0600); ``signing/current``
  names the one in use. Created on first use; ``rotate()`` makes a new one and keeps the old
  public keys, so checkpoints signed before a rotation still verify.
- ``signing/<key_id>.pub``: the public keys this installation trusts (raw, hex).
- ``run-keys/<run_id>.key``: the per-run key that encrypts a run's raw text (when kept at all);
  deleting it (``assay erase``) erases the raw text while the bundle's hashes still verify.
- ``witness/<catalog_id>-<path hash>.json``: the latest signed checkpoint of each catalog file, so a truncated
  log is caught even when the catalog's own checkpoint rows were removed with it. Together they are the
  key dir's memory of which catalog ids it signed at which path: a file wiped and given a new id (a fresh,
  empty log that would otherwise verify) is caught, and no one can sign in to it
  (:func:`audits.trust.checkpoint.replaced_catalog`). Replacing a catalog on purpose means moving its old
  witness file out of this directory.
- ``witness/<catalog_id>.forks.jsonl``: each time an entry was signed into one copy of a catalog while a copy
  at another path already held a signed entry of that number (two histories); `assay verify` names it on
  every copy past that entry (:mod:`audits.trust.verify_forks`). Before any entry is signed, the file must
  hold what the witness of its path says (a backup put back over it is refused, not re-based).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audits.errors import AssayError

KEY_DIR_ENV = "ASSAY_KEY_DIR"
_cache: dict[tuple[str, float], Ed25519PrivateKey] = {}
_lock = threading.Lock()


def key_dir() -> Path:
    """Where this installation keeps its keys ($ASSAY_KEY_DIR, else ~/.local/share/assay/keys)."""
    raw = os.environ.get(KEY_DIR_ENV) or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "assay", "keys")
    return Path(raw).expanduser().resolve()


def _private_dir(*parts: str) -> Path:
    path = key_dir().joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as err:
        raise AssayError(f"cannot create the key directory {path}: {err.strerror}",
                         f"set {KEY_DIR_ENV} to a directory this user can write") from None
    return path


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_hex(public: Ed25519PublicKey) -> str:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def _write_private(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def _new_key() -> str:
    folder = _private_dir("signing")
    private = Ed25519PrivateKey.generate()
    kid = key_id(private.public_key())
    _write_private(folder / f"{kid}.key", private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    (folder / f"{kid}.pub").write_text(public_hex(private.public_key()) + "\n", encoding="utf-8")
    tmp = folder / f".current-{secrets.token_hex(4)}"
    tmp.write_text(kid + "\n", encoding="utf-8")
    tmp.replace(folder / "current")
    return kid


def signing_key() -> Ed25519PrivateKey:
    """The current signing key, created on first use."""
    folder = _private_dir("signing")
    with _lock:
        current = folder / "current"
        if not current.exists():
            _new_key()
        kid = current.read_text(encoding="utf-8").strip()
        path = folder / f"{kid}.key"
        try:
            stamp = path.stat().st_mtime
            if (str(path), stamp) in _cache:
                return _cache[(str(path), stamp)]
            private = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (OSError, ValueError) as err:
            raise AssayError(f"cannot read the signing key {path}: {getattr(err, 'strerror', None) or err}",
                             f"restore the key file, or point {KEY_DIR_ENV} at this installation's key directory")
        if not isinstance(private, Ed25519PrivateKey):
            raise AssayError(f"{path} is not an ed25519 key", "restore this installation's key file")
        _cache[(str(path), stamp)] = private
        return private


def rotate() -> tuple[str | None, str]:
    """Make a new signing key current; (old key id or None, new key id). Old public keys stay trusted."""
    folder = _private_dir("signing")
    current = folder / "current"
    old = current.read_text(encoding="utf-8").strip() if current.exists() else None
    with _lock:
        new = _new_key()
    return old, new


def trusted_keys() -> dict[str, Ed25519PublicKey]:
    """key id -> public key, for every key this installation has used (read from the key dir only)."""
    folder = key_dir() / "signing"
    out: dict[str, Ed25519PublicKey] = {}
    if folder.is_dir():
        for pub in folder.glob("*.pub"):
            try:
                key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub.read_text(encoding="utf-8").strip()))
            except ValueError:
                continue
            if key_id(key) == pub.stem:
                out[pub.stem] = key
    return out


def pseudonym_key() -> bytes:
    """This installation's 256-bit key for pseudonymising ids that hold personal data (HMAC), created on
    first use: the same id gets the same pseudonym in every run here (paired comparisons stay paired),
    and nobody without the key dir can test a guessed e-mail against a pseudonym."""
    folder = _private_dir()
    path = folder / "pseudonym.key"
    with _lock:
        if not path.exists():  # written aside, then linked in: a reader never sees a half-written key
            tmp = folder / f".pseudonym-{secrets.token_hex(4)}"
            _write_private(tmp, secrets.token_bytes(32))
            try:
                os.link(tmp, path)
            except FileExistsError:  # another process made it first: theirs stands
                pass
            finally:
                tmp.unlink()
        return path.read_bytes()


# -- per-run keys (raw text encryption; erasure by deleting the key) ---------------------------

def _run_key_path(run_id: str) -> Path:
    if not run_id or "/" in run_id or run_id.startswith("."):
        raise AssayError(f"invalid run id {run_id!r}", "list runs with `assay runs`")
    return key_dir() / "run-keys" / f"{run_id}.key"


def new_run_key(run_id: str) -> bytes:
    """Create (or return) the 256-bit key for a run's raw text."""
    _private_dir("run-keys")
    path = _run_key_path(run_id)
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    _write_private(path, key)
    return key


def run_key(run_id: str) -> bytes | None:
    """The run's raw-text key, or None when it was erased or never made."""
    path = _run_key_path(run_id)
    return path.read_bytes() if path.exists() else None


def erase_run_key(run_id: str) -> bool:
    """Destroy the run's raw-text key (overwrite, then unlink); True when a key existed."""
    path = _run_key_path(run_id)
    if not path.exists():
        return False
    size = path.stat().st_size
    with path.open("r+b") as fh:
        fh.write(secrets.token_bytes(size))
        fh.flush()
        os.fsync(fh.fileno())
    path.unlink()
    return True
