"""Summaries of stored per-sample columns: each group's mean of a score with its interval, and
the differences of paired scores. The store reads the values (``audits.store``); the
statistics are made here, never in SQL.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from audits.stats._binomial import clopper_pearson
from audits.stats._interval import normal_interval

GROUP_COLUMNS = ["group", "n", "mean", "se", "ci_low", "ci_high", "method"]


def _floats(values: Sequence | pd.Series) -> np.ndarray:
    """Values (bool, int, float; nullable) as float64 with NaN for missing."""
    return pd.Series(values).astype("Float64").to_numpy(dtype=np.float64, na_value=np.nan)


def group_score_intervals(groups: Sequence | pd.Series, values: Sequence | pd.Series,
                          confidence: float = 0.95) -> pd.DataFrame:
    """Per group of ``groups`` (text; a missing group is its own, sorted last): n (non-missing
    values), mean, standard error (sample sd / sqrt n; NaN below two values) and the interval.

    When every group's values are 0/1 (a flag: a rate) the interval is exact binomial
    (Clopper–Pearson: a one-sample group spans most of [0, 1], never zero width), else the
    normal interval from the standard error (none, NaN, for a group of fewer than two).
    Columns: ``GROUP_COLUMNS``.
    """
    labels = pd.Series(groups, dtype=object).reset_index(drop=True)
    labels = labels.where(labels.isna(), labels.astype(str))
    x = _floats(values)
    if labels.empty:
        return pd.DataFrame(columns=GROUP_COLUMNS)
    rows = []
    for group, idx in labels.groupby(labels, dropna=False, sort=True).indices.items():
        v = x[idx]
        v = v[~np.isnan(v)]
        n = int(v.size)
        mean = float(v.mean()) if n else math.nan
        se = float(v.std(ddof=1) / math.sqrt(n)) if n >= 2 else math.nan
        binary = bool(n and np.isin(v, (0.0, 1.0)).all())
        rows.append((None if isinstance(group, float) and math.isnan(group) else group, n, mean,
                     float(v.sum()) if n else math.nan, se, binary))
    frame = pd.DataFrame(rows, columns=["group", "n", "mean", "events", "se", "binary"])
    frame = pd.concat([frame[frame["group"].notna()], frame[frame["group"].isna()]], ignore_index=True)
    if bool(frame["binary"].all()):
        low, high = clopper_pearson(frame["events"].astype(float), frame["n"].astype(float), confidence)
        method = "clopper-pearson"
    else:
        low, high = normal_interval(frame["mean"], frame["se"], confidence)  # NaN se (n < 2): no interval
        method = "normal"
    return frame.assign(ci_low=low, ci_high=high, method=method)[GROUP_COLUMNS]


def paired_differences(a: Sequence | pd.Series, b: Sequence | pd.Series) -> tuple[int, float, float]:
    """(n pairs with both values, mean of a - b, sample sd of a - b; NaN where undefined)."""
    d = _floats(a) - _floats(b)
    d = d[~np.isnan(d)]
    n = int(d.size)
    mean = float(d.mean()) if n else math.nan
    sd = float(d.std(ddof=1)) if n >= 2 else math.nan
    return n, mean, sd
