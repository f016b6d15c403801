"""spaCy's NER tags digit strings as places (``id=4155550199`` LOCATION at 0.85): a name-like span made
mostly of digits is dropped, with the real presidio engine and spaCy model; real names and addresses with
digits in them are still found, and a user's own recognizer for a name-like type is kept as it is."""

from __future__ import annotations

import os

os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from audits.scanners._presidio import (  # noqa: E402
    DIGIT_NAMES_RULE, PiiSettings, analyze_one, analyze_texts, digit_name, engine_signature,
)

ID_TEXT = "id=4155550199"


def _found(text: str, settings: PiiSettings | None = None) -> list[tuple[str, str]]:
    settings = settings or PiiSettings()
    batched = [(text[r.start:r.end], r.entity_type) for r in analyze_texts([text], settings)[0]]
    assert batched == [(text[r.start:r.end], r.entity_type) for r in analyze_one(text, settings)]
    return batched


def test_a_digit_id_is_not_a_location():
    assert _found(ID_TEXT) == []
    assert not any(span == ID_TEXT for span, _ in _found(f"Your reference is {ID_TEXT} and we will call back."))


def test_names_and_places_with_digits_are_still_found():
    found = _found("Order 20261206 ships to Maria Gonzalez at 221B Baker Street, London.")
    assert ("London", "LOCATION") in found and any(t == "PERSON" and "Maria" in s for s, t in found)
    assert not any(s == "20261206" for s, _ in found)
    assert digit_name("id=4155550199") and digit_name("20261206")
    assert not digit_name("221B Baker Street") and not digit_name("Route 66") and not digit_name("")


def test_a_users_own_recognizer_of_a_name_like_type_is_kept():
    settings = PiiSettings(custom_recognizers=(("store_code", "LOCATION", r"\bST-\d{6}\b", 0.9),))
    assert ("ST-123456", "LOCATION") in _found("Pick it up at ST-123456 tomorrow.", settings)


def test_the_rule_is_in_the_engine_signature():
    assert engine_signature().endswith(f"|{DIGIT_NAMES_RULE}")
