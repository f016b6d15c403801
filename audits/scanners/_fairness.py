"""Fairness maths for the bias scanner: fairlearn point values, vectorised per-group bootstrap.

Point values come from fairlearn itself (``MetricFrame``, ``demographic_parity_*``,
``equalized_odds_difference``) so they are the reference by construction. Confidence
intervals come from a seeded percentile bootstrap *within each group* (the group's n is
fixed), done here in bulk because MetricFrame would rebuild every group per resample.

Bootstrap recipe. A resample of a group's n rows is a Multinomial(n, 1/n) vector of
multiplicities; the resampled statistic is ``multiplicities @ stats``. Rows with identical
statistics (every binary rate: selection, accuracy, leak, toxic) are pooled first, and the
multiplicities of the D distinct rows are drawn as Multinomial(n, m_d / n), which has exactly
the same distribution as summing the individual multiplicities but costs R x D instead of
R x n. Continuous statistics (ROUGE, scores) fall back to one index draw per resample.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    selection_rate,
)

from audits.metrics.base import Metric

SEP = "*"  # joins attribute names ("race*gender") and group values ("Black*female")
MISSING = "(missing)"


@dataclass
class Grouping:
    """One attribute or intersection: its key, its columns and each sample's group label."""

    key: str
    columns: list[str]
    labels: np.ndarray      # (n,) str group label per sample
    features: pd.DataFrame  # the columns as strings, for fairlearn's sensitive_features


def make_grouping(samples: pd.DataFrame, columns: list[str]) -> Grouping:
    """Group labels for one attribute (``columns=[a]``) or an intersection (``[a, b]``)."""
    feats = pd.DataFrame({c: samples[c].astype("object").where(samples[c].notna(), MISSING).astype(str).to_numpy()
                          for c in columns})
    labels = feats[columns[0]].to_numpy(dtype=object)
    for c in columns[1:]:
        labels = labels + SEP + feats[c].to_numpy(dtype=object)
    return Grouping(key=SEP.join(columns), columns=list(columns), labels=labels.astype(str), features=feats)


def group_seed(seed: int, *parts: str) -> int:
    """A stable per-(grouping, group, metric) seed, independent of group order."""
    return (int(seed) + zlib.crc32("|".join(parts).encode("utf-8"))) % (2**32)


def bootstrap_sums(stats: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """Summed statistics over ``n_resamples`` bootstrap resamples of the rows: (R, k).

    ``stats`` is (n, k). Identical rows are pooled (exact in distribution, see module doc).
    """
    stats = np.asarray(stats, dtype=np.float64)
    n = stats.shape[0]
    if n == 0 or n_resamples <= 0:
        return np.empty((0, stats.shape[1] if stats.ndim == 2 else 0))
    if not np.isnan(stats).any():
        distinct, mult = np.unique(stats, axis=0, return_counts=True)
        if len(distinct) * 4 <= n:
            rng = np.random.default_rng(seed)
            return rng.multinomial(n, mult / n, size=n_resamples).astype(np.float64) @ distinct
    return _dense_sums(stats, n_resamples, seed)


def percentile_ci(values: np.ndarray, alpha: float = 0.05) -> tuple[float, float]:
    """(alpha/2, 1-alpha/2) percentiles of the finite values; (nan, nan) when there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
    return float(low), float(high)


def _index_metric(metric: Metric, stats: np.ndarray):
    """A fairlearn-style ``f(y_true, y_pred)`` where y_true carries row indices into ``stats``."""
    def fn(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        rows = np.asarray(y_true, dtype=np.int64)
        return float(metric.aggregate(stats[rows].sum(axis=0))) if rows.size else float("nan")
    fn.__name__ = metric.name
    return fn


def metric_frame(grouping: Grouping, rows: np.ndarray, y_pred: np.ndarray | None,
                 metric_stats: dict[str, tuple[Metric, np.ndarray]]) -> MetricFrame:
    """fairlearn MetricFrame over ``rows``: selection_rate (if y_pred) and every metric."""
    fns = {name: _index_metric(metric, np.asarray(stats, dtype=np.float64))
           for name, (metric, stats) in metric_stats.items()}
    if y_pred is not None:
        fns = {"selection_rate": selection_rate, **fns}
    return MetricFrame(metrics=fns, y_true=rows, y_pred=(y_pred[rows] if y_pred is not None else np.zeros(len(rows))),
                       sensitive_features=grouping.features.iloc[rows].reset_index(drop=True))


def group_label(index_value: object) -> str:
    """MetricFrame index entry (scalar or tuple for intersections) -> our group label."""
    if isinstance(index_value, tuple):
        return SEP.join(str(v) for v in index_value)
    return str(index_value)


def decision_gaps(grouping: Grouping, rows: np.ndarray, y_pred: np.ndarray,
                  y_true: np.ndarray | None) -> dict[str, float]:
    """Demographic parity difference/ratio (and equalized odds where y_true is known) on ``rows``.

    ``y_true`` is float (1/0, NaN where no ground truth); rows without it are left out of
    equalized odds only.
    """
    feats = grouping.features.iloc[rows].reset_index(drop=True)
    out = {
        "demographic_parity_difference": float(demographic_parity_difference(
            np.zeros(len(rows)), y_pred[rows], sensitive_features=feats)),
        "demographic_parity_ratio": float(demographic_parity_ratio(
            np.zeros(len(rows)), y_pred[rows], sensitive_features=feats)),
    }
    if y_true is not None:
        known = ~np.isnan(y_true[rows])
        if known.any():
            out["equalized_odds_difference"] = float(equalized_odds_difference(
                y_true[rows][known].astype(int), y_pred[rows][known],
                sensitive_features=feats[known].reset_index(drop=True)))
    return out


def bootstrap_blocks(blocks: list[np.ndarray], n_resamples: int, seed: int) -> list[np.ndarray]:
    """Resampled sums for several (n, k_i) stat blocks of the same rows: list of (R, k_i).

    Poolable blocks (few distinct rows) are drawn on their own; the rest share one index
    draw per resample, so continuous metrics cost one pass together.
    """
    out: list[np.ndarray | None] = [None] * len(blocks)
    dense: list[int] = []
    for i, block in enumerate(blocks):
        block = np.asarray(block, dtype=np.float64)
        n = block.shape[0]
        if n and not np.isnan(block).any() and len(np.unique(block, axis=0)) * 4 <= n:
            out[i] = bootstrap_sums(block, n_resamples, seed + 7919 * (i + 1))
        else:
            dense.append(i)
    if dense:
        joint = np.concatenate([np.asarray(blocks[i], dtype=np.float64) for i in dense], axis=1)
        sums = _dense_sums(joint, n_resamples, seed)
        start = 0
        for i in dense:
            k = np.asarray(blocks[i]).shape[1]
            out[i] = sums[:, start:start + k]
            start += k
    return out  # type: ignore[return-value]


def _dense_sums(stats: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """One index draw per resample (no pooling); NaN rows propagate like the metric would."""
    n = stats.shape[0]
    out = np.empty((max(n_resamples, 0), stats.shape[1]))
    if n == 0:
        out[:] = np.nan
        return out
    rng = np.random.default_rng(seed)
    for r in range(n_resamples):
        out[r] = np.bincount(rng.integers(0, n, size=n), minlength=n) @ stats
    return out
