"""Text that people type (sign-off and attestation notes, review notes and corrections) kept
out of the catalog's raw personal data.

Before a note is stored or logged it is scanned with the detector the run's evidence was redacted
with (:class:`audits.trust.redact.Redactor`, the run's ``scanners.pii`` settings or the defaults)
and stored redacted; the audit log gets no note text, only what the stored row hashes to. When the
run keeps raw text (``scanners.pii.store_raw: true``) and its key still exists, the raw note is
also kept, sealed under the run's key (``sealed_notes``), so ``assay erase`` erases it with the
rest of the run's raw text. A note longer than ``NOTE_MAX_CHARS`` is refused before anything is
written. Text about an item of a built-in public benchmark (``datasets.builtin.declares_public``) keeps the
values that stand in the item's own text (``Karen`` of a BBQ prompt): :func:`public_kept`, the one rule
redaction at rest and the retraining files keep; any other value (an e-mail, a name not in the item) is redacted.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any, Iterable

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.store.catalog import Catalog
from audits.trust.redact import Redactor, _norm, _stands, pseudonymise

NOTE_MAX_CHARS = 20_000


def check_length(texts: dict[str, str | None]) -> None:
    """AssayError for a text over ``NOTE_MAX_CHARS`` (checked before any scan or write)."""
    for name, text in texts.items():
        if text and len(text) > NOTE_MAX_CHARS:
            raise AssayError(f"the {name} is {len(text):,} characters long; typed text is limited to "
                             f"{NOTE_MAX_CHARS:,}", "shorten it, and attach a long document as evidence "
                             "(`assay attest --file`, whose SHA-256 is stored, or --link)")


def run_privacy(cat: Catalog, run_id: str) -> tuple[JsonObject | None, bool]:
    """(the run's ``scanners.pii`` options or None, whether it keeps raw text); a run whose config
    cannot be read gets the detector's defaults and keeps nothing (the write refuses it anyway)."""
    from audits.store.bundle_reader import run_config
    from audits.trust.rawstore import store_raw

    try:
        scanners = run_config(cat, run_id).get("scanners") or {}
    except AssayError:
        return None, False
    if isinstance(scanners, list):
        scanners = {name: {} for name in scanners}
    pii = scanners.get("pii") if isinstance(scanners, dict) else None
    return (dict(pii or {}) if "pii" in scanners else None), store_raw(scanners)


_TAG = re.compile(r"<([A-Z][A-Z_]*[A-Z])(?:_(\d+))?>")   # a placeholder as stored: <PERSON> or <PERSON_1>
_NUMBERED = re.compile(r"<([A-Z][A-Z_]*[A-Z])_(\d+)>")


def public_kept(text: str, spans: list[tuple[int, int, str]], public: str | None) -> list[tuple[int, int, str]]:
    """The spans of ``text`` left to redact beside the public benchmark text ``public`` (None: all of them): a
    value that stands in it as whole words (case and spacing aside, :func:`audits.trust.redact.stands_in`) is
    benchmark text, not personal data. The one rule for reviewer text and retraining files
    (``audits.review.retraining``), and for redaction at rest (``audits.trust.redact.redact_samples``)."""
    if not public:
        return spans
    where = _norm(public)
    return [(a, b, e) for a, b, e in spans if not _stands(_norm(text[a:b]), where)]


def public_text(cat: Catalog, run_id: str, task: str, item: Any) -> str | None:
    """The public text of one review item (its prompt, choices and reference joined) when ``task`` is on a
    built-in dataset that declares no personal data (``datasets.builtin.public_tasks``, read from the run's
    manifest); None for any other task, or when the manifest cannot be read. ``item``: its samples row(s)."""
    from audits.datasets.builtin import public_tasks
    from audits.store.bundle_reader import manifest

    try:
        declared = public_tasks({t: d.model_dump() for t, d in manifest(cat, run_id).datasets.items()})
    except AssayError:
        return None
    if str(task) not in declared or item is None or len(item) == 0:
        return None
    parts: list[str] = []
    for col in ("input", "choices", "reference"):
        for value in (item[col].tolist() if col in item.columns else []):
            if isinstance(value, str):
                parts.append(value)
            elif hasattr(value, "__iter__") and not isinstance(value, (bytes, dict)):
                parts += [str(v) for v in value if isinstance(v, str)]
    return "\n".join(parts) or None


def number_after(texts: list[str | None], redactor: Redactor, item: Iterable[str | None] = (),
                 public: str | None = None) -> list[str | None]:
    """``texts`` redacted with numbered pseudonyms consistent with an item's stored texts ``item`` (its
    prompt and output as kept at rest, ``<PERSON_1>``): one value one tag across ``texts``, a new value
    numbered after the item's highest tag of its type (``<PERSON_2>``), and a tag typed as it stands
    (``<PERSON_1>``) kept, never read as a name. The raw value behind an item's tag is not known here,
    so a value is never matched to an existing tag. ``public``: the item's public benchmark text, whose
    values stay (:func:`public_kept`)."""
    present = [t for t in texts if t]
    tags = [{i for m in _TAG.finditer(t) for i in range(m.start(), m.end())} for t in present]
    spans = [public_kept(t, [s for s in found if any(i not in inside and t[i].isalnum() for i in range(s[0], s[1]))],
                         public)
             for t, found, inside in zip(present, redactor.spans(present), tags)]
    done, n = pseudonymise_after(present, spans, item)
    redactor.redactions += n
    shifted = iter(done)
    return [next(shifted) if t else t for t in texts]


def pseudonymise_after(texts: list[str], spans: list[list[tuple[int, int, str]]],
                       item: Iterable[str | None] = ()) -> tuple[list[str], int]:
    """The one numbering rule for text beside an item already pseudonymised at rest (a reviewer's
    correction, a retraining record): the found ``spans`` (tags themselves left out by the caller)
    become ``<TYPE_n>`` numbered after the highest tag of their type in ``item`` and ``texts``, and the
    tags already there are kept as they stand. Returns (texts, number of replaced regions)."""
    top: dict[str, int] = {}
    for m in (m for t in [*item, *texts] if isinstance(t, str) for m in _NUMBERED.finditer(t)):
        top[m.group(1)] = max(top.get(m.group(1), 0), int(m.group(2)))
    hidden = [_TAG.sub(lambda m: "\ue000" + m.group(0)[1:-1] + "\ue001", t) for t in texts]
    done, n = pseudonymise(list(hidden), spans)
    return [_NUMBERED.sub(lambda m: f"<{m.group(1)}_{int(m.group(2)) + top.get(m.group(1), 0)}>", t or "")
            .replace("\ue000", "<").replace("\ue001", ">") for t in done], n


def scrub(cat: Catalog, run_id: str, texts: dict[str, str | None], item: Iterable[str | None] = (),
          public: str | None = None) -> tuple[dict[str, str | None], dict[str, bytes]]:
    """({name: text as stored (redacted; None when empty)}, {name: raw text sealed under the run's key}
    for the texts redaction changed, when the run keeps raw text and its key exists). ``item``: the
    stored texts of the review item the texts are about; given, values get numbered pseudonyms
    consistent with it (:func:`number_after`), else ``<TYPE>`` tags. ``public``: the item's public
    benchmark text (:func:`public_text`); a value standing in it is kept (:func:`public_kept`)."""
    from audits.trust.rawstore import seal_text

    texts = {k: ((v or "").strip() or None) for k, v in texts.items()}
    check_length(texts)
    if not any(texts.values()):
        return texts, {}
    options, keep = run_privacy(cat, run_id)
    redactor = Redactor(options)
    item = list(item)
    if item or public:
        stored = dict(zip(texts, number_after(list(texts.values()), redactor, item, public)))
    else:
        stored = {k: (redactor([v])[0] if v else None) for k, v in texts.items()}
    sealed: dict[str, bytes] = {}
    if keep:
        for name, raw in texts.items():
            if raw and raw != stored[name] and (blob := seal_text(run_id, raw)) is not None:
                sealed[name] = blob
    return stored, sealed


def redact_logged(cat: Catalog, run_id: str, text: str | None) -> str | None:
    """``text`` as it may go into the append-only audit log (e.g. an erase's ``--reason``): redacted with
    the run's detector and never sealed (nothing in the log can be erased later); None when empty."""
    text = (text or "").strip() or None
    check_length({"reason": text})
    if text is None:
        return None
    return Redactor(run_privacy(cat, run_id)[0])([text])[0]


def digest(text: str | None) -> str | None:
    """SHA-256 of a stored (redacted) text, for the audit log (which never holds the text)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest() if text else None
