"""A binary detector's measured quality on labelled data, each figure with its interval.

``detection_quality(y, score, pred)``: each figure with an interval that holds its coverage where
detectors live (near 1, 10-100 labelled items per class; seeded simulation in
tests/stats/test_detection_coverage.py):

- AUROC (the Mann-Whitney probability that a positive outscores a negative, ties count half):
  Newcombe's (2006, method 5) score-type interval, |A - theta| <= z sqrt(V(theta)) with the
  Hanley-McNeil variance at theta and N* = (m + n) / 2 - 1 in place of both class sizes. It replaced a
  percentile bootstrap stratified by class, whose lower bound sat above the true AUROC 8.5% of the
  time at AUROC 0.99 with 100 items per class (coverage 90.7%; 79.7% at 30 per class), which flatters
  a detector exactly where a policy reads its lower bound.
- balanced accuracy (mean of the two class recalls): Price & Bonett's (2004) interval for a linear
  function of independent proportions, each recall (tp + 1) / (n + 2); was the same bootstrap
  (coverage 92.2% at recalls near 0.95 with 30 per class).
- precision and recall of the positive class: exact Clopper-Pearson from their counts.
"""

from __future__ import annotations


import numpy as np

import math

from scipy.optimize import brentq
from scipy.special import ndtri

from audits.jsontypes import JsonObject
from audits.stats._binomial import clopper_pearson
from audits.stats._resample import DEFAULT_RESAMPLES

AUROC_METHOD = "Newcombe score-type (Hanley-McNeil variance, N*)"
BALANCED_METHOD = "Price-Bonett (add one per class)"


def _weighted_auroc(score: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """AUROC under each row of ``weights`` (R, n): vectorised over resamples, ties count half."""
    order = np.argsort(score, kind="mergesort")
    s, yy, w = score[order], y[order], weights[:, order]
    pos, neg = w * (yy == 1), w * (yy == 0)
    _, first, counts = np.unique(s, return_index=True, return_counts=True)
    # per tie block: negative weight strictly below, and within the block
    neg_block = np.add.reduceat(neg, first, axis=1)
    pos_block = np.add.reduceat(pos, first, axis=1)
    below = np.cumsum(neg_block, axis=1) - neg_block
    num = (pos_block * (below + 0.5 * neg_block)).sum(axis=1)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def auroc(y: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve of ``score`` for the labels ``y`` (1 = positive)."""
    y, score = np.asarray(y), np.asarray(score, dtype=np.float64)
    return float(_weighted_auroc(score, y, np.ones((1, len(y))))[0])


def _hanley_mcneil_variance(theta: float, n_pos: int, n_neg: int) -> float:
    """Variance of the AUROC at ``theta`` (Hanley & McNeil 1982) with both class sizes replaced by
    Newcombe's N* = (m + n) / 2 - 1, which makes it symmetric in theta and 1 - theta."""
    star = (n_pos + n_neg) / 2.0 - 1.0
    return theta * (1 - theta) * (1 + (star - 1) * ((1 - theta) / (2 - theta) + theta / (1 + theta))) / (n_pos * n_neg)


def auroc_interval(value: float, n_pos: int, n_neg: int, confidence: float = 0.95) -> tuple[float, float]:
    """Newcombe's score-type interval for an AUROC ``value`` from ``n_pos`` positives and ``n_neg``
    negatives: the thetas with (value - theta)^2 <= z^2 V(theta). Defined at 0 and 1 (a perfect
    separation still has a lower bound below 1); (nan, nan) without both classes."""
    if not (n_pos and n_neg and math.isfinite(value)):
        return float("nan"), float("nan")
    z2 = float(ndtri(0.5 + confidence / 2)) ** 2
    gap = lambda t: (value - t) ** 2 - z2 * _hanley_mcneil_variance(t, n_pos, n_neg)  # noqa: E731
    eps = 1e-12  # the variance is 0 at 0 and 1: keep the estimate itself out of the bracket
    low = brentq(gap, 0.0, value - eps) if value > eps and gap(0.0) > 0 else 0.0
    high = brentq(gap, value + eps, 1.0) if value < 1 - eps and gap(1.0) > 0 else 1.0
    return float(low), float(high)


def balanced_accuracy_interval(tp: int, n_pos: int, tn: int, n_neg: int,
                               confidence: float = 0.95) -> tuple[float, float]:
    """Price & Bonett's interval for (recall + specificity) / 2: each proportion (x + 1) / (n + 2),
    a Wald interval on their mean, clipped to [0, 1]; (nan, nan) without both classes."""
    if not (n_pos and n_neg):
        return float("nan"), float("nan")
    z = float(ndtri(0.5 + confidence / 2))
    a, b = (tp + 1) / (n_pos + 2), (tn + 1) / (n_neg + 2)
    centre = 0.5 * (a + b)
    half = z * 0.5 * math.sqrt(a * (1 - a) / (n_pos + 2) + b * (1 - b) / (n_neg + 2))
    return max(0.0, centre - half), min(1.0, centre + half)


def detection_quality(y: np.ndarray, score: np.ndarray, pred: np.ndarray, confidence: float = 0.95,
                      n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> JsonObject:
    """Balanced accuracy, AUROC, precision and recall (positive class) with ``confidence`` intervals.

    ``y`` (n,) 0/1 labels, ``score`` (n,) the detector's score (higher: more likely positive),
    ``pred`` (n,) its 0/1 decisions. Counts (``tp``, ``tn``, ``n_pred``, ``n_gold``, ``n_negative``)
    are returned so a reader can recompute every interval. ``n_resamples`` and ``seed`` are kept
    for callers; no interval here resamples any more."""
    y = np.asarray(y, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.int64)
    pos, neg = y == 1, y == 0
    tp, tn = int((pred[pos] == 1).sum()), int((pred[neg] == 0).sum())
    n_pos, n_neg, n_pred = int(pos.sum()), int(neg.sum()), int((pred == 1).sum())
    bal = 0.5 * (tp / n_pos + tn / n_neg) if n_pos and n_neg else float("nan")
    bal_ci = balanced_accuracy_interval(tp, n_pos, tn, n_neg, confidence)
    auc = auroc(y, score)
    auc_ci = auroc_interval(auc, n_pos, n_neg, confidence)
    prec_ci = clopper_pearson(tp, n_pred, confidence) if n_pred else (float("nan"), float("nan"))
    rec_ci = clopper_pearson(tp, n_pos, confidence) if n_pos else (float("nan"), float("nan"))
    r = lambda x: None if x is None or not np.isfinite(x) else round(float(x), 4)  # noqa: E731
    return {
        "n": int(len(y)), "n_gold": n_pos, "n_negative": n_neg, "n_pred": n_pred, "tp": tp, "tn": tn,
        "balanced_accuracy": r(bal), "balanced_accuracy_ci": [r(bal_ci[0]), r(bal_ci[1])],
        "auroc": r(auc), "auroc_ci": [r(auc_ci[0]), r(auc_ci[1])],
        "precision": r(tp / n_pred) if n_pred else None, "precision_ci": [r(prec_ci[0]), r(prec_ci[1])],
        "recall": r(tp / n_pos) if n_pos else None, "recall_ci": [r(rec_ci[0]), r(rec_ci[1])],
        "interval": f"{confidence:.0%}: balanced accuracy {BALANCED_METHOD}; AUROC {AUROC_METHOD}; "
                    "precision and recall Clopper-Pearson",
    }
