"""A run where nobody left feedback records ``feedback_positive_rate`` with n=0 and the exact
binomial method and kind it would have been computed with, not a bootstrap of a mean."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise


@pytest.mark.parametrize("rows", [0, 7])  # no logged rows; rows whose feedback is missing or unknown
def test_no_feedback_records_the_exact_rate_method(rows):
    metric = get_metric("feedback_positive_rate")
    result = summarise(metric, np.zeros((rows, 2)))
    assert result.n == 0 and math.isnan(result.value) and math.isnan(result.ci_low) and math.isnan(result.ci_high)
    assert result.kind == "rate"
    assert result.method.startswith("clopper-pearson"), result.method
    assert "bootstrap" not in result.interval


def test_feedback_with_values_is_still_the_exact_rate():
    metric = get_metric("feedback_positive_rate")
    stats = np.array([[1, 1], [0, 1], [0, 0], [1, 1]], dtype=float)  # one sample without feedback
    result = summarise(metric, stats)
    assert result.n == 3 and result.value == pytest.approx(2 / 3) and result.kind == "rate"
    assert result.method.startswith("clopper-pearson")
