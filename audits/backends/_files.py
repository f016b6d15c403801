"""File helpers shared by the backends: the user cache dir, cached SHA-256 and atomic installs.

Nothing here imports torch, so ``import audits.backends`` stays cheap.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

_CHUNK = 1 << 20  # hash in 1 MB chunks


def cache_root() -> Path:
    """Assay's cache directory: ``$ASSAY_CACHE_DIR``, else ``~/.cache/assay``."""
    env = os.environ.get("ASSAY_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "assay"


def sha256_file(path: str | Path, cache_dir: Path | None = None) -> str:
    """SHA-256 of a file, streamed in 1 MB chunks and cached by (path, mtime, size).

    The cache is one small file per key under ``<cache>/sha256/``, written atomically, so
    concurrent processes never see a half-written entry.
    """
    path = Path(path).resolve()
    st = path.stat()
    key = hashlib.sha1(f"{path}\0{st.st_mtime_ns}\0{st.st_size}".encode()).hexdigest()
    entry = (cache_dir or cache_root()) / "sha256" / key
    try:
        cached = entry.read_text(encoding="ascii").strip()
        if len(cached) == 64:
            return cached
    except OSError:
        pass
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-")
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(value)
        os.replace(tmp, entry)
    except OSError:  # a read-only cache only costs a re-hash next time
        pass
    return value


def sha256_files(paths: list[Path], cache_dir: Path | None = None) -> str:
    """One digest for a set of files: the file's own hash when there is one file, else the
    SHA-256 of the sorted ``name  sha256`` lines (like ``sha256sum`` output)."""
    if len(paths) == 1:
        return sha256_file(paths[0], cache_dir)
    lines = sorted(f"{sha256_file(p, cache_dir)}  {Path(p).name}\n" for p in paths)
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def install_atomically(final: Path, build: Callable[[Path], None]) -> Path:
    """Build a directory in a temporary sibling and rename it into place.

    ``build(tmp_dir)`` fills an empty directory. If another process installed ``final``
    first, its copy wins and ours is discarded; if ``build`` fails (or the process is killed)
    ``final`` is never left half-written.
    """
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=f".tmp-{final.name}-"))
    try:
        build(tmp)
        try:
            os.rename(tmp, final)
        except OSError:
            if not final.is_dir():  # not a lost race: a real failure
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final
