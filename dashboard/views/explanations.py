"""Explanations: SHAP token attributions as highlighted text (red pushes towards the output,
blue away; opacity is magnitude). All text is HTML-escaped."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from dashboard import state
from dashboard.components.text import attribution_html, reason_text
from reports.glossary import plain

_TOKENS = ("tokens", "token")
_WEIGHTS = ("attributions", "attribution", "shap_values", "values", "value", "weight")
MAX_SAMPLES = 200


def explanation_items(frame: pd.DataFrame) -> list[dict]:
    """Normalise list-per-row or row-per-token tables to [{task, sample_id, tokens, weights, extra}]."""
    tok = next((c for c in _TOKENS if c in frame), None)
    wt = next((c for c in _WEIGHTS if c in frame), None)
    if frame.empty or tok is None or wt is None:
        return []
    keys = [c for c in ("task", "sample_id", "target", "output", "reason", "base_value") if c in frame]
    if frame[tok].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).all():
        return [{**{k: r[k] for k in keys}, "tokens": list(r[tok]), "weights": [float(x) for x in r[wt]]}
                for _, r in frame.iterrows()]
    order = [c for c in ("position", "token_index") if c in frame]
    items = []
    for key, part in frame.groupby(keys or [tok], sort=False):
        part = part.sort_values(order) if order else part
        ident = dict(zip(keys, key if isinstance(key, tuple) else (key,)))
        items.append({**ident, "tokens": part[tok].astype(str).tolist(), "weights": part[wt].astype(float).tolist()})
    return items


def render() -> None:
    st.title("Explanations")
    run_id = state.require_run()
    if run_id is None:
        return
    try:
        frame = state.table(run_id, "explanations", limit=MAX_SAMPLES * 64)
        res = state.results(run_id)
    except AssayError as err:
        state.show_error(err)
        return
    items = explanation_items(frame)
    if not items:
        st.info("This run has no token attributions: add the `explain` scanner to the audit config.")
        return
    blocks = {t.name: t.explain for t in res.tasks if t.explain is not None}
    tasks = list(dict.fromkeys(i.get("task", "") for i in items))
    task = st.selectbox("Task", tasks, key="e_task")
    how = blocks.get(task)
    if how is not None:
        n = how.n_explained
        st.caption(f"Method: {how.method or 'SHAP'}; what is explained: **{plain(how.target) or '?'}**; "
                   f"{how.max_evals} model evaluations per sample; {n} sample{'' if n == 1 else 's'} "
                   "explained (the review queue's flagged samples first).")
    chosen = [i for i in items if i.get("task", "") == task][:MAX_SAMPLES]
    st.caption("Red tokens push the model towards its output, blue tokens away; stronger colour, larger effect. "
               "Hover a token for its attribution.")
    said = state.table(run_id, "samples", columns=["sample_id", "prediction"], filters={"task": task})
    said = dict(zip(said["sample_id"].astype(str), said["prediction"])) if "prediction" in said else {}
    for item in chosen:
        output = item.get("output") or said.get(str(item.get("sample_id")))
        st.markdown(f"**{item.get('sample_id', '')}**" + (f" → model answered `{str(output)[:120]}`" if output else ""))
        st.caption(_describe(item))
        st.html(attribution_html(item["tokens"], item["weights"]))


def _describe(item: dict) -> str:
    """Which quantity the attributions explain, from what baseline, and why the sample was chosen."""
    parts = []
    if item.get("target"):
        parts.append(f"explains {plain(item['target'])}")
    if item.get("base_value") is not None and pd.notna(item["base_value"]):
        total = sum(item["weights"])
        parts.append(f"baseline {float(item['base_value']):.3f}, token attributions sum to {total:+.3f}")
    if item.get("reason"):
        parts.append(f"chosen because: {reason_text(item['reason'])}")
    return " · ".join(parts)
