"""INT-PII-2 (`pii.detector.recall >= 0.8`) is decided on the recall's one-sided lower bound,
recomputed exactly from the detector's counts, not on its point estimate."""

from __future__ import annotations

import pytest

import policies
from audits.stats import lower_bound
from catalog_builder import make_run, one_control


def _detector(tp: int, n_gold: int):
    def edit(results):
        task = results["tasks"][1]   # support-qa
        task["pii"]["detector"] = {"recall": tp / n_gold, "recall_ci": [0.0, 1.0], "n_labelled": n_gold,
                                   "precision": 0.9, "precision_ci": [0.85, 0.95],
                                   "by_entity": {"PHONE_NUMBER": {"recall": tp / n_gold, "tp": tp, "n_gold": n_gold,
                                                                  "n_pred": tp, "recall_ci": [0.0, 1.0]}}}
    return edit


@pytest.mark.parametrize("tp, n_gold, verdict", [(85, 100, "inconclusive"), (850, 1000, "pass"), (60, 100, "fail")])
def test_int_pii_2_on_the_lower_bound(two_runs, tp, n_gold, verdict):
    cat, _, _ = two_runs
    run = make_run(cat, f"run-{tp}", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=_detector(tp, n_gold))
    items = {it.control_id: it for it in policies.evaluate_run(cat, run, ["internal-llm"]).items}
    item = items["INT-PII-2"]
    assert item.status == verdict, item.detail
    assert item.value == pytest.approx(tp / n_gold) and item.n == n_gold
    side = "upper" if verdict == "fail" else "lower"
    assert item.bound_side == side
    if side == "lower":   # 0.85 of 100 passed on the point estimate; its lower bound is 0.78
        assert item.bound == pytest.approx(float(lower_bound(tp, n_gold, 0.95)))


def test_per_entity_recall_reads_its_own_counts(two_runs, tmp_path):
    cat, _, _ = two_runs
    run = make_run(cat, "run-ent", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0, edit=_detector(850, 1000))
    item = one_control(cat, run, tmp_path, "pii.detector.by_entity.PHONE_NUMBER.recall >= 0.84")
    assert item.status == "inconclusive" and item.n == 1000 and item.n_needed > 1000
    assert item.bound == pytest.approx(float(lower_bound(850, 1000, 0.95)))
