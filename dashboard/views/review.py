"""Review: label the run's review queue, see agreement and coverage, adjudicate, download
retraining data. The parts, one module each: the labeling queue (``review_queue``: card, buttons,
single keys), adjudication (``review_adjudicate``), the retraining files (``review_exports``:
deferred, role-checked and logged downloads); the card both queue and adjudication show
(``review_item.evidence_card``).
"""

from __future__ import annotations

import streamlit as st

from audits.errors import AssayError
from audits.store.queries import reviews as rv
from dashboard import auth, state
from dashboard.views import review_adjudicate, review_exports, review_queue
from dashboard.views.review_item import (ATTACK_NAMES, FLAG_KEYS, FLAG_NAMES, KEYS, LABEL_NAMES,  # noqa: F401
                                         card_html, evidence_card)

__all__ = ["ATTACK_NAMES", "FLAG_KEYS", "FLAG_NAMES", "KEYS", "LABEL_NAMES", "card_html", "evidence_card", "render"]


def render() -> None:
    st.title("Review")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        user = auth.current_user(state.catalog(), announce=False)
        review_queue.labeling(run_id, user)
        if rv.review_queue(state.catalog(), run_id).empty:
            return
        if auth.can(user, "adjudicate"):
            review_adjudicate.render(run_id, user)
        if auth.can(user, "export_retraining"):
            review_exports.render(run_id, user)
    except AssayError as err:
        state.show_error(err)
