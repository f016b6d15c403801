"""One item's texts redacted together (re-exported by :mod:`audits.trust.redact`): the same value gets the
same numbered pseudonym (``<PERSON_1>``, ``<PERSON_2>``) in the item's input, output and reference, so an
answer stays judgeable (:func:`pseudonymise`, :func:`redact_samples`).

Rows of a task whose dataset declares no personal data (the built-in benchmarks,
``BuiltinDataset.personal_data``) keep their input and reference as they are; their model output is
still scanned (a model can leak anything), except for values that stand in that public text as whole
words (:func:`stands_in`). A long cell that stands whole in another cell of its item (the context inside
the prompt) is not analysed again: the values found in the larger text are replaced in it by
:func:`pseudonymise`. Spans are offsets in a text alone, so pseudonyms stay numbered per item.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

import pandas as pd

from audits.trust._redact_patterns import pattern_spans
from audits.trust._redactor import Redactor, cover

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
