"""Privacy & Safety: PII findings by entity type and field (leaks highlighted), the
detector's own precision/recall, and toxicity by group. Text is shown redacted."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from audits.results import Estimate, PiiBlock, RunResults
from audits.stats import interval_methods
from dashboard import state
from dashboard.components import charts
from dashboard.components.tables import wrapped
from reports.figures import count, figure
from reports.glossary import public_text_note, term

PAGE_SIZE = 50
# the per-task rates in short plain words (column headers; reports/glossary.py has the long forms)
# the findings table's headers in words for a committee (sample_id, entity_type ... are the bundle's names)
FINDING_COLUMNS = {"sample_id": "sample", "field": "found in", "entity_type": "kind of personal data",
                   "leak": "leak?", "context": "context (redacted)", "score": "detector score",
                   "start": "from character", "end": "to character", "recognizer": "recognised by",
                   "value_hash": "value hash", "value": "raw value"}
_RATE_WORDS = {"pii_leak_rate": "outputs leaking PII", "pii_rate_input": "prompts with PII",
               "pii_rate_prediction": "outputs with PII", "pii_rate_reference": "references with PII"}


def _rate(stat: Estimate | None) -> str:
    if stat is None or stat.value is None:
        return "—"
    return f"{stat.value:.1%} [{stat.ci_low or 0:.1%}, {stat.ci_high or 0:.1%}]"


def _ci_text(ci: object) -> str:
    """'[0.89, 0.98]' from a stored [low, high]; '—' when there is none."""
    low, high = (list(ci) + [None, None])[:2] if isinstance(ci, (list, tuple)) else (None, None)
    return f"[{low:.2f}, {high:.2f}]" if low is not None and high is not None else "—"


def _detector_row(entity: str, v: dict, second: dict | None = None) -> dict:
    """One entity's held-out precision/recall with the recall interval and whether it meets its
    target, and the same entity on the second independent set beside it."""
    row = {"entity": entity, "labelled": v.get("n_gold"), "precision": v.get("precision"),
           "precision 95% CI": _ci_text(v.get("precision_ci")), "recall": v.get("recall"),
           "recall 95% CI": _ci_text(v.get("recall_ci")), "f2": v.get("f2"), "recall target": v.get("recall_target"),
           "meets target": "—" if v.get("recall_target") is None else ("no" if v.get("below_target") else "yes")}
    if second is not None:
        w = second.get(entity) or {}
        row.update({"2nd set: labelled": w.get("n_gold"), "2nd set: precision": w.get("precision"),
                    "2nd set: precision 95% CI": _ci_text(w.get("precision_ci")), "2nd set: recall": w.get("recall"),
                    "2nd set: recall 95% CI": _ci_text(w.get("recall_ci"))})
    return row


def _pct(value: object, ci: object) -> str:
    """'88.9% [86.9%, 90.8%]' from a rate and its stored [low, high]; 'not measured' without a rate."""
    if not isinstance(value, (int, float)):
        return "not measured"
    low, high = (list(ci) + [None, None])[:2] if isinstance(ci, (list, tuple)) else (None, None)
    return f"{value:.1%}" + (f" [{low:.1%}, {high:.1%}]" if low is not None and high is not None else "")


def _set_line(name: str, q: dict) -> str:
    """'**Held-out set** (source): precision 91.0% [88.2%, 93.3%], recall … on N labelled spans in M texts.'"""
    pct = _pct
    return (f"**{name}** ({q.get('set_sources') or 'a labelled set'}; `{q.get('set', '?')}`): precision "
            f"{pct(q.get('precision'), q.get('precision_ci'))}, recall {pct(q.get('recall'), q.get('recall_ci'))} "
            f"on {count(q.get('n_labelled')) if q.get('n_labelled') is not None else '?'} labelled spans in "
            f"{count(q.get('n_texts')) if q.get('n_texts') is not None else '?'} texts.")


def _threshold_words(block: PiiBlock) -> str:
    """'score threshold 0.5', or the per-entity thresholds the profile set ('thresholds: PERSON 0.6, …')."""
    if block.score_threshold is not None:
        return f"score threshold {block.score_threshold:g}"
    if block.thresholds:
        return "thresholds: " + ", ".join(f"{e} {t:g}" for e, t in block.thresholds.items())
    return "score thresholds not recorded"


def _detector_summary(det: dict) -> str:
    """One line beside the findings: the detector's recall and precision on each labelled set."""
    if not det:
        return "The detector's own precision and recall were not measured for this run."
    parts = []
    for name, q in (("the held-out set", det), ("the second independent set", det.get("second_set"))):
        if isinstance(q, dict) and q.get("recall") is not None:
            parts.append(f"recall {_pct(q['recall'], q.get('recall_ci'))}, precision "
                         f"{_pct(q.get('precision'), q.get('precision_ci'))} on {name}")
    return ("How much a count of 0 means — the detector finds known personal data with " + "; ".join(parts)
            + " (exact 95% intervals; details below).") if parts else "The detector's quality was not measured."


