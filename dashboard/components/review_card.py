"""The Review card: one queued item as one HTML block (so a rerun replaces it whole, never showing parts
of two items), with the evidence that queued it marked: personal data, toxic words, unsupported claims, a
red-team attack's success marker, the counterfactual pair, a user's feedback. Everything is escaped."""

from __future__ import annotations

import re
from html import escape

import pandas as pd

from audits.review.evidence import AttackEvidence, Feedback
from dashboard.components import highlight, text
from reports.glossary import group_text

CARD_CSS = ("<style>.assay-card{border:1px solid #d0d5dd;border-radius:8px;padding:.5rem .75rem;margin-bottom:.4rem}"
            ".assay-card .box{white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:.85rem;"
            "background:#f8f9fb;border-radius:6px;padding:.35rem .5rem;max-height:5.5rem;overflow:auto;margin:.1rem 0 .3rem}"
            ".assay-card .lbl{font-size:.78rem;color:#475467;font-weight:600}"
            ".assay-card .cols{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}"
            ".assay-card .why{font-size:.85rem;margin-bottom:.3rem}"
            ".assay-card ul{margin:.1rem 0 .2rem;padding-left:1.2rem}"
            ".assay-card mark.assay-leak{outline:2px solid #b42318;outline-offset:0}</style>")
# a box holds ~5 lines (longer text scrolls inside it): with Streamlit's page top (~220 px: bar, padding,
# title, queue line) the card of a leak item (~400 px) leaves the label buttons on screen at 1280x800

# what each kind of mark in the output shows (its colour: highlight.COLOURS)
MARK_WORDS = {"pii": "personal data", "toxic": "toxic words", "claim": "unsupported claims",
              "attack": "the attack's success marker", "leak": "the leaked value that queued it (outlined)"}


def _context_pattern(context: str) -> str:
    """A regex for a finding's redacted context as it stands in the stored output: a tag cut at either edge
    of the window is dropped, and each ``<TYPE>`` also matches the item's pseudonym ``<TYPE_n>`` or, failing that,
    a short run of text (a value the stored output keeps as it is: public benchmark text, e.g. BBQ's names)."""
    first_lt, first_gt = context.find("<"), context.find(">")
    if first_gt != -1 and (first_lt == -1 or first_gt < first_lt):
        context = context[first_gt + 1:]
    last_lt, last_gt = context.rfind("<"), context.rfind(">")
    if last_lt > last_gt:
        context = context[:last_lt]
    parts, pos = [], 0
    for m in highlight.PLACEHOLDER.finditer(context):
        parts += [re.escape(context[pos:m.start()]), rf"(?:<{m.group(1)}(?:_\d+)?>|[^<>\n]{{1,80}}?)"]
        pos = m.end()
    return "".join(parts) + re.escape(context[pos:])


def leak_tags(prediction: str | None, input_text: str | None, spans: list[dict]) -> list[list[tuple[int, int, str]]]:
    """For each leaked span, where it stands in the stored (pseudonymised) output: (start, end, tag) of the
    ``<TYPE_n>`` placeholders it can be. Pseudonyms are consistent across the item, and a leak is a value not
    in the input, so the candidates are the output's tags of the span's type that the input does not carry,
    narrowed to those inside the span's redacted context where that is found in the output."""
    text = str(prediction or "")
    given = {m.group(0) for m in highlight.PLACEHOLDER.finditer(str(input_text or ""))}
    tags = [(m.start(), m.end(), m.group(0), m.group(1)) for m in highlight.PLACEHOLDER.finditer(text)]
    out = []
    for s in spans:
        ent = str(s.get("entity_type") or "")
        cands = [(a, b, t) for a, b, t, e in tags if e == ent and t not in given]
        ctx = str(s.get("context") or "")
        pattern = _context_pattern(ctx) if highlight.PLACEHOLDER.search(ctx) else ""
        if pattern.strip():
            inside = [(a, b, t) for a, b, t in cands
                      if any(m.start() <= a and b <= m.end() for m in re.finditer(pattern, text))]
            cands = inside or cands
        out.append(cands)
    return out


def context_in_output(prediction: str | None, context: str | None, tags: list[tuple[int, int, str]]) -> str | None:
    """The span's redacted context as the output shows it (with the item's pseudonyms), the leaked tags
    outlined; None when the context is not found around them."""
    text, ctx = str(prediction or ""), str(context or "")
    pattern = _context_pattern(ctx) if tags and highlight.PLACEHOLDER.search(ctx) else ""
    if not pattern.strip():
        return None
    for m in re.finditer(pattern, text):
        inside = [(a - m.start(), b - m.start(), "leak", "the leak") for a, b, _ in tags
                  if m.start() <= a and b <= m.end()]
        if inside:
            return highlight.marked(text[m.start():m.end()], inside)
    return None


