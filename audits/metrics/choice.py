"""Metrics of choice tasks: accuracy, macro precision/recall/F1 (scikit-learn's numbers) and
the selection rate of decision tasks."""

from __future__ import annotations

import numpy as np

from audits.errors import AssayError
from audits.metrics._common import MeanMetric, assay_version, need, package_version, ratio
from audits.metrics.base import METRICS, Metric, MetricInputs


@METRICS.register("accuracy")
class Accuracy(MeanMetric):
    """Share of predictions equal to the gold label (0–1); unlabelled rows are skipped."""

    name = "accuracy"
    requires = frozenset({"labels"})
    task_types = frozenset({"choice"})
    reference_field = "labels"

    def score(self, prediction: str, target: str, inputs: MetricInputs) -> float:
        return float(prediction == target)

    def signature(self) -> str:
        return f"accuracy|assay:{assay_version()}"


@METRICS.register("selection_rate")
class SelectionRate(MeanMetric):
    """Share of predictions equal to the task's positive choice (0–1). Needs no labels."""

    name = "selection_rate"
    requires = frozenset({"positive"})
    task_types = frozenset({"choice"})
    higher_is_better = False  # neither direction is "better"; fairness compares it across groups

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        if inputs.positive is None:
            raise AssayError("metric 'selection_rate' needs the task's positive choice",
                             "set 'positive: <choice>' on the task, or remove the metric")
        hits = np.array([p == inputs.positive for p in inputs.predictions], dtype=np.float64)
        return np.column_stack([hits, np.ones_like(hits)])

    def signature(self) -> str:
        return f"selection_rate|assay:{assay_version()}"


class _MacroPRF(Metric):
    """Macro average over the task's label set, equal to scikit-learn's
    ``*_score(average="macro", labels=choices, zero_division=0)``.

    Stats per sample, for C classes: one-hot TP (C), FP (C), FN (C), then ``[correct, labelled]``;
    k = 3C + 2. Summed counts give every class's confusion counts on any resample.
    """

    requires = frozenset({"labels"})
    task_types = frozenset({"choice"})

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        labels = need(inputs, "labels", self.name)
        if not inputs.choices:
            raise AssayError(f"metric '{self.name}' needs the task's label set (choices)",
                             "set 'choices:' on the task")
        classes = list(dict.fromkeys(inputs.choices))
        index = {c: i for i, c in enumerate(classes)}
        n_cls = len(classes)
        out = np.zeros((len(inputs.predictions), 3 * n_cls + 2))
        for row, (pred, gold) in enumerate(zip(inputs.predictions, labels)):
            if gold is None:
                continue
            p, g = index.get(pred), index.get(gold)
            if pred == gold:
                if g is not None:
                    out[row, g] = 1.0                      # TP
            else:
                if p is not None:
                    out[row, n_cls + p] = 1.0              # FP of the predicted class
                if g is not None:
                    out[row, 2 * n_cls + g] = 1.0          # FN of the gold class
            out[row, -2:] = (float(pred == gold), 1.0)
        return out

    @staticmethod
    def _counts(summed: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        summed = np.asarray(summed, dtype=np.float64)
        n_cls = (summed.shape[-1] - 2) // 3
        return summed[..., :n_cls], summed[..., n_cls:2 * n_cls], summed[..., 2 * n_cls:3 * n_cls]

    def per_class(self, tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def aggregate(self, summed: np.ndarray) -> np.ndarray:
        tp, fp, fn = self._counts(summed)
        return np.nan_to_num(self.per_class(tp, fp, fn), nan=0.0).mean(axis=-1)  # zero_division=0

    def per_sample(self, stats: np.ndarray) -> np.ndarray:
        """Correctness of each sample (1/0; NaN where the row has no label)."""
        return ratio(stats[:, -2], stats[:, -1])

    def scored(self, stats: np.ndarray) -> np.ndarray:
        return np.asarray(stats)[:, -1] > 0

    def signature(self) -> str:
        return (f"{self.name}|macro|zero_division:0|sklearn-equivalent:{package_version('scikit-learn')}"
                f"|assay:{assay_version()}")

    def options(self) -> dict:
        return {"average": "macro", "zero_division": 0}


@METRICS.register("precision")
class MacroPrecision(_MacroPRF):
    """Macro precision over the task's choices (0–1)."""

    name = "precision"

    def per_class(self, tp, fp, fn):
        return ratio(tp, tp + fp)


@METRICS.register("recall")
class MacroRecall(_MacroPRF):
    """Macro recall over the task's choices (0–1)."""

    name = "recall"

    def per_class(self, tp, fp, fn):
        return ratio(tp, tp + fn)


@METRICS.register("f1")
class MacroF1(_MacroPRF):
    """Macro F1 over the task's choices (0–1)."""

    name = "f1"

    def per_class(self, tp, fp, fn):
        return ratio(2 * tp, 2 * tp + fp + fn)