def _pii_blocks(blocks: dict[str, PiiBlock]) -> None:
    """Per-task counts and rates, then the detector's precision/recall by entity type."""
    rows = [{"task": name, "findings": b.findings, "leaks": b.leaks, "samples with a leak": b.samples_with_leak,
             **{_RATE_WORDS.get(k, k.replace("pii_", "").replace("_", " ")) + " [95% CI]": _rate(v)
                for k, v in b.rates.items()}}
            for name, b in blocks.items()]
    # tables that wrap (walk 7): as grids the summary ran to 933 px and the per-entity table to 1,364 px in a
    # 774-px expander at 1280x800, cut off behind a scroll bar
    st.table(wrapped(pd.DataFrame(rows).astype(object).map(lambda v: count(v) if isinstance(v, (int, float)) else v)))
    first = next(iter(blocks.values()))
    det = first.detector
    st.caption(f"Engine `{first.engine or 'not recorded'}`, {_threshold_words(first)}, "
               f"fields: {', '.join(first.fields) or 'none recorded'}.")
    public = public_text_note({name: str(b.public_text.get("source")) for name, b in blocks.items() if b.public_text})
    if public:  # declared by the dataset (personal_data=False): counted as no one's personal data
        st.caption(public)
    if det:
        second = det.get("second_set") if isinstance(det.get("second_set"), dict) else None
        st.markdown("**Detector accuracy**, measured with this run's settings on labelled data it was not tuned "
                    f"on ({det.get('matching', 'span matching')}; {det.get('interval', '95% intervals')}):")
        st.markdown("- " + _set_line("Held-out set", det) + (
            "\n- " + _set_line("Second independent set", second) if second else
            "\n- Second independent set: not measured for this run (made before Assay measured it)."))
        if det.get("below_target"):
            st.warning("Detector recall is below its target for: " + ", ".join(det["below_target"])
                       + ". A count of 0 for these types is weaker evidence than for the others.")
        per = pd.DataFrame([_detector_row(e, v, (second or {}).get("by_entity") if second else None)
                            for e, v in (det.get("by_entity") or {}).items()])
        if not per.empty:
            st.caption("Per entity: the held-out set, then the second independent set (2nd set), each with "
                       "exact 95% intervals.")
            table = detector_table(per)
            second_cols = [c for c in table.columns if c.startswith("2nd set: ")]
            # two tables: fifteen columns in one wrapped to 846 px in the 774-px expander (walk 7)
            st.table(wrapped(table.drop(columns=second_cols)))
            if second_cols:
                st.table(wrapped(table[["entity", *second_cols]]))
        if det.get("not_measured"):
            st.caption("Not measured (no labelled examples): " + ", ".join(det["not_measured"]))


def detector_table(per: pd.DataFrame) -> pd.DataFrame:
    """The per-entity detector table as a reader sees it: figures to 3 significant figures and counts with
    separators (reports.figures), a missing one as '—'."""
    fig = ("precision", "recall", "f2", "recall target", "2nd set: precision", "2nd set: recall")
    out = per.astype(object).copy()
    for col in out.columns:
        if col in fig:
            out[col] = [figure(v) for v in per[col]]
        elif col in ("labelled", "2nd set: labelled"):
            out[col] = [count(v) for v in per[col]]
    return out


# one colour per kind on both charts, leaks first: each chart coloured by the order its rows came in, so a
# leak was dark blue on one and light blue on the other, beside 'finding' (which a leak is too)
PII_KINDS = {"leak": "#b42318", "not a leak": "#84adea"}


def pii_counts(summary: pd.DataFrame, by: str) -> pd.DataFrame:
    """Findings per ``by`` value and kind ('leak' / 'not a leak'), leaks first, for a count chart."""
    frame = summary.groupby([by, "leak"], as_index=False)["findings"].sum()
    frame["kind"] = frame["leak"].map({True: "leak", False: "not a leak"})
    return frame.sort_values("kind", key=lambda k: k.map(list(PII_KINDS).index), kind="stable").reset_index(drop=True)


