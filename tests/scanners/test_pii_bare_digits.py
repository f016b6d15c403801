"""Bare digit runs (no separators) that could be US phone numbers: decided, on the real detector. A bare
10-digit number is read as a phone (it dials as one, and a leak of it is a leak), unless a word before it says it
is an identifier ("order", "account", "id"), also as a key ("user_id=4155550199", which was read as a phone)."""

from __future__ import annotations

import audits  # noqa: F401  (offline environment for presidio)
from audits.scanners._presidio import PiiSettings, analyze_texts

PHONES = ["Call me at 4155550199.", "4155550199", "My number is 4155550199", "Reach Maria on 4155550199 tomorrow.",
          "Call +14155550199"]
IDS = ["Your user id is 4155550199.", "Order 4155550199 shipped.", "Employee ID: 4155550199", "Tracking number 4155550199",
       "user_id=4155550199 logged in", "order-id 4155550199 is late", "ticket_no 4155550199"]


def _phones(texts: list[str]) -> list[list[str]]:
    found = analyze_texts(texts, PiiSettings())
    return [[t[r.start:r.end] for r in rs if r.entity_type == "PHONE_NUMBER"] for t, rs in zip(texts, found)]


def test_bare_ten_digits_are_a_phone_and_identifiers_are_not():
    assert [p for p in _phones(PHONES)] == [["4155550199"]] * 4 + [["+14155550199"]]
    assert _phones(IDS) == [[]] * len(IDS)


def test_detector_quality_cache_is_keyed_by_the_detectors_code(tmp_path, monkeypatch):
    """The measured precision/recall shown beside findings was cached per configuration only: after a recognizer
    fix (this file's) or an upgrade, the figures of the earlier detector were shown as this one's."""
    import shutil
    from pathlib import Path

    from audits.scanners import _pii_quality as q

    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path / "cache"))
    here = Path(q.__file__).parent
    for name in q.DETECTOR_CODE:
        shutil.copy(here / name, tmp_path / name)
    before = q.detector_code_sha256(tmp_path)
    assert before == q.detector_code_sha256()
    with (tmp_path / "_pii_recognizers.py").open("a") as f:
        f.write("\n# a changed recognizer\n")
    after = q.detector_code_sha256(tmp_path)
    settings = PiiSettings()
    assert after != before
    assert q.cache_path(settings) == q.cache_path(settings, code_sha256=before)
    assert q.cache_path(settings, code_sha256=after) != q.cache_path(settings, code_sha256=before)
    assert q.cache_path(settings).parent == tmp_path / "cache" / "pii_detector"
