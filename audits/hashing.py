"""SHA-256 of bytes and files: the one chunked hashing loop every part of Assay uses.

The lowest floor: imports nothing from Assay but the atomic writer (:mod:`audits.atomic_files`). Bundles (``store.bundle``), task data
(``datasets.loader``), model weights and prediction files (``backends._files``), executor stage files
and policy packs all hash through :func:`sha256_path` (or :func:`sha256_file`, its cached form), so
a file has one digest wherever it is recorded.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from audits.atomic_files import write_atomic

CHUNK = 1 << 20  # hash in 1 MB chunks


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_path(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, streamed in 1 MB chunks (never cached: evidence is hashed as it is)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def cache_root() -> Path:
    """Assay's cache directory: ``$ASSAY_CACHE_DIR``, else ``~/.cache/assay``."""
    env = os.environ.get("ASSAY_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "assay"


def version_key(path: Path) -> str:
    """What identifies one version of a file without reading it: path, inode, size, mtime and ctime.

    ctime is part of it because mtime alone can be set back (``touch -d``, ``os.utime``) after an
    edit of the same size; ctime changes on every write and on every ``utime``, and no user call sets it.
    """
    st = path.stat()
    return hashlib.sha1(f"{path}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}".encode()).hexdigest()


def sha256_file(path: str | Path, cache_dir: Path | None = None) -> str:
    """:func:`sha256_path` of a large file (model weights, a predictions file), cached by its version.

    The cache is one small file per :func:`version_key` under ``<cache>/sha256/`` (default
    :func:`cache_root`), written atomically, so concurrent processes never see a half-written entry.
    """
    path = Path(path).resolve()
    entry = (cache_dir or cache_root()) / "sha256" / version_key(path)
    try:
        cached = entry.read_text(encoding="ascii").strip()
        if len(cached) == 64:
            return cached
    except OSError:
        pass
    value = sha256_path(path)
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(entry, value, encoding="ascii")
    except OSError:  # a read-only cache only costs a re-hash next time
        pass
    return value


def sha256_files(paths: list[Path], cache_dir: Path | None = None, *, listing: bool = False) -> str:
    """One digest for a set of files: the file's own hash when there is one file, else the
    SHA-256 of the sorted ``sha256  name`` lines (like ``sha256sum`` output).

    ``listing=True`` (a model's tokenizer and config files): always the SHA-256 of the ``sha256  name``
    lines, one per file in name order, even for one file or none, so that a renamed, added or removed
    file changes it (the form ``ModelIdentity.tokenizer_sha256`` has recorded since it exists)."""
    if listing:
        ordered = sorted(paths, key=lambda p: Path(p).name)
        return sha256_bytes("".join(f"{sha256_file(p, cache_dir)}  {Path(p).name}\n" for p in ordered).encode())
    if len(paths) == 1:
        return sha256_file(paths[0], cache_dir)
    lines = sorted(f"{sha256_file(p, cache_dir)}  {Path(p).name}\n" for p in paths)
    return sha256_bytes("".join(lines).encode())
