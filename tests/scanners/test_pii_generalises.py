"""The phone recognizer on shapes it was not tuned on (issue 20): North American numbers with
unallocated area codes and extensions are phones; timestamps, coordinates, decimals and street
numbers are not. And the second independent labelled set (Faker, Assay-written templates with hard
negatives; never tuned on) loads, shares no text with the tuning half, and the default detector
reaches phone recall >= 0.90 and precision >= 0.85 on it."""

from __future__ import annotations

import re

import pytest

from audits.scanners import _presidio as engine
from audits.scanners._pii_eval import JUDGED_TYPES, SECOND_SET, labelled, second_set
from audits.scanners._pii_quality import score_spans
from audits.scanners.pii import parse_options


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("ASSAY_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "pii-gen-cache"))


def phones(text: str) -> set[str]:
    settings, _ = parse_options({})
    return {text[r.start:r.end] for r in engine.analyze_texts([text], settings)[0] if r.entity_type == "PHONE_NUMBER"}


@pytest.mark.parametrize("phone", ["(711)471-0497", "915-081-1530x7274", "450-468-0041", "001-498-398-7310x57603",
                                   "+1-242-580-6666x5351", "419.953.3699x47337", "1 (202) 195-7377", "(235) 337-4068 x124"])
def test_north_american_shapes_are_phones_allocated_or_not(phone):
    assert phone in phones(f"She left {phone} for you.")


def test_a_phone_in_brackets_is_found_without_the_brackets():
    assert phones("I forwarded your note to Joe Talbot (686.972.4579).") == {"686.972.4579"}


@pytest.mark.parametrize("text", ["The server restarted at 2010-01-02 14:05:33 after a crash.",
                                  "It was logged at 2010-01-02 14 and again later.",
                                  "Sensor 14 at 58.973112, -12.448301 read 4.26843 degrees.",
                                  "GPS fix: lat 41.2185885 lon 9.107898, altitude 7160.93754 m.",
                                  "Measurements: 84892.454, 5.33216, 77803.44113.",
                                  "The house at 1222 4146 Hill Street sold last year.",
                                  "Rooms 57 80114 and 72 are free; so are 44073 47.",
                                  "Call us at 10 30 pm, not before."])
def test_timestamps_coordinates_decimals_and_street_numbers_are_not_phones(text):
    assert phones(text) == set()


def test_the_second_set_loads_and_was_never_tuned_on():
    items = second_set()
    assert len(items) == 1000 and SECOND_SET.with_name("generate.py").exists()
    assert all(i.source.startswith("faker-") for i in items)
    tune = {i.text for i in labelled("tune")}
    assert not tune & {i.text for i in items}
    assert {t for i in items for _, _, t in i.spans} >= set(JUDGED_TYPES)
    # hard negatives are present and unlabelled: timestamps and coordinates
    assert sum(bool(re.search(r"\d{4}-\d{2}-\d{2} \d{2}", i.text)) for i in items) > 50
    assert sum(bool(re.search(r"-?\d{1,3}\.\d{4,}, -?\d{1,3}\.\d{4,}", i.text)) for i in items) > 30


@pytest.mark.slow
def test_phones_generalise_to_the_second_set():
    items = second_set()
    settings, _ = parse_options({})
    found = engine.analyze_texts([i.text for i in items], settings)
    scores = score_spans(items, [[(r.start, r.end, r.entity_type) for r in rs] for rs in found], JUDGED_TYPES)
    phone = scores["by_entity"]["PHONE_NUMBER"]
    assert phone["n_gold"] > 300
    assert phone["recall"] >= 0.90 and phone["precision"] >= 0.85, phone
