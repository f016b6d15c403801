"""The Review page's labeling queue: the next item (leased, so two reviewers at once get different items),
its card with the evidence that queued it, the label buttons, flags, the corrected output, and single keys.

Keyboard: 1 / 2 / 3 label the item (correct / incorrect / needs rephrasing), n skips, u undoes
the last label (the item comes back to be relabelled; the new row wins), p / x / b add the flags
privacy / unsafe / biased. "Incorrect" needs a corrected output: 2 puts the cursor there and
Ctrl/Cmd+Enter saves. The item is one HTML block (:func:`dashboard.views.review_item.evidence_card`), so a
rerun never shows parts of two items.
"""

from __future__ import annotations

import json
import time

import streamlit as st
import streamlit.components.v1 as components

from audits.errors import AssayError
from audits.review.evidence import attack_reviews
from audits.store.queries import reviews as rv
from dashboard import auth, state
from dashboard.views.review_item import (ATTACK_NAMES, FLAG_KEYS, FLAG_NAMES, KEYS, LABEL_NAMES, MSG, evidence_card,
                                         flash)

_SKIP = "rv_skipped"
_SHOWN = "rv_shown"      # (task, sample_id) on screen: a stale click never labels another item
_LAST = "rv_last"        # the reviewer's last label this session: undo re-opens it
_REDO = "rv_redo"        # (task, sample_id) being relabelled
_CUR = "rv_current"      # (run_id, reviewer, item, served at): the leased item, reused until acted on
_STATS = "rv_stats"      # (run_id, caption): the last queue statistics, shown while the new ones load

# Single keys: 1/2/3 label, n skips, u undoes, p/x/b toggle flags. 2 and 3 with an empty corrected
# output put the cursor there; Ctrl/Cmd+Enter in it saves with that label.
_KEYS_CODE = """
(() => {
  const w = window, doc = document;
  if (w.__assayReviewKeys) return;
  w.__assayReviewKeys = true;
  const click = (key) => {
    const b = doc.querySelector('.st-key-' + key + ' button');
    if (b && !b.disabled) { w.__assayClickAt = performance.now(); b.click(); return true; }
    return false;
  };
  doc.addEventListener('keydown', (e) => {
    if (!doc.querySelector('.st-key-rv_b_correct')) return;   // not on the Review page
    const t = e.target, tag = (t.tagName || '').toLowerCase();
    if (tag === 'textarea' || tag === 'input' || t.isContentEditable) {
      if (tag === 'textarea' && e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault(); e.stopPropagation();
        const pending = w.__assayPending || 'rv_b_incorrect';
        t.blur();                                   // commits the text to Streamlit first
        setTimeout(() => click(pending), 120);
      } else if (e.key === 'Escape') { t.blur(); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const k = e.key.toLowerCase();
    if (k === '2' || k === '3') {
      const key = k === '2' ? 'rv_b_incorrect' : 'rv_b_needs_rephrasing';
      const box = doc.querySelector('.st-key-rv_correction textarea');
      e.preventDefault();
      if (box && !box.value.trim()) { w.__assayPending = key; box.focus(); return; }
      click(key); return;
    }
    const buttons = {'1': 'rv_b_correct', 'n': 'rv_b_skip', 'u': 'rv_b_undo'};
    const flags = {'p': 'rv_flag_privacy', 'x': 'rv_flag_unsafe', 'b': 'rv_flag_biased', 'h': 'rv_flag_hallucination'};
    if (k in buttons) { e.preventDefault(); click(buttons[k]); }
    else if (k in flags) {
      const box = doc.querySelector('.st-key-' + flags[k] + ' input');
      if (box) { e.preventDefault(); box.click(); }
    }
  }, true);
})();
"""
# The handler must live in the page itself: a listener defined inside the component's iframe dies
# with that iframe when the fragment reruns. So the iframe only injects it into the parent, once.
_KEYS_JS = ("<script>const p = window.parent; if (!p.__assayReviewKeys) { const s = p.document.createElement('script');"
            f" s.textContent = {json.dumps(_KEYS_CODE)}; p.document.head.appendChild(s); }}</script>")

