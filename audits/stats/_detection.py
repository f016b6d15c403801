"""A binary detector's measured quality on labelled data, each figure with its interval.

``detection_quality(y, score, pred)``: balanced accuracy (mean of the two class recalls) and
AUROC (the Mann-Whitney probability that a positive outscores a negative, ties count half) with
seeded percentile bootstrap intervals stratified by class (each resample keeps the class sizes,
as the labelled set fixes them); precision and recall of the positive class with exact
Clopper-Pearson intervals from their counts.
"""

from __future__ import annotations


import numpy as np

from audits.jsontypes import JsonObject
from audits.stats._binomial import clopper_pearson
from audits.stats._bootstrap import percentile_interval
from audits.stats._resample import DEFAULT_RESAMPLES, resample_counts


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


def _stratified_counts(y: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    counts = np.zeros((n_resamples, len(y)))
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        if len(idx):
            counts[:, idx] = resample_counts(len(idx), n_resamples, rng)
    return counts


def detection_quality(y: np.ndarray, score: np.ndarray, pred: np.ndarray, confidence: float = 0.95,
                      n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> JsonObject:
    """Balanced accuracy, AUROC, precision and recall (positive class) with ``confidence`` intervals.

    ``y`` (n,) 0/1 labels, ``score`` (n,) the detector's score (higher: more likely positive),
    ``pred`` (n,) its 0/1 decisions. Counts (``tp``, ``n_pred``, ``n_gold``, ``n``) are returned
    so a reader can recompute the exact intervals."""
    y = np.asarray(y, dtype=np.int64)
    score = np.asarray(score, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.int64)
    alpha = 1.0 - confidence
    pos, neg = y == 1, y == 0
    tp, tn = int((pred[pos] == 1).sum()), int((pred[neg] == 0).sum())
    n_pos, n_neg, n_pred = int(pos.sum()), int(neg.sum()), int((pred == 1).sum())
    rng = np.random.default_rng(seed)
    w = _stratified_counts(y, n_resamples, rng)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr = (w * (pos & (pred == 1))).sum(axis=1) / (w * pos).sum(axis=1)
        tnr = (w * (neg & (pred == 0))).sum(axis=1) / (w * neg).sum(axis=1)
    bal = 0.5 * (tp / n_pos + tn / n_neg) if n_pos and n_neg else float("nan")
    bal_ci = percentile_interval(0.5 * (tpr + tnr), alpha=alpha)
    auc_ci = percentile_interval(_weighted_auroc(score, y, w), alpha=alpha)
    prec_ci = clopper_pearson(tp, n_pred, confidence) if n_pred else (float("nan"), float("nan"))
    rec_ci = clopper_pearson(tp, n_pos, confidence) if n_pos else (float("nan"), float("nan"))
    r = lambda x: None if x is None or not np.isfinite(x) else round(float(x), 4)  # noqa: E731
    return {
        "n": int(len(y)), "n_gold": n_pos, "n_negative": n_neg, "n_pred": n_pred, "tp": tp, "tn": tn,
        "balanced_accuracy": r(bal), "balanced_accuracy_ci": [r(bal_ci[0]), r(bal_ci[1])],
        "auroc": r(auroc(y, score)), "auroc_ci": [r(auc_ci[0]), r(auc_ci[1])],
        "precision": r(tp / n_pred) if n_pred else None, "precision_ci": [r(prec_ci[0]), r(prec_ci[1])],
        "recall": r(tp / n_pos) if n_pos else None, "recall_ci": [r(rec_ci[0]), r(rec_ci[1])],
        "interval": f"{confidence:.0%}: balanced accuracy and AUROC percentile bootstrap stratified by class "
                    f"({n_resamples} resamples, seed {seed}); precision and recall Clopper-Pearson",
    }
