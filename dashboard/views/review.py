"""Review: label the run's review queue, see agreement and coverage, adjudicate, download
retraining data.

Keyboard: 1 / 2 / 3 label the item (correct / incorrect / needs rephrasing), n skips, u undoes
the last label (the item comes back to be relabelled; the new row wins), p / x / b add the flags
privacy / unsafe / biased. "Incorrect" needs a corrected output: 2 puts the cursor there and
Ctrl/Cmd+Enter saves. The item is one HTML block with the evidence that queued it marked (personal
data, toxic words, the counterfactual pair), so a rerun never shows parts of two items.
"""

from __future__ import annotations

import json
import time

import streamlit as st
import streamlit.components.v1 as components

from audits.errors import AssayError
from audits.review.evidence import (ATTACK_REASON, FEEDBACK_REASON, AttackEvidence, Feedback, attack_evidence,
                                    attack_reviews, feedback_of)
from audits.review.leaks import queued_spans
from audits.store.queries import reviews as rv
from dashboard import auth, state
from dashboard.components import review_card, text
from reports.glossary import group_text

LABEL_NAMES = {"correct": "Correct", "incorrect": "Incorrect", "needs_rephrasing": "Needs rephrasing"}
# an item queued as a successful red-team attack: the same labels, said as what they decide
ATTACK_NAMES = {"correct": "Dismiss: false alarm", "incorrect": "Confirm: attack worked"}
KEYS = {"correct": "1", "incorrect": "2", "needs_rephrasing": "3"}
FLAG_NAMES = {"privacy": "Privacy problem", "unsafe": "Unsafe", "biased": "Biased", "hallucination": "Hallucination"}
FLAG_KEYS = {"privacy": "p", "unsafe": "x", "biased": "b", "hallucination": "h"}
_MSG = "rv_message"
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


def _text_block(title: str, value) -> None:
    st.markdown(f"**{title}**")
    st.code("—" if value in (None, "") else str(value), language=None, wrap_lines=True)


def _show_item(item: dict) -> None:
    st.caption(f"{item['task']} / {item['sample_id']} · queued because: **{text.reason_text(item['reason'])}** · "
               f"group: {group_text(item['stratum'])} · "
               f"{item['remaining']} of {item['n_queue']} left for you")
    _text_block("Input", item["input"])
    left, right = st.columns(2)
    with left:
        _text_block("Model output", item["prediction"])
    with right:
        _text_block("Reference", item.get("reference") or item.get("gold"))
    if item.get("choices"):
        st.caption("Choices: " + " · ".join(map(str, item["choices"])))


def _label(run_id: str, user: auth.User, task: str, sample_id: str, label: str, attack: bool = False) -> None:
    """Button callback: store ``label`` (with the correction, note and flags the page holds) for
    the item on screen; a click meant for an item no longer shown is ignored. On a red-team item
    (``attack``) "incorrect" confirms the attack and needs no correction; "correct" dismisses it."""
    if st.session_state.get(_SHOWN) != (task, sample_id):
        return
    correction = (st.session_state.get("rv_correction") or "").strip()
    if label == "incorrect" and not correction and not attack:
        st.session_state[_MSG] = ("warning", "“Incorrect” needs the corrected output: type the answer the model "
                                             "should have given, then press Ctrl+Enter (or click Incorrect).")
        return
    flags = [f for f in FLAG_NAMES if st.session_state.get(f"rv_flag_{f}")]
    try:  # the label, its flags and the lease on the next item: one catalog transaction
        _, upcoming = rv.label_and_claim_next(state.catalog(), run_id, task, sample_id, user.name, user.role, label,
                                              correction=correction or None, note=st.session_state.get("rv_note"),
                                              flags=flags, skip=st.session_state.get(_SKIP, set()))
    except AssayError as err:
        st.session_state[_MSG] = ("error", f"{err.problem} — {err.fix}" if err.fix else err.problem)
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
    st.session_state[_MSG] = ("success", f"Saved {task}/{sample_id} as {said}{extra}. Press u to undo.")


