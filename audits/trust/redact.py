"""Personal data kept out of the evidence: redaction at rest, and re-scans of what leaves.

Two sources of spans, merged: the PII scanner's detector (presidio with the run's own PII
settings when the run configures the ``pii`` scanner, else its defaults: names and places
included, whether or not the run scans for PII) and pattern fallbacks that always run (e-mail,
phone, payment card with a Luhn check, IBAN with its mod-97 check, IPv4/IPv6, street addresses,
"City, ST 12345" and UK postcodes), so a value the detector misses is still caught. Spans become
``<ENTITY_TYPE>`` placeholders (addresses: ``<LOCATION>``).

Samples are redacted per item (:func:`redact_samples`): the same value gets the same numbered
pseudonym (``<PERSON_1>``, ``<PERSON_2>``) in the item's input, output and reference, so an answer
stays judgeable. Rows of a task whose dataset declares no personal data (the built-in benchmarks,
``BuiltinDataset.personal_data``) keep their input and reference as they are; their model output is
still scanned (a model can leak anything), except for values that stand in that public text.

Cost: a :class:`Redactor` analyses each distinct text once in its life (one run): a context shared by
many questions, an answer that is also its only claim. A text the run's PII scan already analysed
with the same detector settings is not analysed again: its spans come from the scan
(``audits.scanners._pii_spans``, keyed by a SHA-256 of settings and text), so presidio runs at rest
only on what the scan did not cover (context, reference, notes, claims). A long cell that stands whole in another cell
of its item (the context inside the prompt) is not analysed again: the values found in the larger
text are replaced in it by :func:`pseudonymise`. Spans are offsets in a text alone, so pseudonyms stay
numbered per item.

Token tables (SHAP explanations) are redacted on their joined text, then mapped back onto the
tokens (:func:`redact_tokens`): joining the redacted tokens gives the redacted text, never a piece
of a value.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable

import pandas as pd

from audits.jsontypes import JsonObject

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


def cover(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The regions :func:`audits.scanners._pii_values.redact` replaces (one rule, defined there; re-exported
    by ``audits.scanners.pii``)."""
    from audits.scanners._pii_values import cover as pii_cover

    return pii_cover(text, spans)


def redact_tokens(tokens: list[str], spans: list[tuple[int, int, str]]) -> list[str]:
    """Tokens whose concatenation is the redacted concatenation of ``tokens``: the token where a span
    starts gets ``<TYPE>`` in place of its part of the value, every later token of the span loses its
    part ("" when wholly inside); characters outside every span are kept."""
    text = "".join(tokens)
    regions = cover(text, spans)
    out, pos, k = [], 0, 0
    for token in tokens:
        start, end = pos, pos + len(token)
        pos = end
        while k < len(regions) and regions[k][1] <= start:
            k += 1
        if k >= len(regions) or regions[k][0] >= end:
            out.append(token)
            continue
        parts, i, j = [], start, k
        while i < end:
            if j < len(regions) and regions[j][0] <= i < regions[j][1]:
                if regions[j][0] == i:
                    parts.append(f"<{regions[j][2]}>")
                i = min(end, regions[j][1])
                j += 1
            else:
                stop = min(end, regions[j][0]) if j < len(regions) else end
                parts.append(text[i:stop])
                i = stop
        out.append("".join(parts))
    return out


