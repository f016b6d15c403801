"""Static charts for reports, drawn offline with matplotlib (Agg backend, no browser).

Same content as the dashboard's fairness view: a metric by group with its 95% CI, and for
selection rates the four-fifths line (0.8 x the highest group's rate).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from audits.results import FairnessGrouping, RunResults  # noqa: E402
from reports.glossary import attribute_text, group_label, term  # noqa: E402

MAX_CHARTS = 8
MAX_GROUPS = 16


@dataclass
class Chart:
    title: str
    caption: str
    png: bytes


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


NOT_ASSURED = "coverage not assured: "   # how an Estimate's caveat begins (audits.stats coverage_reason)


def caveated_groups(grouping: FairnessGrouping | None, attribute: str, metric: str) -> list[tuple[str, int, str]]:
    """(group in words, n, reason) for each group whose interval of ``metric`` may not hold its 95%
    (``Estimate.caveat``: a mean of unbounded scores, too few or too skewed, audits.stats). The stored rows a
    chart by group draws carry the interval, not the caveat: it is read from the run's results."""
    return [(group_label(attribute, g), int(est.n or 0), est.caveat.removeprefix(NOT_ASSURED))
            for g, entry in (grouping.by_group.items() if grouping else [])
            if (est := entry.metrics.get(metric)) is not None and est.caveat]


def caveat_line(grouping: FairnessGrouping | None, attribute: str, metric: str, bold: bool = False) -> str | None:
    """One line naming the groups of :func:`caveated_groups` with their reasons (``bold``: markdown names, for
    the dashboard); None when no group has a caveat. The dashboard and the report print the same line."""
    said = caveated_groups(grouping, attribute, metric)
    if not said:
        return None
    mark = "**" if bold else ""
    return (f"Coverage not assured for {len(said)} of {len(grouping.by_group)} groups' intervals of {term(metric)}: "
            + "; ".join(f"{mark}{g} (n={n:,}){mark}: {why}" for g, n, why in said) + ".")


