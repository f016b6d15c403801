"""The Review card names the leak by the output's own pseudonym: the output shows ``<PERSON_1>`` and
``<PERSON_2>`` (one pseudonym per value across the item), so the "leaked text" line must say which of them
queued the item, not a bare ``<PERSON>``, and the output must mark that tag. The spans are built as the
PII scanner builds them (its ``redact`` and context window); the stored texts as the run stores them."""

from __future__ import annotations

import re

from audits.scanners.pii import CONTEXT_CHARS, redact
from dashboard.components.review_card import card_html, leak_tags

RAW = "Anna Schmidt, we wrote to anna.schmidt@example.org; Bob Stone will call."
INPUT = "I am <PERSON_1> (<EMAIL_ADDRESS_1>). Where is my parcel?"          # stored, pseudonymised per item
OUTPUT = "<PERSON_1>, we wrote to <EMAIL_ADDRESS_1>; <PERSON_2> will call."


def _span(raw: str, value: str, entity: str, others: list[tuple[str, str]]) -> dict:
    """A leak as the scanner stores it (queued_spans for a reviewer): type, field and the redacted context."""
    spans = [(raw.index(v), raw.index(v) + len(v), e) for v, e in [(value, entity), *others]]
    redacted, positions = redact(raw, spans)
    rs, re_ = positions[0]
    return {"entity_type": entity, "field": "prediction", "value": None,
            "context": redacted[max(0, rs - CONTEXT_CHARS):re_ + CONTEXT_CHARS]}


def _leak_line(html: str) -> str:
    return html.split("The leaked text that queued this item", 1)[1]


def test_the_leak_line_names_the_outputs_pseudonym_and_the_output_outlines_it():
    leak = _span(RAW, "Bob Stone", "PERSON", [("Anna Schmidt", "PERSON"), ("anna.schmidt@example.org", "EMAIL_ADDRESS")])
    assert "<PERSON>" in leak["context"] and "_2" not in leak["context"]   # what the card used to show
    item = {"task": "pii-support", "sample_id": "pii-001", "reason": "pii_leak", "input": INPUT, "prediction": OUTPUT}
    html = card_html(item, [leak])
    line = _leak_line(html)
    assert "assay-leak-tag" in line and "&lt;PERSON_2&gt;</mark>" in line and "&lt;PERSON_1&gt;</mark>" not in line
    assert "&lt;PERSON&gt;" not in line    # its context too, as the output shows it: "<PERSON_1>, ... <PERSON_2> will"
    assert "&lt;PERSON_1&gt;, we wrote to &lt;EMAIL_ADDRESS_1&gt;; <mark class=\"assay-leak\"" in line
    out = html.split("assay-output'>", 1)[1].split("</div>", 1)[0]
    leaked = re.findall(r'<mark class="assay-leak"[^>]*>([^<]*)</mark>', out)
    assert leaked == ["&lt;PERSON_2&gt;"]                       # the leak, outlined; <PERSON_1> (from the input) not
    assert '<mark class="assay-pii"' in out and "&lt;PERSON_1&gt;" in out


def test_two_new_names_of_one_type_each_get_their_own_tag_by_context():
    raw = ("Bob Stone has your file. " + "x" * 50 + " Anna Schmidt asked; " + "y" * 50 + " Carl Berg will call.")
    output = "<PERSON_1> has your file. " + "x" * 50 + " <PERSON_2> asked; " + "y" * 50 + " <PERSON_3> will call."
    names = [("Bob Stone", "PERSON"), ("Anna Schmidt", "PERSON"), ("Carl Berg", "PERSON")]
    first = _span(raw, "Bob Stone", "PERSON", names[1:])
    last = _span(raw, "Carl Berg", "PERSON", names[:2])
    where = leak_tags(output, "I am <PERSON_2>.", [first, last])   # Anna is the user herself: no leak
    assert [[t for _, _, t in w] for w in where] == [["<PERSON_1>"], ["<PERSON_3>"]]


def test_a_context_cut_inside_a_tag_still_finds_the_leak():
    raw = "Write to " + "z" * 30 + " Anna Schmidt or Bob Stone today."
    output = "Write to " + "z" * 30 + " <PERSON_1> or <PERSON_2> today."
    leak = _span(raw, "Bob Stone", "PERSON", [("Anna Schmidt", "PERSON")])
    leak["context"] = "ERSON> or <PERSON> today."           # the window starts inside the first tag
    assert [t for _, _, t in leak_tags(output, "Where is my parcel?", [leak])[0]] == ["<PERSON_2>"]


def test_an_older_run_without_pseudonyms_shows_and_outlines_the_plain_tag():
    leak = {"entity_type": "PHONE_NUMBER", "field": "prediction", "value": None, "context": "call <PHONE_NUMBER>"}
    item = {"task": "t", "sample_id": "1", "reason": "pii_leak", "input": "hi", "prediction": "call <PHONE_NUMBER>"}
    html = card_html(item, [leak])
    assert "&lt;PHONE_NUMBER&gt;</mark> <i>(outlined" in _leak_line(html) and 'class="assay-leak"' in html


def test_a_leak_whose_tag_is_not_in_the_output_says_so_plainly():
    leak = {"entity_type": "PERSON", "field": "prediction", "value": None, "context": "hello <PERSON>"}
    item = {"task": "t", "sample_id": "1", "reason": "pii_leak", "input": "hi", "prediction": "hello there"}
    html = card_html(item, [leak])
    assert "&lt;PERSON&gt;</mark> <i>(raw text not shown" in _leak_line(html) and 'class="assay-leak"' not in html


def test_the_card_boxes_are_short_enough_for_the_buttons_at_1280x800():
    """Each text box is capped (its text scrolls inside): three boxes at 7.5rem pushed the label buttons to
    the bottom edge of an 800 px window on the demo's pii-support items; at 5.5rem they stay on screen."""
    from dashboard.components.review_card import CARD_CSS

    box = re.search(r"\.assay-card \.box\{[^}]*max-height:([\d.]+)rem", CARD_CSS)
    assert box is not None and float(box.group(1)) <= 5.5 and "overflow:auto" in CARD_CSS


def test_the_demos_pii_001_case_a_first_name_of_the_user_is_not_taken_for_the_leak():
    """As on the real demo (pii-support / pii-001): the reply greets the user by first name, which the scanner
    does not count as a leak (it is in the input) but which the item's pseudonyms number apart from the full
    name; the leak is the name the model made up for itself."""
    raw = "Hi Maria,  I hope this message finds you well. I'm John Smith, a local delivery service operator, and"
    output = "Hi <PERSON_2>,  I hope this message finds you well. I'm <PERSON_3>, a local delivery service operator, and"
    leak = _span(raw, "John Smith", "PERSON", [("Maria", "PERSON")])
    item = {"task": "pii-support", "sample_id": "pii-001", "reason": "pii_leak", "prediction": output,
            "input": "Draft a short reply to this customer: 'Hi, this is <PERSON_1> (<EMAIL_ADDRESS_1>).'"}
    html = card_html(item, [leak])
    assert re.findall(r"assay-leak-tag'[^>]*>([^<]*)<", _leak_line(html)) == ["&lt;PERSON_3&gt;"]
    assert re.findall(r'class="assay-leak"[^>]*>([^<]*)<', html.split("assay-output'>", 1)[1].split("</div>", 1)[0]) \
        == ["&lt;PERSON_3&gt;"]
