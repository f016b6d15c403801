"""The shipped detector on real held-out HaluEval rows (never trained on): the measured figure above a
floor, equal to the stored quality every result carries; the length-only baseline is at chance."""

import json

import numpy as np
import pytest

from audits.config import TaskConfig
from audits.datasets import load_task_data
from audits.grounding.classifier import DETECTOR_FILE, load_detector
from audits.grounding.halueval import rows
from audits.grounding.quality import TARGETS, detector_quality
from audits.stats import detection_quality


def _measure(subset: str) -> dict:
    held = rows(subset, "heldout")
    verdicts = load_detector().score([r["answer"] for r in held], [r["knowledge"] for r in held],
                                     [r["question"] for r in held])
    y = np.array([r["hallucinated"] for r in held])
    score = np.array([v.score if v.score is not None else 0.0 for v in verdicts])
    pred = np.array([1 if v.hallucination == 1.0 else 0 for v in verdicts])
    return detection_quality(y, score, pred, seed=0)


def test_splits_never_share_an_item_and_pairs_are_length_matched():
    for subset in ("qa", "dialogue", "summarization"):
        tune = {r["item"] for r in rows(subset, "tune")}
        held = {r["item"] for r in rows(subset, "heldout")}
        assert tune and held and not tune & held
        by_item: dict[str, list[int]] = {}
        for r in rows(subset):
            by_item.setdefault(r["item"], []).append(len(r["answer"]))
        assert all(len(v) == 2 and abs(v[0] - v[1]) <= max(3, 0.2 * max(v)) for v in by_item.values())


def test_qa_held_out_balanced_accuracy_above_target_and_as_stored():
    q = _measure("qa")
    assert q["balanced_accuracy"] >= TARGETS["qa"] and q["balanced_accuracy_ci"][0] >= 0.85
    stored = detector_quality()
    assert not stored["stale"] and stored["by_subset"]["qa"]["balanced_accuracy"] == q["balanced_accuracy"]
    assert stored["by_subset"]["qa"]["auroc"] == q["auroc"] and stored["by_subset"]["qa"]["n"] == q["n"] == 418


def test_stored_quality_is_honest_about_every_subset():
    stored = detector_quality()
    assert stored["detector_sha256"] == load_detector().sha256
    by = stored["by_subset"]
    assert by["summarization"]["balanced_accuracy"] >= 0.70 and not by["summarization"]["below_target"]
    # dialogue 0.62 (v3; 0.60 in v2, 0.53 in v1): flagged, not hidden
    assert by["dialogue"]["below_target"] and stored["below_target"] == ["dialogue"]
    assert 0.57 <= by["dialogue"]["balanced_accuracy"] < 0.70 and by["dialogue"]["auroc"] >= 0.62
    assert stored["subset"] == "dialogue" and stored["balanced_accuracy"] == by["dialogue"]["balanced_accuracy"]
    for q in by.values():  # length alone no longer tells them apart
        assert 0.4 < q["length_only_baseline"]["balanced_accuracy"] < 0.6
        assert q["balanced_accuracy_ci"][0] <= q["balanced_accuracy"] <= q["balanced_accuracy_ci"][1]


def test_shipped_coefficients_are_plain_json_with_their_features():
    spec = json.loads(DETECTOR_FILE.read_text())
    assert spec["version"] == "groundedness-lr-3" and spec["interaction"] == "context_scale+dialogue"
    assert len(spec["coef"]) == 3 * len(spec["features"]) + 2  # features, x context scale, x dialogue; the two
    assert spec["embedding"] is False and 0 < spec["threshold"] < 1
    assert {"names_with_question", "log_names_unsupported", "log_used_new"} <= set(spec["features"])
    # C and threshold were chosen by item-grouped cross-validation on the tune half, whose figures it keeps
    assert set(spec["cv_balanced_accuracy"]) == {"qa", "dialogue", "summarization"}


def test_builtin_halueval_qa_gives_knowledge_as_context():
    task = TaskConfig(name="hq", type="generate", dataset={"builtin": "halueval-qa"}, prompt="{question}",
                      context="knowledge")
    td = load_task_data(task)
    assert len(td.frame) == 418 and td.frame["context"].str.len().min() > 0
    first = td.frame.iloc[0]
    assert first["reference"] and first["reference"] in {r["right_answer"] for r in rows("qa")}
    with pytest.raises(Exception, match="context names column 'passage'"):
        load_task_data(TaskConfig(name="hq", type="generate", dataset={"builtin": "halueval-qa"},
                                  prompt="{question}", context="passage"))


def test_second_independent_source_is_measured_and_stored():
    from audits.grounding import faithgate

    data = faithgate.rows()
    assert len(data) == 100 and sum(r["hallucinated"] for r in data) == 52
    assert all(r["hallucinated"] == 1 - r["label"] and r["context"].strip() for r in data)
    assert (faithgate.DATA_FILE.parent / "LICENCE-FaithGate.txt").read_text().count("MIT License") == 1
    verdicts = load_detector().score([r["answer"] for r in data], [r["context"] for r in data],
                                     [r["question"] for r in data])
    y = np.array([r["hallucinated"] for r in data])
    score = np.array([v.score if v.score is not None else 0.0 for v in verdicts])
    pred = np.array([1 if v.hallucination == 1.0 else 0 for v in verdicts])
    q = detection_quality(y, score, pred, seed=0)
    stored = detector_quality()["second_set"]
    assert stored["balanced_accuracy"] == q["balanced_accuracy"] and stored["auroc"] == q["auroc"] and stored["n"] == 100
    # measured, not tuned on: 0.66 (0.56-0.75), above chance on its lower bound, below the HaluEval QA figure
    assert 0.5 < q["balanced_accuracy_ci"][0] and q["balanced_accuracy"] < 0.8 and q["auroc_ci"][0] > 0.55
    assert set(stored["by_category"]) == {"clean", "cross-chunk", "partial-context", "plausible-unsupported"}
