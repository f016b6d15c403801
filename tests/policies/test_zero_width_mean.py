"""A mean whose scored samples are all alike has no interval (its bootstrap is itself): three answers
at token F1 0.9 gave "0.9 to 0.9" and `token_f1 >= 0.85` passed on n=3. Now the interval is not
formed, and a stored zero-width interval of a mean (a bundle written before) reaches no verdict."""

from __future__ import annotations

import math

import numpy as np

from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise
from catalog_builder import make_run, one_control, set_metric


def test_alike_scores_form_no_interval():
    r = summarise(get_metric("token_f1"), np.column_stack([[0.9] * 3, [1.0] * 3]))
    assert r.value == 0.9 and math.isnan(r.ci_low) and math.isnan(r.ci_high)
    assert "no interval could be formed" in r.statement
    varied = summarise(get_metric("token_f1"), np.column_stack([[0.9, 0.8, 0.9], [1.0] * 3]))
    assert varied.ci_low < varied.ci_high


def test_a_stored_zero_width_mean_reaches_no_verdict(two_runs, tmp_path):
    cat, _, _ = two_runs
    alike = {"value": 0.9, "ci_low": 0.9, "ci_high": 0.9, "n": 3, "signature": "t", "kind": "mean",
             "method": "bca-bootstrap"}
    run = make_run(cat, "alike", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=set_metric(1, "token_f1", alike))
    item = one_control(cat, run, tmp_path, "token_f1 >= 0.85")
    assert item.status == "no-data" and "zero-width interval over 3 samples" in item.detail
