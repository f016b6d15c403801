"""Trends: every run of the selected run's audit in period order, each metric with its interval,
the trend test each series names in its ``method`` (a rate: Cochran-Armitage on its counts; any
other metric: weighted least squares on the per-run estimates) and the change point, Holm-
corrected over the metrics shown (``audits.store.queries.trends.audit_trends``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from audits.errors import AssayError
from audits.store.queries import trends as trends_q
from audits.store.queries.trends import TrendReport
from dashboard import state
from dashboard.components import charts
from reports.figures import figure, p_value
from reports.glossary import term


@st.cache_data(ttl=30, show_spinner=False)
def _trends(path: str, audit: str, metrics: tuple[str, ...]) -> dict[str, Any]:
    from audits.store.catalog import Catalog

    return trends_q.audit_trends(Catalog(path, create=False), audit, list(metrics) or None)


def series_label(key: str) -> str:
    """'support-qa.exact_match' -> 'support-qa: share of answers matching the reference exactly'."""
    task, _, metric = key.rpartition(".")
    return f"{task}: {term(metric)}" if task else term(metric)


def trend_verdict(series: dict[str, Any], shown: int) -> str:
    """The trend test's result in words: slope per run with the p-value corrected over the ``shown`` series."""
    if series["slope"] is None:
        return "no trend test (fewer than 3 runs)"
    return (f"change per run {figure(series['slope'], signed=True)}, {p_value(series['p_adjusted'])} after correcting for "
            f"{shown} metric{'s' if shown != 1 else ''}" + (" — a real trend" if series["significant"] else ""))


def _figure(key: str, series: dict[str, Any], shown: int = 1) -> go.Figure:
    pts = pd.DataFrame(series["points"])
    value = pd.to_numeric(pts["value"], errors="coerce")
    fig = go.Figure(go.Scatter(
        x=pts["period"], y=value, mode="lines+markers", name=key,
        error_y={"type": "data", "symmetric": False, "array": pd.to_numeric(pts["ci_high"], errors="coerce") - value,
                 "arrayminus": value - pd.to_numeric(pts["ci_low"], errors="coerce")},
        hovertemplate="%{x}: %{y:.3~g}<extra></extra>"))
    # a half-width chart holds ~44 title characters: the measure and the test wrap to fit (they were cut at the
    # right edge); the title names the measure, so the y axis carries none (long names ran past the plot)
    name, lines = charts.wrap_title(series_label(key))
    verdict, more = charts.wrap_title(trend_verdict(series, shown), charts.TITLE_CHARS + 12)
    sub = "<br>".join(f"<sup>{line}</sup>" for line in verdict.split("<br>"))
    top = 20 + 20 * (lines + more)
    fig.update_layout(title={"text": f"{name}<br>{sub}"}, height=280 + top,
                      margin={"t": top, "b": 30, "l": 40, "r": charts.MODEBAR_ROOM}, xaxis_title="period",
                      modebar=charts.MODEBAR)   # the tool icons beside the chart, not over its title
    return fig


def _table(body: dict[str, Any]) -> pd.DataFrame:
    runs = body["runs"]
    rows = []
    for key, s in body["series"].items():
        rows.append({"measure": series_label(key), "runs": s["k"], "change per run": s["slope"],
                     "95% CI low": s["slope_low"], "95% CI high": s["slope_high"], "p": s["p_value"],
                     "p after correction": s["p_adjusted"],
                     "real trend?": "yes" if s["significant"] else ("no" if s["slope"] is not None else "—"),
                     "change after": runs[s["change_after"]]["period"] if s["change"] else "—",
                     "change size": s["change_size"] if s["change"] else None})
    frame = pd.DataFrame(rows)
    numbers = ["change per run", "95% CI low", "95% CI high", "change size"]
    for col in numbers:   # no test yet (fewer than 3 runs): a dash, never 'None'
        if col in frame:
            frame[col] = [figure(v) for v in frame[col]]
    for col in ("p", "p after correction"):   # '<0.0001', as the report's trend table (was '0.000000110')
        if col in frame:
            frame[col] = [p_value(v, named=False) for v in frame[col]]
    return frame


