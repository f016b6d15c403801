"""Policies: the checklist of each configured pack (automatic status, measured value and
threshold, attestations), a form to attest a manual control (its attestation role only) and
the committee's sign-off of the run (committee role only). No SQL here: the page calls the
policy engine, which calls audits.store.queries.policies (which refuses wrong roles too)."""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import policies
from audits.errors import AssayError
from audits.store.queries import policies as policies_q
from dashboard import state

STATUS_ICON = {"pass": "✅ pass", "fail": "❌ fail", "no-data": "⚪ no data",
               "needs-attestation": "📝 needs attestation", "attested": "🖊️ attested"}


def _packs(run_id: str) -> list[str]:
    configured = state.policy_packs(run_id)
    default = configured or ["internal-llm"]
    choice = st.multiselect("Policy packs", policies.list_packs() + [p for p in configured if p not in policies.list_packs()],
                            default=default, key="pol_packs",
                            help="The run's configured packs are selected; add any shipped pack to see it too.")
    return choice


def _checklist_table(checklist: policies.Checklist) -> None:
    counts = checklist.counts
    cols = st.columns(5)
    for col, status in zip(cols, ("pass", "fail", "no-data", "needs-attestation", "attested")):
        col.metric(status, counts.get(status, 0))
    if checklist.failed:
        st.error("At least one automatic control fails — `assay check` exits 1 for this run.", icon=":material/block:")
    frame = checklist.to_frame()
    frame["status"] = frame["status"].map(lambda s: STATUS_ICON.get(s, s))
    frame["measured"] = [("—" if v is None or pd.isna(v) else f"{v:.4g}") + (f" {t}" if t else "")
                         if k == "check" else "" for v, t, k in zip(frame["value"], frame["threshold"], frame["kind"])]
    for pack in checklist.packs:
        st.subheader(pack)
        part = frame[frame["pack"] == pack]
        st.dataframe(part[["control_id", "status", "title", "measured", "source", "owner", "detail"]],
                     hide_index=True, width="stretch",
                     column_config={"detail": st.column_config.TextColumn(width="large")})


def _attest_form(run_id: str, checklist: policies.Checklist, user) -> None:
    st.subheader("Attest a manual control")
    manual = [it for it in checklist.items if it.kind == "attestation"]
    if not manual:
        st.caption("These packs have no manual controls.")
        return
    mine = [it for it in manual if it.required_role == user.role]
    if not mine:
        roles = sorted({it.required_role for it in manual if it.required_role})
        st.info(f"You are signed in as {user.name} ({user.role}); manual controls here are attested by: "
                f"{', '.join(roles)}.", icon=":material/lock:")
        return
    labels = {f"{it.pack} · {it.control_id}": it for it in mine}
    with st.form("pol_attest", clear_on_submit=True):
        key = st.selectbox("Control", list(labels), key="pol_att_control", format_func=lambda k: f"{k} — {labels[k].title} "
                           f"[{STATUS_ICON.get(labels[k].status, labels[k].status)}]")
        decision = st.radio("Decision", ["attested", "rejected"], horizontal=True, key="pol_att_decision",
                            help="'rejected' records that the control is NOT met.")
        note = st.text_area("Note (what was checked, and where)", key="pol_att_note")
        link = st.text_input("Evidence link (URL)", key="pol_att_link")
        upload = st.file_uploader("Evidence file (only its SHA-256 is stored)")
        submitted = st.form_submit_button("Record attestation", type="primary")
    if not submitted:
        return
    item = labels[key]
    try:
        file_path = None
        if upload is not None:
            data = upload.getvalue()
            tmp = Path(tempfile.mkdtemp()) / Path(upload.name).name
            tmp.write_bytes(data)
            file_path = tmp
        policies.attest(state.catalog(), run_id, item.pack, item.control_id, user.name, user.role,
                        note=note, link=link or None, file=file_path, status=decision)
    except AssayError as err:
        state.show_error(err)
        return
    sha = hashlib.sha256(upload.getvalue()).hexdigest()[:12] if upload is not None else None
    st.success(f"{decision} {item.control_id} as {user.name} ({user.role})" + (f"; file sha256 {sha}…" if sha else ""))


def _signoff(run_id: str, user) -> None:
    st.subheader("Committee sign-off")
    history = policies_q.list_signoffs(state.catalog(), run_id)
    if len(history):
        last = history.iloc[-1]
        st.markdown(f"Current decision: **{last['decision']}** by {last['username']} ({str(last['created_at'])[:16]})")
        with st.expander(f"All sign-offs ({len(history)})"):
            st.dataframe(history[["created_at", "username", "role", "decision", "note"]], hide_index=True,
                         width="stretch")
    else:
        st.caption("No sign-off yet.")
    if user.role != policies_q.SIGNOFF_ROLE:
        st.info(f"Only the committee signs off a run; you are signed in as {user.name} ({user.role}).",
                icon=":material/lock:")
        return
    with st.form("pol_signoff", clear_on_submit=True):
        decision = st.radio("Decision", ["approve", "reject"], horizontal=True, key="pol_signoff_decision")
        note = st.text_area("The committee's reasoning", key="pol_signoff_note")
        submitted = st.form_submit_button("Sign off this run", type="primary")
    if submitted:
        try:
            policies.signoff(state.catalog(), run_id, user.name, user.role, decision, note or None)
        except AssayError as err:
            state.show_error(err)
            return
        st.success(f"Sign-off recorded: {decision} by {user.name}.")
        st.rerun()


def render() -> None:
    st.title("Policies")
    run_id = state.require_run()
    if run_id is None:
        return
    packs = _packs(run_id)
    if not packs:
        st.info("Pick at least one policy pack.")
        return
    try:
        checklist = policies.evaluate_run(state.catalog(), run_id, packs)
    except AssayError as err:
        state.show_error(err)
        return
    _checklist_table(checklist)
    user = state.current_user()
    with st.expander("Attestations on this run"):
        att = policies_q.list_attestations(state.catalog(), run_id)
        if att.empty:
            st.caption("None yet.")
        else:
            st.dataframe(att[["created_at", "pack", "control_id", "username", "role", "status", "note",
                              "evidence_link", "evidence_sha256"]], hide_index=True, width="stretch")
    _attest_form(run_id, checklist, user)
    _signoff(run_id, user)