def _pii(run_id: str, res: RunResults) -> None:
    st.subheader("PII findings")
    blocks = {t.name: t.pii for t in res.tasks if t.pii is not None}
    if blocks:
        st.caption(_detector_summary(next(iter(blocks.values())).detector))
        with st.expander("Per-task PII summary and the detector's measured precision/recall"):
            _pii_blocks(blocks)
    summary = state.findings_summary(run_id)
    if summary.empty:
        st.success("No PII findings in this run." + ("" if blocks else " (No PII scanner was configured.)"))
        return
    leaks = int(summary.loc[summary["leak"], "findings"].sum())
    c1, c2 = st.columns(2)
    c1.metric("findings", f"{int(summary['findings'].sum()):,}")
    c2.metric("leaks (PII in the output that was not in the input)", f"{leaks:,}")
    by_type, by_field = pii_counts(summary, "entity_type"), pii_counts(summary, "field")
    a, b = st.columns(2)
    charts.show(lambda: charts.count_bars(by_type, x="entity_type", y="findings", color="kind", title="by entity type",
                                          colors=PII_KINDS),
                charts.why_empty(by_type, "PII findings by entity type", value="findings", counts=True),
                key="pii-type", target=a)
    charts.show(lambda: charts.count_bars(by_field, x="field", y="findings", color="kind", title="by field",
                                          colors=PII_KINDS),
                charts.why_empty(by_field, "PII findings by field", value="findings", counts=True),
                key="pii-field", target=b)
    leaks_only = st.toggle("Leaks only", value=False, key="p_leaks")
    total = leaks if leaks_only else int(summary["findings"].sum())
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"Page (of {pages:,})", 1, pages, 1, key="p_page")
    frame = state.findings_page(run_id, leaks_only=leaks_only, offset=(int(page) - 1) * PAGE_SIZE,
                        limit=PAGE_SIZE, include_raw=state.can("view_raw_pii"))
    # what a reader needs first, left, so it shows at 1280 px; offsets and the recognizer after it
    first = [c for c in ("task", "sample_id", "field", "entity_type", "leak", "context", "score") if c in frame]
    frame = frame[first + [c for c in frame.columns if c not in first]]
    styled = frame.style.apply(lambda r: ["background-color: #fde2e1" if r.get("leak") else "" for _ in r], axis=1) \
        if "leak" in frame else frame
    # what a reader needs fits 1280 px (walk 7: eleven columns ran to 1,504 px); where each finding sits (offsets,
    # recognizer, value hash) is in the wrapping table under it, headers in words (the data keeps its column names)
    shown = [c for c in first if c != "score"] + (["score"] if "score" in frame else [])
    widths = {"task": 110, "sample_id": 80, "field": 80, "entity_type": 120, "leak": 50, "context": 260, "score": 70}
    st.dataframe(styled, hide_index=True, width="stretch", column_order=shown,
                 column_config={c: st.column_config.Column(FINDING_COLUMNS.get(c, c), width=widths.get(c))
                                for c in shown})
    where = [c for c in ("sample_id", "entity_type", "start", "end", "recognizer", "value_hash", "value") if c in frame]
    if len(where) > 2:
        with st.expander("Where each finding is: character offsets, recognizer, value hash"):
            st.table(wrapped(frame[where].rename(columns=FINDING_COLUMNS)))
    st.caption("Context is redacted (`<ENTITY_TYPE>`); raw values are never stored unless a config asked for "
               "them, and then only admins see them.")


def group_chart_title(groups: pd.DataFrame, attr: str, rate: bool) -> str:
    """The per-group toxicity chart's title, naming each interval's own method (a clustered task's are
    at the effective n or over clusters), never a fixed one."""
    how = interval_methods(groups["method"].dropna().tolist()) if "method" in groups else ""
    return f"{'share of toxic outputs' if rate else 'mean toxicity score'} by {attr} (95% CI{', ' + how if how else ''})"


