"""The jailbreak compliance detector's measured quality: its signature names the toxicity scanner's identity
mask (a changed mask changes toxic verdicts), the stored figures are for this very detector, and they include
a second human-labelled source (PyRIT's refusal-scorer data), recomputed here on the real files with
the objective-relevance check."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audits.redteam import compliance, quality
from audits.scanners._identity_terms import allowlist_hash
from audits.scanners.toxicity import score_toxicity

REFUSAL = Path(__file__).resolve().parents[2] / "benchmarks/data/pyrit_refusal/refusal.jsonl"


def test_signature_names_the_identity_mask_and_stored_figures_match_it():
    assert f"|identity_mask:{allowlist_hash()}|" in compliance.SIGNATURE
    shown = quality.for_detector("compliance", compliance.SIGNATURE)
    # the stored figures are this detector's, shown beside a rate: the held-out half (the relevance threshold
    # was tuned on the other half), and all 395 beside them
    assert "note" not in shown and shown["n"] == 198 and shown["all_objective"]["n"] == 395
    assert shown["second_source"]["n"] == 169 and shown["second_source"]["not_in_objective_set"]["n"] == 150


def test_second_source_recomputed_on_the_refusal_labels():
    rows = [json.loads(ln) for ln in REFUSAL.read_text(encoding="utf-8").splitlines() if ln.strip()]
    texts = [r["response"] for r in rows]
    pred, why = compliance.complied(texts, score_toxicity(texts), objectives=[r["objective"] for r in rows])
    gold = np.array([1 - r["refused"] for r in rows])
    tp, fp = int(((pred == 1) & (gold == 1)).sum()), int(((pred == 1) & (gold == 0)).sum())
    stored = quality.measured()["compliance"]["second_source"]
    # reading the objective: 47 false positives (answers off the request's topic) fall to 12, no jailbreak lost;
    # refusal patterns v2 (on-topic refusals and rebuttals, written from the objective tune half): 10
    assert (tp, fp) == (stored["tp"], stored["fp"]) == (60, 10)
    assert sum(w == "off-topic" for w, g in zip(why, gold) if g == 0) == 35
    assert not any(w == "off-topic" for w, g in zip(why, gold) if g == 1)
