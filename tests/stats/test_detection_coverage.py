"""Detector-quality intervals hold their coverage where detectors live: AUROC and balanced
accuracy near 1 with 30-100 labelled items per class (seeded simulation, binormal scores).

Before (percentile bootstrap stratified by class, 1,000 resamples; 600 simulated sets each):
AUROC 0.99 at 100 per class covered 90.7% (lower bound above the truth 8.5%), at 30 per class
79.7% (20.3%); AUROC 0.95 at 30 per class 90.3%; balanced accuracy near 0.95 at 30 per class 92.2%.
The lower bound is what a policy reads (``groundedness.detector.auroc >= 0.9``), so the old interval
flattered the detector exactly there."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm

from audits.stats import auroc, detection_quality
from audits.stats._detection import auroc_interval, balanced_accuracy_interval

SIMS = 1500
SE = np.sqrt(0.05 * 0.95 / SIMS)


@pytest.mark.parametrize("true_auc", [0.7, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("per_class", [30, 100])
def test_auroc_interval_covers_near_one_at_small_n(true_auc, per_class):
    rng = np.random.default_rng(int(true_auc * 1000) + per_class)
    shift = np.sqrt(2) * norm.ppf(true_auc)  # binormal, equal variances: AUROC = Phi(shift / sqrt 2)
    y = np.r_[np.ones(per_class), np.zeros(per_class)].astype(int)
    low_above = high_below = 0
    for _ in range(SIMS):
        score = np.r_[rng.normal(shift, 1, per_class), rng.normal(0, 1, per_class)]
        low, high = auroc_interval(auroc(y, score), per_class, per_class)
        low_above += low > true_auc
        high_below += high < true_auc
    coverage = 1 - (low_above + high_below) / SIMS
    assert coverage >= 0.95 - 3 * SE, coverage
    # the side a ">= target" policy reads: the lower bound overclaims at most its 2.5% share
    assert low_above / SIMS <= 0.025 + 3 * np.sqrt(0.025 * 0.975 / SIMS), low_above / SIMS


@pytest.mark.parametrize("recall,specificity", [(0.7, 0.9), (0.9, 0.95), (0.97, 0.99), (0.6, 0.99)])
@pytest.mark.parametrize("per_class", [10, 30, 100])
def test_balanced_accuracy_interval_covers(recall, specificity, per_class):
    rng = np.random.default_rng(int(recall * 100) + per_class)
    tp = rng.binomial(per_class, recall, 20000)
    tn = rng.binomial(per_class, specificity, 20000)
    truth = 0.5 * (recall + specificity)
    bounds = np.array([balanced_accuracy_interval(int(a), per_class, int(b), per_class) for a, b in zip(tp, tn)])
    coverage = np.mean((bounds[:, 0] <= truth) & (truth <= bounds[:, 1]))
    assert coverage >= 0.93, coverage
    assert np.mean(bounds[:, 0] > truth) <= 0.025, np.mean(bounds[:, 0] > truth)


def test_perfect_separation_still_has_a_lower_bound_below_one():
    """30 + 30 items perfectly separated: AUROC 1 but not 'certainly 1' (the score equation's root)."""
    low, high = auroc_interval(1.0, 30, 30)
    assert high == 1.0 and 0.9 < low < 0.97
    assert auroc_interval(0.0, 30, 30)[0] == 0.0
    assert all(np.isnan(auroc_interval(0.8, 0, 30)))


def test_detection_quality_reports_the_new_methods_and_counts():
    y = np.r_[np.ones(50), np.zeros(50)].astype(int)
    score = np.r_[np.linspace(0.3, 1.0, 50), np.linspace(0.0, 0.7, 50)]
    q = detection_quality(y, score, (score > 0.5).astype(int))
    assert q["tp"] + (50 - q["tn"]) == q["n_pred"]
    assert q["auroc_ci"][0] < q["auroc"] < q["auroc_ci"][1]
    assert q["balanced_accuracy_ci"][0] < q["balanced_accuracy"] < q["balanced_accuracy_ci"][1]
    assert "Newcombe" in q["interval"] and "Price-Bonett" in q["interval"] and "bootstrap" not in q["interval"]
