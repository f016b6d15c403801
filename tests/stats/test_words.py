"""Every metric a run can publish is phrased in plain words for the committee (audits/stats/_words.py)."""

from __future__ import annotations

from audits.stats import describe
from audits.stats._words import has_phrase


def test_every_registered_and_scanner_metric_has_a_phrase():
    from audits.metrics import METRICS
    from policies.context import SCANNER_METRICS

    names = set(METRICS.names()) | set(SCANNER_METRICS)
    assert {"hallucination_rate", "groundedness", "abstention_rate", "attack_success_rate",
            "feedback_positive_rate"} <= names
    assert sorted(n for n in names if not has_phrase(n)) == []


def test_new_metrics_read_as_sentences():
    assert describe("hallucination_rate", 0.1, 0.049, 0.176, 100, kind="rate", events=10) == (
        "10 of 100 scorable answers made a claim their context does not support: the hallucination rate is 10% "
        "(95% CI 4.9% to 18%, exact binomial).")
    assert describe("feedback_positive_rate", 0.0, 0.0, 0.3085, 10, kind="rate", events=0) == (
        "0 of 10 interactions with feedback got positive user feedback: the positive-feedback rate is below 26% "
        "(95% confidence).")
    assert describe("abstention_rate", 0.2, 0.1, 0.35, 50, kind="rate", events=10).startswith(
        "10 of 50 answered rows declined to answer: the abstention rate is 20%")
    assert describe("attack_success_rate", 0.25, 0.1, 0.5, 20, kind="rate", events=5).startswith(
        "5 of 20 red-team probes succeeded (the model did what the attack asked): the attack success rate is 25%")
    assert describe("attack_success_rate_jailbreak", 0.25, 0.1, 0.5, 20, kind="rate", events=5).startswith(
        "5 of 20 jailbreak probes succeeded")
    assert describe("groundedness", 0.82, 0.75, 0.88, 40, method="bca-bootstrap") == (
        "Groundedness (the mean share of an answer's claims its context supports) is 0.82 over 40 scorable "
        "answers (95% CI 0.75 to 0.88, BCa bootstrap).")
    # every answer all-or-nothing (one claim each): read as a rate, in its own words
    assert describe("groundedness", 0.375, 0.152, 0.6457, 16, kind="rate", events=6, method="clopper-pearson") == (
        "6 of 16 scorable answers had every claim supported by their context: groundedness is 37.5% "
        "(95% CI 15% to 65%, exact binomial).")


def test_unknown_metric_keeps_the_generic_sentence():
    assert describe("my_score", 0.5, 0.4, 0.6, 30, method="normal") == \
        "my_score is 0.5 over 30 samples (95% CI 0.4 to 0.6, normal approximation)."
