"""The report's trend tables: the headline metrics over every complete run of the audit up to this one,
read through ``audits.store.queries.trends.audit_trends`` (its tests are ``audits.stats``'s)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def trend_tables(cat: Any, run: Any, metrics: list[tuple[str, str]]) -> dict[str, pd.DataFrame]:
    """``trend_points`` (series, period, value, ci_low, ci_high, n) and ``trend`` (series, k, slope with its
    interval, Holm-adjusted p, significant) of the headline (task, metric) pairs over the audit's runs up
    to this one (``audits.store.queries.trends.audit_trends``)."""
    from audits.store.queries.trends import audit_trends

    wanted = sorted({m for _, m in metrics})
    empty = {"trend_points": pd.DataFrame(columns=["series", "period", "value", "ci_low", "ci_high", "n"]),
             "trend": pd.DataFrame(columns=["series", "k", "slope", "slope_low", "slope_high", "p_adjusted",
                                            "significant"])}
    if not wanted:
        return empty
    got = audit_trends(cat, str(run.get("audit")), metrics=wanted, until=str(run.get("run_id")))
    keep = {(t, m) for t, m in metrics}
    tasks = {p_task for p_task, _ in keep}
    prow, trow = [], []
    for key, series in got["series"].items():
        task, metric = key.split(".", 1) if "." in key and key.split(".", 1)[0] in tasks else (None, key)
        if not any(m == metric and (task is None or t == task) for t, m in keep):
            continue
        prow += [{"series": key, **{k: p[k] for k in ("period", "value", "ci_low", "ci_high", "n")}}
                 for p in series["points"]]
        trow.append({k: series.get(k) for k in ("k", "slope", "slope_low", "slope_high", "p_adjusted",
                                                "significant")} | {"series": key})
    out = {"trend_points": pd.DataFrame(prow, columns=empty["trend_points"].columns),
           "trend": pd.DataFrame(trow, columns=empty["trend"].columns)}
    out["trend_points"].attrs["runs"] = len(got["runs"])
    return out
