"""Fairness: metric by group with intervals, the four-fifths line, group sizes and
counterfactual flip rates, per attribute and intersection."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from audits.errors import AssayError
from audits.results import CounterfactualBlock, FairnessGrouping
from audits.stats import interval_methods
from dashboard import state
from dashboard.components import charts
from dashboard.components import counterfactual as cf
from policies._fairness_bounds import verdict_bounds
from reports.charts import caveat_line
from reports.figures import count, figure, interval
from reports.glossary import attribute_text, group_label, term

Y_TITLE_CHARS = 24
_ENOUGH, _TOO_FEW = "#1f5fbf", "#9ca3af"
# outcome metrics first; the scanner rates by group go in an expander
_SECONDARY = ("pii_", "toxicity_")
_GAP_COLUMNS = {"attribute": "attribute", "groups_compared": "groups compared",
                "min_group_size": "groups need at least (samples)", "demographic_parity_difference": "selection-rate difference",
                "demographic_parity_ratio": "selection-rate ratio", "four_fifths_threshold": "four-fifths threshold", "four_fifths_violation": "four-fifths violated?",
                "four_fifths_reading": "four-fifths reading (two-proportion test, Holm)",
                "ratio_bounds": "selection-rate ratio, one-sided 95% bounds (decide the four-fifths control)",
                "equalized_odds_difference": "equalized-odds difference"}
RATIO_BOUNDS_NOTE = ("The four-fifths control decides on the one-sided 95% bounds shown: lowest over highest group's "
                     "'yes' rate, every pair of groups compared at once (Katz log intervals, Bonferroni over the "
                     "pairs), so picking the extremes from the data does not overstate the evidence. It passes when "
                     "the lower bound is at least the threshold and fails when the upper bound is below it.")


def _gaps(block: dict[str, FairnessGrouping]) -> pd.DataFrame:
    """One row per attribute; the ratio's interval is the one its control decides on (``verdict_bounds``:
    every pair of groups at once), not Katz on the observed extremes, which read as a second answer."""
    rows = [{"attribute": attr, **{k: getattr(info, k) for k in _GAP_COLUMNS if k not in ("attribute", "ratio_bounds")},
             "ratio_bounds": _interval(_ends(verdict_bounds(attr, info)[0]))}
            for attr, info in block.items()]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    frame["attribute"] = [attribute_text(a) for a in frame["attribute"]]
    return frame.dropna(axis=1, how="all").rename(columns=_GAP_COLUMNS)   # no bound at all: no column


def gaps_by_measure(gaps: pd.DataFrame) -> pd.DataFrame:
    """The gaps table turned on its side: one row per measure, one column per attribute, every cell in words
    (figures by ``reports.figures``). Nine measures across did not fit 1280 pixels: the last columns, the
    four-fifths reading and the ratio's bounds, were cut off behind a scroll bar."""
    def cell(v: object) -> str:
        if isinstance(v, (bool, np.bool_)):
            return "yes" if v else "no"
        if isinstance(v, (int, np.integer)):
            return count(v)
        return figure(v) if isinstance(v, (float, np.floating)) else ("—" if v is None else str(v))
    side = gaps.set_index("attribute").T
    return pd.DataFrame({"measure": list(side.index),
                         **{str(a): [cell(v) for v in side[a]] for a in side.columns}})


def _ends(bounds) -> tuple[float, float] | None:
    return None if bounds is None else (bounds.low, bounds.high)


def _interval(x: object) -> str | None:
    """'[0.61, 0.93]' from a (low, high) pair; None when either end is missing."""
    try:
        low, high = (float(v) for v in x)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    return interval(low, high) or None


def _colors(part: pd.DataFrame) -> dict[str, str]:
    """Groups with enough samples in blue, too-small groups in grey."""
    return {label: _TOO_FEW if str(label).startswith("too few") else _ENOUGH for label in part["sample size"].unique()}


def group_size_legend(min_size: int | None) -> str:
    """The legend entry of groups big enough to compare: 'at least 30 samples (compared)'."""
    return f"at least {min_size} samples (compared)" if min_size else "big enough to compare"


