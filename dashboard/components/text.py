"""Text rendering: token attributions as coloured HTML spans (always escaped); selection reasons in words."""

from __future__ import annotations

import html
import json
from typing import Any, Sequence


REASONS = {"cf_flip": "decision changed under a counterfactual swap", "pii_leak": "leaked personal data",
           "toxic": "output scored toxic", "wrong_answer": "wrong answer", "sampled": "random sample",
           "random": "random sample", "hallucination": "a claim not supported by the context",
           "attack_success": "a red-team attack succeeded: the output did what the attack asked",
           "negative_feedback": "a user gave this answer negative feedback"}


def reason_text(reason: object) -> str:
    """Why a sample was picked (review queue / explain scanner), in words: "cf_flip,toxic" -> "...; ..."."""
    if reason is None or str(reason) in ("", "nan", "<NA>", "None"):
        return "—"
    return "; ".join(REASONS.get(r.strip(), r.strip()) for r in str(reason).split(","))


def attribution_html(tokens: Sequence[str], weights: Sequence[float]) -> str:
    """Each token in a span, red for positive and blue for negative weight, alpha by magnitude."""
    peak = max((abs(float(w)) for w in weights), default=0.0) or 1.0
    spans = []
    for tok, w in zip(tokens, weights):
        w = float(w)
        alpha = min(abs(w) / peak, 1.0) * 0.8
        rgb = "220,38,38" if w >= 0 else "37,99,235"
        spans.append(f'<span title="{w:+.4f}" style="background-color: rgba({rgb},{alpha:.2f}); '
                     f'border-radius: 3px; padding: 0 1px">{html.escape(str(tok))}</span>')
    return '<div style="line-height: 1.9; white-space: pre-wrap">' + "".join(spans) + "</div>"


def details_text(details: object, limit: int = 400) -> str:
    """An audit-log entry's JSON details as readable text: 'decision: approve · role: committee ·
    row: signoffs'; nested objects flattened, empty values left out, long values shortened with …
    (the raw JSON, which the hash covers, stays in the catalog and `assay log`)."""
    try:
        data = json.loads(details) if isinstance(details, str) else details
    except ValueError:
        return str(details)
    if not isinstance(data, dict):
        return "" if data is None else str(data)

    def words(value: Any) -> str:
        if isinstance(value, dict):
            return ", ".join(f"{k} {words(v)}" for k, v in value.items() if v not in (None, "", [], {}))
        if isinstance(value, list):
            return ", ".join(words(v) for v in value)
        text = str(value)
        return text[:24] + "…" if len(text) > 40 and " " not in text else text   # hashes: a prefix is enough

    parts = [f"{k.replace('_', ' ')}: {words(v)}" for k, v in data.items() if v not in (None, "", [], {})]
    out = " · ".join(parts)
    return out if len(out) <= limit else out[:limit - 1] + "…"