def _label(run_id: str, user: auth.User, task: str, sample_id: str, label: str, attack: bool = False) -> None:
    """Button callback: store ``label`` (with the correction, note and flags the page holds) for
    the item on screen; a click meant for an item no longer shown is ignored. On a red-team item
    (``attack``) "incorrect" confirms the attack and needs no correction; "correct" dismisses it."""
    if st.session_state.get(_SHOWN) != (task, sample_id):
        return
    correction = (st.session_state.get("rv_correction") or "").strip()
    if label == "incorrect" and not correction and not attack:
        st.session_state[MSG] = ("warning", "“Incorrect” needs the corrected output: type the answer the model "
                                             "should have given, then press Ctrl+Enter (or click Incorrect).")
        return
    flags = [f for f in FLAG_NAMES if st.session_state.get(f"rv_flag_{f}")]
    try:  # the label, its flags and the lease on the next item: one catalog transaction
        _, upcoming = rv.label_and_claim_next(state.catalog(), run_id, task, sample_id, user.name, user.role, label,
                                              correction=correction or None, note=st.session_state.get("rv_note"),
                                              flags=flags, skip=st.session_state.get(_SKIP, set()))
    except AssayError as err:
        st.session_state[MSG] = ("error", f"{err.problem} — {err.fix}" if err.fix else err.problem)
        return
    st.session_state[_CUR] = (run_id, user.name, upcoming, time.monotonic())
    for key in ("rv_correction", "rv_note"):  # a fresh card for the next item
        st.session_state[key] = ""
    for f in FLAG_NAMES:
        st.session_state[f"rv_flag_{f}"] = False
    st.session_state[_LAST] = (task, sample_id, label)
    state.audit_log_entries.clear()   # the label shows on the Audit log page at once
    st.session_state.pop(_REDO, None)
    st.session_state.pop("rv_label", None)
    extra = f" (flagged {', '.join(flags)})" if flags else ""
    said = ATTACK_NAMES[label].lower() if attack and label in ATTACK_NAMES else LABEL_NAMES[label].lower()
    st.session_state[MSG] = ("success", f"Saved {task}/{sample_id} as {said}{extra}. Press u to undo.")


def _undo() -> None:
    last = st.session_state.get(_LAST)
    if last:
        st.session_state[_REDO] = (last[0], last[1])
        st.session_state[MSG] = ("info", f"Re-opened {last[0]}/{last[1]} (your label: {LABEL_NAMES[last[2]].lower()}). "
                                          "Pick the right label; the new one replaces it.")


def _skip(task: str, sample_id: str) -> None:
    if st.session_state.get(_SHOWN) != (task, sample_id):
        return
    st.session_state.setdefault(_SKIP, set()).add((task, sample_id))
    st.session_state.pop(_REDO, None)
    st.session_state.pop(_CUR, None)
    st.session_state[MSG] = ("info", f"Skipped {task}/{sample_id} for this session.")


def _summary_text(run_id: str) -> str:
    """The queue's statistics in one line (one catalog read), flags included."""
    summary = rv.review_summary(state.catalog(), run_id)
    agree = summary["agreement"]
    kappa = "—" if agree["kappa"] is None else f"{agree['kappa']:.2f}"
    flagged = ", ".join(f"{FLAG_NAMES[f].lower()} {n}" for f, n in summary["flags"].items() if n) or "none"
    attacks = attack_reviews(state.catalog(), run_id)
    said = (f" · red-team successes: {attacks['confirmed']} confirmed, {attacks['dismissed']} dismissed as false "
            f"alarms, {attacks['open']} open" if attacks else "")
    return (f"Queue {summary['n_queue']:,} · reviewed {summary['n_reviewed']:,} · coverage of run "
            f"{summary['coverage']:.1%} of {summary['n_samples']:,} samples · agreement κ {kappa} · "
            f"disagreements {summary['disagreements']} · flagged: {flagged}{said}")


