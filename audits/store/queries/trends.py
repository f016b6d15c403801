"""Trend and drift reads: the complete runs of an audit in period order, their metrics, and a
run's inputs (through the one bundle reader)."""

from __future__ import annotations

from dataclasses import asdict, replace
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from audits import stats

from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.period_form import order_runs
from audits.store.bundle_reader import read_table
from audits.store.catalog import Catalog

TREND_COLUMNS = ["run_id", "period", "created_at", "task", "metric", "value", "ci_low", "ci_high", "n",
                 "method", "design_effect"]  # the interval method and design effect say whether a series is a rate


class TrendRun(TypedDict):
    """One point in period order: a run and its period."""

    run_id: str
    period: str


class Superseded(TrendRun):
    """A run left out of the trend: a later run (``by``) of the same period supersedes it."""

    by: str


class TrendPoint(TrendRun):
    """One run's value of a series, with its interval and n."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int


class TrendReport(TypedDict):
    """:func:`audit_trends`: the runs, the tests named, and each series as ``asdict(stats.Trend)`` plus its
    ``points`` (a list of :class:`TrendPoint`)."""

    audit: str
    runs: list[TrendRun]
    superseded: list[Superseded]
    alpha: float
    correction: str          # holm
    test: str
    change_test: str
    family_size: int         # distinct series tested (identical ones counted once)
    same_as: dict[str, str]
    series: dict[str, JsonObject]


def audit_runs(cat: Catalog, audit: str) -> pd.DataFrame:
    """Complete runs of ``audit``, in period order (then creation time); AssayError naming the audits
    in the catalog when it has none."""
    with cat.connect() as con:
        runs = con.execute("SELECT run_id, period, created_at FROM runs WHERE audit = ? AND status = 'complete' "
                           "ORDER BY created_at, run_id", [audit]).df()
        if runs.empty:
            names = [r[0] for r in con.execute("SELECT DISTINCT audit FROM runs WHERE status = 'complete' "
                                               "ORDER BY audit").fetchall()]
    if runs.empty:
        raise AssayError(f"no complete run of audit '{audit}' in {cat.path}",
                         f"name one of: {', '.join(names)}" if names else "run an audit first (`assay run CONFIG`)")
    # by the period's dates, not its text: an older catalog may hold '2026-Q3' beside 'Q4 2026' or '2026-10'
    keys = order_runs(audit, zip(runs["run_id"].astype(str), runs["period"].astype(str)))
    order = sorted(range(len(runs)), key=lambda i: keys[i])  # stable: creation time within a period
    return runs.iloc[order].assign(period_key=[keys[i] for i in order]).reset_index(drop=True)


def one_run_per_period(runs: pd.DataFrame) -> tuple[pd.DataFrame, list[Superseded]]:
    """The latest complete run of each period, and the runs it supersedes (``run_id``, ``period``, ``by``).

    A rerun of a period measures the same quarter again: counted as another point it would make two
    quarters look like three runs (a trend test where none is possible, and a rerun of the same data
    counted as independent evidence of a fall)."""
    latest = runs.drop_duplicates("period_key", keep="last")  # runs come in period, created_at order
    by = dict(zip(latest["period_key"], latest["run_id"]))  # 'Q4 2026' and '2026-Q4' are one period
    superseded = [Superseded(run_id=r.run_id, period=r.period, by=by[r.period_key])
                  for r in runs.itertuples() if r.run_id not in set(latest["run_id"])]
    return latest.reset_index(drop=True), superseded


def previous_period_run(cat: Catalog, run_id: str) -> str | None:
    """The latest complete run of the same audit in an earlier period than ``run_id``'s (a rerun of its own
    period measures the same quarter, so it is not the previous one); None when there is none."""
    from audits.store.queries.runs import get_run

    run = get_run(cat, run_id)
    runs = audit_runs(cat, str(run["audit"]))
    own = runs.loc[runs["run_id"] == run_id, "period_key"]
    mine = own.iloc[0] if len(own) else order_runs(str(run["audit"]), [(run_id, str(run["period"]))])[0]
    earlier = runs[[key < mine for key in runs["period_key"]]]
    return str(earlier["run_id"].iloc[-1]) if len(earlier) else None


def latest_runs(cat: Catalog, audit: str, before: str | None = None, limit: int = 2) -> list[str]:
    """The ``limit`` latest complete runs of ``audit`` in period order (those up to ``before`` when given)."""
    runs = audit_runs(cat, audit)["run_id"].tolist()
    if before is not None and before in runs:
        runs = runs[:runs.index(before) + 1]
    return runs[-limit:]


def trend_frame(cat: Catalog, audit: str) -> pd.DataFrame:
    """One row per (run, task, metric) with value, interval and n, runs in period order."""
    frames = []
    for run in audit_runs(cat, audit).itertuples():
        metrics = read_table(cat, run.run_id, "metrics")
        if len(metrics.columns):
            metrics = metrics.assign(run_id=run.run_id, period=run.period, created_at=run.created_at)
            frames.append(metrics[[c for c in TREND_COLUMNS if c in metrics.columns]])
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=TREND_COLUMNS)


def run_inputs(cat: Catalog, run_id: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A run's samples: task, sample_id, input and those of ``columns`` it has (for drift)."""
    return read_table(cat, run_id, "samples", columns=list(dict.fromkeys(["task", "sample_id", "input", *(columns or [])])))