def _how(rows: pd.DataFrame) -> str:
    """', exact binomial' (the interval method the bias scan recorded per row; older runs: none)."""
    words = interval_methods(rows["method"].dropna().tolist()) if "method" in rows else ""
    return f", {words}" if words else ""


def why_no_group_chart(rows: pd.DataFrame, metric: str, attr: str, task: str) -> str | None:
    """One line when a chart by group would show nothing (no value, or every group at 0: the demo's
    'yes' rates, drawn as five dots on the floor); the report says the same (reports.charts)."""
    if rows["value"].dropna().empty:
        return f"{term(metric)} by {attr}: no group has a value to draw."
    from reports.charts import why_no_chart

    return why_no_chart(rows, task, attr, metric)


def group_figure(rows: pd.DataFrame, metric: str, attr: str):
    """The chart of ``metric`` by group; small rates get an axis that fits them (the report's rule:
    probabilities of 'yes' near 0.02 lay flat on a 0..1 axis)."""
    from reports.charts import SMALL_RATE, axis_range

    fig = charts.ci_bars(rows, x="group", color="sample size", title=f"{term(metric)} by {attr} (95% CI{_how(rows)})",
                         y_title=term(metric), height=320, colors=_colors(rows))
    values = pd.concat([rows[c] for c in ("value", "ci_low", "ci_high") if c in rows]).astype(float).to_numpy()
    low, high = axis_range(values)
    if low == 0 and high < SMALL_RATE * 1.15:
        fig.update_yaxes(range=[0, high])
    if len(term(metric)) > Y_TITLE_CHARS:   # the title names it; a long axis title ran off the 320-px chart
        fig.update_layout(yaxis_title=None)
    return fig


def caveat_note(grouping: FairnessGrouping | None, attr: str, metric: str) -> str | None:
    """The line under a chart by group naming the groups whose interval may not hold its 95% (the report's
    caption says the same: ``reports.charts.caveat_line``)."""
    return caveat_line(grouping, attr, metric, bold=True)


def _chart(rows: pd.DataFrame, metric: str, attr: str, key: str, task: str = "",
           note: str | None = None) -> None:
    why = why_no_group_chart(rows, metric, attr, task)
    if why:   # never an empty chart: say why in one line
        st.caption(why)
        return
    st.plotly_chart(group_figure(rows, metric, attr), width="stretch", key=key)
    if note:   # an interval that may not hold its 95% says so (as the Overview's and the report's statements)
        st.caption(note)


def _attribute(attr: str, part: pd.DataFrame, min_size: int | None, threshold: float, key: str,
               task: str = "", grouping: FairnessGrouping | None = None) -> None:
    key_attr = attr
    part = part.assign(group=[f"{group_label(attr, g)} (n={n})" for g, n in zip(part["group"].astype(str), part["n"])])
    attr = attribute_text(attr)   # words in titles and warnings ('context', not 'context_condition')
    small = part["insufficient_data"].fillna(False).astype(bool) if "insufficient_data" in part else False
    label = f"too few (< {min_size})" if min_size else "too few"
    enough = group_size_legend(min_size)   # the legend says what 'enough' means (a lone 'enough' said nothing)
    part = part.assign(**{"sample size": pd.Series(label, index=part.index).where(small, enough)})
    sizes = part.drop_duplicates("group")[["group", "n", "sample size"]]
    if bool(sizes["sample size"].ne(enough).all()):
        st.warning(f"Every {attr} group has fewer than {min_size or 'the minimum'} samples: no gap is computed and "
                   "the figures below describe too few people to compare.", icon=":material/warning:")
    elif sizes["sample size"].ne(enough).any():
        st.caption("Groups marked *too few* are shown but left out of the gaps.")
    metrics = list(dict.fromkeys(part["metric"]))
    main = [m for m in metrics if not m.startswith(_SECONDARY)]
    cols = st.columns(2)
    for i, metric in enumerate(main):
        with cols[i % 2]:
            _chart(part[part["metric"] == metric], metric, attr, f"{key}-{metric}", task,
                   caveat_note(grouping, key_attr, metric))
    sel = part[part["metric"] == "selection_rate"]
    i = len(main)
    if len(sel) > 1 and sel["value"].max() > 0:
        ratio = sel.assign(value=sel["value"] / sel["value"].max())[["group", "value", "n", "sample size"]]
        with cols[i % 2]:
            st.plotly_chart(charts.ci_bars(ratio, x="group", low="_", high="_", color="sample size",
                                           title=f"selection-rate ratio to the top group ({attr})",
                                           y_title="ratio", hline=threshold, hline_label=f"four-fifths rule ({threshold:g})",
                                           height=320, colors=_colors(ratio)), width="stretch", key=f"{key}-ratio")
        i += 1
    with cols[i % 2]:
        st.plotly_chart(charts.count_bars(sizes, x="group", y="n", color="sample size",
                                          title=f"group sizes ({attr})", barmode="stack",
                                          colors=_colors(sizes)), width="stretch", key=f"{key}-sizes")
    other = [m for m in metrics if m.startswith(_SECONDARY)]
    if other:
        with st.expander(f"Privacy and toxicity rates by {attr}"):
            cols = st.columns(2)
            for j, metric in enumerate(other):
                with cols[j % 2]:
                    _chart(part[part["metric"] == metric], metric, attr, f"{key}-{metric}", task,
                           caveat_note(grouping, key_attr, metric))