class Redactor:
    """Redacts texts with the detector plus the pattern fallbacks. ``pii_options``: the run's
    ``scanners.pii`` options (None: the detector's defaults); ``patterns_only`` skips the detector."""

    def __init__(self, pii_options: JsonObject | None = None, patterns_only: bool = False):
        self.settings = None
        if not patterns_only:
            from audits.scanners.pii import parse_options

            keep = ("entities", "profile", "thresholds", "score_threshold", "custom_recognizers", "deny_list",
                    "batch_size")  # what the detector finds; not fields, salt or store_raw
            options = pii_options or {}
            self.settings, _ = parse_options({k: v for k, v in options.items() if k in keep})
        self.redactions = 0
        self.long_texts = 0
        self.reused = 0  # texts whose detector spans came from the PII scan (no second presidio pass)
        self._scope = self.settings.key() if self.settings is not None else "patterns"
        # SHA-256(settings, text) -> its spans, for this redactor's life (one run): a text seen again (a
        # context shared by many questions, a one-sentence answer that is also its only claim) is not
        # analysed again; the key is a digest, so the cache holds no text
        self._seen: dict[bytes, tuple[tuple[int, int, str], ...]] = {}

    def spans(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        """Spans per text, in order; each distinct text analysed once per redactor. Detector spans the
        PII scan already found for a text under the same settings are taken from it (``_pii_spans``);
        presidio runs only on the rest. Spans are offsets in the text alone, so pseudonyms (numbered
        per item by :func:`pseudonymise`) are unaffected."""
        from audits.scanners import _pii_spans

        if self.settings is not None:
            from audits.scanners import _presidio as engine

            self.long_texts += sum(len(t) > engine.WINDOW_CHARS for t in texts if t)
        keys = [_pii_spans.text_key(self._scope, t) for t in texts]
        new = list({k: t for k, t in zip(keys, texts) if k not in self._seen}.items())
        if new:
            found: list[list[tuple[int, int, str]]] = [pattern_spans(t) for _, t in new]
            if self.settings is not None:
                known = [_pii_spans.recall(k) for k, _ in new]  # self._scope is the settings' key here
                todo = [i for i, k in enumerate(known) if k is None]
                self.reused += len(new) - len(todo)
                analysed = dict(zip(todo, engine.analyze_texts([new[i][1] for i in todo], self.settings)))
                for i, k in enumerate(known):
                    found[i] += list(k) if k is not None else [(r.start, r.end, r.entity_type) for r in analysed[i]]
            self._seen.update((k, tuple(f)) for (k, _), f in zip(new, found))
        return [list(self._seen[k]) for k in keys]

    def __call__(self, texts: list[str]) -> list[str]:
        from audits.scanners.pii import redact

        out = []
        for text, spans in zip(texts, self.spans(texts)):
            self.redactions += len(cover(text, spans)) if spans else 0
            out.append(redact(text, spans)[0] if spans else text)
        return out

    def tokens(self, groups: list[list[str]]) -> list[list[str]]:
        """Each token list redacted on its joined text (:func:`redact_tokens`)."""
        joined = ["".join(g) for g in groups]
        out = []
        for group, text, spans in zip(groups, joined, self.spans(joined)):
            self.redactions += len(cover(text, spans)) if spans else 0
            out.append(redact_tokens(group, spans) if spans else list(group))
        return out

    def residual(self, texts: Iterable[str]) -> list[str]:
        """Entity types still found in ``texts`` (empty: nothing left)."""
        texts = [t for t in texts if t]
        return [ent for spans in self.spans(texts) for _, _, ent in spans]


def _norm(value: str) -> str:
    return " ".join(value.split()).casefold()


def _stands(value: str, where: str) -> bool:
    from audits.scanners._pii_values import stands_as_words  # the one token-boundary rule, shared with leak scoring

    return stands_as_words(value, where)


def stands_in(value: str, public: str) -> bool:
    """Whether ``value`` stands in the public benchmark text ``public`` as whole words (case and spacing
    aside): the one rule, for redaction at rest (:func:`redact_samples`), reviewer text and retraining files
    (:func:`audits.trust.notes.public_kept`). A value that is only a piece of a longer word, e-mail or
    hyphenated word of the public text does not stand in it (it may be someone's real name or address)."""
    return _stands(_norm(value), _norm(public))


def pseudonymise(texts: list[str | None], spans: list[list[tuple[int, int, str]]],
                 keep: Iterable[str] = ()) -> tuple[list[str | None], int]:
    """The texts of one item with every found value, and each other occurrence of it in any of the
    texts, replaced by ``<TYPE_n>``: one value (case and spacing aside) one pseudonym across the item,
    numbered per type in order of appearance. Values in ``keep`` (public text) are left as they are.
    Returns (texts, number of replaced regions)."""
    kept = {_norm(k) for k in keep if k}
    values = {(_norm(t[a:b]), ent): t[a:b] for t, sp in zip(texts, spans) if t for a, b, ent in sp
              if len(t[a:b].strip()) >= 2 and _norm(t[a:b]) not in kept}
    names: dict[str, str] = {}
    counts: dict[str, int] = {}
    out, n = [], 0
    for text, found in zip(texts, spans):
        if not text:
            out.append(text)
            continue
        regions = [s for s in found if _norm(text[s[0]:s[1]]) not in kept and len(text[s[0]:s[1]].strip()) >= 2]
        for (_, ent), value in values.items():
            regions += [(m.start(), m.end(), ent) for m in re.finditer(re.escape(value), text, re.IGNORECASE)]
        if not regions:
            out.append(text)
            continue
        parts, pos = [], 0
        for start, end, ent in cover(text, regions):
            key = _norm(text[start:end])
            if key not in names:
                counts[ent] = counts.get(ent, 0) + 1
                names[key] = f"<{ent}_{counts[ent]}>"
            parts += [text[pos:start], names[key]]
            pos = end
            n += 1
        out.append("".join(parts) + text[pos:])
    return out, n


def redact_samples(frame: pd.DataFrame, redactor: Redactor, columns: Iterable[str],
                   public_tasks: Iterable[str] = ()) -> pd.DataFrame:
    """A copy of a samples table with ``columns`` redacted per row (one item) with consistent
    pseudonyms (:func:`pseudonymise`). Rows of ``public_tasks`` (datasets that declare no personal
    data) keep every column but ``prediction``; values that stand in their public text as whole words
    (:func:`stands_in`) found in the output stay."""
    out = frame.copy()
    columns = [c for c in columns if c in out.columns]
    if out.empty or not columns:
        return out
    public = set(public_tasks)
    tasks = out["task"].astype(str).tolist() if "task" in out.columns else [""] * len(out)
    cells = {c: out[c].astype(object).tolist() for c in columns}
    scan: list[tuple[int, str]] = []
    for i, task in enumerate(tasks):
        for c in columns:
            if isinstance(cells[c][i], str) and cells[c][i] and (task not in public or c == "prediction"):
                scan.append((i, c))
    # a long cell that stands whole in another scanned cell of its item (the context inside the prompt)
    # is not analysed again: the values found in the larger text are replaced in it by pseudonymise
    inside = _inside_another(scan, cells)
    analysed = [k for k in scan if k not in inside]
    found = dict(zip(analysed, redactor.spans([cells[c][i] for i, c in analysed])))
    by_row: dict[int, dict[str, list]] = {}
    for i, c in scan:
        by_row.setdefault(i, {})[c] = found[(i, c)] if (i, c) in found else pattern_spans(cells[c][i])
    for i, spans_of in by_row.items():
        scanned = [c for c in columns if c in spans_of]
        keep: list[str] = []
        if tasks[i] in public:  # a value that stands in the row's public text is no leak
            public_text = _norm(" ".join(str(x) for x in _row_texts(out, i, scanned)))
            keep = [cells[c][i][a:b] for c in scanned for a, b, _ in spans_of[c]
                    if _stands(_norm(cells[c][i][a:b]), public_text)]  # whole words only (stands_in)
        texts, n = pseudonymise([cells[c][i] for c in scanned], [spans_of[c] for c in scanned], keep)
        redactor.redactions += n
        for c, text in zip(scanned, texts):
            cells[c][i] = text
    for c in columns:
        lists = [i for i, v in enumerate(cells[c]) if hasattr(v, "__len__") and not isinstance(v, (str, bytes, dict))]
        for i in lists:  # lists of strings (choices kept in a text column)
            items = list(cells[c][i])
            if items and all(isinstance(x, str) for x in items) and tasks[i] not in public:
                cells[c][i] = redactor(items)
        out[c] = pd.Series(cells[c], index=out.index, dtype=object)
    return out


_INSIDE_MIN_CHARS = 50  # shorter cells are cheap to analyse, and a short value may stand in anything


def _inside_another(scan: list[tuple[int, str]], cells: dict[str, list[Any]]) -> set[tuple[int, str]]:
    """The (row, column) cells of ``scan`` of at least ``_INSIDE_MIN_CHARS`` whose text stands whole in
    another scanned cell of the same row."""
    by_row: dict[int, list[str]] = {}
    for i, c in scan:
        by_row.setdefault(i, []).append(c)
    out = set()
    for i, cols in by_row.items():
        for c in cols:
            text = cells[c][i]
            if len(text) >= _INSIDE_MIN_CHARS and any(o != c and len(cells[o][i]) > len(text) and text in cells[o][i]
                                                     for o in cols):
                out.add((i, c))
    return out


def _row_texts(frame: pd.DataFrame, i: int, skip: list[str]) -> list[str]:
    """The strings of row ``i`` outside ``skip``: free-text cells and lists of strings (choices)."""
    out: list[str] = []
    for col in frame.columns:
        if col in skip:
            continue
        value = frame[col].iloc[i]
        if isinstance(value, str):
            out.append(value)
        elif hasattr(value, "__len__") and not isinstance(value, (bytes, dict)):
            out += [x for x in value if isinstance(x, str)]
    return out


def redact_text(text: str | None, pii_options: JsonObject | None = None) -> str | None:
    if text is None:
        return None
    return Redactor(pii_options)([text])[0]


# Columns of bundle tables that are never free text (left as they are).
_KEEP = {"task", "sample_id", "metric", "attribute", "group", "scanner", "field", "entity_type", "recognizer",
         "value_hash", "reason", "stratum", "signature", "label", "decision", "variant", "source", "type", "status"}


def is_text_column(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def redact_frame(frame: pd.DataFrame, redactor: Redactor, text_columns: Iterable[str] | None = None) -> pd.DataFrame:
    """A copy of ``frame`` whose free-text string cells are redacted; other cells untouched."""
    out = frame.copy()
    columns = list(text_columns) if text_columns is not None else [
        c for c in out.columns if c not in _KEEP and is_text_column(out[c])]
    for col in columns:
        if col not in out.columns:
            continue
        values = out[col].tolist()
        idx = [i for i, v in enumerate(values) if isinstance(v, str) and v]
        if idx:
            clean = redactor([values[i] for i in idx])
            for i, v in zip(idx, clean):
                values[i] = v
        lists = [i for i, v in enumerate(values) if hasattr(v, "__len__") and not isinstance(v, (str, bytes, dict))]
        for i in lists:  # lists of strings (choices, tokens)
            items = list(values[i])
            if items and all(isinstance(x, str) for x in items):
                values[i] = redactor(items)
        out[col] = pd.Series(values, index=out.index, dtype=object)
    return out
