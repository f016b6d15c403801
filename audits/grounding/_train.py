"""Trains the groundedness detector's logistic regression on the *tune* half of the committed
HaluEval sample and writes ``audits/grounding/data/detector.json`` (plain coefficients).

``python -m audits.grounding._train`` — deterministic (liblinear, fixed data); the held-out half
is never read here. An answer's training row is its claims' features aggregated the way the
verdict is taken (the weakest claim: the minimum of each support feature, the maximum of each
mismatch feature); C and the threshold are chosen by item-grouped cross-validation on the tune half.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audits.grounding.claims import split_claims
from audits.grounding.classifier import DETECTOR_FILE, EMBEDDING_DETECTOR_FILE, aggregate, design
from audits.grounding.halueval import SUBSETS, rows
from audits.grounding.signals import FEATURES, Source, context_scale, feature_rows, is_dialogue

VERSION = "groundedness-lr-3"
C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0, 10.0)


def answer_matrix(data: list[dict], use_embedding: bool = True) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(X, y, items) for HaluEval rows: one design row per answer that has claims."""
    sources: dict[tuple[str, str], Source] = {}
    srcs = [sources.setdefault((r["knowledge"], r["question"]), Source.build(r["knowledge"], r["question"]))
            for r in data]
    claims = [split_claims(r["answer"]) for r in data]
    keep = [i for i, c in enumerate(claims) if c]
    feats = feature_rows([claims[i] for i in keep], [srcs[i] for i in keep], use_embedding)
    X = np.array([design(aggregate([f for f, _ in fs]), context_scale(srcs[i].text), FEATURES,
                         is_dialogue(srcs[i].question)) for i, fs in zip(keep, feats)], dtype=np.float64)
    y = np.array([data[i]["hallucinated"] for i in keep], dtype=np.int64)
    return X, y, [data[i]["item"] for i in keep]


def balanced_accuracy(y: np.ndarray, pred: np.ndarray) -> float:
    return float(0.5 * (np.mean(pred[y == 1]) + np.mean(1 - pred[y == 0])))


def _fit(X: np.ndarray, y: np.ndarray, weights: np.ndarray, C: float):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=C, solver="liblinear", max_iter=1000).fit(X, y, sample_weight=weights)


def _cv_probs(X, y, weights, groups, C: float) -> np.ndarray:
    """Out-of-fold probabilities (5 folds grouped by item) on the tune half."""
    from sklearn.model_selection import GroupKFold

    prob = np.zeros(len(y))
    for fit_idx, test_idx in GroupKFold(n_splits=5).split(X, y, groups):
        prob[test_idx] = _fit(X[fit_idx], y[fit_idx], weights[fit_idx], C).predict_proba(X[test_idx])[:, 1]
    return prob


def _by_subset(y: np.ndarray, prob: np.ndarray, bounds: np.ndarray, score) -> list[float]:
    return [float(score(y[a:b], prob[a:b])) for a, b in zip(bounds, bounds[1:])]


def train(use_embedding: bool = False) -> dict:
    """Fits the coefficients on the tune half of every subset (each subset weighs the same); C (mean
    per-subset AUROC) and the threshold (mean per-subset balanced accuracy, so the big subsets do not
    choose it alone) are chosen on out-of-fold probabilities, 5 folds grouped by item, on the tune half."""
    from sklearn.metrics import roc_auc_score

    parts = [answer_matrix(rows(s, "tune"), use_embedding) for s in SUBSETS]
    X = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    groups = np.concatenate([p[2] for p in parts])
    weights = np.concatenate([np.full(len(p[1]), 1.0 / len(p[1])) for p in parts])
    weights = weights / weights.mean()
    bounds = np.cumsum([0] + [len(p[1]) for p in parts])
    probs = {C: _cv_probs(X, y, weights, groups, C) for C in C_GRID}
    cv = {C: float(np.mean(_by_subset(y, p, bounds, roc_auc_score))) for C, p in probs.items()}
    best_c = max(cv, key=cv.get)
    model = _fit(X, y, weights, best_c)
    grid = np.round(np.arange(0.2, 0.81, 0.01), 2)
    oof = probs[best_c]
    scores = [np.mean(_by_subset(y, (oof >= t).astype(int), bounds, balanced_accuracy)) for t in grid]
    best = float(grid[int(np.argmax(scores))])
    cv_ba = _by_subset(y, (oof >= best).astype(int), bounds, balanced_accuracy)
    return {"version": VERSION, "features": list(FEATURES), "coef": [round(float(c), 6) for c in model.coef_[0]],
            "intercept": round(float(model.intercept_[0]), 6), "threshold": best, "embedding": use_embedding,
            "interaction": "context_scale+dialogue", "C": best_c, "cv_auroc": {str(c): round(v, 4) for c, v in cv.items()},
            "trained_on": {s: int(len(p[1])) for s, p in zip(SUBSETS, parts)},
            "cv_balanced_accuracy": {sub: round(v, 4) for sub, v in zip(SUBSETS, cv_ba)},
            "data": "tune half of audits/datasets/data/halueval (length-matched HaluEval, MIT)",
            "script": "python -m audits.grounding._train"}


if __name__ == "__main__":
    import sys

    for embedding, out in ((False, DETECTOR_FILE), (True, EMBEDDING_DETECTOR_FILE)):
        if "--no-embedding" in sys.argv and embedding:
            continue
        spec = train(embedding)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(spec, indent=1) + "\n", encoding="utf-8")
        print(out.name, json.dumps({k: v for k, v in spec.items() if k not in ("coef",)}))