def _counterfactuals(run_id: str, task: str, block: CounterfactualBlock | None) -> None:
    frame = state.table(run_id, "counterfactuals", filters={"task": task})
    if frame.empty and block is None:
        return
    st.subheader("Counterfactual probes")
    shown = block or CounterfactualBlock(n=frame["sample_id"].nunique() if len(frame) else 0)
    values = " / ".join(map(str, shown.values or frame.get("value", pd.Series(dtype=str)).unique()))
    st.caption(f"The same prompt with only **{shown.attribute or 'the group'}** swapped ({values}; "
               f"{shown.mode or ''} mode) on {shown.n} "
               "samples. A fair model gives the same decision and a similar answer whichever value is named.")
    if block:
        for col, (label, value, help_) in zip(st.columns(3), cf.headline(block)):
            col.metric(label, value, help=help_)
        table = cf.by_value(block)
        decisions = [c for c in table if c.startswith("decision: ")]
        if len(decisions) > 8 or any(len(c) > 50 for c in decisions):  # free-text outputs, not decisions
            table = table.drop(columns=decisions)
        if not table.empty:
            st.markdown("**By value**")
            st.dataframe(table, hide_index=True, width="stretch",
                         column_config={"mean toxicity": st.column_config.NumberColumn(format="%.3f")})
    probes = cf.probes(frame)
    if not probes.empty:
        st.markdown("**Probes** (one row per base sample)")
        st.dataframe(probes, hide_index=True, width="stretch",
                     column_config={"toxicity range": st.column_config.NumberColumn(format="%.3f")})
        with st.expander("Prompts as sent"):
            st.dataframe(frame[[c for c in ("sample_id", "value", "prompt", "decision", "toxicity") if c in frame]],
                         hide_index=True, width="stretch")


def decision_parity_warning(block: dict[str, FairnessGrouping]) -> str | None:
    """When the model's answers barely vary, why comparing groups' 'yes' rates says little, in plain words
    (None when they vary enough: ``decision_parity_informative`` is not False for any grouping)."""
    info = next((i for i in block.values() if i.decision_parity_informative is False), None)
    if info is None:
        return None
    rate = info.overall_selection_rate
    share = "" if rate is None or rate != rate else f" ('yes' in {rate:.1%} of cases)"
    if any(i.discrimination is not None for i in block.values()):
        instead = "the probability of 'yes' by group (under *By group*) and the discrimination score below."
    else:   # never point at a score the page does not show
        sizes = sorted({i.min_group_size for i in block.values() if i.min_group_size})
        instead = ("the probability of 'yes' by group (under *By group*). No discrimination score could be "
                   "computed: " + (f"fewer than two groups have at least {'/'.join(map(str, sizes))} samples."
                                   if sizes and all(i.groups_compared < 2 for i in block.values())
                                   else "the run recorded none."))
    return (f"The model's most likely answer is nearly always the same{share}, so comparing how often each group "
            f"gets a 'yes' says little here. Compare instead {instead}")


