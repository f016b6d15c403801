"""Text rendering: token attributions as coloured HTML spans (always escaped); selection reasons in words."""

from __future__ import annotations

import html
from typing import Sequence


REASONS = {"cf_flip": "decision changed under a counterfactual swap", "pii_leak": "leaked personal data",
           "toxic": "output scored toxic", "wrong_answer": "wrong answer", "sampled": "random sample",
           "random": "random sample"}


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
