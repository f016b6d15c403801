"""Adjudication on the Review page: the items whose reviewers disagree, each shown as the same card the
labeling queue shows (:func:`dashboard.views.review_item.evidence_card`: the leaked span outlined as the
output's pseudonym, toxic words, claims, the attack), the reviewers' labels, and the final label."""

from __future__ import annotations

import streamlit as st

from audits.errors import AssayError
from audits.store.queries import reviews as rv
from dashboard import auth, state
from dashboard.views.review_item import LABEL_NAMES, MSG, evidence_card, flash


def _save(run_id: str, user: auth.User, task: str, sample_id: str) -> None:
    """Form callback: store the final label the form holds (runs before the next script run)."""
    label = st.session_state.get("adj_label")
    if label is None:
        st.session_state[MSG] = ("warning", "Pick a label first (correct, incorrect or needs rephrasing).")
        return
    if label == "incorrect" and not (st.session_state.get("adj_correction") or "").strip():
        st.session_state[MSG] = ("warning", "“Incorrect” needs the corrected output.")
        return
    try:
        rv.record_review(state.catalog(), run_id, task, sample_id, user.name, user.role, label,
                         correction=st.session_state.get("adj_correction"),
                         note=st.session_state.get("adj_note"), adjudication=True)
    except AssayError as err:
        st.session_state[MSG] = ("error", f"{err.problem} — {err.fix}" if err.fix else err.problem)
        return
    for field, empty in (("label", None), ("correction", ""), ("note", "")):  # fresh form for the next item
        st.session_state["adj_" + field] = empty
    st.session_state[MSG] = ("success", f"Adjudicated {task}/{sample_id} as {LABEL_NAMES[label].lower()}.")


def vote_html(reviewer: object, label: object, correction: object, note: object) -> str:
    """One reviewer's label with their corrected output and note, escaped and on one HTML line: a line break
    ended st.markdown's HTML block and the rest of a multi-line correction was read as markdown; the lines
    stay lines (pre-wrap)."""
    from html import escape

    said = f"<b>{escape(str(reviewer))}</b>: {escape(LABEL_NAMES.get(str(label), str(label)))}"
    for what, value in (("corrected output", correction), ("note", note)):
        if isinstance(value, str) and value.strip():
            shown = escape(value).replace("\r\n", "\n").replace("\n", "&#10;")
            said += f" — {what}: <i style='white-space:pre-wrap'>{shown}</i>"
    return said


def _votes(run_id: str, task: str, sample_id: str, flags: set[str]) -> str:
    """Each reviewer's label of the item, with their corrected output and note, and the item's flags (HTML)."""
    from html import escape

    latest = rv.latest_reviews(state.catalog(), run_id)
    mine = latest[(latest["task"] == task) & (latest["sample_id"].astype(str) == sample_id) & ~latest["adjudication"]]
    rows = [f"<li>{vote_html(r.reviewer, r.label, r.correction, r.note)}</li>" for r in mine.itertuples(index=False)]
    flagged = f"<div class='lbl'>Flagged by a reviewer: {escape(', '.join(sorted(flags)))}</div>" if flags else ""
    return f"<div class='lbl'>What the reviewers said</div><ul style='font-size:.85rem'>{''.join(rows)}</ul>{flagged}"


def render(run_id: str, user: auth.User) -> None:
    """The open disagreements of ``run_id``, and the form that settles one (roles that may adjudicate)."""
    st.subheader("Adjudicate disagreements")
    flash()
    cat = state.catalog()
    open_items = rv.disagreements(cat, run_id)
    if open_items.empty:
        st.caption("No open disagreements.")
        return
    st.dataframe(open_items[["task", "sample_id", "reason", "labels"]], hide_index=True, width="stretch")
    keys = [f"{t}/{s}" for t, s in zip(open_items["task"], open_items["sample_id"])]
    choice = st.selectbox("Item", keys, key="adj_item")
    task, sample_id = choice.split("/", 1)
    row = open_items.iloc[keys.index(choice)]
    item = {**rv.item_detail(cat, run_id, task, sample_id), "reason": row["reason"], "stratum": row["stratum"],
            "remaining": len(keys), "n_queue": len(keys)}
    card, _ = evidence_card(run_id, user, item)   # the same evidence the first-pass reviewers saw
    st.markdown(card, unsafe_allow_html=True)
    st.markdown(_votes(run_id, task, sample_id, rv.item_flags(cat, run_id).get((task, sample_id), set())),
                unsafe_allow_html=True)
    with st.form("adj_form", clear_on_submit=True):
        st.radio("Final label", list(LABEL_NAMES), index=None, format_func=LABEL_NAMES.get, horizontal=True,
                 key="adj_label")
        st.text_area("Final corrected output", key="adj_correction", height=100)
        st.text_input("Reason for the decision", key="adj_note")
        st.form_submit_button("Adjudicate", type="primary", on_click=_save, args=(run_id, user, task, sample_id))
