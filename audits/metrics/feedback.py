"""``feedback_positive_rate``: the share of logged interactions whose user feedback was positive.

Only samples with a known positive or negative value (matched ignoring case) are scored; unknown
values and samples without feedback are left out of n (counted in the task's ``feedback`` block;
a log where unknown values outnumber the scored ones is refused, ``audits.datasets.feedback``). A mean of 0/1
scores is a rate, so its interval is the exact binomial one (``audits.stats.metric_interval``).
"""

from __future__ import annotations

import numpy as np

from audits.datasets.feedback import NEGATIVE, POSITIVE
from audits.metrics._common import ScoredMean, assay_version
from audits.metrics.base import METRICS, MetricInputs
from audits.metrics.decision import column


@METRICS.register("feedback_positive_rate")
class FeedbackPositiveRate(ScoredMean):
    """Positive feedback / (positive + negative feedback), per sample ``[positive, scored]``."""

    name = "feedback_positive_rate"
    requires = frozenset({"feedback"})
    task_types = frozenset({"generate", "choice"})
    higher_is_better = True
    kind = "rate"  # 0/1 by construction: exact binomial interval, also when nobody left feedback (n=0)

    def stats(self, inputs: MetricInputs) -> np.ndarray:
        kinds = column(inputs, "feedback", self.name)
        out = np.zeros((len(kinds), 2))
        out[:, 0] = kinds == POSITIVE
        out[:, 1] = (kinds == POSITIVE) | (kinds == NEGATIVE)
        return out

    def signature(self) -> str:
        return f"feedback_positive_rate|known-values-only,casefold,unknown-minority|assay:{assay_version()}"
