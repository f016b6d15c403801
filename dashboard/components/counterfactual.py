"""Counterfactual probes in readable form: the results block's figures and the probes table
(``counterfactuals.parquet``: task, sample_id, variant, value, prompt, output, decision, toxicity)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from audits.results import CounterfactualBlock, Estimate
from reports.figures import figure


def interval(stat: Estimate | None, pct: bool = False) -> str:
    """``0.25 [0.00, 0.75]`` (or percentages) from an estimate; "—" when absent."""
    if stat is None or stat.value is None:
        return "—"

    def fmt(x: Any) -> str:
        return "?" if x is None else (f"{float(x):.0%}" if pct else figure(x))
    ci = f" [{fmt(stat.ci_low)}, {fmt(stat.ci_high)}]" if stat.ci_low is not None else ""
    return fmt(stat.value) + ci


def headline(block: CounterfactualBlock) -> list[tuple[str, str, str]]:
    """(label, value with 95% CI, help) for the flip rate, output similarity and toxicity gap."""
    sim = block.similarity_mean
    model = sim.model if sim is not None else None
    return [
        ("Flip rate", interval(block.flip_rate, pct=True),
         "share of probed samples whose decision changed when only the group was swapped (95% CI)"),
        ("Output similarity", interval(sim),
         "mean cosine similarity between the outputs for the swapped prompts (1 = same meaning)"
         + (f"; {model}" if model else "")),
        ("Toxicity gap", interval(block.toxicity_gap),
         "largest difference in mean toxicity between the swapped values (95% CI)"),
    ]


def by_value(block: CounterfactualBlock) -> pd.DataFrame:
    """One row per swapped value: mean toxicity and the count of each decision (columns)."""
    values = [str(v) for v in block.values]
    gap = block.toxicity_gap
    tox = gap.by_value if gap is not None else {}
    decisions = block.decision_by_value
    values += [v for v in list(tox) + list(decisions) if v not in values]
    rows = []
    for v in values:
        row: dict[str, str | float | int | None] = {"value": v, "mean toxicity": tox.get(v)}
        row.update({f"decision: {d}": n for d, n in (decisions.get(v) or {}).items()})
        rows.append(row)
    frame = pd.DataFrame(rows)
    return frame.fillna(0) if not frame.empty else frame


def probes(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per base sample: whether the decision flipped, then each value's output."""
    if frame.empty or not {"sample_id", "value", "output"} <= set(frame.columns):
        return frame  # not the counterfactual scanner's shape: show it as it is
    ordered = frame.sort_values("variant") if "variant" in frame else frame
    values = list(dict.fromkeys(ordered["value"].astype(str)))
    out = []
    for sid, part in frame.groupby("sample_id", sort=False):
        decisions = part["decision"].dropna().astype(str) if "decision" in part else pd.Series(dtype=str)
        row: dict[str, str | bool | float | None] = {"sample": str(sid), "decision flipped": decisions.nunique() > 1}
        for _, r in part.iterrows():
            row[f"output ({r['value']})"] = r.get("output")
        if "toxicity" in part:
            row["toxicity range"] = float(part["toxicity"].max() - part["toxicity"].min())
        out.append(row)
    cols = ["sample", "decision flipped"] + [f"output ({v})" for v in values] + ["toxicity range"]
    table = pd.DataFrame(out)
    return table[[c for c in cols if c in table]]