def _current_item(run_id: str, user: auth.User) -> dict | None:
    redo = st.session_state.get(_REDO)
    if redo:
        detail = rv.item_detail(state.catalog(), run_id, *redo)
        queue = rv.review_queue(state.catalog(), run_id)
        row = queue[(queue["task"] == redo[0]) & (queue["sample_id"].astype(str) == redo[1])]
        mine = rv.my_latest_label(state.catalog(), run_id, redo[0], redo[1], user.name)
        return {**detail, "reason": row.iloc[0]["reason"] if len(row) else None,
                "stratum": row.iloc[0]["stratum"] if len(row) else None, "remaining": "—", "n_queue": len(queue),
                "relabel": mine["label"] if mine else None}
    # the item on screen stays until it is labelled or skipped (a flag or a text box rerunning the
    # fragment costs no catalog write); it is re-claimed when half its lease has run out
    held = st.session_state.get(_CUR)
    if held and held[:2] == (run_id, user.name) and held[2] is not None and time.monotonic() - held[3] < rv.LEASE_S / 2:
        return held[2]
    # leased: a second reviewer working at the same time is served a different item
    item = rv.claim_next_item(state.catalog(), run_id, user.name, skip=st.session_state.get(_SKIP, set()))
    st.session_state[_CUR] = (run_id, user.name, item, time.monotonic())
    return item


@st.fragment
def labeling(run_id: str, user: auth.User) -> None:
    """The next item and the label buttons; reruns alone after each label.

    The item goes out first: the queue statistics above it keep their last value until the new
    ones are computed after the card is on screen (label -> next item is what the reviewer waits on)."""
    if rv.review_queue(state.catalog(), run_id).empty:
        st.info("This run has no review queue. Runs made with `review.rate` above 0 queue samples for review.")
        return
    slot = st.empty()
    last = st.session_state.get(_STATS)
    if last and last[0] == run_id:
        slot.caption(last[1])
    _item_and_buttons(run_id, user)
    stats = _summary_text(run_id)
    st.session_state[_STATS] = (run_id, stats)
    slot.caption(stats)


def _item_and_buttons(run_id: str, user: auth.User) -> None:
    if not auth.can(user, "review"):
        st.info(f"Signed in as {user.name} ({user.role}): your role can read review statistics but cannot label. "
                "Labeling needs the role reviewer, committee or admin.", icon=":material/visibility:")
        return
    flash()
    item = _current_item(run_id, user)
    if item is None:
        st.session_state[_SHOWN] = None
        st.success("Nothing left for you to label in this run's queue. Thank you!", icon=":material/done_all:")
        if st.session_state.get(_LAST):
            st.button("Undo last label (u)", key="rv_b_undo", on_click=_undo)
        return
    key = (item["task"], item["sample_id"])
    st.session_state[_SHOWN] = key
    if item.get("relabel"):
        st.warning(f"Changing your label of {key[0]}/{key[1]} (was: {LABEL_NAMES.get(item['relabel'], item['relabel'])}).")
    card, attack = evidence_card(run_id, user, item)
    st.markdown(card, unsafe_allow_html=True)
    args = (run_id, user, *key)
    cols = st.columns([1.1, 1.1, 1.5, 0.9, 0.9])
    names = {**LABEL_NAMES, **ATTACK_NAMES} if attack else LABEL_NAMES
    for col, label in zip(cols, LABEL_NAMES):
        col.button(f"{names[label]} · {KEYS[label]}", key=f"rv_b_{label}", on_click=_label, args=(*args, label),
                   kwargs={"attack": attack is not None},
                   type="primary" if label == "correct" else "secondary", width="stretch")
    cols[3].button("Skip · n", key="rv_b_skip", on_click=_skip, args=key, width="stretch")
    cols[4].button("Undo · u", key="rv_b_undo", on_click=_undo, disabled=not st.session_state.get(_LAST),
                   width="stretch")
    fcols = st.columns(len(FLAG_NAMES))
    for col, (flag, name) in zip(fcols, FLAG_NAMES.items()):
        col.checkbox(f"{name} ({FLAG_KEYS[flag]})", key=f"rv_flag_{flag}")
    st.text_area("Corrected output (required for Incorrect; Ctrl+Enter saves)", key="rv_correction", height=68,
                 placeholder="The answer the model should have given")
    st.text_input("Note", key="rv_note", placeholder="optional")
    components.html(_KEYS_JS, height=0)
    first = "1 dismiss (false alarm) · 2 confirm the attack" if attack else "1 correct · 2 incorrect"
    st.caption(f"Keys: {first} · 3 needs rephrasing (2/3 put the cursor in the corrected output when it "
               "is empty; Ctrl+Enter saves) · n skip · u undo · p/x/b flag privacy/unsafe/biased · Esc leaves a text box.")
