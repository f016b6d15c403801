"""Fairness: metric by group with intervals, the four-fifths line, group sizes and
counterfactual flip rates, per attribute and intersection."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from dashboard import state
from dashboard.components import charts

FOUR_FIFTHS = 0.8


def _gaps(block: dict) -> pd.DataFrame:
    keys = ("groups_compared", "demographic_parity_difference", "demographic_parity_ratio",
            "four_fifths_violation", "equalized_odds_difference")
    rows = [{"attribute": attr, **{k: info.get(k) for k in keys}} for attr, info in block.items()
            if isinstance(info, dict)]
    return pd.DataFrame(rows)


def _attribute(task: str, attr: str, part: pd.DataFrame, key: str) -> None:
    sizes = part.drop_duplicates("group")[["group", "n"] + (["insufficient_data"] if "insufficient_data" in part else [])]
    small = sizes[sizes.get("insufficient_data", False) == True]["group"].tolist()  # noqa: E712
    if small:
        st.caption(f"Too few samples to compare (left out of gaps): {', '.join(map(str, small))}")
    metrics = sorted(part["metric"].unique())
    cols = st.columns(2)
    for i, metric in enumerate(metrics):
        rows = part[part["metric"] == metric]
        with cols[i % 2]:
            st.plotly_chart(charts.ci_bars(rows, x="group", title=f"{metric} by {attr}", y_title=metric),
                            width="stretch", key=f"{key}-{metric}")
    sel = part[part["metric"] == "selection_rate"]
    if not sel.empty and sel["value"].max() > 0:
        ratio = sel.assign(value=sel["value"] / sel["value"].max(), ci_low=None, ci_high=None)[["group", "value", "n"]]
        with cols[len(metrics) % 2]:
            st.plotly_chart(charts.ci_bars(ratio, x="group", low="_", high="_",
                                           title=f"selection-rate ratio to the highest group ({attr})",
                                           y_title="ratio", hline=FOUR_FIFTHS, hline_label="four-fifths rule (0.8)"),
                            width="stretch", key=f"{key}-ratio")
    st.plotly_chart(charts.count_bars(sizes, x="group", y="n", title=f"group sizes ({attr})"),
                    width="stretch", key=f"{key}-sizes")


def _counterfactuals(run_id: str, task: str, res_task: dict) -> None:
    frame = state.table(run_id, "counterfactuals", where="task = ?", params=[task])
    block = res_task.get("counterfactual")
    if frame.empty and not block:
        return
    st.markdown("**Counterfactual probes** (the same prompt with the group swapped)")
    if block:
        st.json(block, expanded=False)
    flip = next((c for c in ("flipped", "flip", "changed") if c in frame), None)
    if flip:
        by = next((c for c in ("attribute", "counterfactual_group", "swap") if c in frame), None)
        rates = (frame.groupby(by)[flip].agg(["mean", "count"]).reset_index() if by
                 else pd.DataFrame({"attribute": ["all"], "mean": [frame[flip].mean()], "count": [len(frame)]}))
        rates = rates.rename(columns={by or "attribute": "group", "mean": "value", "count": "n"})
        st.plotly_chart(charts.ci_bars(rates, x="group", low="_", high="_", title="flip rate", y_title="flip rate"),
                        width="stretch", key=f"cf-{task}")


def render() -> None:
    st.title("Fairness")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        res = state.results(run_id)
        table = state.table(run_id, "fairness")
    except AssayError as err:
        state.show_error(err)
        return
    tasks = [t for t in res.get("tasks") or [] if t.get("fairness") or t.get("counterfactual")]
    if not tasks and table.empty:
        st.info("This run has no fairness results: add `sensitive:` attributes to a task and the `bias` scanner.")
        return
    names = [t["name"] for t in tasks] or sorted(table["task"].unique())
    task = st.selectbox("Task", names, key="f_task")
    res_task = next((t for t in tasks if t["name"] == task), {})
    gaps = _gaps(res_task.get("fairness") or {})
    if not gaps.empty:
        st.subheader("Gaps between groups")
        st.dataframe(gaps, hide_index=True, width="stretch")
    rows = table[table["task"] == task] if not table.empty else table
    attrs = list(dict.fromkeys(rows["attribute"])) if not rows.empty else []
    if attrs:
        tabs = st.tabs(attrs)
        for tab, attr in zip(tabs, attrs):
            with tab:
                _attribute(task, attr, rows[rows["attribute"] == attr], key=f"f-{task}-{attr}")
    _counterfactuals(run_id, task, res_task)
