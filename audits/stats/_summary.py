"""Summaries of stored per-sample columns: each group's mean of a score with its interval, and
the differences of paired scores. The store reads the values or their sufficient sums
(``audits.store.bundle_reader.group_sums``: counts, sums, sums of squares); standard errors
and intervals are made here, never in SQL.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from audits.stats._binomial import clopper_pearson
from audits.stats._clustered import ESTIMATED, NONE, rate_of_clusters
from audits.stats._signature import KORN_GRAUBARD

GROUP_COLUMNS = ["group", "n", "mean", "se", "ci_low", "ci_high", "method"]


def _floats(values: Sequence | pd.Series) -> np.ndarray:
    """Values (bool, int, float; nullable) as float64 with NaN for missing."""
    return pd.Series(values).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


def group_intervals(sums: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Per group, from sufficient sums (``group``, ``n`` values, ``total``, ``total_sq``,
    ``binary``: what ``audits.store.bundle_reader.group_sums`` reads): n, mean, standard error
    (sample sd / sqrt n; NaN below two values) and the interval.

    When every group's values are 0/1 (a flag: a rate) the interval is exact binomial
    (Clopper–Pearson: a one-sample group spans most of [0, 1], never zero width), else the
    Student t interval (n - 1 df) from the standard error (none, NaN, for a group of fewer than two).
    Columns: ``GROUP_COLUMNS``.
    """
    if sums.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    if "cluster" in sums.columns:
        if sums["cluster"].notna().any():
            return _clustered_group_intervals(sums, confidence)
        # the table has a cluster column but this task is not clustered: the plain sums per group
        sums = sums.groupby("group", sort=False, dropna=False).agg(
            n=("n", "sum"), total=("total", "sum"), total_sq=("total_sq", "sum"), binary=("binary", "all")).reset_index()
    n = sums["n"].astype(float).to_numpy()
    total, total_sq = (sums[c].astype(float).to_numpy() for c in ("total", "total_sq"))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n > 0, total / n, np.nan)
        var = np.where(n >= 2, np.maximum(total_sq - total * total / n, 0.0) / (n - 1), np.nan)
        se = np.sqrt(var / n)
    frame = sums.assign(n=n.astype(np.int64), mean=mean, se=se)
    if bool(sums["binary"].astype(bool).all()):
        low, high = clopper_pearson(np.where(n > 0, total, np.nan), n, confidence)
        method = "clopper-pearson"
    else:  # Student t with n - 1 df (mean ± 1.96 se held a 3-score group's mean 79% of the time); NaN below 2
        from scipy.stats import t as student

        with np.errstate(invalid="ignore"):
            half = student.ppf((1 + confidence) / 2, np.where(n >= 2, n - 1, np.nan)) * se
        low, high = mean - half, mean + half
        method = "student-t"
    return frame.assign(ci_low=low, ci_high=high, method=method)[GROUP_COLUMNS].reset_index(drop=True)


CLUSTERED_COLUMNS = [*GROUP_COLUMNS, "design_effect", "n_clusters", "design_effect_source"]