def group_chart(frame: pd.DataFrame, task: str, attribute: str, metric: str, four_fifths: float = 0.8,
                caveat: str | None = None) -> Chart:
    """Horizontal bars of one metric by group with CI whiskers (and the four-fifths line); a group
    with no samples (n=0, e.g. BBQ's clear contexts under an ambiguous-context measure) is left out
    and named in the caption, as is ``caveat`` (:func:`caveat_line`)."""
    rows, empty = drawable(frame)
    rows = rows.sort_values("group").head(MAX_GROUPS)
    groups = [group_label(attribute, g) for g in rows["group"].astype(str)]   # words, not data codes ('ambig')
    attribute_raw, attribute = attribute, attribute_text(attribute)
    value = rows["value"].astype(float).to_numpy()
    low = rows["ci_low"].astype(float).to_numpy()
    high = rows["ci_high"].astype(float).to_numpy()
    err = np.vstack([np.clip(value - low, 0, None), np.clip(high - value, 0, None)])
    err = np.nan_to_num(err)
    insufficient = rows["insufficient_data"].fillna(False).astype(bool).to_numpy() \
        if "insufficient_data" in rows else np.zeros(len(rows), dtype=bool)
    fig, ax = plt.subplots(figsize=(5.6, 0.28 * len(groups) + 1.1))
    colors = ["#b0b0b0" if flag else "#3b6ea8" for flag in insufficient]
    y = np.arange(len(groups))
    ax.barh(y, np.nan_to_num(value), xerr=err, color=colors, capsize=3, ecolor="#333333")
    ax.plot(value, y, "|", color="#1f3d63", markersize=8)  # a value of 0 stays visible
    ax.set_yticks(y, [f"{g} (n={int(n)})" for g, n in zip(groups, rows["n"].fillna(0))])
    ax.invert_yaxis()
    how = _how(rows)
    # wrapped: a one-line 100-character measure name made the figure that wide, and the PDF shrank the plot to fit
    ax.set_xlabel(_wrap(f"{term(metric)} (bars: value, whiskers: 95% CI{', ' + how if how else ''})"), fontsize=9)
    caption = (f"{term(metric)} by {attribute} on task {task}; whiskers: 95% CI{' (' + how + ')' if how else ''}; "
               "grey bars: groups too small to compare.")
    if empty:
        caption += f" Not drawn (no samples): {', '.join(group_label(attribute_raw, g) for g in empty)}."
    if metric == "selection_rate" and np.isfinite(value).any():
        line = four_fifths * np.nanmax(value)
        ax.axvline(line, color="#c0392b", linestyle="--", linewidth=1.2, label=f"four-fifths line ({line:.2f})")
        ax.legend(loc="lower right", fontsize=8)
        caption += f" Dashed line: {four_fifths:g} x the highest group's rate; groups left of it fail the four-fifths rule."
    if caveat:
        caption += " " + caveat
    ax.set_xlim(*axis_range(np.concatenate([low, value, high])))
    ax.set_title(_wrap(f"{task}: {term(metric)} by {attribute}"), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return Chart(title=f"{task}: {term(metric)} by {attribute}", caption=caption, png=_png(fig))


def _wrap(text: str, width: int = 70) -> str:
    """A chart title or axis label on lines that fit the 5.6-inch figure."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def drawable(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The rows a group chart draws (groups with samples) and the groups left out because n is 0."""
    if "n" not in frame:
        return frame, []
    has = pd.to_numeric(frame["n"], errors="coerce").fillna(0) > 0
    return frame[has], sorted(frame.loc[~has, "group"].astype(str))


SMALL_RATE = 0.25


def axis_range(values: np.ndarray) -> tuple[float, float]:
    """0..1 for rates and scores inside it, or 0..a little above the largest when every value (and
    bound) is under a quarter (probabilities of 'yes' near 0.02 lay flat on a 0..1 axis); otherwise an
    axis fit to the values (and 0), padded 5% (a log-odds near -3.6 is never drawn on a 0..1 axis)."""
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() >= 0 and 0 < finite.max() < SMALL_RATE:
        return 0.0, float(finite.max()) * 1.15
    if finite.size == 0 or (finite.min() >= 0 and finite.max() <= 1):
        return 0.0, 1.0
    lo, hi = min(0.0, float(finite.min())), max(0.0, float(finite.max()))
    pad = 0.05 * (hi - lo or 1.0)
    return lo - (pad if lo < 0 else 0.0), hi + pad


def why_no_chart(part: pd.DataFrame, task: str, attribute: str, metric: str) -> str | None:
    """One line saying why a chart of ``metric`` by ``attribute`` would show nothing; None when it has
    something to show (a value that differs from zero, or groups whose values differ)."""
    values = part["value"].astype(float) if "value" in part else pd.Series(dtype=float)
    attribute = attribute_text(attribute)
    if not values.notna().any():
        return f"No chart of {term(metric)} by {attribute} on {task}: no group has a value."
    if (values.dropna() == 0).all():
        said = "the model never chose 'yes' for any group" if metric == "selection_rate" else "every group is 0"
        return (f"No chart of {term(metric)} by {attribute} on {task}: {said} "
                f"({len(values.dropna())} groups), so there is nothing to compare.")
    return None


def row_labels(rows: pd.DataFrame) -> list[str]:
    """'support-qa · share of answers matching the reference exactly' per row: words, not metric ids."""
    return [f"{t} · {term(m)}" for t, m in zip(rows["task"], rows["metric"])]


def metrics_chart(metrics: pd.DataFrame) -> Chart | None:
    """Every metric in [0, 1] with its CI; the compared run beside it when there is one."""
    rows = metrics.dropna(subset=["value"])
    # descriptive scanner rates (PII present in input/prediction, mean toxicity) are in the table only
    rows = rows[~rows["metric"].isin(("pii_rate_input", "pii_rate_prediction", "pii_rate_reference", "toxicity_mean"))]
    rows = rows[(rows["value"] >= 0) & (rows["value"] <= 1)].head(30)
    if rows.empty:
        return None
    labels = row_labels(rows)
    y = np.arange(len(rows))
    fig, ax = plt.subplots(figsize=(6.4, 0.24 * len(rows) + 1.2))
    has_cmp = rows["compare_value"].notna().any()
    h = 0.38 if has_cmp else 0.7

    def bars(offset: float, v: str, lo: str, hi: str, color: str, label: str) -> None:
        vals = rows[v].astype(float).to_numpy()
        err = np.nan_to_num(np.vstack([vals - rows[lo].astype(float).to_numpy(),
                                       rows[hi].astype(float).to_numpy() - vals]))
        ax.barh(y + offset, np.nan_to_num(vals), height=h, xerr=np.clip(err, 0, None), color=color,
                capsize=2, ecolor="#333333", label=label)
        ax.plot(vals, y + offset, "|", color="#1f3d63", markersize=6)  # a value of 0 stays visible

    bars(-h / 2 if has_cmp else 0, "value", "ci_low", "ci_high", "#3b6ea8", "this run")
    if has_cmp:
        bars(h / 2, "compare_value", "compare_ci_low", "compare_ci_high", "#b7c9e2", "compared run")
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncol=2, fontsize=8, frameon=False)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.0)
    ax.set_xlabel("value (whiskers: 95% CI)")
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("Metrics with confidence intervals", fontsize=10, loc="left")
    how = _how(rows)
    return Chart("Metrics with confidence intervals",
                 "Each metric's value and 95% CI" + (f" ({how}, by metric)" if how else "")
                 + (", beside the compared run." if has_cmp else "."), _png(fig))


