"""The report's trend tables: the headline metrics (and any real trend) over every complete run of the audit up to this one,
read through ``audits.store.queries.trends.audit_trends`` (its tests are ``audits.stats``'s)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from reports.figures import figure, p_value


ALWAYS = ("feedback_positive_rate",)   # a production log's own answer: no area verdict stands for it


def trend_tables(cat: Any, run: Any, metrics: list[tuple[str, str]]) -> dict[str, pd.DataFrame]:
    """``trend_points`` (series, period, value, ci_low, ci_high, n) and ``trend`` (series, k, slope with its
    interval, Holm-adjusted p, significant) over the audit's runs up to this one
    (``audits.store.queries.trends.audit_trends``): the headline (task, metric) pairs, user feedback, and every
    other series with a real trend. The tests are corrected (Holm) over every series of the audit, the family the
    dashboard's Trends page corrects over, so the page and the report give one p per series (the report tested
    its headline alone and left out a real fall of user feedback that the page flagged)."""
    from audits.store.queries.trends import audit_trends

    empty = {"trend_points": pd.DataFrame(columns=["series", "period", "value", "ci_low", "ci_high", "n"]),
             "trend": pd.DataFrame(columns=["series", "k", "slope", "slope_low", "slope_high", "p_adjusted",
                                            "significant", "method"])}
    got = audit_trends(cat, str(run.get("audit")), until=str(run.get("run_id")))
    keep = set(metrics)
    prow, trow = [], []
    for key, series in got["series"].items():
        task, _, metric = key.rpartition(".")   # 'task.metric', or the metric alone in a one-task audit
        headline = any(m == metric and (not task or t == task) for t, m in keep)
        if not (headline or metric in ALWAYS or series.get("significant")):
            continue
        prow += [{"series": key, **{k: p[k] for k in ("period", "value", "ci_low", "ci_high", "n")}}
                 for p in series["points"]]
        trow.append({k: series.get(k) for k in ("k", "slope", "slope_low", "slope_high", "p_adjusted",
                                                "significant", "method")} | {"series": key})
    if not prow:
        return empty
    out = {"trend_points": pd.DataFrame(prow, columns=empty["trend_points"].columns),
           "trend": pd.DataFrame(trow, columns=empty["trend"].columns)}
    out["trend_points"].attrs["runs"] = len(got["runs"])
    out["trend_points"].attrs["family"] = int(got.get("family_size") or len(got["series"]))
    return out


MAX_PANELS = 12


def trend_tests_text(trends: pd.DataFrame | None) -> str:
    """The trend tests the series were given, in words, from each series' ``method``
    (``audits.stats``: a rate's trend is Cochran-Armitage on its counts, another metric's weighted
    least squares on the per-run values): never one name for both."""
    from audits import stats

    methods = set() if trends is None or "method" not in trends else set(trends["method"].dropna().astype(str))
    rates = "Cochran-Armitage trend test on each rate's counts"
    others = "weighted least squares on the per-run values"
    if methods == {stats.RATE_TREND_TEST}:
        return rates
    if methods == {stats.TREND_TEST}:
        return others
    if methods >= {stats.RATE_TREND_TEST, stats.TREND_TEST}:
        return f"rates: {rates}; other measures: {others}"
    return "no series tested yet" if not methods else "; ".join(sorted(methods))


def series_words(series: str) -> str:
    """A trend series in words: 'support-qa.exact_match' -> 'support-qa: share of answers matching …'."""
    from reports.glossary import term

    task, _, metric = str(series).rpartition(".")
    return f"{task}: {term(metric)}" if task else term(metric)


def trend_verdict(row: Any | None) -> str:
    """The series' trend test in a panel title: 'falling 0.11 per run (p=0.0008 after correction): a real
    trend', 'no real trend (...)', or 'not tested (a trend needs 3 runs)'."""
    slope = None if row is None else row.get("slope")
    if slope is None or pd.isna(slope):
        return "not tested (a trend needs 3 runs)"
    way = "rising" if slope > 0 else "falling" if slope < 0 else "flat"
    said = f"{way} {figure(abs(float(slope)))} per run ({p_value(row['p_adjusted'])} after correction)"
    return f"{said}: a real trend" if bool(row.get("significant")) else f"{said}: no real trend"


