"""PII values compared and redacted: a value's comparable form (numbers as numbers, phones by national
number), whether it appears in another text (a leak is a value the input did not hold), and redaction
of spans with every other occurrence of their values. Import these from :mod:`audits.scanners.pii`.
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers

from audits.scanners._pii_patterns import _EXT, _PHONE

DIGIT_TYPES = {"PHONE_NUMBER", "CREDIT_CARD", "US_SSN", "US_BANK_NUMBER", "US_ITIN"}
ALNUM_TYPES = {"IBAN_CODE", "US_PASSPORT", "CRYPTO"}
NAME_TYPES = {"PERSON", "LOCATION", "ORGANIZATION", "NRP"}


def normalise(value: str, entity: str) -> str:
    """Comparable form: the national number for phones, digits for other numbers, alphanumerics
    for codes, else casefolded words."""
    if entity == "PHONE_NUMBER" and re.search(r"\d", value):
        return phone_key(value)
    if entity in DIGIT_TYPES and re.search(r"\d", value):
        return re.sub(r"\D", "", value)
    if entity in ALNUM_TYPES:
        return re.sub(r"[\W_]", "", value).casefold()
    return " ".join(value.casefold().split())


def phone_key(value: str) -> str:
    """A phone number's national significant number ("+44 20 7946 0958", "020 7946 0958" and
    "0044 20 7946 0958" all give "2079460958"); the extension is dropped."""
    body = _EXT.sub("", value.strip())
    if body.startswith("00"):
        body = "+" + body[2:]
    if body.startswith("+"):
        try:
            return str(phonenumbers.parse(body, None).national_number)
        except phonenumbers.NumberParseException:
            pass
    return re.sub(r"\D", "", body).lstrip("0")


def _same_phone(a: str, b: str) -> bool:
    short, long_ = sorted((a, b), key=len)
    return len(short) >= 7 and long_.endswith(short)


def appears_in(value: str, entity: str, text: str) -> bool:
    """Whether an entity's value occurs in a text, compared as values: numbers by their digits
    (phones by national number, so format and country code do not matter), codes by their
    alphanumerics, names by casefolded words."""
    needle = normalise(value, entity)
    if not needle:
        return True
    if entity == "PHONE_NUMBER" and re.search(r"\d", value):
        return any(_same_phone(needle, phone_key(m.group())) for m in _PHONE.finditer(text))
    if entity in DIGIT_TYPES and re.search(r"\d", value):
        return any(needle in re.sub(r"\D", "", m.group()) for m in _NUMBER_RUN.finditer(text))
    if entity in ALNUM_TYPES:
        return needle in re.sub(r"[\W_]", "", text).casefold()
    hay = " ".join(text.casefold().split())
    if stands_as_words(needle, hay):
        return True
    words = needle.split()
    if entity in NAME_TYPES and len(words) >= 2:
        # NER boundaries vary ("Sure John Smith" vs "John Smith"): dropping one edge word may match
        return stands_as_words(" ".join(words[1:]), hay) or stands_as_words(" ".join(words[:-1]), hay)
    return False


# a value stands in a text only between token boundaries: not inside a word, nor glued to the rest of an
# e-mail, handle or hyphenated word ("jane.roe@example.org" does not stand in "mary.jane.roe@example.org",
# "Jon" not in "Jonesboro")
_BEFORE = r"(?<![\w.@+\-])"
_AFTER = r"(?![\w@\-]|[.+]\w)"


def stands_as_words(value: str, where: str) -> bool:
    """Whether ``value`` occurs in ``where`` between token boundaries (both already normalised): the one rule
    for "this value is the one in that text" — a leak's input, public benchmark text kept at rest."""
    return bool(value) and re.search(_BEFORE + re.escape(value) + _AFTER, where) is not None


_NUMBER_RUN = re.compile(r"\d(?:[\d \t().\-]*\d)?")


def cover(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Sorted, non-overlapping spans covering ``spans`` and every other occurrence of their values
    (undetected repeats of a detected value are redacted too); overlapping spans merge (first type wins)."""
    found = list(spans)
    for start, end, ent in spans:
        value = text[start:end]
        if len(value.strip()) >= 2:
            found += [(m.start(), m.end(), ent) for m in re.finditer(re.escape(value), text, re.IGNORECASE)]
    merged: list[list[Any]] = []
    for start, end, ent in sorted(found, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, ent])
    return [(a, b, e) for a, b, e in merged]


def redact(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int]]]:
    """Text with every span (and every other occurrence of its value) replaced by ``<TYPE>``;
    returns the redacted text and each span's position in it."""
    merged = cover(text, spans)
    parts, pos, new_pos = [], 0, []
    out_len = 0
    starts = {}
    for start, end, ent in merged:
        parts.append(text[pos:start])
        out_len += start - pos
        tag = f"<{ent}>"
        starts[(start, end)] = (out_len, out_len + len(tag))
        parts.append(tag)
        out_len += len(tag)
        pos = end
    parts.append(text[pos:])
    for start, end, _ in spans:
        cover_span = next((m for m in merged if m[0] <= start and end <= m[1]), None)
        new_pos.append(starts[(cover_span[0], cover_span[1])])
    return "".join(parts), new_pos
