"""Policies: the checklist of each configured pack (automatic status, measured value and
threshold, attestations), a form to attest a manual control (its attestation role only) and
the committee's sign-off of the run (committee role only). No SQL here: the page calls the
policy engine, which calls audits.store.queries.policies (which refuses wrong roles too)."""

from __future__ import annotations

import hashlib
from html import escape
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

import policies
from audits import access
from audits.errors import AssayError
from audits.store.queries import policies as policies_q
from dashboard import state

from reports.figures import figure
from reports.glossary import plain, threshold_text
from reports.verdicts import COLOURS, WORDS, decided, deciding_task, evidence_text, failing_controls

_FLASH = "pol_flash"
_RESET = "pol_signoff_reset"   # set after a sign-off: the next run empties the form before drawing it
_SIGNOFF_DEFAULTS = {"pol_signoff_decision": None, "pol_signoff_note": "", "pol_signoff_confirm": False}


# how a check is decided, in words: an 'at most' / 'at least' control turns on ONE one-sided bound, so its
# bound differs from the two-sided 95% interval the Overview prints beside the same number (0.0531 vs 0.0405);
# a `== 0` control and a count of the run are exact facts the count decides (policies.bounds._counted)
DECISION_RULE = (
    "An 'at most' or 'at least' check is decided on one one-sided bound at the control's confidence (95% unless it "
    "sets `confidence`): it passes when the bound on the safe side clears the threshold, fails when the bound on "
    "the other side lies beyond it, and is otherwise inconclusive. These one-sided bounds are tighter than the "
    "two-sided 95% interval shown beside the same number elsewhere. An exact fact is decided by the count itself, "
    "not a bound: an 'exactly 0' check (e.g. no output may leak personal data) fails on the first counted event (\"3 of 16 outputs "
    "leaked PII (an exact count)\", no bound shown), and with no event it stays inconclusive, because no sample can "
    "show a rate is exactly 0 (its upper bound is shown); a count of the run itself, such as review coverage, "
    "shows its n and no bound. \"Measured\" is the deciding task's value; the threshold beside it is what the "
    "control requires.")


def one_line(text: str) -> str:
    """``text`` with its line breaks as spaces: a blank line in a typed note ended st.markdown's HTML block,
    and the rest of the note was read as markdown (a heading, a list, code) outside the control's line."""
    return " ".join(str(text).split())


def status_word(status: str) -> str:
    """A status in words (no emoji: they render as empty boxes without an emoji font)."""
    return WORDS.get(status, status)


# a control id is one word: the table broke 'INT-ACC-1' at its hyphen ('INT-' over 'ACC-1') at 1280 px; the
# row label is markdown inside the <th> (a <div><p>) that sets its own white-space, so the rule names it too
NO_WRAP = [{"selector": "th", "props": [("white-space", "nowrap")]},
           {"selector": "th *", "props": [("white-space", "nowrap")]}]


def _styled(frame: pd.DataFrame, column: str = "status"):
    """The frame with its status column coloured by status (the words stay readable without colour)
    and its row labels (the control ids) on one line."""
    by_word = {WORDS.get(k, k): v for k, v in COLOURS.items()}
    return (frame.style.map(lambda v: f"color: {by_word.get(v, '#333')}; font-weight: 600", subset=[column])
            .set_table_styles(NO_WRAP, overwrite=False))


def _measured(it) -> str:
    """'0.1875 (threshold: at most 0.01) on support-qa; upper bound 0.36, n=16; about 300 samples
    would decide it' for a check (never '0.1875 <= 0.01', which reads as a false claim); the evidence
    in words for an attestation."""
    if it.kind != "check":
        return evidence_text(it)
    got = decided(it)
    if got["value"] is None or pd.isna(got["value"]):
        return "no value"
    text = figure(got["value"]) + (f" ({threshold_text(it.threshold)})" if it.threshold else "")
    text += f" on {got['task']}" if got["task"] else ""
    extra = []
    if got["bound"] is not None and not pd.isna(got["bound"]):
        extra.append(f"{got['bound_side'] or ''} bound {figure(got['bound'])}".strip())
    if got["n"] is not None and not pd.isna(got["n"]):
        extra.append(f"n={int(got['n']):,}")
    if got["n_needed"]:
        extra.append(f"about {int(got['n_needed']):,} samples would decide it")
    return text + ("; " + ", ".join(extra) if extra else "")


