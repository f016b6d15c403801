"""The report states the PII detector's quality on both labelled sets, each named by its source and
with its exact 95% intervals (issue 20, item 5); a run made before the second set was measured
states the held-out set alone."""

from __future__ import annotations

from audits.results import RunResults
from reports.data import detector_sets_words, privacy_safety_tables
from tests.dashboard.test_no_empty_chart import DETECTOR


def _results(detector: dict) -> RunResults:
    return RunResults.model_validate({"run_id": "r1", "audit": "a", "period": "2026-Q4", "tasks": [
        {"name": "pii-support", "type": "generate", "n": 16, "metrics": {},
         "pii": {"findings": 3, "leaks": 1, "detector": detector}}]})


def test_both_sets_named_by_source_with_intervals():
    words = detector_sets_words(DETECTOR)
    assert words == ("held-out split of presidio-evaluator + assay-handwritten (audits/scanners/data/pii_eval): "
                     "precision 0.936 [0.919, 0.95], recall 0.889 [0.869, 0.908] (1,049 labelled spans); "
                     "second independent set: Faker sentences, never tuned on: precision 0.904 [0.89, 0.918], "
                     "recall 0.928 [0.915, 0.94] (1,743 labelled spans)")  # three figures, as the tables beside it
    priv, _ = privacy_safety_tables(_results(DETECTOR))
    row = priv.iloc[0]
    assert row["detector_sets"] == words and row["detector_recall"] == 0.8894
    assert row["detector_recall_second_set"] == 0.9283


def test_a_run_without_the_second_set_states_the_held_out_set_alone():
    held_only = {k: v for k, v in DETECTOR.items() if k != "second_set"}
    words = detector_sets_words(held_only)
    assert words.startswith("held-out split of") and "second" not in words
    priv, _ = privacy_safety_tables(_results(held_only))
    assert priv.iloc[0]["detector_recall_second_set"] is None
    assert detector_sets_words({}) == ""
