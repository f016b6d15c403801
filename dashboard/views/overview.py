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


def _paired(run_id: str, prev_id: str, task: str, metric: str) -> tuple[float, float, float, int] | None:
    """Mean paired difference with a 95% CI: bootstrap up to BOOTSTRAP_MAX_N pairs, normal beyond."""
    n, mean, std = state.paired_difference_stats(run_id, prev_id, task, metric)
    if n < 2:
        return None
    if n <= compare.BOOTSTRAP_MAX_N:
        pairs = state.paired_scores(run_id, prev_id, task, metric)
        diff, low, high = compare.paired_bootstrap(pairs["a"].to_numpy(), pairs["b"].to_numpy())
    else:
        diff, low, high = compare.normal_interval(mean, std, n)
    return diff, low, high, n


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
    st.subheader(f"Headline metrics — {res.get('audit', '')} {res.get('period', '')}")
    st.caption(f"Run `{run_id}`" + (f", compared with the previous period's run `{prev_id}`" if prev_id
                                    else " (no earlier run of this audit to compare with)"))
    if current.empty:
        st.info("This run recorded no metrics.")
    else:
        table = compare.compare_metrics(current, compare.metric_rows(state.results(prev_id)) if prev_id
                                        else current.iloc[0:0])
        paired_col = []
        if prev_id:
            with st.spinner("Paired bootstrap on matching samples…"):
                for r in table.itertuples():
                    p = _paired(run_id, prev_id, r.task, r.metric)
                    paired_col.append(None if p is None else f"{p[0]:+.3f} [{p[1]:+.3f}, {p[2]:+.3f}] n={p[3]}")
                    if p is not None and not (p[1] <= 0 <= p[2]):
                        table.loc[r.Index, "real"] = True
                    elif p is not None and r.real is None:
                        table.loc[r.Index, "real"] = False
        view = pd.DataFrame({
            "task": table["task"], "metric": table["metric"],
            "value [95% CI]": [f"{_fmt(v)} [{_fmt(lo)}, {_fmt(hi)}]"
                               for v, lo, hi in zip(table["value"], table["ci_low"], table["ci_high"])],
            "n": table["n"],
            "previous [95% CI]": [f"{_fmt(v)} [{_fmt(lo)}, {_fmt(hi)}]" if pd.notna(v) else "—"
                                  for v, lo, hi in zip(table["prev_value"], table["prev_ci_low"], table["prev_ci_high"])],
            "change": [_fmt(c) if pd.notna(c) else "—" for c in table["change"]],
            "real change?": ["yes ⚠" if r is True else ("no" if r is False else "—") for r in table["real"]],
        })
        if paired_col:
            view["paired bootstrap Δ [95% CI]"] = [p or "—" for p in paired_col]
        st.dataframe(view, hide_index=True, width="stretch")
        st.caption("A change is marked real when the two 95% intervals do not overlap, or when a paired "
                   "bootstrap over the samples both runs scored excludes zero.")

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
