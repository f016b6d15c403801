"""Every metric Assay reports agrees with the field's reference on the same inputs (benchmarks/bench_validity.py):
the official SQuAD scripts, rouge_score, sacrebleu, Parrish et al.'s BBQ formula, Tamkin et al.'s fixed effects,
scikit-learn and fairlearn. Where the two are meant to differ, the test pins the difference and its reason."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_validity", ROOT / "benchmarks" / "bench_validity.py")
bv = importlib.util.module_from_spec(_spec)
sys.modules["bench_validity"] = bv
_spec.loader.exec_module(bv)

TOL = 1e-9


@pytest.fixture(scope="module")
def pairs():
    return bv.text_pairs()


def _by_reference(rows, reference: str):
    return next(r for r in rows if r.reference.startswith(reference))


def test_squad_scores_equal_the_official_scripts(pairs):
    rows = bv.squad_rows(*pairs)
    assert _by_reference(rows, "SQuAD v1.1 exact_match").max_abs_delta == 0.0
    assert _by_reference(rows, "SQuAD v2.0 compute_f1").max_abs_delta == 0.0
    v11 = _by_reference(rows, "SQuAD v1.1 f1_score")
    assert v11.max_abs_delta == 0.0  # on every row but those that normalise to nothing on both sides
    assert v11.agree == f"{v11.n - 3}/{v11.n}"


def test_token_f1_takes_the_v2_rule_for_two_empty_answers():
    from audits.metrics.squad import token_f1_score

    for pred, ref in [("", ""), ("the", "a"), ("!?", "An")]:
        assert token_f1_score(pred, ref) == 1.0 == bv.squad_v2_f1(ref, pred)
        assert bv.squad_v11_f1(pred, ref) == 0  # v1.1: no common token, 0
    assert token_f1_score("", "30 days") == 0.0 == bv.squad_v11_f1("", "30 days")


def test_rouge_equals_rouge_score_with_the_stemmer(pairs):
    rows = bv.rouge_rows(*pairs)
    assert [r.metric for r in rows] == ["rouge1", "rouge2", "rougeL"]
    assert all(r.max_abs_delta <= TOL for r in rows)


def test_bleu_equals_sacrebleu_corpus_resamples_and_sentences(pairs):
    corpus, resampled, sentences = bv.bleu_rows(*pairs, resamples=8)
    assert corpus.max_abs_delta <= TOL and "tok:13a" in corpus.reference
    assert resampled.max_abs_delta <= TOL
    assert sentences.max_abs_delta <= TOL
    assert sentences.n == len(pairs[0]) - 1  # the one empty answer with an empty reference is unscored


def test_bbq_scores_equal_the_paper_by_hand_and_on_bbq():
    rows = bv.bbq_rows(seed=0)
    assert all(r.max_abs_delta <= 1e-12 for r in rows)
    assert {r.n for r in rows[2:]} == {2828}  # 2,836 per condition less 8 untargeted items each


def test_bbq_leaves_items_without_a_bias_target_out():
    from audits.metrics import get_metric
    from audits.metrics.decision import SampleInputs

    cols = {"context_condition": ["disambig"] * 3, "bbq_biased": ["B", "B", ""], "bbq_unknown": ["U"] * 3}
    m = get_metric("bbq_bias_disambig")
    stats = m.stats(SampleInputs(["B", "O", "O"], labels=["B", "B", "O"], columns=cols))
    assert m.scored(stats).tolist() == [True, True, False]
    assert float(m.aggregate(stats.sum(axis=0))) == pytest.approx(0.0)  # 1 biased of 2 answers


def test_discrimination_is_the_fixed_effect_on_a_balanced_design():
    rows = {r.metric + "|" + r.reference: r for r in bv.discrim_rows(seed=0, reps=5)}
    hand = [r for k, r in rows.items() if "hand-computed" in k]
    assert len(hand) == 2 and all(r.max_abs_delta <= 1e-12 for r in hand)
    full = rows["discrimination vs baseline (race 4, gender 2)|per-question fixed-effects least squares"]
    assert full.n == 9450 and full.max_abs_delta <= TOL
    assert rows["discrimination value (race, max - min)|max - min of {0, race coefficients}"].max_abs_delta <= TOL
    # an unbalanced subset (the demo's 300 rows): Assay fits one effect per question with the other attributes
    # held fixed (age binned, as the demo), so it stays within 0.03 of the joint fit (age continuous); plain
    # group means, as Assay computed before, were 0.07+ away and 3x the error against the true effects
    subset = rows["discrimination vs baseline, 300-row subset|per-question fixed-effects least squares"]
    assert subset.max_abs_delta <= 0.03
    study = next(r for k, r in rows.items() if "random 300-row subsets" in k)
    scan, plain = (float(study.note.split(label)[1].split()[0].rstrip(",;")) for label in
                   ("Assay's scan ", "(Assay before 2026-12-06) "))
    assert scan <= 0.12 and plain >= 2 * scan, study.note


def test_discrimination_equals_the_harness_mixed_model():
    pytest.importorskip("statsmodels")
    frame = bv._builtin("discrim-eval")
    y = bv.discrim_logits(frame, 0)
    mixed = bv.discrim_mixedlm(frame, y)
    mine = bv.assay_discrimination(frame, y)
    based = {**bv.vs_baseline(mine["race"], "white"), **bv.vs_baseline(mine["gender"], "male")}
    assert max(abs(based[g] - mixed[g]) for g in mixed) <= 1e-6


def test_accuracy_and_macro_scores_equal_scikit_learn():
    rows = bv.classification_rows(seed=0)
    assert [r.metric for r in rows] == ["accuracy", "precision", "recall", "f1", "f1 (two choices)"]
    assert all(r.max_abs_delta <= 1e-12 for r in rows)


def test_fairness_by_group_and_gaps_equal_fairlearn():
    rows = bv.fairness_rows(seed=0)
    assert len(rows) == 4
    assert all(r.max_abs_delta <= TOL for r in rows)
