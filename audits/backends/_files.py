"""File helpers shared by the backends: the user cache dir, cached SHA-256 and atomic installs.

The hashing itself is :mod:`audits.hashing` (one loop for the whole product), re-exported here.
Nothing here imports torch, so ``import audits.backends`` stays cheap.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from audits.hashing import cache_root, sha256_file, sha256_files

__all__ = ["cache_root", "install_atomically", "sha256_file", "sha256_files"]


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
