"""Personal data kept out of the evidence: redaction at rest, and re-scans of what leaves.

Two sources of spans, merged: the PII scanner's detector (presidio, with the run's own PII
settings, when the run configures the ``pii`` scanner) and pattern fallbacks that always run
(e-mail, phone, payment card with a Luhn check, IBAN with its mod-97 check, IPv4/IPv6), so a
value the detector misses is still caught. Spans become ``<ENTITY_TYPE>`` placeholders.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Iterable

import pandas as pd

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\d.])\d(?:[ -]?\d){12,18}(?![\d.])")
_PHONE = re.compile(r"(?<![\w.+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w.])")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


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


class Redactor:
    """Redacts texts with the detector (when ``pii_options`` is given) plus the pattern fallbacks."""

    def __init__(self, pii_options: dict[str, Any] | None = None):
        self.settings = None
        if pii_options is not None:
            from audits.scanners.pii import parse_options

            keep = ("entities", "profile", "thresholds", "score_threshold", "custom_recognizers", "deny_list",
                    "batch_size")  # what the detector finds; not fields, salt or store_raw
            self.settings, _ = parse_options({k: v for k, v in pii_options.items() if k in keep})
        self.redactions = 0

    def spans(self, texts: list[str]) -> list[list[tuple[int, int, str]]]:
        found: list[list[tuple[int, int, str]]] = [pattern_spans(t) for t in texts]
        if self.settings is not None:
            from audits.scanners import _presidio as engine

            for i, results in enumerate(engine.analyze_texts(texts, self.settings)):
                found[i] += [(r.start, r.end, r.entity_type) for r in results]
        return found

    def __call__(self, texts: list[str]) -> list[str]:
        from audits.scanners.pii import redact

        out = []
        for text, spans in zip(texts, self.spans(texts)):
            self.redactions += len(spans)
            out.append(redact(text, spans)[0] if spans else text)
        return out

    def residual(self, texts: Iterable[str]) -> list[str]:
        """Entity types still found in ``texts`` (empty: nothing left)."""
        texts = [t for t in texts if t]
        return [ent for spans in self.spans(texts) for _, _, ent in spans]


def redact_text(text: str | None, pii_options: dict[str, Any] | None = None) -> str | None:
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
