"""A log wholly in another encoding is named as such, not as 'mixed encodings': UTF-16 (by its
byte-order mark) and a file none of whose lines is UTF-8; a mixed file still names its first bad line."""

from __future__ import annotations

import json

import pytest

from audits.datasets.production_log import read_log
from audits.errors import AssayError

ROW = {"id": "a", "input": "café au lait?", "output": "oui"}


def _problem(path) -> str:
    with pytest.raises(AssayError) as err:
        read_log(path)
    return err.value.problem + " — " + err.value.fix


def test_whole_file_encodings_are_named(tmp_path):
    utf16 = tmp_path / "u16.jsonl"
    utf16.write_bytes((json.dumps(ROW, ensure_ascii=False) + "\n").encode("utf-16"))
    assert _problem(utf16) == f"log {utf16} is UTF-16, not UTF-8 — re-save it as UTF-8, e.g. iconv -f utf-16 -t utf-8"
    latin = tmp_path / "latin.jsonl"
    latin.write_bytes((json.dumps(ROW, ensure_ascii=False) + "\n").encode("latin-1") * 2)
    assert _problem(latin).startswith(f"log {latin}: none of its 2 lines is UTF-8 (another encoding, e.g. Latin-1)")
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_bytes((json.dumps({**ROW, "id": "b"}, ensure_ascii=False) + "\n").encode("utf-8")
                      + (json.dumps(ROW, ensure_ascii=False) + "\n").encode("latin-1"))
    assert _problem(mixed).startswith(f"log {mixed}: 1 of 2 lines are not UTF-8 (mixed encodings; first at line 2)")
