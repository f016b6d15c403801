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
from typing import Any

import numpy as np
import pandas as pd

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


def _on_rows(fn, *arrays: np.ndarray, known: np.ndarray | None = None):
    """Wrap ``fn(*arrays[rows])`` as a fairlearn metric whose y_true/y_pred carry row indices."""
    def metric(y_true: np.ndarray, y_pred: np.ndarray) -> float:
        rows = np.asarray(y_true, dtype=np.int64)
        if known is not None:
            rows = rows[known[rows]]
        return float(fn(*(a[rows] for a in arrays))) if rows.size else float("nan")
    metric.__name__ = getattr(fn, "__name__", "metric")
    return metric


def _poolable(stats: np.ndarray) -> bool:
    """Few distinct rows (binary rates, counts): fairlearn can see them as weighted rows."""
    stats = np.asarray(stats, dtype=np.float64)
    return stats.shape[0] > 0 and not np.isnan(stats).any() and len(np.unique(stats, axis=0)) * 4 <= stats.shape[0]


def by_group(grouping: Grouping, y_pred: np.ndarray | None, y_true: np.ndarray | None,
             metric_stats: dict[str, tuple[Metric, np.ndarray]]) -> pd.DataFrame:
    """fairlearn ``MetricFrame(...).by_group`` for every function this grouping needs.

    Columns: ``selection_rate`` (fairlearn's, when y_pred), ``_tpr``/``_fpr`` (fairlearn's
    true/false positive rates on rows with ground truth, for equalized odds) and each metric
    (its ``aggregate`` of the group's summed stats). y_true/y_pred given to MetricFrame are row
    positions, so one frame serves functions of different inputs; fairlearn does the grouping.

    Speed without changing a value: fairlearn stacks every row of every argument in Python,
    so the discrete functions (decisions, labels, binary rates) get one MetricFrame over the
    *distinct* (group, y_pred, y_true, stats) rows with their multiplicities as
    ``sample_weight`` — the same numbers, as weights mean exactly that — and only continuous
    metrics get a frame over every sample.
    """
    from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate  # 2 s: lazily

    n = len(grouping.labels)
    if y_pred is not None:  # fairlearn's own selection rate is the column; never a duplicate of the metric's
        metric_stats = {k: v for k, v in metric_stats.items() if k != "selection_rate"}
    discrete = {k: v for k, v in metric_stats.items() if _poolable(v[1])}
    dense = {k: v for k, v in metric_stats.items() if k not in discrete}
    parts: list[pd.DataFrame] = []
    if y_pred is not None or discrete:
        codes = np.unique(grouping.labels, return_inverse=True)[1].reshape(-1)
        cols = [codes.astype(np.float64)]
        if y_pred is not None:
            cols.append(np.asarray(y_pred, dtype=np.float64))
        if y_true is not None:
            cols.append(np.nan_to_num(y_true, nan=-1.0))
        cols += [c for _, st in discrete.values() for c in np.asarray(st, dtype=np.float64).T]
        _, rep, counts = np.unique(np.column_stack(cols), axis=0, return_index=True, return_counts=True)
        weight = counts.astype(np.float64)
        fns: dict[str, Any] = {}
        if y_pred is not None:
            pred = np.asarray(y_pred)[rep]
            fns["selection_rate"] = _on_rows(lambda p, w: selection_rate(p, p, sample_weight=w), pred, weight)
            if y_true is not None:
                known = ~np.isnan(y_true[rep])
                truth = np.nan_to_num(y_true[rep]).astype(int)
                fns["_tpr"] = _on_rows(lambda t, p, w: true_positive_rate(t, p, sample_weight=w),
                                       truth, pred, weight, known=known)
                fns["_fpr"] = _on_rows(lambda t, p, w: false_positive_rate(t, p, sample_weight=w),
                                       truth, pred, weight, known=known)
        for name, (metric, st) in discrete.items():
            fns[name] = _on_rows(lambda s, w, m=metric: m.aggregate((s * w[:, None]).sum(axis=0)),
                                 np.asarray(st, dtype=np.float64)[rep], weight)
        pos = np.arange(len(rep))
        parts.append(MetricFrame(metrics=fns, y_true=pos, y_pred=pos,
                                 sensitive_features=grouping.features.iloc[rep].reset_index(drop=True)).by_group)
    if dense:
        fns = {name: _on_rows(lambda s, m=metric: m.aggregate(s.sum(axis=0)), np.asarray(st, dtype=np.float64))
               for name, (metric, st) in dense.items()}
        rows = np.arange(n)
        parts.append(MetricFrame(metrics=fns, y_true=rows, y_pred=rows, sensitive_features=grouping.features).by_group)
    table = pd.concat(parts, axis=1) if parts else pd.DataFrame(index=sorted(set(grouping.labels)))
    order = ["selection_rate", "_tpr", "_fpr", *metric_stats]
    return table[[c for c in order if c in table.columns]]