def render() -> None:
    st.title("Trends")
    run_id = state.require_run()
    if run_id is None:
        return
    audit = state.results(run_id).audit
    try:
        everything = _trends(str(state.catalog_path()), audit, ())
    except AssayError as err:
        state.show_error(err)
        return
    keys = list(everything["series"])
    chosen = st.multiselect("Metrics", keys, default=keys, key="trends-metrics", format_func=series_label,
                            help="Significance is corrected (Holm) over the metrics chosen here.")
    if not chosen:
        st.caption("Choose at least one metric.")
        return
    metrics = tuple(sorted({k.rsplit(".", 1)[-1] for k in chosen}))
    body = _trends(str(state.catalog_path()), audit, metrics)
    tested = body.get("family_size", len(body["series"]))  # the Holm family: every series computed, duplicates once
    body["series"] = {k: v for k, v in body["series"].items() if k in chosen}
    if body.get("superseded"):  # reruns of a period: one point per period, its latest run
        st.caption("Not counted (a later run of the same period supersedes them): " + ", ".join(
            f"{r['run_id']} ({r['period']})" for r in body["superseded"]) + ".")
    alone = single_run_note(body)
    if alone:   # one point per chart said nothing (51 one-dot charts on the demo's first quarter); nor does the
        # trend test's method (a paragraph on Cochran-Armitage and Holm over 44 series) with nothing tested
        st.info(alone, icon=":material/info:")
        st.table(_table(body).style.hide(axis="index"))   # wraps: ten columns as a grid ran to 1,082 px at 1280
        return
    same = [f"{series_label(k)} = {series_label(v)}" for k, v in body.get("same_as", {}).items() if k in chosen]
    st.caption(tests_caption(audit, body, tested, same))
    flagged = [k for k, s in body["series"].items() if s["significant"]]
    if flagged:
        st.warning(f"A real trend (significant after correction) in {'; '.join(map(series_label, flagged))}.",
                   icon=":material/trending_down:")
    cols = st.columns(2)
    for i, (key, series) in enumerate(body["series"].items()):
        charts.show(lambda: _figure(key, series, tested),
                    charts.why_empty(pd.DataFrame(series["points"]), series_label(key)),
                    key=f"trend-{key}", target=cols[i % 2])
    st.table(_table(body).style.hide(axis="index"))


@st.cache_data(ttl=3600, show_spinner=False)
def tests_caption(audit: str, body: TrendReport, tested: int, same: list[str]) -> str:
    """What was tested and over which family; with two runs, that nothing was (a trend needs three)."""
    head = f"Audit **{audit}**: {len(body['runs'])} run(s) in period order. "
    if not any(s.get("p_value") is not None for s in body["series"].values()):  # two points always lie on a line
        return head + "No trend is tested yet: a trend needs at least 3 runs with a value."
    return (head + f"Trend test: {body['test']}. Change point: {body['change_test']}. p-values corrected (Holm) over "
            f"{tested} distinct series" + (f" ({'; '.join(same)}: the same numbers, counted once)." if same else "."))


def single_run_note(body: dict[str, Any]) -> str | None:
    """One line instead of a chart per measure when the audit has one period so far; None from two on."""
    periods = {r.get("period") for r in body.get("runs", [])}
    if len(periods) >= 2:
        return None
    when = next(iter(periods), None)
    return (f"Only one period of this audit so far{' (' + str(when) + ')' if when else ''}: a trend needs at least "
            "two, so no chart is drawn; the next period's run starts it. This run's values are in the table.")


def _column_drift(path: str, prev_id: str, run_id: str) -> dict[str, Any] | None:
    from audits.drift import input_drift
    from audits.store.catalog import Catalog

    try:  # the cheap tests only (lengths, declared fields); the embedding test is `assay drift`
        return input_drift(Catalog(path, create=False), prev_id, run_id, embeddings=False)
    except AssayError:
        return None


def drift_warning(run_id: str, prev_id: str | None) -> None:
    """On the Overview: warn when this run's inputs drifted from the previous run's (input lengths and
    declared fields, Holm-corrected; audits.drift), since a comparison then mixes two populations."""
    if not prev_id:
        return
    body = _column_drift(str(state.catalog_path()), prev_id, run_id)
    if body is None:
        return
    if not body.get("detectable", True):  # no test could reach p < alpha at these n: silence would read "no drift"
        st.info(f"Too few inputs to tell whether inputs drifted from the previous run's (n={body['n_a']} and "
                f"{body['n_b']}): not evidence of no drift. Details: `assay drift {prev_id} {run_id}`.",
                icon=":material/help:")
        return
    if not body["drift"]:
        return
    moved = ", ".join(f"{t['name']} ({p_value(t['p_adjusted'])} after correction)"   # never 'p=4.1e-35'
                      for t in body["tests"] if t["drift"])
    st.warning(f"The inputs of this run drifted from the previous run's: {moved}. Changes against the previous "
               f"period then mix two populations. Embedding test: `assay drift {prev_id} {run_id}`.",
               icon=":material/warning:")
