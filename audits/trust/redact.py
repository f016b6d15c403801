"""Personal data kept out of the evidence: redaction at rest, and re-scans of what leaves.

Two sources of spans, merged: the PII scanner's detector (presidio with the run's own PII
settings when the run configures the ``pii`` scanner, else its defaults: names and places
included, whether or not the run scans for PII) and pattern fallbacks that always run, so a value the
detector misses is still caught. Spans become ``<ENTITY_TYPE>`` placeholders (addresses: ``<LOCATION>``).

This module is the one import path; the code lives by seam:

- :mod:`audits.trust._redact_patterns`: the pattern fallbacks (:func:`pattern_spans`);
- :mod:`audits.trust._redactor`: the :class:`Redactor` (each distinct text analysed once a run, spans the
  PII scan found reused) and token tables (:func:`redact_tokens`);
- :mod:`audits.trust._pseudonyms`: samples redacted per item with consistent pseudonyms
  (:func:`redact_samples`, :func:`pseudonymise`) and the whole-word rule for public text (:func:`stands_in`);
- here: any bundle table's free-text cells (:func:`redact_frame`) and one text (:func:`redact_text`).
"""

from __future__ import annotations

from typing import Iterable

import pandas as pd

from audits.jsontypes import JsonObject
from audits.trust._pseudonyms import _norm, _row_texts, _stands  # noqa: F401  (read by trust.notes, commands.erase)
from audits.trust._pseudonyms import pseudonymise, redact_samples, stands_in
from audits.trust._redact_patterns import pattern_spans
from audits.trust._redactor import Redactor, cover, redact_tokens

__all__ = ["Redactor", "cover", "is_text_column", "pattern_spans", "pseudonymise", "redact_frame", "redact_samples",
           "redact_text", "redact_tokens", "stands_in"]


def redact_text(text: str | None, pii_options: JsonObject | None = None) -> str | None:
    """``text`` redacted by a fresh :class:`Redactor` with ``pii_options`` (None stays None)."""
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
