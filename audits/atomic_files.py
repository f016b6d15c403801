"""A file written whole or not at all: the one temp-file-and-rename writer.

The text goes to a temp file (mode 0600, ``mkstemp``) in the target's folder, then ``os.replace`` puts it
in place: a reader, or a process killed mid-write, sees the old file or the new one, never half of one.
Imports nothing from Assay (``audits.hashing``'s digest cache and the log import record use it).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: str | Path, text: str, *, encoding: str = "utf-8", prefix: str = ".tmp-") -> Path:
    """Write ``text`` to ``path`` atomically; the path. On any error the temp file is removed, the
    target is left as it was, and the error propagates (OSError, or UnicodeEncodeError for ``encoding``)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "w", encoding=encoding) as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