def series_key(task: str, metric: str, tasks: int) -> str:
    """``metric`` when the audit has one task, else ``task.metric``."""
    return metric if tasks == 1 else f"{task}.{metric}"


def audit_trends(cat, audit: str, metrics: list[str] | None = None, task: str | None = None,
                 alpha: float = 0.05, until: str | None = None) -> TrendReport:
    """Runs in period order (those up to ``until`` when given; the latest of each period, the earlier
    ones listed as ``superseded``), the per-run points of each series and its ``Trend`` (Holm over the
    series)."""
    runs = audit_runs(cat, audit)
    if until is not None and until in set(runs["run_id"]):
        runs = runs.iloc[:list(runs["run_id"]).index(until) + 1]
    runs, superseded = one_run_per_period(runs)  # one point per period: its latest run
    frame = trend_frame(cat, audit)
    frame = frame[frame["run_id"].isin(set(runs["run_id"]))]
    if task is not None:
        if task not in set(frame["task"]):
            raise AssayError(f"audit '{audit}' has no task '{task}'", f"name one of: {', '.join(sorted(set(frame['task'])))}")
        frame = frame[frame["task"] == task]
    if metrics:
        unknown = [m for m in metrics if m not in set(frame["metric"])]
        if unknown:
            raise AssayError(f"audit '{audit}' has no metric '{unknown[0]}'",
                             f"name one of: {', '.join(sorted(set(frame['metric'])))}")
        frame = frame[frame["metric"].isin(metrics)]
    order = {r: i for i, r in enumerate(runs["run_id"])}
    n_tasks = frame["task"].nunique()
    series: dict[str, tuple[list[float], list[float], list[float], list[float]]] = {}  # values, low, high, n
    points: dict[str, list[TrendPoint]] = {}
    rates: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # rate series: (events, effective n) per run, for the test on the counts
    for (tname, metric), rows in frame.groupby(["task", "metric"], sort=True):
        values, low, high = [float("nan")] * len(order), [float("nan")] * len(order), [float("nan")] * len(order)
        sizes = [float("nan")] * len(order)  # each run's n: the trend and change tests weigh runs by it
        methods: list[Any] = [None] * len(order)
        deffs = [float("nan")] * len(order)
        for r in rows.itertuples():
            i = order[r.run_id]
            values[i], low[i], high[i] = (float("nan") if v is None else float(v) for v in (r.value, r.ci_low, r.ci_high))
            sizes[i] = float("nan") if r.n is None else float(r.n)
            methods[i], deffs[i] = getattr(r, "method", None), _float(getattr(r, "design_effect", None))
        key = series_key(tname, metric, n_tasks)
        series[key] = (values, low, high, sizes)
        counts = stats.rate_counts(values, sizes, methods, deffs)
        if counts is not None:
            rates[key] = counts
        points[key] = [TrendPoint(run_id=r.run_id, period=r.period, value=r.value, ci_low=r.ci_low,
                                  ci_high=r.ci_high, n=int(r.n)) for r in rows.sort_values("run_id", key=lambda s: s.map(order)).itertuples()]
    same_as = identical_series(series)
    tested = {t.metric: t for t in stats.trend_family({k: v for k, v in series.items() if k not in same_as},
                                                       alpha=alpha, rates=rates)}
    trends = [replace(tested[same_as.get(key, key)], metric=key) for key in series]
    return TrendReport(audit=audit, runs=[TrendRun(run_id=r.run_id, period=r.period) for r in runs.itertuples()],
                       superseded=superseded, alpha=alpha, correction="holm",
                       test=(f"rates: {stats.RATE_TREND_TEST}; other metrics: {stats.TREND_TEST}" if rates
                             else stats.TREND_TEST), change_test=stats.CHANGE_TEST,
                       family_size=len(tested), same_as=same_as,
                       series={t.metric: {**asdict(t), "points": points[t.metric]} for t in trends})


def _float(v: Any) -> float:
    """A stored number as a float; NaN for a missing one (None, NaN, pandas NA)."""
    try:
        return float(v) if v is not None and v == v else float("nan")
    except (TypeError, ValueError):
        return float("nan")


def identical_series(series: dict[str, tuple[list[float], ...]]) -> dict[str, str]:
    """``{key: key of the same numbers}`` for a task's per-family red-team rate that covers all the task's
    probes in every run (a one-family task: ``attack_success_rate_<family>`` is ``attack_success_rate``,
    the same rows): the same test counted once in the Holm family, not once per name, which made the
    correction stricter for nothing (a rise significant over the distinct tests was not). Only this
    structural identity; series that merely happen to match stay separate tests."""
    out: dict[str, str] = {}
    for key, parts in series.items():
        task, _, metric = key.rpartition(".")
        whole = f"{task}.attack_success_rate" if task else "attack_success_rate"
        if not metric.startswith("attack_success_rate_") or whole not in series:
            continue
        same = [tuple(None if v != v else v for v in part) for part in parts]  # NaN -> None, so equal
        if same == [tuple(None if v != v else v for v in part) for part in series[whole]]:
            out[key] = whole
    return out
