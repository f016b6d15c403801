"""Pattern fallbacks of redaction (re-exported by :mod:`audits.trust.redact`): they run beside the
detector on every text, so a value it misses is still caught: e-mail, phone, payment card with a Luhn
check, IBAN with its mod-97 check, IPv4/IPv6, street addresses, "City, ST 12345" and UK postcodes."""

from __future__ import annotations

import ipaddress
import re

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])")
_PHONE = re.compile(r"(?<![\w.+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w.])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_STREET_TYPES = (
    "Alley|Avenue|Ave|Boulevard|Blvd|Branch|Bridge|Brooks?|Bypass|Camp|Canyon|Cape|Causeway|Centers?|Circles?|"
    "Cliffs?|Common|Corners?|Course|Courts?|Ct|Coves?|Creek|Crescent|Crest|Crossing|Crossroad|Curve|Dale|Dam|"
    "Divide|Drives?|Dr|Estates?|Expressway|Extensions?|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|"
    "Fort|Freeway|Gardens?|Gateway|Glens?|Greens?|Groves?|Harbors?|Haven|Heights|Highway|Hwy|Hills?|Hollow|Inlet|"
    "Islands?|Isle|Junctions?|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Lights?|Loaf|Locks?|Lodge|Loop|Mall|"
    "Manors?|Meadows?|Mews|Mills?|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Parks?|Parkways?|"
    "Pkwy|Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|Plaza|Points?|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|"
    "Rest|Ridges?|River|Roads?|Rd|Route|Row|Rue|Run|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares?|Sq|Station|"
    "Stravenue|Stream|Streets?|St|Summit|Terrace|Ter|Throughway|Trace|Track|Trafficway|Trail|Tunnel|Turnpike|"
    "Underpass|Unions?|Valleys?|Via|Viaduct|Views?|Villages?|Ville|Vista|Walks?|Wall|Ways?|Wells?")
_US_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
              "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|AA|AE|AP|AS|GU|MP|PR|VI")
_WORD = r"[A-Z][A-Za-z'-]*"
_CITY_STATE_ZIP = rf"(?:{_WORD}\s+){{0,3}}{_WORD},?\s+(?:{_US_STATES})\s+\d{{5}}(?:-\d{{4}})?\b"
# "7851 Miller Mission, Apt. 4, New Markhaven, GA 70412": number, 1-4 capitalised words, a street type,
# then optionally a unit and the city line
_STREET = re.compile(rf"\b\d{{1,6}}[A-Za-z]?\s+(?:{_WORD}\s+){{0,3}}{_WORD}\s+(?:{_STREET_TYPES})\b\.?"
                     rf"(?:\s+(?:NW|NE|SW|SE|N|S|E|W)\b)?"
                     rf"(?:,?\s+(?:Apt\.?|Apartment|Suite|Ste\.?|Unit|#)\s*[\w-]+)?"
                     rf"(?:,?\s*\n?\s*{_CITY_STATE_ZIP})?")
_CITY_LINE = re.compile(rf"\b{_CITY_STATE_ZIP}")
_STATE_ZIP = re.compile(rf"\b(?:{_US_STATES})\s+\d{{5}}(?:-\d{{4}})?\b")
_UK_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b")


def _luhn(digits: str) -> bool:
    total, parity = 0, len(digits) % 2
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == parity:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    s = text.replace(" ", "")
    if not 15 <= len(s) <= 34:
        return False
    moved = s[4:] + s[:4]
    try:
        return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1
    except ValueError:
        return False


def pattern_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, entity type) of every pattern match in ``text``."""
    if not text:
        return []
    spans: list[tuple[int, int, str]] = []
    spans += [(m.start(), m.end(), "EMAIL_ADDRESS") for m in _EMAIL.finditer(text)]
    spans += [(m.start(), m.end(), "IBAN_CODE") for m in _IBAN.finditer(text) if _iban_ok(m.group())]
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and _luhn(digits):
            spans.append((m.start(), m.end(), "CREDIT_CARD"))
    for m in _IPV4.finditer(text):
        try:
            ipaddress.IPv4Address(m.group())
            spans.append((m.start(), m.end(), "IP_ADDRESS"))
        except ValueError:
            pass
    for m in _IPV6.finditer(text):
        if m.group().count(":") >= 2 and ("::" in m.group() or m.group().count(":") >= 4):
            try:
                ipaddress.IPv6Address(m.group())
                spans.append((m.start(), m.end(), "IP_ADDRESS"))
            except ValueError:
                pass
    for pattern in (_STREET, _CITY_LINE, _STATE_ZIP, _UK_POSTCODE):
        spans += [(m.start(), m.end(), "LOCATION") for m in pattern.finditer(text)]
    taken = [(s, e) for s, e, _ in spans]
    for m in _PHONE.finditer(text):
        value = m.group()
        digits = re.sub(r"\D", "", value)
        if not 7 <= len(digits) <= 15 or _ISO_DATE.match(value.strip()):
            continue
        if any(s <= m.start() < e or s < m.end() <= e for s, e in taken):
            continue
        spans.append((m.start(), m.end(), "PHONE_NUMBER"))
    return spans