def _how(rows: pd.DataFrame) -> str:
    """The interval methods of the rows in plain words ('exact binomial; BCa bootstrap'); "" when
    the rows do not say (older bundles)."""
    from audits.stats import interval_methods

    return interval_methods(rows["method"].dropna().tolist()) if "method" in rows else ""


def fairness_charts(fairness: pd.DataFrame, limit: int = MAX_CHARTS, results: RunResults | None = None) -> list[Chart | str]:
    """Selection rate by group first (decision tasks), then other metrics, single attributes first;
    a chart with nothing to show is one line saying why instead; ``results``: the run's, whose groups'
    caveats (:func:`caveat_line`) each chart's caption says."""
    if fairness is None or fairness.empty or not {"task", "attribute", "group", "metric"} <= set(fairness.columns):
        return []
    keys = fairness[["task", "attribute", "metric"]].drop_duplicates()
    # selection rate first, then each task's own metrics; scanner rates (pii_*, toxicity_*) last
    scanner = keys["metric"].str.startswith(("pii_", "toxicity_"))
    keys = keys.assign(_sel=np.where(keys["metric"] == "selection_rate", 0, np.where(scanner, 2, 1)),
                       _inter=keys["attribute"].str.contains(r"\*").astype(int))
    keys = keys.sort_values(["_sel", "_inter", "task", "attribute", "metric"]).head(limit)
    charts = []
    for k in keys.itertuples():
        part = fairness[(fairness["task"] == k.task) & (fairness["attribute"] == k.attribute)
                        & (fairness["metric"] == k.metric)]
        kept = drawable(part)[0]
        why = why_no_chart(kept, k.task, k.attribute, k.metric) if not kept.empty else (
            f"No chart of {term(k.metric)} by {attribute_text(k.attribute)} on {k.task}: no group has samples (n=0).")
        block = results.task(k.task).fairness if results is not None and k.task in results.task_names else {}
        caveat = caveat_line(block.get(k.attribute), k.attribute, k.metric)
        charts.append(why if why else group_chart(part, k.task, k.attribute, k.metric, caveat=caveat))
    return charts