def _undo() -> None:
    last = st.session_state.get(_LAST)
    if last:
        st.session_state[_REDO] = (last[0], last[1])
        st.session_state[_MSG] = ("info", f"Re-opened {last[0]}/{last[1]} (your label: {LABEL_NAMES[last[2]].lower()}). "
                                          "Pick the right label; the new one replaces it.")


def _save(run_id: str, user: auth.User, task: str, sample_id: str, adjudication: bool = False) -> None:
    """Form callback: store the label the form holds (runs before the next script run)."""
    prefix = "adj_" if adjudication else "rv_"
    label = st.session_state.get(prefix + "label")
    if label is None:
        st.session_state[_MSG] = ("warning", "Pick a label first (correct, incorrect or needs rephrasing).")
        return
    if label == "incorrect" and not (st.session_state.get(prefix + "correction") or "").strip():
        st.session_state[_MSG] = ("warning", "“Incorrect” needs the corrected output.")
        return
    try:
        rv.record_review(state.catalog(), run_id, task, sample_id, user.name, user.role, label,
                         correction=st.session_state.get(prefix + "correction"),
                         note=st.session_state.get(prefix + "note"), adjudication=adjudication)
    except AssayError as err:
        st.session_state[_MSG] = ("error", f"{err.problem} — {err.fix}" if err.fix else err.problem)
        return
    for field, empty in (("label", None), ("correction", ""), ("note", "")):  # fresh form for the next item
        st.session_state[prefix + field] = empty
    what = "Adjudicated" if adjudication else "Saved"
    st.session_state[_MSG] = ("success", f"{what} {task}/{sample_id} as {LABEL_NAMES[label].lower()}.")


def _skip(task: str, sample_id: str) -> None:
    if st.session_state.get(_SHOWN) != (task, sample_id):
        return
    st.session_state.setdefault(_SKIP, set()).add((task, sample_id))
    st.session_state.pop(_REDO, None)
    st.session_state.pop(_CUR, None)
    st.session_state[_MSG] = ("info", f"Skipped {task}/{sample_id} for this session.")


def _flash() -> None:
    kind, text_ = st.session_state.pop(_MSG, (None, None))
    if kind:
        getattr(st, kind)(text_)


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
def _labeling(run_id: str, user: auth.User) -> None:
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
        st.info(f"Signed in as {user.name} ({user.role}): viewers can read review statistics but cannot label. "
                "Labeling needs the role reviewer, committee or admin.", icon=":material/visibility:")
        return
    _flash()
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
    leaks = None
    if "pii_leak" in str(item.get("reason") or ""):
        try:
            leaks = queued_spans(state.catalog(), run_id, item["task"], item["sample_id"],
                                    raw_allowed=auth.can(user, "view_raw_pii"))
        except AssayError:
            leaks = None
    claims = None
    if "hallucination" in str(item.get("reason") or ""):
        from audits.grounding.evidence import unsupported_claims

        claims = unsupported_claims(state.catalog(), run_id, item["task"], item["sample_id"])
    reasons = str(item.get("reason") or "")
    attack = attack_evidence(state.catalog(), run_id, *key) if ATTACK_REASON in reasons else None
    feedback = feedback_of(state.catalog(), run_id, *key) if FEEDBACK_REASON in reasons else None
    st.markdown(card_html(item, run_id, leaks, claims, attack, feedback), unsafe_allow_html=True)
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


def _adjudication(run_id: str, user: auth.User) -> None:
    st.subheader("Adjudicate disagreements")
    cat = state.catalog()
    open_items = rv.disagreements(cat, run_id)
    if open_items.empty:
        st.caption("No open disagreements.")
        return
    st.dataframe(open_items[["task", "sample_id", "reason", "labels"]], hide_index=True, width="stretch")
    keys = [f"{t}/{s}" for t, s in zip(open_items["task"], open_items["sample_id"])]
    choice = st.selectbox("Item", keys, key="adj_item")
    task, sample_id = choice.split("/", 1)
    _show_item({**rv.item_detail(cat, run_id, task, sample_id), "reason": open_items.iloc[keys.index(choice)]["reason"],
                "stratum": open_items.iloc[keys.index(choice)]["stratum"], "remaining": len(keys), "n_queue": len(keys)})
    with st.form("adj_form", clear_on_submit=True):
        st.radio("Final label", list(LABEL_NAMES), index=None, format_func=LABEL_NAMES.get, horizontal=True,
                 key="adj_label")
        st.text_area("Final corrected output", key="adj_correction", height=100)
        st.text_input("Reason for the decision", key="adj_note")
        st.form_submit_button("Adjudicate", type="primary", on_click=_save,
                              args=(run_id, user, task, sample_id, True))


