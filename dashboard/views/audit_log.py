"""Audit log: who did what, when, with a badge saying whether the hash chain is intact."""

from __future__ import annotations

import streamlit as st

from audits.errors import AssayError
from dashboard import state
from dashboard.components.tables import wrapped
from dashboard.components.text import details_text
from reports.glossary import act

# the columns in words for a committee (the raw names stay in the catalog and `assay log`)
COLUMNS = {"seq": "#", "ts": "when", "actor": "who", "action": "what they did", "target": "on",
           "details": "details", "hash": "hash"}

LIMIT = 1000
HASH_SHOWN = 12   # the table shows a hash's first characters; the full hashes are in the expander under it
TABLE_HEIGHT = 600   # pixels; a longer log scrolls inside the table (up to LIMIT entries)
SCROLL_AFTER = 15


def render() -> None:
    st.title("Audit log")
    if not state.has_catalog():
        state.empty_catalog_message()
        return
    try:
        with st.spinner("Verifying the hash chain…"):
            entries, problems, notes = state.audit_log_entries(limit=LIMIT)
    except AssayError as err:
        state.show_error(err)
        return
    if problems:
        st.error(f"Chain broken: {len(problems)} problem(s) — the log was altered.", icon=":material/gpp_bad:")
        for line in problems[:20]:
            st.write(f"- {line}")
    else:
        st.success(f"Verified: the {len(entries):,} shown entries link by SHA-256 under a signed checkpoint, and "
                   "every bundle and evidence table matches the log.", icon=":material/verified:")
    for line in notes:  # what `assay verify` notes beside its verdict (an older copy, an empty log, ...)
        st.warning(f"Note: {line}", icon=":material/info:")
    if entries.empty:
        st.info("The audit log is empty.")
        return
    actors = sorted(entries["actor"].unique())
    actions = sorted(entries["action"].unique())
    c1, c2 = st.columns(2)
    who = c1.multiselect("Who", actors, key="al_actor")
    what = c2.multiselect("Action", actions, key="al_action", format_func=act)
    shown = entries
    if who:
        shown = shown[shown["actor"].isin(who)]
    if what:
        shown = shown[shown["action"].isin(what)]
    # a table that wraps its words, as the Overview's and Trends' (walk 5): as a grid its seven columns, a
    # 64-character hash among them, ran past 1280 pixels and the hash was cut off behind a scroll bar
    st.table(wrapped(log_table(log_view(shown))), height="content" if len(shown) <= SCROLL_AFTER else TABLE_HEIGHT)
    with st.expander(f"Each entry's full hash ({len(shown):,})"):
        st.code(hash_lines(shown), language=None, wrap_lines=True)
    if len(entries) >= LIMIT:
        st.caption(f"Showing the latest {LIMIT:,} entries; `assay log` prints them all.")


def log_view(entries):
    """The entries as a reader sees them: acts in words ('signed off the run', not 'policy.signoff'), details
    as readable text (not raw JSON), column names in words."""
    shown = entries.assign(details=[details_text(x) for x in entries["details"]],   # readable, not raw JSON
                           action=[act(x) for x in entries["action"]])
    return shown[list(COLUMNS)].rename(columns=COLUMNS)


def log_table(view):
    """``log_view``'s entries for a table that fits the page: the hash cut to its first ``HASH_SHOWN``
    characters (``hash_lines`` gives each in full)."""
    return view.assign(hash=[f"{h[:HASH_SHOWN]}…" if isinstance(h, str) and len(h) > HASH_SHOWN else h
                             for h in view["hash"]])


def hash_lines(entries) -> str:
    """One line per entry, '#15  <its full SHA-256>', for the expander under the table."""
    return "\n".join(f"#{seq}  {h}" for seq, h in zip(entries["seq"], entries["hash"]))