def _panel_limits(low: np.ndarray, value: np.ndarray, high: np.ndarray) -> tuple[float, float]:
    """The panel's own y range: its values and intervals, padded; kept inside [0, 1] for a measure there."""
    finite = np.concatenate([low, value, high])
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    pad = 0.15 * (hi - lo) if hi > lo else max(0.05 * abs(hi), 0.01)
    inside = lo >= 0 and hi <= 1
    return (max(0.0, lo - pad) if inside else lo - pad), (min(1.0, hi + pad) if inside else hi + pad)


def trend_chart(points: pd.DataFrame, trends: pd.DataFrame | None = None) -> Any:
    """The report's trend chart (``reports.charts.Chart``): ``trend_figure`` as a PNG."""
    from reports.charts import Chart, _png

    keys, periods = points["series"].astype(str).nunique(), points["period"].astype(str).nunique()
    more = f" The first {MAX_PANELS} of {keys} series are drawn; the table has all." if keys > MAX_PANELS else ""
    return Chart(title="Headline metrics across runs",
                 caption=f"{keys} metric{'s' if keys != 1 else ''} over {periods} periods, one panel each on its own "
                         "scale; the band is the 95% confidence interval of each run's value; the panel title gives "
                         f"the trend test ({trend_tests_text(trends)}; p corrected over the metrics, Holm).{more}",
                 png=_png(trend_figure(points, trends)))


def trend_figure(points: pd.DataFrame, trends: pd.DataFrame | None = None) -> Any:
    """Small multiples: one panel per headline series on its own y axis (a rate near 0.01 is not drawn
    flat beside a score near 0.8), each with its 95% interval band and its trend test in the title."""
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    periods = list(dict.fromkeys(points["period"].astype(str)))
    x = {p: i for i, p in enumerate(periods)}
    keys = sorted(points["series"].astype(str).unique())
    shown = keys[:MAX_PANELS]
    tests = {} if trends is None else {str(r["series"]): r for r in trends.to_dict("records")}
    cols = 1 if len(shown) == 1 else 2
    nrows = -(-len(shown) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(6.4 if cols == 2 else 4.6, 2.35 * nrows + 0.3), squeeze=False)
    for ax, key in zip(axes.flat, shown):
        rows = points[points["series"].astype(str) == key]
        rows = rows.iloc[np.argsort([x[str(p)] for p in rows["period"]], kind="stable")]
        xs = np.array([x[str(p)] for p in rows["period"]], dtype=float)
        value = rows["value"].astype(float).to_numpy()
        low, high = rows["ci_low"].astype(float).to_numpy(), rows["ci_high"].astype(float).to_numpy()
        band = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(xs[band], low[band], high[band], color="#3b6ea8", alpha=0.22, linewidth=0,
                        label="95% CI")
        ax.plot(xs, value, "o-", color="#1f3d63", markersize=4, linewidth=1.4)
        ax.set_ylim(*_panel_limits(low, value, high))
        ax.set_xlim(-0.3, len(periods) - 0.7)
        ax.set_xticks(range(len(periods)), periods, fontsize=7, rotation=30 if len(periods) > 4 else 0)
        ax.tick_params(axis="y", labelsize=7)
        ax.grid(axis="y", alpha=0.3)
        verdict = trend_verdict(tests.get(key))
        ax.set_title(textwrap.fill(series_words(key), 48) + "\n" + textwrap.fill(verdict, 52), fontsize=7.5,
                     color="#b03a2e" if verdict.endswith("a real trend") else "#222222")
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig
