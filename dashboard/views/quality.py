"""Quality: metrics per task with intervals, and a paginated, filtered per-sample browser."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from audits.stats import interval_methods
from audits.store.queries.dashboard import SampleFilter, attribute_columns
from dashboard import state
from dashboard.components import charts, compare
from dashboard.components.tables import wrapped
from reports.figures import count, figure, interval
from reports.glossary import term

PAGE_SIZE = 25
_SHOWN = ["task", "sample_id", "input", "prediction", "reference", "label", "correct"]


def _attributes(run_id: str, columns: dict[str, str]) -> list[str]:
    keys = {k for t in state.results(run_id).tasks for k in t.fairness if "*" not in k}
    named = [c for c in columns if c in keys]
    return named or attribute_columns(columns)


def n_text(rows) -> str:
    """'n=16' when every row has the same n; 'n 11–16 by measure' when they differ (a hallucination
    rate counts scorable answers only); '' without n. Never one task-wide n for measures that differ."""
    ns = sorted({int(x) for x in rows["n"].dropna()}) if "n" in rows else []
    if not ns:
        return ""
    return f"n={ns[0]:,}" if len(ns) == 1 else f"n {ns[0]:,}–{ns[-1]:,} by measure; hover for each"


def shown_page(frame):
    """A page of samples as a reader sees it: a missing reference or label is '—' (never the grid's grey
    'None'); ``correct`` stays a tick box (empty where a generate task has no right choice)."""
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_object_dtype(frame[col]) or pd.api.types.is_string_dtype(frame[col]):
            frame[col] = frame[col].astype(object).where(frame[col].notna(), "—")
    return frame


def measure_figure(rows: pd.DataFrame, metric: str):
    """One measure off the 0-1 scale (BLEU, chrF, a length) in a third-width chart, its title wrapped to fit."""
    return charts.ci_bars(rows, x="measure", title=term(metric), y_title="value", height=280,
                          title_chars=charts.THIRD_TITLE_CHARS)


def _metrics(run_id: str) -> None:
    rows = compare.metric_rows(state.results(run_id))
    if rows.empty:
        st.info("This run recorded no metrics, so there is no chart to draw.")
        return
    tasks = list(dict.fromkeys(rows["task"]))
    silent = [t.name for t in state.results(run_id).tasks if t.name not in tasks]
    if silent:
        st.caption(f"No chart for {', '.join(silent)}: no metric was recorded for "
                   f"{'it' if len(silent) == 1 else 'them'}.")
    for tab, task in zip(st.tabs(tasks), tasks):
        part = rows[rows["task"] == task].assign(measure=lambda f: f["metric"].map(term))  # words, not ids
        unit = part[(part["value"] >= 0) & (part["ci_high"].fillna(part["value"]) <= 1)]
        other = part.drop(unit.index)
        with tab:
            n = n_text(unit)
            if not part["value"].notna().any():   # never an empty chart: say why in one line
                st.caption(f"No chart for {task}: none of its {len(part)} metrics has a value "
                           f"({', '.join(term(m) for m in part['metric'])}).")
                continue
            if len(unit):
                charts.show(lambda: charts.ci_bars(unit, x="measure", title=f"{task}: metrics on a 0–1 scale"
                                                   + (f" ({n})" if n else ""), y_title="value", height=340),
                            charts.why_empty(unit, f"{task}'s metrics on a 0–1 scale"), key=f"quality-{task}-unit")
            methods = interval_methods(part["method"].tolist()) if "method" in part else ""
            if methods:   # an interval is never shown without its method (walk 5: the whiskers named none)
                st.caption(f"Whiskers: each measure's 95% confidence interval ({methods}).")
            cols = st.columns(3)
            for i, (metric, one) in enumerate(other.groupby("metric", sort=True)):
                charts.show(lambda: measure_figure(one, metric),
                            charts.why_empty(one, f"{term(metric)} on {task}"), key=f"quality-{task}-{metric}",
                            target=cols[i % 3])
    with st.expander("Metric table with signatures"):
        # a table that wraps its words (walk 6): as a grid its twelve columns, a signature of 400 characters
        # among them, ran past 1280 pixels; each signature is in full in the box under it
        st.table(wrapped(metric_table(rows)))
        st.caption("Each measure's signature: the exact recipe of its figure (metric, options, package versions).")
        st.code(signature_lines(rows), language=None, wrap_lines=True)


def metric_table(rows: pd.DataFrame) -> pd.DataFrame:
    """``compare.metric_rows`` as a reader sees it: the measure in words, its value and interval in one cell
    (``reports.figures``), the interval's method in words; the signatures go in ``signature_lines``."""
    def yes_no(v: object) -> str:
        return "—" if v is None or v != v else ("yes" if v else "no")
    return pd.DataFrame({
        "task": rows["task"], "type": rows["type"].fillna("—"), "measure": [term(m) for m in rows["metric"]],
        "value [95% CI]": [" ".join(x for x in (figure(v), interval(lo, hi)) if x)
                           for v, lo, hi in zip(rows["value"], rows["ci_low"], rows["ci_high"])],
        "n": [count(n) for n in rows["n"]],
        "interval method": [interval_methods([m]) or "—" for m in rows["method"]],
        "design effect": [figure(d) for d in rows["design_effect"]],
        "higher is better": [yes_no(h) for h in rows["higher_is_better"]],
        "statement": rows["statement"].fillna("").replace("", "—")})


def signature_lines(rows: pd.DataFrame) -> str:
    """One line per measure, 'task · metric: signature', every signature in full."""
    return "\n".join(f"{t} · {m}: {s or '—'}" for t, m, s in zip(rows["task"], rows["metric"], rows["signature"]))


@st.fragment
def _browser(run_id: str) -> None:
    columns = state.table_columns(run_id, "samples")
    if not columns:
        st.info("This run has no samples table.")
        return
    tasks = state.distinct_values(run_id, "samples", "task")
    attrs = _attributes(run_id, columns)
    c1, c2, c3, c4, c5 = st.columns([2, 2, 2, 1.5, 1.5])
    task = c1.selectbox("Task", ["(all)"] + tasks, key="q_task")
    group_col = c2.selectbox("Group by", ["(none)"] + attrs, key="q_group_col")
    group_val = None
    if group_col != "(none)":
        values = state.distinct_values(run_id, "samples", group_col)
        group_val = c3.selectbox("Group", values, key="q_group_val") if values else None
    correct = c4.selectbox("Correct?", ["(any)", "correct", "incorrect"], key="q_correct")
    flagged = c5.selectbox("Flagged?", ["(any)", "flagged", "not flagged"], key="q_flagged")
    search = st.text_input("Search input / output / reference", key="q_search")
    flt = SampleFilter(task=None if task == "(all)" else task,
                       group_column=None if group_col == "(none)" else group_col, group_value=group_val,
                       correct=None if correct == "(any)" else correct == "correct",
                       flagged=None if flagged == "(any)" else flagged == "flagged",
                       search=search.strip() or None)
    total = state.count_samples(run_id, flt)
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"Page (of {pages:,}; {total:,} matching samples)", min_value=1, max_value=pages,
                           value=1, step=1, key="q_page")
    shown = [c for c in _SHOWN if c in columns] + ([group_col] if group_col in columns else [])
    frame = state.sample_page(run_id, flt, offset=(int(page) - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                        columns=shown)
    st.dataframe(shown_page(frame), hide_index=True, width="stretch",
                 # every column fits 1280 px without a sideways scroll ('correct' was cut at the right edge);
                 # a cell's full text shows on hover
                 column_config={"task": st.column_config.TextColumn(width="small"),
                                "sample_id": st.column_config.TextColumn("sample", width="small"),
                                "input": st.column_config.TextColumn(width=170),
                                "prediction": st.column_config.TextColumn(width=170),
                                "reference": st.column_config.TextColumn(width="small"),
                                "label": st.column_config.TextColumn(width="small"),
                                "correct": st.column_config.CheckboxColumn(width="small"),
                                "flagged": st.column_config.CheckboxColumn(width="small")})


def _groundedness(run_id: str) -> None:
    """The Overview's Groundedness lines (one function), so the page its answer links to explains the rate and
    the detector's own accuracy (walk 7: this page showed the rates in its charts only, with no detector quality)."""
    from dashboard.views.overview import groundedness_lines

    lines = groundedness_lines(state.results(run_id))
    if lines:
        st.subheader("Groundedness (answers checked against their context)")
        st.markdown("\n".join(f"- {x}" for x in lines))
        st.caption("An answer that declines has no claims and is not a hallucination: read the abstention rate "
                   "beside the hallucination rate. Unsupported claims are marked in the review queue (flag h).")


def render() -> None:
    st.title("Quality")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        st.subheader("Metrics per task (95% CI)")
        _metrics(run_id)
        _groundedness(run_id)
        st.subheader("Samples")
        _browser(run_id)
    except AssayError as err:
        state.show_error(err)
