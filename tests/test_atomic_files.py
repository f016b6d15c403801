"""One atomic writer (``audits.atomic_files.write_atomic``) for the digest cache and the log import record:
the target is the old file or the new one, never half, and a failed write leaves no temp file behind."""

from __future__ import annotations

import json
import stat

import pytest

from audits.atomic_files import write_atomic
from audits.hashing import sha256_file, sha256_path


def test_a_write_replaces_the_file_whole_and_leaves_no_temp(tmp_path):
    target = tmp_path / "record.json"
    target.write_text("old", encoding="utf-8")
    assert write_atomic(target, '{"a": "é"}') == target
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "é"}
    assert [p.name for p in tmp_path.iterdir()] == ["record.json"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # as mkstemp made it: the owner's only


def test_a_failed_write_keeps_the_old_file_and_removes_its_temp(tmp_path):
    target = tmp_path / "entry"
    target.write_text("old", encoding="ascii")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "not ascii: é", encoding="ascii")
    assert target.read_text(encoding="ascii") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_the_digest_cache_writes_its_entry_through_it(tmp_path):
    data, cache = tmp_path / "weights.bin", tmp_path / "cache"
    data.write_bytes(b"x" * 1000)
    assert sha256_file(data, cache) == sha256_path(data)
    (entry,) = (cache / "sha256").iterdir()
    assert entry.read_text(encoding="ascii") == sha256_path(data) and not entry.name.startswith(".tmp-")
