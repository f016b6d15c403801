"""Explanations: SHAP token attributions as highlighted text (red pushes towards the output,
blue away; opacity is magnitude). All text is HTML-escaped."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.errors import AssayError
from dashboard import state
from dashboard.components.text import attribution_html

_TOKENS = ("tokens", "token")
_WEIGHTS = ("attributions", "attribution", "shap_values", "values", "value", "weight")
MAX_SAMPLES = 200


def explanation_items(frame: pd.DataFrame) -> list[dict]:
    """Normalise list-per-row or row-per-token tables to [{task, sample_id, tokens, weights, extra}]."""
    tok = next((c for c in _TOKENS if c in frame), None)
    wt = next((c for c in _WEIGHTS if c in frame), None)
    if frame.empty or tok is None or wt is None:
        return []
    keys = [c for c in ("task", "sample_id", "target", "output") if c in frame]
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
    blocks = {t["name"]: t["explain"] for t in res.get("tasks") or [] if t.get("explain")}
    if blocks:
        with st.expander("How these were computed"):
            st.json(blocks, expanded=False)
    tasks = list(dict.fromkeys(i.get("task", "") for i in items))
    task = st.selectbox("Task", tasks, key="e_task")
    chosen = [i for i in items if i.get("task", "") == task][:MAX_SAMPLES]
    st.caption("Red tokens push the model towards its output, blue tokens away; stronger colour, larger effect. "
               "Hover a token for its attribution.")
    for item in chosen:
        st.markdown(f"**{item.get('sample_id', '')}**" + (f" → `{item['output']}`" if item.get("output") else ""))
        st.html(attribution_html(item["tokens"], item["weights"]))
