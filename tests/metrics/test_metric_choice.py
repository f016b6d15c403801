"""Choice-task metrics against scikit-learn; selection rate and unlabelled rows."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score

from audits.metrics import MetricInputs, compute, get_metric
from audits.metrics.bootstrap import resample_counts

CHOICES = ["yes", "no", "maybe", "unsure"]        # "unsure" is never predicted and never gold
GOLD = ["yes", "no", "maybe", "yes", "no", "maybe", "yes", "yes", "no", "maybe", "no", "yes"]
PRED = ["yes", "no", "no", "yes", "yes", "no", "yes", "no", "no", "yes", "no", "yes"]  # "maybe" never predicted

SKLEARN = {"precision": precision_score, "recall": recall_score, "f1": f1_score}


@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
def test_macro_prf_equals_sklearn(name):
    result, stats = compute(get_metric(name), MetricInputs(PRED, labels=GOLD, choices=CHOICES), n_resamples=200)
    expected = SKLEARN[name](GOLD, PRED, average="macro", labels=CHOICES, zero_division=0)
    assert result.value == pytest.approx(expected, abs=1e-12)
    assert 0 < result.value < 1
    np.testing.assert_array_equal(result.per_sample, [float(p == g) for p, g in zip(PRED, GOLD)])
    assert stats.shape == (len(GOLD), 3 * len(CHOICES) + 2)
    assert "macro" in result.signature and "zero_division:0" in result.signature


@pytest.mark.parametrize("name", ["precision", "recall", "f1"])
def test_macro_prf_on_resamples_equals_sklearn(name):
    metric = get_metric(name)
    stats = metric.stats(MetricInputs(PRED, labels=GOLD, choices=CHOICES))
    counts = resample_counts(len(GOLD), 5, np.random.default_rng(11))
    for row, value in zip(counts, metric.aggregate(counts @ stats)):
        idx = np.repeat(np.arange(len(GOLD)), row.astype(int))
        gold, pred = [GOLD[i] for i in idx], [PRED[i] for i in idx]
        assert value == pytest.approx(SKLEARN[name](gold, pred, average="macro", labels=CHOICES, zero_division=0), abs=1e-12)


def test_macro_f1_ignores_predictions_outside_the_label_set():
    pred = ["yes", "banana", "no", "no"]
    gold = ["yes", "no", "no", "yes"]
    metric = get_metric("f1")
    value = float(metric.aggregate(metric.stats(MetricInputs(pred, labels=gold, choices=["yes", "no"])).sum(0)))
    assert value == pytest.approx(f1_score(gold, pred, average="macro", labels=["yes", "no"], zero_division=0))


def test_accuracy_equals_sklearn_and_skips_unlabelled_rows():
    result, _ = compute(get_metric("accuracy"), MetricInputs(PRED, labels=GOLD, choices=CHOICES), n_resamples=100)
    assert result.value == pytest.approx(accuracy_score(GOLD, PRED))
    assert result.signature == "accuracy|assay:0.1.0"
    gold = list(GOLD)
    gold[0] = gold[2] = None
    partial, _ = compute(get_metric("accuracy"), MetricInputs(PRED, labels=gold), n_resamples=100)
    kept = [i for i, g in enumerate(gold) if g is not None]
    assert partial.value == pytest.approx(accuracy_score([GOLD[i] for i in kept], [PRED[i] for i in kept]))
    assert np.isnan(partial.per_sample[0])
    f1, _ = compute(get_metric("f1"), MetricInputs(PRED, labels=gold, choices=CHOICES), n_resamples=50)
    assert f1.value == pytest.approx(f1_score([GOLD[i] for i in kept], [PRED[i] for i in kept],
                                               average="macro", labels=CHOICES, zero_division=0))


def test_selection_rate():
    preds = ["yes", "no", "yes", "yes", "no"]
    result, _ = compute(get_metric("selection_rate"), MetricInputs(preds, positive="yes"), n_resamples=100)
    assert result.value == pytest.approx(0.6)
    np.testing.assert_array_equal(result.per_sample, [1, 0, 1, 1, 0])
    assert result.ci_low <= 0.6 <= result.ci_high
