"""Why an item was queued, shown on its text: marked spans for personal data (the redaction
placeholders and the pattern detectors' spans), toxic words, and the counterfactual swap.

Everything is escaped; a span is ``<mark title="why">``. The card is one HTML block, so a
rerun replaces it whole: it never shows parts of two items.
"""

from __future__ import annotations

import html
import re
from typing import Iterable, Sequence

PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*[A-Z])(?:_(\d+))?>")  # <PERSON>, or a pseudonym <PERSON_2>
_WORD = re.compile(r"[A-Za-z][A-Za-z'*-]{2,}")
COLOURS = {"pii": "#fde68a", "toxic": "#fecaca", "swap": "#c7d2fe", "claim": "#fed7aa", "attack": "#f9a8d4"}
TOXIC_WORD_P = 0.5


def pii_spans(text: str | None) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, title) of personal data in ``text``: redaction placeholders
    (``<EMAIL_ADDRESS>``) and what the pattern detectors still find (e-mails, phones, cards)."""
    if not text:
        return []
    spans = [(m.start(), m.end(), "pii", f"personal data: {m.group(1)}" + (f" #{m.group(2)} (the same value "
             "wherever this tag appears in the item)" if m.group(2) else "")) for m in PLACEHOLDER.finditer(text)]
    try:
        from audits.trust.redact import pattern_spans
    except ImportError:
        return spans
    spans += [(s, e, "pii", f"personal data: {kind}") for s, e, kind in pattern_spans(text)]
    return spans


def toxic_spans(text: str | None, threshold: float = TOXIC_WORD_P) -> list[tuple[int, int, str, str]]:
    """Words the toxicity classifier (alt-profanity-check, bundled) scores toxic on their own."""
    if not text:
        return []
    words = list(_WORD.finditer(text))
    if not words:
        return []
    try:
        from audits.scanners.toxicity import score_toxicity
    except ImportError:
        return []
    # the scanner's own scoring: an identity term ("transgender", "gay") is masked, so never marked toxic
    probs = score_toxicity([m.group(0) for m in words])
    return [(m.start(), m.end(), "toxic", f"toxic word (p={p:.2f})") for m, p in zip(words, probs) if p >= threshold]


def word_spans(text: str | None, words: Iterable[str]) -> list[tuple[int, int, str, str]]:
    """Whole-word occurrences of ``words`` (the counterfactual values swapped into the prompt)."""
    if not text:
        return []
    out = []
    for w in {str(w) for w in words if w}:
        for m in re.finditer(rf"(?<!\w){re.escape(w)}(?!\w)", text, flags=re.IGNORECASE):
            out.append((m.start(), m.end(), "swap", f"swapped value: {w}"))
    return out


def claim_spans(text: str | None, claims: Iterable[dict]) -> list[tuple[int, int, str, str]]:
    """Where each claim the groundedness detector did not find supported stands in the output (found by its
    text, as both are stored redacted the same way; a claim not found is listed below the card instead)."""
    if not text:
        return []
    out = []
    for c in claims:
        claim = str(c.get("claim") or "")
        if not claim:
            continue
        # a redaction placeholder may carry a pseudonym number in one table and not the other
        parts, pos = [], 0
        for m in PLACEHOLDER.finditer(claim):
            parts += [re.escape(claim[pos:m.start()]), rf"<{m.group(1)}(?:_\d+)?>"]
            pos = m.end()
        found = re.search("".join(parts) + re.escape(claim[pos:]), text)
        if found:
            out.append((found.start(), found.end(), "claim",
                        f"{c.get('verdict')} claim (p={float(c.get('score') or 0):.2f})"))
    return out


def marker_spans(text: str | None, markers: Iterable[str]) -> list[tuple[int, int, str, str]]:
    """Where a red-team success marker stands in the output, found as the marker detector finds it
    (``audits.redteam.detectors.find_marker``: case, spacing, look-alikes); a base64 hit has no span."""
    if not text:
        return []
    from audits.errors import AssayError
    from audits.redteam.detectors import find_marker

    out = []
    for marker in markers:
        try:
            hit = find_marker(text, marker)
        except AssayError:  # a marker too short to look for
            continue
        if hit.score and hit.start is not None and hit.end is not None:
            out.append((hit.start, hit.end, "attack", f"the attack's success marker ({hit.how})"))
    return out


def marked(text: str | None, spans: Sequence[tuple[int, int, str, str]]) -> str:
    """``text`` escaped, with non-overlapping ``spans`` wrapped in coloured ``<mark>``s."""
    if text is None or text == "":
        return "<span style='color:#667085'>—</span>"
    text = str(text)
    out, pos = [], 0
    for start, end, kind, title in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start < pos or end <= start or end > len(text):
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f'<mark class="assay-{kind}" title="{html.escape(title)}" style="background:{COLOURS.get(kind, "#fde68a")};'
                   f' padding:0 2px; border-radius:3px">{html.escape(text[start:end])}</mark>')
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)
