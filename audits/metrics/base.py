"""The metric interface: sufficient statistics per sample, so every metric can be
bootstrapped (vectorised) and disaggregated by group with the same code.

A metric maps ``(predictions, references)`` to an ``(n, k)`` array of per-sample sufficient
statistics; ``aggregate`` turns *summed* statistics ``(..., k)`` into the metric value ``(...)``.
For a mean metric (accuracy, ROUGE) k = 2: ``[score, 1]``. Corpus BLEU keeps its n-gram counts;
macro-F1 keeps per-class confusion counts. Summing rows of a resample and aggregating gives the
exact corpus-level value on that resample.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar, Sequence

import numpy as np

from audits.registry import Registry
from audits.jsontypes import JsonObject


@dataclass
class MetricInputs:
    """What a metric may look at for one task. Arrays are aligned, length n."""

    predictions: Sequence[str]
    references: Sequence[str | None] | None = None
    labels: Sequence[str | None] | None = None        # gold choice (choice tasks)
    choices: Sequence[str] | None = None               # the task's label set (choice tasks)
    positive: str | None = None                        # the positive decision (decision tasks)


@dataclass
class MetricResult:
    """A metric's value with its interval and the recipe of both.

    ``kind`` is rate / mean / corpus (``audits.stats.score_kind``); ``method``, ``confidence``
    and ``interval`` (the formatted ``IntervalSignature``) say how the interval was made;
    ``events`` is the number of 1s for a rate; ``design_effect`` and ``n_clusters`` are set when
    the task names ``cluster:``; ``statement`` is the summary in plain English.
    """

    name: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    signature: str
    per_sample: np.ndarray = field(repr=False)
    kind: str = "corpus"
    method: str = ""
    confidence: float = 0.95
    interval: str = ""
    events: float | None = None
    design_effect: float | None = None
    n_clusters: int | None = None
    statement: str = ""
    design_effect_source: str = "none"  # estimated | assumed | none (audits.stats._clustered)
    caveat: str | None = None  # why the interval may not hold its coverage (audits.stats Interval.caveat)


class Metric(ABC):
    """A registered metric. ``requires`` lists MetricInputs fields that must be present."""

    name: ClassVar[str] = ""
    requires: ClassVar[frozenset[str]] = frozenset()
    task_types: ClassVar[frozenset[str]] = frozenset({"generate", "choice"})
    higher_is_better: ClassVar[bool] = True
    # 'mean' when the value is the mean of a per-sample score (a mean of 0/1 scores is a rate);
    # 'corpus' otherwise (BLEU, macro-F1). It picks the interval method (audits.stats).
    kind: ClassVar[str] = "corpus"

    @abstractmethod
    def stats(self, inputs: MetricInputs) -> np.ndarray:
        """Per-sample sufficient statistics, shape (n, k), float64."""

    @abstractmethod
    def aggregate(self, summed: np.ndarray) -> np.ndarray:
        """Metric value(s) from summed statistics: (..., k) -> (...)."""

    def per_sample(self, stats: np.ndarray) -> np.ndarray:
        """A per-sample score (n,) for browsing and disaggregation; default: aggregate each row."""
        return self.aggregate(stats)

    def scored(self, stats: np.ndarray) -> np.ndarray:
        """Rows (n,) bool that the metric could score (e.g. had a reference); others are all-zero
        stats, left out of n and of the bootstrap. Default: every row."""
        return np.ones(np.asarray(stats).shape[0], dtype=bool)

    def signature(self) -> str:
        """Exact recipe, e.g. 'accuracy|sklearn:1.9.1|assay:0.1.0'."""
        return self.name

    def options(self) -> JsonObject:
        """The options in the metric's signature (JSON)."""
        return {}


METRICS: Registry[type[Metric]] = Registry("metric")
