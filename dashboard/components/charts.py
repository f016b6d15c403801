"""Plotly figures shared by pages: values with confidence intervals, reference lines; and the one
rule every page uses so that no empty chart is drawn (``why_empty`` / ``show``)."""

from __future__ import annotations

from typing import Any, Callable

import pandas as pd
import plotly.graph_objects as go


# plotly's tool icons stand down the chart's right edge: across the top they covered the title at half width
MODEBAR = {"orientation": "v"}
# ... in a right margin of their own: at 10 px they stood over the last point's whiskers (Trends, 2026-Q4)
MODEBAR_ROOM = 40
# the legend sits at the chart's bottom edge (container coordinates): at y=-0.15 of the plot it lay over
# slanted axis labels and cut task names ('supp', 'loan-d') on the toxicity-per-task chart
LEGEND = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom"}
# a half-width chart at 1280 px holds about this many title characters beside the tool icons; longer
# titles ('share of 'yes' decisions by race (95% CI, exact binomial)') were cut at the right edge
TITLE_CHARS = 44
# ... and a third-width one (Quality's one chart per measure) about this many: 'overlap with the reference
# (BLEU)' ran under the full-screen icon
THIRD_TITLE_CHARS = 26


def wrap_title(title: str | None, width: int = TITLE_CHARS) -> tuple[str | None, int]:
    """``title`` broken into lines of at most ``width`` characters (plotly's ``<br>``) at spaces,
    and the number of lines; a single word longer than ``width`` keeps its own line."""
    if not title:
        return title, 0
    import textwrap

    lines = textwrap.wrap(str(title), width=width, break_long_words=False, break_on_hyphens=False) or [str(title)]
    return "<br>".join(lines), len(lines)


def _top(lines: int) -> int:
    """The top margin that holds ``lines`` title lines."""
    return 20 + 20 * max(1, lines)


def why_empty(frame: pd.DataFrame | None, what: str, value: str = "value", counts: bool = False) -> str | None:
    """One line saying why a chart of ``frame[value]`` (``what``: its subject in words) would show
    nothing: no rows, no value, or (``counts``) every count 0. None when it has something to draw."""
    if frame is None or len(frame) == 0 or value not in frame:
        return f"No chart of {what}: nothing was recorded."
    values = pd.to_numeric(frame[value], errors="coerce")
    if not values.notna().any():
        return f"No chart of {what}: no row has a value ({len(values)} without one)."
    if counts and (values.fillna(0) == 0).all():
        return f"No chart of {what}: every count is 0."
    return None


def show(figure: Callable[[], go.Figure], why: str | None, key: str, target: Any = None) -> None:
    """Draw ``figure()`` in ``target`` (a Streamlit container; default the page), or, when ``why``
    says there is nothing to show, that one line instead of an empty plot."""
    import streamlit as st

    where = target if target is not None else st
    if why:
        where.caption(why)
    else:
        where.plotly_chart(figure(), width="stretch", key=key)


def ci_bars(frame: pd.DataFrame, x: str, value: str = "value", low: str = "ci_low", high: str = "ci_high",
            color: str | None = None, title: str | None = None, y_title: str | None = None,
            hline: float | None = None, hline_label: str | None = None, height: int = 360,
            colors: dict[str, str] | None = None, title_chars: int = TITLE_CHARS) -> go.Figure:
    """Points with asymmetric error bars (CI), one trace per ``color`` value. Non-negative values
    get an axis from 0 (0..1 when everything is at most 1, as for rates). ``title_chars``: the title's
    line length (a full-width chart holds about 100)."""
    fig = go.Figure()
    groups = frame.groupby(color, sort=False) if color and color in frame else [(None, frame)]
    for name, part in groups:
        err_hi = (part[high] - part[value]).clip(lower=0) if high in part else None
        err_lo = (part[value] - part[low]).clip(lower=0) if low in part else None
        fig.add_trace(go.Scatter(
            x=part[x].astype(str), y=part[value], mode="markers", name=str(name) if name is not None else value,
            marker={"size": 10, **({"color": colors[str(name)]} if colors and str(name) in colors else {})},
            error_y={"type": "data", "symmetric": False, "array": err_hi, "arrayminus": err_lo}
            if err_hi is not None else None,
            customdata=part[["n"]] if "n" in part else None,
            hovertemplate="%{x}: %{y:.3f}" + (" (n=%{customdata[0]})" if "n" in part else "") + "<extra></extra>",
        ))
    if hline is not None:
        fig.add_hline(y=hline, line_dash="dash", line_color="firebrick",
                      annotation_text=hline_label or "", annotation_position="top left")
    title, lines = wrap_title(title, title_chars)
    fig.update_layout(title=title, yaxis_title=y_title or value, margin={"l": 10, "r": MODEBAR_ROOM, "t": _top(lines), "b": 10},
                      height=height + 20 * max(0, lines - 1), showlegend=bool(color), legend=LEGEND, modebar=MODEBAR)
    if color:   # room under the (possibly slanted) group names for the legend at the bottom edge
        fig.update_layout(margin={"l": 10, "r": MODEBAR_ROOM, "t": _top(lines), "b": 40})
    if len(frame) and (frame[value].dropna() >= 0).all():  # rates and scores: no negative axis
        top = max([float(frame[c].max()) for c in (value, high) if c in frame and frame[c].notna().any()] +
                  [hline or 0.0])
        fig.update_yaxes(range=[0, 1.05] if top <= 1 else None, rangemode="nonnegative")
    return fig


def count_bars(frame: pd.DataFrame, x: str, y: str, color: str | None = None,
               title: str | None = None, barmode: str = "group", colors: dict[str, str] | None = None) -> go.Figure:
    """Plain bar chart of counts (``barmode="stack"`` when ``color`` only labels each x)."""
    fig = go.Figure()
    groups = frame.groupby(color, sort=False) if color and color in frame else [(None, frame)]
    for name, part in groups:
        fig.add_trace(go.Bar(x=part[x].astype(str), y=part[y], name=str(name) if name is not None else y,
                             marker_color=(colors or {}).get(str(name))))
    # the legend at the bottom edge, as ci_bars': at the right it lay under the tool icons ('findi…')
    title, lines = wrap_title(title)
    fig.update_layout(title=title, barmode=barmode, margin={"l": 10, "r": MODEBAR_ROOM, "t": _top(lines), "b": 40 if color else 10},
                      height=320 + 20 * max(0, lines - 1), showlegend=bool(color), legend=LEGEND, modebar=MODEBAR)
    return fig
