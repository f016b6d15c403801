"""Overview: every run by period, headline metrics with intervals, change against the
previous period, and policy pass/fail counts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from dashboard import state
from dashboard.components import compare


def _fmt(v: object, digits: int = 3) -> str:
    return "—" if v is None or (isinstance(v, float) and pd.isna(v)) else f"{float(v):.{digits}f}"


def _policy_counts(run_id: str) -> dict[str, int] | None:
    """Control counts by status (pass, fail, needs-attestation...), None when policies are absent."""
    try:
        from policies import evaluate_run
    except ImportError:
        return None
    packs = state.policy_packs(run_id)
    if not packs:
        return {}
    checklist = evaluate_run(state.catalog(), run_id, packs)
    return {k: v for k, v in checklist.counts.items() if v}


def render() -> None:
    st.title("Overview")
    run_id = state.require_run()
    if run_id is None:
        return
    runs = state.runs(complete_only=False)
    st.subheader("Runs by period")
    st.dataframe(runs[[c for c in ("period", "audit", "run_id", "status", "created_at", "model", "device")
                       if c in runs]].iloc[::-1], hide_index=True, width="stretch")

    try:
        res = state.results(run_id)
    except AssayError as err:
        state.show_error(err)
        return
    current = compare.metric_rows(res)
    prev_id = state.previous_run(run_id)
    st.subheader(f"Headline metrics — {res.audit} {res.period}")
    st.caption(f"Run `{run_id}`" + (f", compared with the previous period's run `{prev_id}`" if prev_id
                                    else " (no earlier run of this audit to compare with)"))
    if current.empty:
        st.info("This run recorded no metrics.")
    else:
        with st.spinner("Testing each change (paired on the samples both runs scored)…"):
            table = compare.compare_runs(res, state.results(prev_id) if prev_id else None,
                                         lambda task, metric: state.paired_scores(run_id, prev_id, task, metric))
        view = pd.DataFrame({
            "task": table["task"], "metric": table["metric"],
            "value [95% CI]": [f"{_fmt(v)} [{_fmt(lo)}, {_fmt(hi)}]"
                               for v, lo, hi in zip(table["value"], table["ci_low"], table["ci_high"])],
            "n": table["n"],
            "previous [95% CI]": [f"{_fmt(v)} [{_fmt(lo)}, {_fmt(hi)}]" if pd.notna(v) else "—"
                                  for v, lo, hi in zip(table["prev_value"], table["prev_ci_low"], table["prev_ci_high"])],
            "change [95% CI]": [f"{c:+.3f} [{lo:+.3f}, {hi:+.3f}]" if pd.notna(c) and pd.notna(lo) else
                                (_fmt(c) if pd.notna(c) else "—")
                                for c, lo, hi in zip(table["change"], table["diff_low"], table["diff_high"])],
            "real change?": ["yes ⚠" if r is True else ("no" if r is False else "—") for r in table["significant"]],
            "test": [v or "—" for v in table["verdict"]],
        })
        st.dataframe(view, hide_index=True, width="stretch")
        st.caption("A change is marked real only when its test, corrected for every metric compared in this "
                   "run (Holm), is significant at 5%: McNemar's exact test (0/1 scores) or a paired t-test "
                   "where both runs scored the same samples; otherwise a two-proportion test or a z-test on "
                   "the two intervals. Statistics from audits.stats, the same as the report's.")

    st.subheader("Policy checks")
    try:
        counts = _policy_counts(run_id)
    except AssayError as err:
        state.show_error(err)
        counts = {}
    if counts is None:
        st.caption("Policy evaluation is not installed yet.")
    elif not counts:
        st.caption("No policy pack configured for this run.")
    else:
        cols = st.columns(len(counts))
        for col, (status, n) in zip(cols, sorted(counts.items())):
            col.metric(status, n)