def detail_text(it) -> str:
    """An item's detail for the table: an undecided check gives its deciding task's reason and names the
    other undecided tasks (the engine's detail repeats the same sentence for every task: six tasks made
    a cell of 200 words); anything else as the engine wrote it. Plain words either way."""
    undecided = [t for t in (it.tasks or []) if t.get("verdict") == "inconclusive"] if it.kind == "check" else []
    if it.status != "inconclusive" or len(undecided) < 2:
        return plain(it.detail) or "—"
    row = deciding_task(it) or undecided[0]
    others = [str(t["task"]) for t in undecided if t is not row and t.get("task")]
    text = (f"{row['task']}: " if row.get("task") else "") + str(row.get("reason") or "")
    text += f"; also undecided on {', '.join(others)}" if others else ""
    detail = str(it.detail or "")
    missing = detail.partition("; no data: ")[2]
    outside = "" if missing else detail[detail.rfind(" (not measured on "):] if detail.endswith(")") and \
        " (not measured on " in detail else ""
    return plain(text + (f"; no data: {missing}" if missing else outside))


def _signoff_status(run_id: str) -> None:
    """The run's sign-off in one line, first on the page (above the fold at 1280x800)."""
    history = policies_q.list_signoffs(state.catalog(), run_id)
    if len(history):
        last = history.iloc[-1]
        colour = COLOURS["pass" if last["decision"] == "approve" else "fail"]
        word = "approved" if last["decision"] == "approve" else "rejected"
        st.markdown(f"**Sign-off:** <span style='color:{colour}; font-weight:700'>{word}</span> by "
                    f"{last['username']} ({last['role']}) on {str(last['created_at'])[:16]}"
                    + (f" · {len(history)} sign-offs in all" if len(history) > 1 else "")
                    + " · <a href='#committee-sign-off'>history and form ↓</a>", unsafe_allow_html=True)
    else:
        st.markdown("**Sign-off:** <span style='color:#b54708; font-weight:700'>not signed off yet</span> · "
                    "<a href='#committee-sign-off'>sign-off form ↓</a>", unsafe_allow_html=True)
    from audits.trust.packs import signoff_warning

    if changed := signoff_warning(state.catalog(), run_id):  # a pack the sign-off rested on was edited since
        st.warning(changed)


def _packs(run_id: str) -> list[str]:
    configured = state.policy_packs(run_id)
    default = configured or ["internal-llm"]
    choice = st.multiselect("Policy packs", policies.list_packs() + [p for p in configured if p not in policies.list_packs()],
                            default=default, key="pol_packs",
                            help="The run's configured packs are selected; add any shipped pack to see it too.")
    return choice


def _checklist_table(checklist: policies.Checklist) -> None:
    counts = checklist.counts
    st.markdown(" · ".join(f"<span style='color:{COLOURS.get(k, '#333')}; font-weight:600'>{status_word(k)}</span> "
                           f"{counts.get(k, 0)}" for k in ("pass", "fail", "inconclusive", "no-data",
                                                            "needs-attestation", "attested")),
                unsafe_allow_html=True)
    if checklist.failed:
        st.error("At least one automatic control fails — `assay check` exits 1 for this run.", icon=":material/block:")
    elif checklist.inconclusive:
        st.warning("Nothing fails, but a control cannot be decided at this sample size — `assay check` exits 3 "
                   "(1 with --strict). The detail says how many samples would decide it.")
    failing = failing_controls(checklist)
    if failing:
        st.markdown("**Failing or undecided controls**")
        for it in failing:
            st.markdown(f"<div id='ctl-{it.control_id}'><b>{it.pack} {it.control_id}</b> — "
                        f"<span style='color:{COLOURS.get(it.status, '#333')}; font-weight:600'>{status_word(it.status)}"
                        f"</span> — {escape(plain(it.title))}. <i>{escape(one_line(plain(evidence_text(it))))}</i></div>",
                        unsafe_allow_html=True)  # a note or link is typed text: escaped, never markup
    st.caption(DECISION_RULE)
    # five columns fit 1280 px; owner and source go in a second table below each pack
    rows = [{"control": it.control_id, "status": status_word(it.status), "requires": plain(it.title),
             "measured or attested": plain(_measured(it)), "detail": detail_text(it),
             "owner": it.owner, "source": it.source, "pack": it.pack} for it in checklist.items]
    frame = pd.DataFrame(rows)
    for pack in checklist.packs:
        st.subheader(pack)
        part = frame[frame["pack"] == pack].drop(columns="pack").set_index("control")
        st.table(_styled(part.drop(columns=["owner", "source"])))   # static: long text wraps, nothing hides
        with st.expander(f"Owners and sources ({pack})"):
            st.table(part[["owner", "source"]].style.set_table_styles(NO_WRAP))


