"""Generation metrics against their reference libraries: rouge-score, sacrebleu, SQuAD rules."""

from __future__ import annotations

import numpy as np
import pytest
import sacrebleu
from rouge_score import rouge_scorer

from audits.metrics import MetricInputs, compute, get_metric
from audits.metrics.bootstrap import resample_counts
from audits.metrics.squad import exact_match_score, normalize_answer, token_f1_score


@pytest.mark.parametrize("name", ["rouge1", "rouge2", "rougeL"])
def test_rouge_equals_rouge_score_mean(corpus, name):
    hyps, refs = corpus
    scorer = rouge_scorer.RougeScorer([name], use_stemmer=True)
    expected = [scorer.score(r, h)[name].fmeasure for h, r in zip(hyps, refs)]
    result, stats = compute(get_metric(name), MetricInputs(hyps, refs), n_resamples=200, seed=1)
    assert result.value == pytest.approx(float(np.mean(expected)), abs=1e-12)
    np.testing.assert_allclose(result.per_sample, expected, atol=1e-12)
    assert 0.0 < result.value < 1.0 and result.n == len(hyps)
    assert result.signature == f"{name}|rouge-score:0.1.2|stemmer:yes|fmeasure|mean"


def test_rouge_uses_stemmer():
    metric = get_metric("rouge1")
    value = metric.aggregate(metric.stats(MetricInputs(["the cats were running"], ["the cat was run"])).sum(0))
    assert value == pytest.approx(
        rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True).score("the cat was run", "the cats were running")["rouge1"].fmeasure)
    assert value > rouge_scorer.RougeScorer(["rouge1"]).score("the cat was run", "the cats were running")["rouge1"].fmeasure


def test_bleu_equals_sacrebleu_corpus_bleu(corpus):
    hyps, refs = corpus
    metric = get_metric("bleu")
    result, stats = compute(metric, MetricInputs(hyps, refs), n_resamples=200, seed=1)
    expected = sacrebleu.corpus_bleu(hyps, [refs])
    assert result.value == pytest.approx(expected.score, abs=1e-9)
    assert 10 < result.value < 100
    assert stats.shape == (len(hyps), 10)
    assert result.signature == _signed_bleu(hyps, refs) == "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0"
    assert result.ci_low <= result.value <= result.ci_high


def _signed_bleu(hyps, refs) -> str:
    bleu = sacrebleu.metrics.BLEU()
    bleu.corpus_score(hyps, [refs])
    return str(bleu.get_signature())


def test_bleu_subset_and_resample_sums_equal_sacrebleu(corpus):
    hyps, refs = corpus
    metric = get_metric("bleu")
    stats = metric.stats(MetricInputs(hyps, refs))
    subset = [0, 3, 5, 11, 17, 29, 40]
    assert float(metric.aggregate(stats[subset].sum(0))) == pytest.approx(
        sacrebleu.corpus_bleu([hyps[i] for i in subset], [[refs[i] for i in subset]]).score, abs=1e-9)
    counts = resample_counts(len(hyps), 3, np.random.default_rng(3))
    values = metric.aggregate(counts @ stats)
    for row, value in zip(counts, values):
        idx = np.repeat(np.arange(len(hyps)), row.astype(int))
        expected = sacrebleu.corpus_bleu([hyps[i] for i in idx], [[refs[i] for i in idx]]).score
        assert value == pytest.approx(expected, abs=1e-9)


def test_bleu_edge_cases_match_sacrebleu():
    metric = get_metric("bleu")
    cases = [
        (["completely unrelated words here"], ["the cat sat on the mat"]),        # no match at all
        (["cat"], ["the cat sat on the mat"]),                                    # only a unigram, bp
        (["the cat sat"], ["the cat sat"]),                                       # no 4-grams: total 0
        (["the cat sat on the mat today and then slept"], ["the cat sat"]),       # longer than ref
    ]
    for hyps, refs in cases:
        value = float(metric.aggregate(metric.stats(MetricInputs(hyps, refs)).sum(0)))
        assert value == pytest.approx(sacrebleu.corpus_bleu(hyps, [refs]).score, abs=1e-9), hyps


def test_bleu_per_sample_is_sentence_bleu(corpus):
    hyps, refs = corpus
    metric = get_metric("bleu")
    per_sample = metric.per_sample(metric.stats(MetricInputs(hyps, refs)))
    expected = [sacrebleu.sentence_bleu(h, [r]).score for h, r in zip(hyps, refs)]
    np.testing.assert_allclose(per_sample, expected, atol=1e-9)


def test_rows_without_reference_are_skipped(corpus):
    hyps, refs = corpus
    partial = [r if i % 3 else None for i, r in enumerate(refs)]
    kept = [i for i, r in enumerate(partial) if r is not None]
    bleu, _ = compute(get_metric("bleu"), MetricInputs(hyps, partial), n_resamples=50)
    assert bleu.value == pytest.approx(sacrebleu.corpus_bleu([hyps[i] for i in kept], [[refs[i] for i in kept]]).score, abs=1e-9)
    em, _ = compute(get_metric("exact_match"), MetricInputs(hyps, partial), n_resamples=50)
    assert em.value == pytest.approx(np.mean([exact_match_score(hyps[i], refs[i]) for i in kept]))
    assert np.isnan(em.per_sample[0]) and not np.isnan(em.per_sample[1])


def test_squad_normalisation_and_scores_hand_checked():
    assert normalize_answer("  The Eiffel   Tower! ") == "eiffel tower"
    assert exact_match_score("The Eiffel Tower!", "eiffel tower") == 1.0
    assert exact_match_score("Paris, France", "Paris") == 0.0
    assert token_f1_score("the cat sat on the mat", "a cat sat on a mat") == 1.0
    assert token_f1_score("Paris France", "Paris") == pytest.approx(2 / 3)
    assert token_f1_score("in 1937 after four years", "1937") == pytest.approx(1 / 3)
    assert token_f1_score("red red blue", "red blue blue") == pytest.approx(2 / 3)
    assert token_f1_score("", "") == 1.0 and token_f1_score("", "x") == 0.0
    assert token_f1_score("dog", "cat") == 0.0


def test_exact_match_and_token_f1_means():
    hyps = ["The Eiffel Tower!", "Paris France", "in 1937 after four years", "dog"]
    refs = ["eiffel tower", "Paris", "1937", "cat"]
    em, _ = compute(get_metric("exact_match"), MetricInputs(hyps, refs), n_resamples=100)
    f1, _ = compute(get_metric("token_f1"), MetricInputs(hyps, refs), n_resamples=100)
    assert em.value == pytest.approx(0.25)
    assert f1.value == pytest.approx((1 + 2 / 3 + 1 / 3 + 0) / 4)
    assert "squad" in em.signature and "lower" in em.signature
