"""Stand-ins for pages other engineers write (policies, review), shown until they land."""

from __future__ import annotations

import streamlit as st

from audits.errors import AssayError
from dashboard import state


def policies() -> None:
    """Policies placeholder: the run's configured policy packs."""
    st.title("Policies")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        packs = state.policy_packs(run_id)
    except AssayError as err:
        state.show_error(err)
        return
    st.caption("The policy checklist page is not installed yet; these are the packs this run was configured with.")
    if packs:
        st.write(packs)
    else:
        st.info("This run's config names no policy pack.")


def review() -> None:
    """Review placeholder until dashboard/pages/review.py exists."""
    st.title("Review")
    if state.require_run() is None:
        return
    st.info("The review queue page is not installed yet. Label samples with `assay review` meanwhile.")
