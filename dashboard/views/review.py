"""Review: label the run's review queue, see agreement and coverage, adjudicate, download
retraining data.

Keyboard: Tab moves between fields; arrow keys pick the label; Enter in the note field (or
Ctrl/Cmd+Enter in the corrected-output box) saves the label and brings up the next item at once.
"""

from __future__ import annotations

import streamlit as st

from audits.errors import AssayError
from audits.store.queries import reviews as rv
from dashboard import auth, state
from dashboard.components import text

LABEL_NAMES = {"correct": "Correct", "incorrect": "Incorrect", "needs_rephrasing": "Needs rephrasing"}
_MSG = "rv_message"
_SKIP = "rv_skipped"


def _text_block(title: str, value) -> None:
    st.markdown(f"**{title}**")
    st.code("—" if value in (None, "") else str(value), language=None, wrap_lines=True)


def _show_item(item: dict) -> None:
    st.caption(f"{item['task']} / {item['sample_id']} · queued because: **{text.reason_text(item['reason'])}** · "
               f"stratum {item['stratum']} · "
               f"{item['remaining']} of {item['n_queue']} left for you")
    _text_block("Input", item["input"])
    left, right = st.columns(2)
    with left:
        _text_block("Model output", item["prediction"])
    with right:
        _text_block("Reference", item.get("reference") or item.get("gold"))
    if item.get("choices"):
        st.caption("Choices: " + " · ".join(map(str, item["choices"])))


def _save(run_id: str, user: auth.User, task: str, sample_id: str, adjudication: bool = False) -> None:
    """Form callback: store the label the form holds (runs before the next script run)."""
    prefix = "adj_" if adjudication else "rv_"
    label = st.session_state.get(prefix + "label")
    if label is None:
        st.session_state[_MSG] = ("warning", "Pick a label first (correct, incorrect or needs rephrasing).")
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
    st.session_state.setdefault(_SKIP, set()).add((task, sample_id))
    st.session_state[_MSG] = ("info", f"Skipped {task}/{sample_id} for this session.")


def _flash() -> None:
    kind, text = st.session_state.pop(_MSG, (None, None))
    if kind:
        getattr(st, kind)(text)


def _summary(run_id: str) -> dict:
    summary = rv.review_summary(state.catalog(), run_id)
    agree = summary["agreement"]
    cols = st.columns(5)
    cols[0].metric("In queue", f"{summary['n_queue']:,}")
    cols[1].metric("Reviewed", f"{summary['n_reviewed']:,}", help="queue items with at least one label")
    cols[2].metric("Coverage of run", f"{summary['coverage']:.1%}",
                   help=f"reviewed samples / all {summary['n_samples']:,} samples of the run")
    kappa = "—" if agree["kappa"] is None else f"{agree['kappa']:.2f}"
    cols[3].metric("Agreement κ", kappa, help=f"{(agree['method'] or 'no').title()} kappa over "
                   f"{agree['n_items']} item(s) labeled by 2+ reviewers")
    cols[4].metric("Disagreements", summary["disagreements"], help="awaiting a lead reviewer's adjudication")
    return summary


@st.fragment
def _labeling(run_id: str, user: auth.User) -> None:
    """Summary + the next item; reruns alone after each label."""
    summary = _summary(run_id)
    if summary["n_queue"] == 0:
        st.info("This run has no review queue. Runs made with `review.rate` above 0 queue samples for review.")
        return
    if not auth.can(user, "review"):
        st.info(f"Signed in as {user.name} ({user.role}): viewers can read review statistics but cannot label. "
                "Labeling needs the role reviewer, committee or admin.", icon=":material/visibility:")
        return
    st.subheader("Label the next item")
    _flash()
    item = rv.next_item(state.catalog(), run_id, user.name, skip=st.session_state.get(_SKIP, set()))
    if item is None:
        st.success("Nothing left for you to label in this run's queue. Thank you!", icon=":material/done_all:")
        return
    _show_item(item)
    args = (run_id, user, item["task"], item["sample_id"])
    with st.form("rv_form", clear_on_submit=True):
        st.radio("Label", list(LABEL_NAMES), index=None, format_func=LABEL_NAMES.get, horizontal=True, key="rv_label")
        st.text_area("Corrected output", key="rv_correction", height=100,
                     placeholder="For incorrect or needs-rephrasing: the answer the model should have given")
        st.text_input("Note", key="rv_note", placeholder="optional; Enter saves")
        c1, c2 = st.columns([1, 5])
        c1.form_submit_button("Save label", type="primary", on_click=_save, args=args)
        c2.form_submit_button("Skip", on_click=_skip, args=(item["task"], item["sample_id"]))
    st.caption("Keys: Tab between fields, arrows choose the label, Enter in Note (Ctrl/Cmd+Enter in the "
               "corrected output) saves and shows the next item.")


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
    if st.button("Prepare retraining files", key="rt_prepare"):
        with st.spinner("Building and scrubbing…"):
            files = {}
            for kind in retraining.KINDS:
                data, manifest = retraining.build_export(state.catalog(), run_id, kind, scrub=not keep)
                manifest["file"] = f"{run_id}-{kind}.jsonl"
                retraining.log_export(state.catalog(), run_id, manifest, user.name)
                files[kind] = (data, manifest)
        st.session_state["rt_files"] = (run_id, files)
    prepared = st.session_state.get("rt_files")
    if prepared and prepared[0] == run_id:
        import json

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