def leaks_html(spans: list[dict], where: list[list[tuple[int, int, str]]] | None = None,
               prediction: str | None = None) -> str:
    """The leaked spans that queued an item: the raw value for roles allowed to see it (admins, when the
    run kept raw text), otherwise the placeholder with its type and the redacted context; ``where``
    (:func:`leak_tags`) names the output's pseudonym of each, so the reader sees which tag was the leak."""
    if not spans:
        return ""
    rows = []
    for i, s in enumerate(spans):
        names = list(dict.fromkeys(t for _, _, t in (where[i] if where and i < len(where) else [])))
        tag = (" or ".join(escape(t) for t in names) if names else f"&lt;{escape(str(s['entity_type']))}&gt;")
        shown = (f"<mark style='background:#fde68a'>{escape(str(s['value']))}</mark> <i>(raw, admins only)</i>"
                 + (f" = <mark class='assay-leak-tag' style='background:#fde68a'>{tag}</mark> in the output"
                    if names else "")
                 if s.get("value") else f"<mark class='assay-leak-tag' style='background:#fde68a'>{tag}</mark>"
                 + (" <i>(outlined in the output; raw text not shown to your role, or not kept)</i>" if names
                    else " <i>(raw text not shown to your role, or not kept)</i>"))
        ctx = context_in_output(prediction, s.get("context"), where[i]) if names and where else None
        rows.append(f"<li>{escape(str(s['entity_type']))} in {escape(str(s.get('field') or 'output'))}: {shown} — "
                    f"{ctx if ctx is not None else escape(str(s.get('context') or ''))}</li>")
    return "<div class='lbl'>The leaked text that queued this item</div><ul style='font-size:.82rem'>" + "".join(rows) + "</ul>"


def claims_html(claims: list[dict]) -> str:
    """The claims the groundedness detector did not find supported by the item's context."""
    rows = "".join(f"<li><b>{escape(str(c['verdict']))}</b> (p={float(c.get('score') or 0):.2f}): "
                   f"{escape(str(c['claim']))}</li>" for c in claims)
    return ("<div class='lbl'>Claims not supported by the context (the detector's verdicts; flag h if you agree)</div>"
            f"<ul style='font-size:.82rem'>{rows}</ul>")


def attack_html(attack: AttackEvidence, marked_in_output: bool) -> str:
    """The red-team attack that queued an item: family and technique in words, how the detector decided,
    the finding's excerpt (when the marker could not be marked in the stored output), and what each label means."""
    parts = [f"family: <b>{escape(attack['family_words'])}</b>"]
    if attack.get("attack"):
        parts.append(f"technique: {escape(str(attack['attack']))}")
    parts.append(f"how it was detected: {escape(attack['verdict'])}")
    html_ = "<div class='lbl'>The red-team attack that succeeded</div><div class='why'>" + " · ".join(parts) + "</div>"
    if attack.get("excerpt") and not marked_in_output:
        ex = str(attack["excerpt"]).split("**")   # the marker stands between ** in the finding's context
        shown = "".join(f"<mark class='assay-attack' style='background:{highlight.COLOURS['attack']}'>{escape(p)}</mark>"
                        if i % 2 else escape(p) for i, p in enumerate(ex))
        html_ += f"<div class='lbl'>Where the detector found it</div><div class='box'>{shown}</div>"
    return html_ + ("<div class='why'><b>Confirm</b> the attack if the output does what the attack asked (button "
                    "<i>Confirm: attack worked</i>; the reply the model should have given, e.g. a refusal, is optional). "
                    "<b>Dismiss</b> it as a false alarm if it does not (button <i>Dismiss: false alarm</i>). Either "
                    "way this output never enters retraining data as a correct answer.</div>")


def feedback_html(feedback: Feedback) -> str:
    """The user's feedback logged with a production answer (its text redacted at rest)."""
    kind = {"negative": "negative", "positive": "positive", "unknown": "not recognised"}.get(str(feedback.get("kind")),
                                                                                             "none")
    value = f" (logged as {escape(str(feedback['value']))})" if feedback.get("value") is not None else ""
    said = (highlight.marked(feedback["text"], highlight.pii_spans(feedback["text"])) if feedback.get("text")
            else "<i>no comment left</i>")
    return f"<div class='lbl'>The user's feedback: {kind}{value}</div><div class='box assay-feedback'>{said}</div>"


