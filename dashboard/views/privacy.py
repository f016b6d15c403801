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

PAGE_SIZE = 50


def _rate(stat: Estimate | None) -> str:
    if stat is None or stat.value is None:
        return "—"
    return f"{stat.value:.1%} [{stat.ci_low or 0:.1%}, {stat.ci_high or 0:.1%}]"


def _detector_row(entity: str, v: dict) -> dict:
    """One entity's held-out precision/recall with the recall interval and whether it meets its target."""
    ci = v.get("recall_ci") or [None, None]
    return {"entity": entity, "labelled": v.get("n_gold"), "precision": v.get("precision"), "recall": v.get("recall"),
            "recall 95% CI": f"[{ci[0]:.2f}, {ci[1]:.2f}]" if ci[0] is not None else "—", "f2": v.get("f2"),
            "recall target": v.get("recall_target"),
            "meets target": "—" if v.get("recall_target") is None else ("no" if v.get("below_target") else "yes")}


def _threshold_words(block: PiiBlock) -> str:
    """'score threshold 0.5', or the per-entity thresholds the profile set ('thresholds: PERSON 0.6, …')."""
    if block.score_threshold is not None:
        return f"score threshold {block.score_threshold:g}"
    per = (block.model_extra or {}).get("thresholds") or {}
    if per:
        return "thresholds: " + ", ".join(f"{e} {t:g}" for e, t in per.items() if isinstance(t, (int, float)))
    return "score thresholds not recorded"


def _pii_blocks(blocks: dict[str, PiiBlock]) -> None:
    """Per-task counts and rates, then the detector's precision/recall by entity type."""
    rows = [{"task": name, "findings": b.findings, "leaks": b.leaks, "samples with a leak": b.samples_with_leak,
             **{k.replace("pii_", "").replace("_", " ") + " [95% CI]": _rate(v) for k, v in b.rates.items()}}
            for name, b in blocks.items()]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    first = next(iter(blocks.values()))
    det = first.detector
    st.caption(f"Engine `{first.engine or 'not recorded'}`, {_threshold_words(first)}, "
               f"fields: {', '.join(first.fields) or 'none recorded'}.")
    if det:
        st.markdown(f"**Detector accuracy** on {det.get('n_labelled', '?')} labelled spans in {det.get('n_texts', '?')} "
                    f"texts of {det.get('set_sources') or 'a labelled set'} (`{det.get('set', '?')}`; "
                    f"{det.get('matching', '')}): precision {det.get('precision') or 0:.1%}, "
                    f"recall {det.get('recall') or 0:.1%}.")
        if det.get("below_target"):
            st.warning("Detector recall is below its target for: " + ", ".join(det["below_target"])
                       + ". A count of 0 for these types is weaker evidence than for the others.")
        per = pd.DataFrame([_detector_row(e, v) for e, v in (det.get("by_entity") or {}).items()])
        if not per.empty:
            st.dataframe(per, hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.2f")
                                        for c in ("precision", "recall", "f2", "recall target")})
        if det.get("not_measured"):
            st.caption("Not measured (no labelled examples): " + ", ".join(det["not_measured"]))


def _pii(run_id: str, res: RunResults) -> None:
    st.subheader("PII findings")
    blocks = {t.name: t.pii for t in res.tasks if t.pii is not None}
    if blocks:
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
    by_type = summary.groupby(["entity_type", "leak"], as_index=False)["findings"].sum()
    by_type["kind"] = by_type["leak"].map({True: "leak", False: "finding"})
    by_field = summary.groupby(["field", "leak"], as_index=False)["findings"].sum()
    by_field["kind"] = by_field["leak"].map({True: "leak", False: "finding"})
    a, b = st.columns(2)
    charts.show(lambda: charts.count_bars(by_type, x="entity_type", y="findings", color="kind", title="by entity type"),
                charts.why_empty(by_type, "PII findings by entity type", value="findings", counts=True),
                key="pii-type", target=a)
    charts.show(lambda: charts.count_bars(by_field, x="field", y="findings", color="kind", title="by field"),
                charts.why_empty(by_field, "PII findings by field", value="findings", counts=True),
                key="pii-field", target=b)
    leaks_only = st.toggle("Leaks only", value=False, key="p_leaks")
    total = leaks if leaks_only else int(summary["findings"].sum())
    pages = max(1, -(-total // PAGE_SIZE))
    page = st.number_input(f"Page (of {pages:,})", 1, pages, 1, key="p_page")
    frame = state.findings_page(run_id, leaks_only=leaks_only, offset=(int(page) - 1) * PAGE_SIZE,
                        limit=PAGE_SIZE, include_raw=state.can("view_raw_pii"))
    styled = frame.style.apply(lambda r: ["background-color: #fde2e1" if r.get("leak") else "" for _ in r], axis=1) \
        if "leak" in frame else frame
    st.dataframe(styled, hide_index=True, width="stretch")
    st.caption("Context is redacted (`<ENTITY_TYPE>`); raw values are never stored unless a config asked for "
               "them, and then only admins see them.")


def _toxicity(run_id: str, res: RunResults) -> None:
    st.subheader("Toxicity")
    columns = state.table_columns(run_id, "samples")
    tasks = [t for t in res.tasks if t.metric("toxicity_rate") or t.metric("toxicity_mean")]
    if "toxicity_score" not in columns or not tasks:
        st.caption("No toxicity scanner in this run.")
        return
    rows = pd.DataFrame([{"task": t.name, "metric": k, **t.metrics[k].model_dump()} for t in tasks
                         for k in ("toxicity_rate", "toxicity_mean") if k in t.metrics])
    how = interval_methods(rows["method"].tolist()) if "method" in rows else ""
    charts.show(lambda: charts.ci_bars(rows, x="task", color="metric",
                                       title=f"toxicity per task (95% CI{', ' + how if how else ''})"),
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
    title = (f"share of toxic outputs by {attr} (95% CI, exact binomial)" if rate
             else f"mean toxicity score by {attr} (95% CI, normal approximation)")
    charts.show(lambda: charts.ci_bars(groups, x="group", title=title,
                                       y_title="toxic share" if rate else "toxicity score"),
                charts.why_empty(groups, what), key="tox-group")


def render() -> None:
    st.title("Privacy & Safety")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        res = state.results(run_id)
        _pii(run_id, res)
        _toxicity(run_id, res)
    except AssayError as err:
        state.show_error(err)