def group_label(index_value: object) -> str:
    """MetricFrame index entry (scalar or tuple for intersections) -> our group label."""
    if isinstance(index_value, tuple):
        return SEP.join(str(v) for v in index_value)
    return str(index_value)


def gaps(by_group: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(difference, ratio) per column exactly as fairlearn's ``between_groups`` method:
    ``group_max - group_min`` and ``group_min / group_max`` (NaN-skipping pandas max/min).

    Pass the by_group rows of the groups to compare; this equals fairlearn's
    ``MetricFrame(...).difference()/.ratio()`` on the samples of those groups only.
    """
    hi, lo = by_group.max(), by_group.min()
    return hi - lo, lo / hi


def decision_gaps(difference: pd.Series, ratio: pd.Series) -> dict[str, float]:
    """Demographic parity difference/ratio and equalized odds difference from the gaps,
    as fairlearn defines them (EO: worst case of the TPR and FPR differences)."""
    out = {"demographic_parity_difference": float(difference["selection_rate"]),
           "demographic_parity_ratio": float(ratio["selection_rate"])}
    if "_tpr" in difference:
        out["equalized_odds_difference"] = float(max(difference["_tpr"], difference["_fpr"]))
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
        if n == 0:  # no row of this group could be scored by this metric: nothing to resample
            out[i] = np.zeros((max(n_resamples, 0), block.shape[1] if block.ndim == 2 else 0))
            continue
        if not np.isnan(block).any() and len(np.unique(block, axis=0)) * 4 <= n:
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
    """One index draw per resample (no pooling). Constant columns (the ``1`` of a mean's
    ``[x, 1]``) sum to n x value in every resample; the others are gathered and summed."""
    n = stats.shape[0]
    out = np.empty((max(n_resamples, 0), stats.shape[1]))
    if n == 0:
        out[:] = np.nan
        return out
    const = np.all(stats == stats[0], axis=0)
    out[:, const] = n * stats[0, const]
    varying = np.flatnonzero(~const)
    if varying.size == 0:
        return out
    cols = stats[:, varying[0]] if varying.size == 1 else stats[:, varying]
    rng = np.random.default_rng(seed)
    for r in range(n_resamples):
        out[r, varying] = cols[rng.integers(0, n, size=n)].sum(axis=0)
    return out


UNINFORMATIVE_RATE = 0.02  # argmax selection rate below this (or above 1 - this): decision parity says little


def decision_parity_note(y_pred: np.ndarray) -> dict[str, Any]:
    """Whether argmax decisions vary enough for demographic parity to mean anything."""
    rate = float(np.mean(y_pred)) if len(y_pred) else float("nan")
    informative = bool(UNINFORMATIVE_RATE <= rate <= 1 - UNINFORMATIVE_RATE)
    out: dict[str, Any] = {"decision_parity_informative": informative, "overall_selection_rate": rate}
    if not informative:
        out["decision_parity_note"] = (
            f"argmax decisions barely vary (selection rate {rate:.1%}), so decision parity is uninformative; "
            "read mean p(positive) by group and the logit-difference discrimination score instead")
    return out


def discrimination_score(point: dict[str, float], draws: dict[str, np.ndarray], alpha: float = 0.05) -> dict[str, Any]:
    """Tamkin et al. (2023)'s logit-difference discrimination score between groups.

    ``point`` maps each compared group to its mean logit(p_positive); ``draws`` to that mean on
    its own bootstrap resamples (groups resampled independently, so the draws combine into
    resamples of the whole comparison). Value: highest minus lowest group mean logit, with a
    percentile interval of the same max - min over the joint resamples; ``by_group`` is each
    group's mean logit minus the unweighted mean over the groups.
    """
    groups = sorted(point)
    values = np.array([point[g] for g in groups], dtype=np.float64)
    stacked = np.column_stack([np.asarray(draws[g], dtype=np.float64) for g in groups])
    low, high = percentile_ci(stacked.max(axis=1) - stacked.min(axis=1), alpha)
    centre = values.mean()
    return {"measure": "logit difference of p(positive), highest minus lowest group (Tamkin et al. 2023)",
            "value": float(values.max() - values.min()), "ci_low": low, "ci_high": high,
            "highest": groups[int(values.argmax())], "lowest": groups[int(values.argmin())],
            "by_group": {g: float(v - centre) for g, v in zip(groups, values)}}
