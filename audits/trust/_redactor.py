"""The :class:`Redactor` (re-exported by :mod:`audits.trust.redact`): spans from the PII detector plus the
pattern fallbacks (:mod:`audits.trust._redact_patterns`), texts and token tables redacted with them.

Cost: a :class:`Redactor` analyses each distinct text once in its life (one run): a context shared by
many questions, an answer that is also its only claim. A text the run's PII scan already analysed
with the same detector settings is not analysed again: its spans come from the scan
(``audits.scanners._pii_spans``, keyed by a SHA-256 of settings and text), so presidio runs at rest
only on what the scan did not cover (context, reference, notes, claims).

Token tables (SHAP explanations) are redacted on their joined text, then mapped back onto the
tokens (:func:`redact_tokens`): joining the redacted tokens gives the redacted text, never a piece
of a value.
"""

from __future__ import annotations

from typing import Iterable

from audits.jsontypes import JsonObject
from audits.trust._redact_patterns import pattern_spans

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
