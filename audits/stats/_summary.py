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


def group_score_intervals(groups: Sequence | pd.Series, values: Sequence | pd.Series,
                          confidence: float = 0.95) -> pd.DataFrame:
    """:func:`group_intervals` of per-sample ``values`` by ``groups`` (text; a missing group is its
    own, sorted last)."""
    labels = pd.Series(groups, dtype=object).reset_index(drop=True)
    x = _floats(values)
    if labels.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
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