def _clustered_group_intervals(sums: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Per group, from sums per group *and cluster* (a ``cluster`` column): the group's design
    effect is the cluster-robust over the independent variance of its mean (as
    ``ratio_design_effect`` computes from the samples); a 0/1 column's interval is exact at the
    effective n (each cluster counted once when there are no or only events, or the rarer outcome
    sits in fewer than ``MIN_OUTCOME_CLUSTERS`` clusters), a score's the
    Student t with the standard error times sqrt(design effect) and G - 1 degrees of freedom.
    Columns: ``CLUSTERED_COLUMNS``."""
    from scipy.stats import t as student

    rows = []
    for group, part in sums.groupby("group", sort=False, dropna=False):
        part = part[part["n"].astype(float) > 0]
        nc, tc = part["n"].astype(float).to_numpy(), part["total"].astype(float).to_numpy()
        n, total, total_sq, g = float(nc.sum()), float(tc.sum()), float(part["total_sq"].astype(float).sum()), len(part)
        mean = total / n if n else math.nan
        binary = bool(part["binary"].astype(bool).all()) and n > 0
        iid = n / (n - 1) * max(total_sq - n * mean * mean, 0.0) if n >= 2 else 0.0
        robust = g / (g - 1) * float(((tc - mean * nc) ** 2).sum()) if g >= 2 else 0.0
        deff = robust / iid if iid > 0 and g >= 2 else None
        se = math.sqrt(iid / (n - 1) / n) if n >= 2 else math.nan   # the sample sd / sqrt n
        if binary:
            rate = rate_of_clusters(total, int(n), deff, tc, nc)  # the rule of ``clustered_rate``
            low, high = rate.interval(confidence)
            deff, source, method = rate.design_effect, rate.source, KORN_GRAUBARD
        else:
            half = (float(student.ppf((1 + confidence) / 2, g - 1)) * se * math.sqrt(max(1.0, deff))
                    if deff is not None and n >= 2 else math.nan)
            low, high = mean - half, mean + half
            source, method = (ESTIMATED if deff is not None else NONE), "student-t-clustered"
        rows.append({"group": group, "n": int(n), "mean": mean, "se": se, "ci_low": low, "ci_high": high,
                     "method": method, "design_effect": deff, "n_clusters": g, "design_effect_source": source})
    return pd.DataFrame(rows, columns=CLUSTERED_COLUMNS)


def group_score_intervals(groups: Sequence | pd.Series, values: Sequence | pd.Series,
                          confidence: float = 0.95, clusters: Sequence | pd.Series | None = None) -> pd.DataFrame:
    """:func:`group_intervals` of per-sample ``values`` by ``groups`` (text; a missing group is its
    own, sorted last); ``clusters`` (one id per value) makes them clustered."""
    labels = pd.Series(groups, dtype=object).reset_index(drop=True)
    x = _floats(values)
    if labels.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    if clusters is not None:
        frame = pd.DataFrame({"group": labels.where(labels.isna(), labels.astype(str)),
                              "cluster": pd.Series(clusters, dtype=object).astype(str).to_numpy(), "x": x})
        frame = frame[~np.isnan(x)]
        sums = frame.groupby(["group", "cluster"], sort=True, dropna=False)["x"].agg(
            n="count", total="sum", total_sq=lambda v: float((v ** 2).sum()),
            binary=lambda v: bool(np.isin(v, (0.0, 1.0)).all())).reset_index()
        return group_intervals(sums, confidence)
    known = labels.notna().to_numpy()
    names = sorted({str(g) for g in labels[known]})
    codes = np.full(len(labels), len(names), dtype=np.int64)
    codes[known] = pd.Categorical(labels[known].astype(str), categories=names).codes
    has = ~np.isnan(x)
    size = len(names) + 1
    sums = pd.DataFrame({
        "group": [*names, None],
        "n": np.bincount(codes[has], minlength=size),
        "total": np.bincount(codes[has], weights=x[has], minlength=size),
        "total_sq": np.bincount(codes[has], weights=x[has] ** 2, minlength=size),
        "binary": [bool(has[codes == i].any() and np.isin(x[(codes == i) & has], (0.0, 1.0)).all())
                   for i in range(size)],
        "present": np.bincount(codes, minlength=size) > 0})
    return group_intervals(sums[sums["present"]].drop(columns="present").reset_index(drop=True), confidence)


def paired_differences(a: Sequence | pd.Series, b: Sequence | pd.Series) -> tuple[int, float, float]:
    """(n pairs with both values, mean of a - b, sample sd of a - b; NaN where undefined)."""
    d = _floats(a) - _floats(b)
    d = d[~np.isnan(d)]
    n = int(d.size)
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n >= 2 else math.nan
    return n, mean, sd
