"""`token_f1 >= 0.8` on five answers scored 0.85-0.95: the stored BCa interval (90%: about 0.87-0.93)
passed it; the mean of [0, 1] scores is now bounded as a rate of its score total, so five answers
are inconclusive, with the n that would decide (tests/stats/test_bounded_mean_verdict.py for the
error rates). A mean with scores outside [0, 1] (a logit) keeps its stored interval, and under 30 such
scores (or too skewed for n) its verdict is inconclusive (``stats.skew_reason``)."""

from __future__ import annotations

import pandas as pd
import pytest

from audits import stats
from catalog_builder import make_run, one_control, set_metric

SCORES = [0.85, 0.9, 0.95, 0.88, 0.92]


def _run(cat, run_id: str, scores: list[float]) -> str:
    """A run whose support-qa token_f1 is the mean of ``scores``, with those per-sample scores in the bundle."""
    mean = sum(scores) / len(scores)
    f1 = {"value": mean, "ci_low": mean - 0.04, "ci_high": mean + 0.04, "n": len(scores), "signature": "t",
          "kind": "mean", "method": "bca-bootstrap", "confidence": 0.95}

    def with_scores(tables: dict[str, pd.DataFrame]) -> None:
        tables["samples"] = pd.concat([tables["samples"], pd.DataFrame({
            "task": "support-qa", "sample_id": [str(i) for i in range(len(scores))], "input": "q", "prediction": "a",
            "correct": None, "score_token_f1": scores})], ignore_index=True)
    return make_run(cat, run_id, "2027-Q1", 0.9, 0.9, 0.0, edit=set_metric(1, "token_f1", f1), edit_tables=with_scores)


def test_five_scores_in_unit_range_are_inconclusive(two_runs, tmp_path):
    cat, _, _ = two_runs
    item = one_control(cat, _run(cat, "five", SCORES), tmp_path, "token_f1 >= 0.8")
    low, _ = stats.bounded_mean_interval(sum(SCORES), 5, 0.90)
    assert item.status == "inconclusive", item.detail
    assert item.bound == pytest.approx(low) and item.n == 5 and item.method == stats.BOUNDED_MEAN
    assert item.n_needed == stats.rate_n_needed(sum(SCORES) / 5, 0.8)


def test_scores_outside_unit_range_keep_the_stored_interval(two_runs, tmp_path):
    cat, _, _ = two_runs
    item = one_control(cat, _run(cat, "logit", [s * 3 for s in SCORES * 8]), tmp_path, "token_f1 >= 2.0")
    assert item.status == "pass" and item.method == "bca-bootstrap"


def test_five_unbounded_scores_are_inconclusive_with_the_reason(two_runs, tmp_path):
    """No bound on a mean of unbounded scores keeps its error from five (tests/stats/test_unbounded_mean_bound.py):
    the stored interval cleared 2.0, and the verdict is inconclusive rather than a pass."""
    cat, _, _ = two_runs
    item = one_control(cat, _run(cat, "logit5", [s * 3 for s in SCORES]), tmp_path, "token_f1 >= 2.0")
    assert item.status == "inconclusive" and item.method == "bca-bootstrap"
    assert "5 scores are too few to bound the mean of an unbounded score" in item.detail, item.detail