def card_html(item: dict, leaks: list[dict] | None = None, claims: list[dict] | None = None,
              attack: AttackEvidence | None = None, feedback: Feedback | None = None, pair: pd.DataFrame | None = None
              ) -> str:
    """The whole item as one HTML block: header, the reason with its evidence marked, input, output and
    reference (so a rerun replaces it whole). ``leaks``: :func:`audits.review.leaks.queued_spans` of the item;
    ``claims``: the unsupported claims; ``attack`` / ``feedback``: :mod:`audits.review.evidence` of an item queued
    as attack_success / negative_feedback; ``pair``: the counterfactual variants of a cf_flip item."""

    reasons = {r.strip() for r in str(item.get("reason") or "").split(",") if r.strip()}
    where = leak_tags(item.get("prediction"), item.get("input"), leaks) if leaks else []
    # the leaked tags first: marked() keeps the first of two spans at the same place
    out_spans = [(a, b, "leak", f"the leaked personal data that queued this item: {t}")
                 for a, b, t in dict.fromkeys(c for cands in where for c in cands)]
    out_spans += list(highlight.pii_spans(item.get("prediction")))
    if attack:  # the success marker, where the detector finds it in the stored output
        out_spans = highlight.marker_spans(item.get("prediction"), attack["markers"]) + out_spans
    if "toxic" in reasons:
        out_spans += highlight.toxic_spans(item.get("prediction"))
    if claims:  # groundedness: the unsupported claims of a hallucinated answer
        out_spans += highlight.claim_spans(item.get("prediction"), claims)
    header = (f"<div class='lbl'>{escape(str(item['task']))} / <span class='assay-item-id'>{escape(str(item['sample_id']))}"
              f"</span> · group: {escape(group_text(item.get('stratum')))} · {item.get('remaining', '—')} of "
              f"{item.get('n_queue', '—')} left for you</div>")
    why = f"<div class='why'>Queued because: <b>{escape(text.reason_text(item.get('reason')))}</b>"
    marks = {k for _, _, k, _ in out_spans}
    if marks:
        why += " — marked in the output: " + ", ".join(
            f"<mark class='assay-{k}' style='background:{highlight.COLOURS.get(k, highlight.COLOURS['pii'])}'>"
            f"{MARK_WORDS[k]}</mark>" for k in sorted(marks))
    why += "</div>"
    body = [header, why, "<div class='lbl'>Input</div>",
            f"<div class='box'>{highlight.marked(item.get('input'), highlight.pii_spans(item.get('input')))}</div>",
            "<div class='cols'><div><div class='lbl'>Model output</div>"
            f"<div class='box assay-output'>{highlight.marked(item.get('prediction'), out_spans)}</div></div>"
            "<div><div class='lbl'>Reference</div>"
            f"<div class='box'>{highlight.marked(item.get('reference') or item.get('gold'), [])}</div></div></div>"]
    if item.get("choices"):
        body.append(f"<div class='lbl'>Choices: {escape(' · '.join(map(str, item['choices'])))}</div>")
    if leaks:
        body.append(leaks_html(leaks, where, item.get("prediction")))
    if claims:
        body.append(claims_html(claims))
    if attack:
        body.append(attack_html(attack, "attack" in marks))
    if feedback:
        body.append(feedback_html(feedback))
    if pair is not None and "cf_flip" in reasons:
        values = [str(v) for v in pair["value"]]
        rows = "".join(f"<tr><td><mark style='background:#c7d2fe'>{escape(str(r['value']))}</mark></td>"
                       f"<td>{highlight.marked(str(r['prompt']), highlight.word_spans(str(r['prompt']), values))}</td>"
                       f"<td><b>{escape(str(r['decision']))}</b></td></tr>"
                       for r in pair.to_dict("records"))
        body.append("<div class='lbl'>The counterfactual pair that flipped (same prompt, one value swapped)</div>"
                    f"<table style='font-size:.82rem'><tr><th>value</th><th>prompt</th><th>decision</th></tr>{rows}</table>")
    # one line: st.markdown ends an HTML block at a line break, and what followed was read as markdown (a
    # red-team prompt's second line onwards: `find constance` as code, an indented output as a code block
    # running out of the card, the rest of the markup shown as text); the boxes keep their lines (pre-wrap)
    card = CARD_CSS + "<div class='assay-card'>" + "".join(body) + "</div>"
    return card.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "&#10;")
