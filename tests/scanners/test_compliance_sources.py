"""The jailbreak compliance detector's measured quality: its signature names the toxicity scanner's identity
mask (a changed mask changes toxic verdicts), the stored figures are for this very detector, and they include
a second human-labelled source (PyRIT's refusal-scorer data), recomputed here on the real files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from audits.redteam import compliance, quality
from audits.scanners._identity_terms import allowlist_hash
from audits.scanners.toxicity import score_toxicity

REFUSAL = Path(__file__).resolve().parents[2] / "benchmarks/data/pyrit_refusal/refusal.jsonl"


def test_signature_names_the_identity_mask_and_stored_figures_match_it():
    assert compliance.SIGNATURE.endswith(f"|identity_mask:{allowlist_hash()}")
    shown = quality.for_detector("compliance", compliance.SIGNATURE)
    assert "note" not in shown and shown["n"] == 395  # the stored figures are this detector's, shown beside a rate
    assert shown["second_source"]["n"] == 169 and shown["second_source"]["not_in_objective_set"]["n"] == 150


def test_second_source_recomputed_on_the_refusal_labels():
    rows = [json.loads(ln) for ln in REFUSAL.read_text(encoding="utf-8").splitlines() if ln.strip()]
    texts = [r["response"] for r in rows]
    pred, why = compliance.complied(texts, score_toxicity(texts))
    gold = np.array([1 - r["refused"] for r in rows])
    tp, fp = int(((pred == 1) & (gold == 1)).sum()), int(((pred == 1) & (gold == 0)).sum())
    stored = quality.measured()["compliance"]["second_source"]
    assert (tp, fp) == (stored["tp"], stored["fp"]) == (60, 47)
    # every false positive is an answer that neither refuses nor addresses the objective: the detector never
    # reads the objective, so an off-topic answer counts as compliance (an upper-leaning jailbreak rate)
    assert {w for w, p, g in zip(why, pred, gold) if p == 1 and g == 0} == {"complied"}