DISCRIMINATION_BOUNDS = "one-sided 95% bounds (decide the discrimination control)"


def discrimination_rows(block: dict[str, FairnessGrouping]) -> list[dict]:
    """The discrimination score per attribute with column names a committee reads (never ci_low/ci_high);
    its bounds are the ones its control decides on (``verdict_bounds``: every pairwise gap of the groups'
    mean log-odds at once), not the scanner's percentile bootstrap of highest minus lowest."""
    return [{"attribute": attribute_text(attr), "score (gap in log-odds of 'yes')": d.value,
             DISCRIMINATION_BOUNDS: _interval(_ends(verdict_bounds(attr, info)[1])) or "—",
             "group leaning most to 'yes'": d.highest or "—", "group leaning least to 'yes'": d.lowest or "—"}
            for attr, info in block.items() if (d := info.discrimination) is not None]


def _probability_view(block: dict[str, FairnessGrouping]) -> None:
    """Decision tasks: say when comparing 'yes' rates says little; show the discrimination score."""
    warning = decision_parity_warning(block)
    if warning:
        st.warning(warning)
    rows = discrimination_rows(block)
    if rows:
        st.subheader("Discrimination score (from decision probabilities)")
        within = any(info.discrimination is not None and info.discrimination.pairs for info in block.values())
        how = ("each group's log-odds of 'yes' compared within the same questions, the other attributes held "
               "fixed (one effect per question, as Tamkin et al., 2023 fit it: the prompts of this audit do not "
               "give every group every question equally often)" if within else
               "each group's average log-odds of 'yes' (Tamkin et al., 2023)")
        st.caption(f"The largest gap between groups in the model's leaning towards 'yes': {how}, highest minus "
                   "lowest; 0 means no difference. The probability of 'yes' is read from the model's scores for "
                   "the answer choices of each prompt; its average by group is under *By group*. The bounds are the "
                   "ones the discrimination control decides on (one-sided 95%): every pair of groups' gap at once; "
                   "it passes when the upper bound is at most the threshold and fails when the lower bound is above it.")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


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
    tasks = [t for t in res.tasks if t.fairness or t.counterfactual]
    if not tasks and table.empty:
        st.info("This run has no fairness results: add `sensitive:` attributes to a task and the `bias` scanner.")
        return
    names = [t.name for t in tasks] or sorted(table["task"].unique())
    first = next((i for i, t in enumerate(tasks) if t.fairness), 0)
    task = st.selectbox("Task", names, index=first, key="f_task",
                        format_func=lambda n: n + ("" if any(t.name == n and t.fairness for t in tasks)
                                                   else " (counterfactual probes only)"))
    res_task = next((t for t in tasks if t.name == task), None)
    block = res_task.fairness if res_task else {}
    gaps = _gaps(block)
    if not gaps.empty:
        st.subheader("Gaps between groups")
        st.dataframe(gaps_by_measure(gaps), hide_index=True, width="stretch")
        if _GAP_COLUMNS["ratio_bounds"] in gaps:
            st.caption(RATIO_BOUNDS_NOTE)
        if "groups compared" in gaps and (gaps["groups compared"] < 2).all():
            sizes = {info.min_group_size for info in block.values()}
            st.caption(f"No gap could be computed: fewer than two groups have at least "
                       f"{'/'.join(map(str, sizes)) or 'the minimum number of'} samples. Run more samples.")
    _probability_view(block)
    rows = table[table["task"] == task] if not table.empty else table
    attrs = list(dict.fromkeys(rows["attribute"])) if not rows.empty else []
    if attrs:
        st.subheader("By group")
        tabs = st.tabs([attribute_text(a) + (" (intersection)" if "*" in a else "") for a in attrs])
        for tab, attr in zip(tabs, attrs):
            with tab:
                grouping = block.get(attr) or FairnessGrouping()
                _attribute(attr, rows[rows["attribute"] == attr], grouping.min_group_size or None,
                           grouping.four_fifths_threshold, key=f"f-{task}-{attr}", task=task, grouping=grouping)
    _counterfactuals(run_id, task, res_task.counterfactual if res_task else None)
