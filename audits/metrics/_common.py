"""Shared pieces of the built-in metrics: a weighted-mean base class and small helpers.

A *mean metric* keeps two statistics per sample, ``[score * w, w]`` with ``w`` = 1 when the
sample can be scored and 0 when an input it needs is missing (e.g. no label on that row). The
summed ratio is then the mean over scorable samples, on the full data and on every resample.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from audits.errors import AssayError
from audits.metrics.base import Metric, MetricInputs


def assay_version() -> str:
    from audits import __version__

    return __version__


def package_version(dist: str) -> str:
    """Installed version of a distribution ('unknown' when it has no metadata)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"


def ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den elementwise, NaN where den == 0, without warnings."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def need(inputs: MetricInputs, field: str, metric: str) -> Sequence:
    """The aligned input column ``field`` or an AssayError naming the metric."""
    value = getattr(inputs, field)
    if value is None:
        raise AssayError(f"metric '{metric}' needs '{field}' but none were given",
                         "map the column in the task's fields, or remove the metric")
    if not isinstance(value, str) and len(value) != len(inputs.predictions):
        raise AssayError(f"metric '{metric}': {len(value)} {field} for {len(inputs.predictions)} predictions",
                         "give one entry per sample")
    return value


class ScoredMean(Metric):
    """Per-sample statistics ``[value, scored]``: the metric is the mean value over the scored samples."""

    def aggregate(self, summed: np.ndarray) -> np.ndarray:
        summed = np.asarray(summed, dtype=np.float64)
        return ratio(summed[..., 0], summed[..., 1])

    def scored(self, stats: np.ndarray) -> np.ndarray:
        return np.asarray(stats)[:, 1] > 0


class MeanMetric(ScoredMean):
    """A metric that is the mean of a per-sample score; subclasses implement ``score``."""

    reference_field = "references"
    kind = "mean"  # a mean of per-sample scores (all 0/1: a rate): picks the interval method

    def score(self, prediction: str, target: str, inputs: MetricInputs) -> float:
        raise NotImplementedError

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        targets = need(inputs, self.reference_field, self.name)
        out = np.zeros((len(inputs.predictions), 2))
        for i, (pred, target) in enumerate(zip(inputs.predictions, targets)):
            if target is None:
                continue
            out[i] = (self.score("" if pred is None else str(pred), str(target), inputs), 1.0)
        return out

    def per_sample(self, stats: np.ndarray) -> np.ndarray:
        """The sample's score; NaN where it could not be scored."""
        return self.aggregate(stats)