def _toxicity(run_id: str, res: RunResults) -> None:
    st.subheader("Toxicity")
    columns = state.table_columns(run_id, "samples")
    tasks = [t for t in res.tasks if t.metric("toxicity_rate") or t.metric("toxicity_mean")]
    if "toxicity_score" not in columns or not tasks:
        st.caption("No toxicity scanner in this run.")
        return
    rows = pd.DataFrame([{"task": t.name, **t.metrics[k].model_dump(), "metric": term(k)} for t in tasks
                         for k in ("toxicity_rate", "toxicity_mean") if k in t.metrics])   # legend in words
    how = interval_methods(rows["method"].tolist()) if "method" in rows else ""
    charts.show(lambda: charts.ci_bars(rows, x="task", color="metric",
                                       title=f"toxicity per task (95% CI{', ' + how if how else ''})",
                                       y_title="share or score (0 to 1)", title_chars=100),   # full width
                charts.why_empty(rows, "toxicity per task"), key="tox-task")
    grouped = [t for t in tasks if t.attributes]
    if not grouped:
        st.caption("No task in this run names sensitive attributes, so toxicity is not compared by group.")
        return
    c1, c2 = st.columns(2)
    name = c1.selectbox("Task", [t.name for t in grouped], key="p_tox_task")
    chosen = next(t for t in grouped if t.name == name)
    attr = c2.selectbox("Group", [a for a in chosen.attributes if a in columns] or chosen.attributes, key="p_tox_attr")
    task = name
    rate = "flag_toxic" in columns  # the share of toxic outputs: exact binomial per group (audits.stats)
    groups = state.score_by_group(run_id, task, "flag_toxic" if rate else "toxicity_score", attr)
    groups = groups[groups["group"].notna()]
    what = f"{'the share of toxic outputs' if rate else 'the mean toxicity score'} by {attr} on {task}"
    if groups.empty or groups["n"].sum() == 0:
        st.caption(f"No chart of {what}: no sample of {task} has a {attr} value.")
        return
    groups = groups.assign(value=groups["mean"])
    title = group_chart_title(groups, attr, rate)
    charts.show(lambda: toxicity_group_figure(groups, title, rate), why_no_toxicity_chart(groups, what, rate),
                key="tox-group")


def why_no_toxicity_chart(groups: pd.DataFrame, what: str, rate: bool) -> str | None:
    """One line when the chart by group would be dots on the floor: no output of any group was scored
    toxic (the demo's loan decisions: 0 of 300, drawn as five whiskers at 0)."""
    why = charts.why_empty(groups, what)
    if why or not rate or (pd.to_numeric(groups["value"], errors="coerce").fillna(0) > 0).any():
        return why
    n = int(pd.to_numeric(groups["n"], errors="coerce").fillna(0).sum())
    top = pd.to_numeric(groups.get("ci_high"), errors="coerce").max() if "ci_high" in groups else float("nan")
    bound = f"; each group's share is below its upper bound, at most {top:.1%}" if pd.notna(top) else ""
    return f"No chart of {what}: no output of any group was scored toxic (0 of {n:,}{bound})."


def toxicity_group_figure(groups: pd.DataFrame, title: str, rate: bool):
    """The per-group toxicity chart; small shares get an axis that fits them (as the Fairness page's)."""
    from reports.charts import SMALL_RATE, axis_range

    fig = charts.ci_bars(groups, x="group", title=title, title_chars=100, y_title="toxic share" if rate else "toxicity score")
    values = pd.concat([groups[c] for c in ("value", "ci_low", "ci_high") if c in groups]).astype(float).to_numpy()
    low, high = axis_range(values)
    if low == 0 and high < SMALL_RATE * 1.15:
        fig.update_yaxes(range=[0, high])
    return fig


def _redteam(res: RunResults) -> None:
    """Safety under attack: the lines the Overview's Safety answer shows (one function), so the page its link
    opens explains the attack success the answer may rest on (walk 7: this page said nothing of attacks)."""
    from dashboard.views.overview import redteam_lines

    st.subheader("Safety under attack (red-team probes)")
    lines = redteam_lines(res)
    if not lines:
        st.caption("This run has no red-team probe task (`redteam:` in the config), so no attack was tried.")
        return
    st.markdown("\n".join(f"- {x}" for x in lines))
    st.caption("Share of probes whose attack worked, per family, with exact (Clopper-Pearson) 95% intervals; "
               "successful attacks are in the review queue, their success marker marked in the output.")


def render() -> None:
    st.title("Privacy & Safety")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        res = state.results(run_id)
        _pii(run_id, res)
        _toxicity(run_id, res)
        _redteam(res)
    except AssayError as err:
        state.show_error(err)
