"""A mean of one sample has no interval: the bootstrap of one value is that value, and [0.4, 0.4]
reads as certainty (a one-sample group of token F1 or groundedness showed a zero-width interval)."""

from __future__ import annotations

import math

import numpy as np

from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise
from audits.stats import bootstrap_values, interval_from_replicates


def test_a_one_sample_mean_has_no_interval_rather_than_zero_width():
    metric = get_metric("token_f1")
    one = np.column_stack([[0.4], [1.0]])
    r = summarise(metric, one)
    assert r.value == 0.4 and r.n == 1 and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert r.statement == "token_f1 is 0.4 over 1 samples (no interval could be formed)." or \
        "no interval could be formed" in r.statement
    low, high, _ = interval_from_replicates(metric, one, bootstrap_values(metric, one, 200, 0))
    assert math.isnan(low) and math.isnan(high)
    clustered = summarise(metric, np.column_stack([[0.4, 0.6], [1.0, 1.0]]), clusters=["a", "a"])
    assert math.isnan(clustered.ci_low) and clustered.n_clusters == 1  # one cluster: one independent unit
    two = summarise(metric, np.column_stack([[0.4, 0.6], [1.0, 1.0]]))
    assert two.ci_low < two.ci_high  # two samples: an interval as before
