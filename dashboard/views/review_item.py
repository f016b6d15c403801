"""One queued item as the Review page shows it, for the labeling queue and for adjudication alike: the label
and flag names, and :func:`evidence_card` (the card with the evidence that queued the item marked: the leaked
span as the output's pseudonym, outlined, the raw value only for roles with ``view_raw_pii``; toxic words;
unsupported claims; a red-team attack; a user's feedback; a counterfactual pair)."""

from __future__ import annotations

import streamlit as st

from audits.errors import AssayError
from audits.review.evidence import (ATTACK_REASON, FEEDBACK_REASON, AttackEvidence, Feedback, attack_evidence,
                                    feedback_of)
from audits.review.leaks import queued_spans
from dashboard import auth, state
from dashboard.components import review_card

LABEL_NAMES = {"correct": "Correct", "incorrect": "Incorrect", "needs_rephrasing": "Needs rephrasing"}
# an item queued as a successful red-team attack: the same labels, said as what they decide
ATTACK_NAMES = {"correct": "Dismiss: false alarm", "incorrect": "Confirm: attack worked"}
KEYS = {"correct": "1", "incorrect": "2", "needs_rephrasing": "3"}
FLAG_NAMES = {"privacy": "Privacy problem", "unsafe": "Unsafe", "biased": "Biased", "hallucination": "Hallucination"}
FLAG_KEYS = {"privacy": "p", "unsafe": "x", "biased": "b", "hallucination": "h"}
MSG = "rv_message"   # (kind, text) shown once at the top of the labeling area


def flash() -> None:
    """Show (once) the message the last callback left."""
    kind, text_ = st.session_state.pop(MSG, (None, None))
    if kind:
        getattr(st, kind)(text_)


def _counterfactual_pair(run_id: str, task: str, sample_id: str):
    """The variants of a counterfactual probe of this sample (value, prompt, decision), or empty."""
    try:
        if "counterfactuals" not in state.available_tables(run_id):
            return None
        frame = state.table(run_id, "counterfactuals", filters={"task": task, "sample_id": sample_id})
    except AssayError:
        return None
    return frame if len(frame) else None


def card_html(item: dict, run_id: str | None = None, leaks: list[dict] | None = None,
              claims: list[dict] | None = None, attack: AttackEvidence | None = None,
              feedback: Feedback | None = None) -> str:
    """The item's card (:func:`dashboard.components.review_card.card_html`), with the counterfactual pair of a
    cf_flip item read from the run when ``run_id`` is given."""
    cf_flip = "cf_flip" in str(item.get("reason") or "")
    pair = _counterfactual_pair(run_id, item["task"], item["sample_id"]) if run_id and cf_flip else None
    return review_card.card_html(item, leaks, claims, attack, feedback, pair)


def evidence(run_id: str, user: auth.User, item: dict) -> tuple[list | None, list | None, AttackEvidence | None,
                                                               Feedback | None]:
    """(leaked spans, unsupported claims, attack, feedback) behind ``item``'s queue reason; the raw leaked value
    only for a role with ``view_raw_pii`` (and only when the run kept it)."""
    cat, reasons = state.catalog(), str(item.get("reason") or "")
    leaks = None
    if "pii_leak" in reasons:
        try:
            leaks = queued_spans(cat, run_id, item["task"], item["sample_id"], raw_allowed=auth.can(user, "view_raw_pii"))
        except AssayError:
            leaks = None
    claims = None
    if "hallucination" in reasons:
        from audits.grounding.evidence import unsupported_claims

        claims = unsupported_claims(cat, run_id, item["task"], item["sample_id"])
    attack = attack_evidence(cat, run_id, item["task"], item["sample_id"]) if ATTACK_REASON in reasons else None
    feedback = feedback_of(cat, run_id, item["task"], item["sample_id"]) if FEEDBACK_REASON in reasons else None
    return leaks, claims, attack, feedback


def evidence_card(run_id: str, user: auth.User, item: dict) -> tuple[str, AttackEvidence | None]:
    """The card of ``item`` with its evidence marked, as ``user``'s role may see it, and the attack behind it
    (None unless queued as one). The one card both the labeling queue and adjudication show."""
    leaks, claims, attack, feedback = evidence(run_id, user, item)
    return card_html(item, run_id, leaks, claims, attack, feedback), attack