def _attest_form(run_id: str, checklist: policies.Checklist, user) -> None:
    st.subheader("Attest a manual control")
    manual = [it for it in checklist.items if it.kind == "attestation"]
    if not manual:
        st.caption("These packs have no manual controls.")
        return
    mine = [it for it in manual if it.required_role and access.can(user, "attest", it.required_role)
            and it.status != "attested"]
    if not mine and any(it.required_role and access.can(user, "attest", it.required_role) for it in manual):
        st.caption(f"Every manual control for the {user.role} role is attested on this run.")
        return
    if not mine:
        roles = sorted({it.required_role for it in manual if it.required_role})
        st.info(f"You are signed in as {user.name} ({user.role}); manual controls here are attested by: "
                f"{', '.join(roles)}.", icon=":material/lock:")
        return
    labels = {f"{it.pack} · {it.control_id}": it for it in mine}
    with st.form("pol_attest", clear_on_submit=True):
        key = st.selectbox("Control", list(labels), key="pol_att_control", format_func=lambda k: f"{k} — {labels[k].title} "
                           f"[{status_word(labels[k].status)}]")
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
    st.session_state[_FLASH] = (f"Recorded: {decision} {item.control_id} as {user.name} ({user.role})"
                                + (f"; file sha256 {sha}…" if sha else "") + ".")
    state.audit_log_entries.clear()   # the act shows on the Audit log page at once
    st.rerun()   # the checklist above re-evaluates with the new attestation


def _signoff(run_id: str, user, checklist: policies.Checklist) -> None:
    st.subheader("Committee sign-off", anchor="committee-sign-off")
    if st.session_state.pop(_RESET, False):   # a sign-off was recorded: an empty form, nothing ticked
        st.session_state.update(_SIGNOFF_DEFAULTS)
    history = policies_q.list_signoffs(state.catalog(), run_id)
    if len(history):
        last = history.iloc[-1]
        st.markdown(f"Current decision: **{last['decision']}** by {last['username']} ({str(last['created_at'])[:16]})")
        with st.expander(f"All sign-offs ({len(history)})"):
            st.dataframe(history[["created_at", "username", "role", "decision", "note"]], hide_index=True,
                         width="stretch")
    else:
        st.caption("No sign-off yet.")
    if not access.can(user, "signoff"):
        st.info(f"Only the committee signs off a run; you are signed in as {user.name} ({user.role}).",
                icon=":material/lock:")
        return
    open_items = failing_controls(checklist)
    open_attest = [it for it in checklist.items if it.status == "needs-attestation"]
    if open_items or open_attest:
        st.warning(f"{len(open_items)} control(s) fail or are undecided"
                   + (f" and {len(open_attest)} await attestation" if open_attest else "")
                   + ": a note with the committee's reasoning is required.", icon=":material/warning:")
    with st.form("pol_signoff", clear_on_submit=False):
        decision = st.radio("Decision", ["approve", "reject"], index=None, horizontal=True, key="pol_signoff_decision",
                            help="Nothing is pre-selected: choose deliberately.")
        note = st.text_area("The committee's reasoning" + (" (required)" if open_items or open_attest else ""),
                            key="pol_signoff_note")
        confirm = st.checkbox(f"I confirm this decision for run {run_id}, recorded under my name ({user.name}) "
                              "in the signed audit log", key="pol_signoff_confirm")
        submitted = st.form_submit_button("Sign off this run", type="primary")
    if submitted:
        problem = ("Choose approve or reject." if decision is None else
                   "Write the committee's reasoning: controls fail, are undecided or await attestation."
                   if (open_items or open_attest) and not (note or "").strip() else
                   "Tick the confirmation to record the decision." if not confirm else None)
        if problem:
            st.error(problem)
            return
        try:
            policies.signoff(state.catalog(), run_id, user.name, user.role, decision, note or None,
                             shown=checklist.packs)
        except AssayError as err:
            state.show_error(err)
            return
        st.session_state[_RESET] = True
        st.session_state[_FLASH] = f"Sign-off recorded: {decision} by {user.name}."
        state.audit_log_entries.clear()
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
    flash = st.session_state.pop(_FLASH, None)
    if flash:
        st.success(flash)
    _signoff_status(run_id)
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
    _signoff(run_id, user, checklist)