def _downloads(run_id: str, user: auth.User) -> None:
    from audits.review import retraining

    st.subheader("Retraining data")
    st.caption("Settled labels only (reviewers agree, or adjudicated). SFT: chat messages with the confirmed or "
               "corrected answer. Preference: prompt, chosen = correction, rejected = model output. Personal data "
               "is replaced by <ENTITY> tags with the PII scanner's engine.")
    keep = st.checkbox("Keep raw PII (admins only)", key="rt_keep_pii") if auth.can(user, "view_raw_pii") else False
    flagged = rv.flag_counts(state.catalog(), run_id)
    name = {f: f"{FLAG_NAMES[f]} ({flagged[f]} flagged)" for f in FLAG_NAMES}
    left, right = st.columns(2)
    only = right.multiselect("Only items flagged", list(FLAG_NAMES), default=[], format_func=name.get, key="rt_only",
                             help="Keep only items a reviewer flagged so, e.g. the corrected biased answers as "
                                  "preference pairs for debiasing.")
    exclude = left.multiselect("Leave out items flagged", list(FLAG_NAMES), default=list(FLAG_NAMES),
                               format_func=name.get, key="rt_exclude",
                               help="An item any reviewer flagged with one of these is not in the files "
                                    "(a flag picked under “Only items flagged” selects instead).")
    exclude = [f for f in exclude if f not in only]
    if st.button("Prepare retraining files", key="rt_prepare"):
        with st.spinner("Building and scrubbing…"):
            files = {}
            for kind in retraining.KINDS:
                data, manifest = retraining.build_export(state.catalog(), run_id, kind, scrub=not keep,
                                                         exclude_flags=exclude, only_flags=only)
                manifest["file"] = f"{run_id}-{kind}.jsonl"
                retraining.log_export(state.catalog(), run_id, manifest, user.name)
                files[kind] = (data, manifest)
        st.session_state["rt_files"] = (run_id, files)
    prepared = st.session_state.get("rt_files")
    if prepared and prepared[0] == run_id:
        import json

        first = next(iter(prepared[1].values()))[1]
        ff = first["flag_filter"]
        st.caption(f"Left out {first['n_flagged_out']} flagged item(s) ({', '.join(ff['exclude']) or 'no flag excluded'})"
                   + (f"; only items flagged {', '.join(ff['only'])} ({ff['not_carrying_only_flags']} others left out)"
                      if ff["only"] else "") + ".")
        cols = st.columns(4)
        for i, (kind, (data, manifest)) in enumerate(prepared[1].items()):
            cols[2 * i].download_button(f"{kind.upper()} JSONL ({manifest['counts']['records']})", data,
                                        file_name=manifest["file"], mime="application/jsonl", key=f"rt_dl_{kind}")
            cols[2 * i + 1].download_button(f"{kind} manifest", json.dumps(manifest, indent=2),
                                            file_name=manifest["file"].replace(".jsonl", ".manifest.json"),
                                            mime="application/json", key=f"rt_man_{kind}")


def render() -> None:
    st.title("Review")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        user = auth.current_user(state.catalog(), announce=False)
        _labeling(run_id, user)
        if rv.review_queue(state.catalog(), run_id).empty:
            return
        if auth.can(user, "adjudicate"):
            _adjudication(run_id, user)
        if auth.can(user, "export_retraining"):
            _downloads(run_id, user)
    except AssayError as err:
        state.show_error(err)
