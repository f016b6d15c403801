"""Spans the PII scan found, kept on the driver for redaction at rest (no second presidio pass).

The PII scanner (``pii.detect``) records each unique text's detections here once they are back on the
driver (from this process or from Ray workers); :class:`audits.trust.redact.Redactor` takes them for
the same text under the same detector settings instead of running presidio again, and analyses only
the texts the scan did not cover (context, reference, claims, notes). Keys are SHA-256 digests of
(settings key, text): no text is held as a key. Detection per text does not depend on the other
texts of its batch (``PiiDetect``), so a reused span list equals what a second pass would find.

The store is per process and bounded (``MAX_ENTRIES``, oldest dropped first); ``rawstore.protect``
empties it after each run's redaction. ``ENABLED = False`` turns the reuse off (the benchmark's
before/after comparison).
"""

from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

Span = tuple[int, int, str]  # (start, end, entity type)

ENABLED = True
MAX_ENTRIES = 2_000_000
_SPANS: dict[bytes, tuple[Span, ...]] = {}
_NONE: tuple[Span, ...] = ()


def text_key(scope: str, text: str) -> bytes:
    """SHA-256 of (scope, text): the key of a per-run text cache (scope: the detector settings' key)."""
    return hashlib.sha256(scope.encode("utf-8") + b"\x00" + text.encode("utf-8", "surrogatepass")).digest()


def remember(settings_key: str, texts: Iterable[str], spans: Iterable[Sequence[Span]]) -> None:
    """Record the detections of ``texts`` (in order) found with the settings whose key is ``settings_key``."""
    if not ENABLED:
        return
    for text, found in zip(texts, spans):
        _SPANS[text_key(settings_key, text)] = tuple(found) if found else _NONE
    while len(_SPANS) > MAX_ENTRIES:
        del _SPANS[next(iter(_SPANS))]


def recall(key: bytes) -> tuple[Span, ...] | None:
    """The recorded detections of the text whose ``text_key(settings key, text)`` is ``key``, or None
    when the scan did not see it (the caller has the digest already: no second hash of the text)."""
    if not ENABLED:
        return None
    return _SPANS.get(key)


def clear() -> None:
    _SPANS.clear()


def size() -> int:
    return len(_SPANS)
