"""Files that exist only once the audit log records them: every export and report writes through here."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Callable


def commit_logged(files: list[tuple[Path, bytes]], log: Callable[[Path, str], None]) -> list[tuple[Path, str]]:
    """Write ``files`` so that none exists unless its audit-log entry does: each payload goes to a temp
    file beside its target, ``log(path, sha256)`` appends the entry, and only then is the temp renamed
    over the target. When a log entry fails, every temp not yet renamed is removed (an existing target
    is left as it was) and the error propagates. Returns [(path, sha256)] in order."""
    temps: list[tuple[Path, Path, str]] = []
    try:
        for path, payload in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(payload)
            temps.append((path, tmp, hashlib.sha256(payload).hexdigest()))
        done: list[tuple[Path, str]] = []
        for path, tmp, sha in temps:
            log(path, sha)
            tmp.replace(path)
            done.append((path, sha))
        return done
    finally:
        for _, tmp, _ in temps:
            tmp.unlink(missing_ok=True)
