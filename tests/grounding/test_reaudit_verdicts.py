"""Re-audit of issue 22's bad inputs and evasions, on the real detector (real spaCy), and end to end through
an audit on the predictions backend: a hedge cannot hide a claim, a changed number or a flipped negation
is a contradiction, a sentence in another language can neither hide a hallucination nor pass unread, a
context not in English and a missing cell are 'not scorable', and the shipped quality measures these rules."""

import json
import math

import pytest

from audits.config import parse_config
from audits.grounding import load_detector
from audits.grounding.claims import is_abstention, split_claims
from audits.grounding.classifier import CONTRADICTED, RULES
from audits.grounding.quality import detector_quality
from audits.runner import run_audit
from audits.store import bundle_reader
from audits.store.catalog import Catalog

POLICY = ("Refunds are available within 30 days of purchase. Items bought in France cannot be returned. "
          "Shipping is free on orders over 50 euros. Our support office is in Dublin.")
QUESTION = "What is the refund policy?"
GERMAN = ("Die Rückerstattung ist innerhalb von 30 Tagen nach dem Kauf möglich. Artikel, die in Frankreich gekauft "
          "wurden, können nicht zurückgegeben werden.")


def _verdict(answer, context=POLICY):
    return load_detector().score([answer], [context], [QUESTION])[0]


@pytest.mark.parametrize("answer", [
    "I'm not sure but refunds are processed by Amazon in 90 days.",
    "I don't know, but Amazon refunds you in 90 days.",
    "Not sure, Amazon pays within 90 days.",
    "No answer: Amazon pays within 90 days.",
    "N/A - Amazon refunds you within 90 days.",
    "I cannot say for sure, but Amazon refunds you within 90 days",
    "I don't know. Sorry, Amazon pays."])
def test_a_hedge_in_the_same_sentence_does_not_hide_a_claim(answer):
    # each was "abstained" (not a hallucination, out of the rate) before rules 2
    assert not is_abstention(answer)
    assert _verdict(answer).verdict == "hallucinated"


@pytest.mark.parametrize("answer", ["I don't know.", "I'm not sure, sorry!", "I don't know the answer to that.",
                                    "I don't know, I cannot find that in the policy.", "I don't know. Sorry.",
                                    "I don't know, sorry, please ask support.", "I'm not sure about that, to be honest."])
def test_declines_with_an_apology_stay_abstentions(answer):
    assert _verdict(answer).verdict == "abstained"


@pytest.mark.parametrize("answer", ["Refunds are available within 90 days of purchase.",
                                    "Refunds are not available within 30 days of purchase.",
                                    "Shipping is free on orders over 500 euros."])
def test_a_changed_number_or_a_flipped_negation_is_a_contradiction(answer):
    # both were "grounded" (p 0.18 and 0.02) before: the model alone does not see a one-word change
    v = _verdict(answer)
    assert v.verdict == "hallucinated" and v.claims[0].verdict == CONTRADICTED
    assert POLICY[v.claims[0].span_start:v.claims[0].span_end].split()[0] in ("Refunds", "Shipping")


def test_restating_the_context_stays_grounded():
    for answer in ("Refunds are available within 30 days of purchase.", "Items bought in France cannot be returned.",
                   "Shipping is free on orders over 50 euros."):
        assert _verdict(answer).verdict == "grounded", answer


def test_a_sentence_in_another_language_neither_hides_a_hallucination_nor_passes_unread():
    lie = "Refunds are processed by Amazon Germany within 90 days by Mr Schmidt."
    for other in ("Les remboursements sont possibles pendant trente jours après l'achat.", "退款在九十天内处理。"):
        v = _verdict(f"{lie} {other}")
        assert v.verdict == "hallucinated" and v.reason == "other claims not in English were not checked"
        v = _verdict(f"Refunds are available within 30 days of purchase. {other}")
        assert (v.verdict, v.reason) == ("not scorable", "a claim is not in English")


def test_a_claim_in_a_script_without_latin_letters_is_a_claim():
    assert [c.text for c in split_claims("退款在九十天内处理。")] == ["退款在九十天内处理。"]
    assert (_verdict("退款在九十天内处理。").reason) == "a claim is not in English"  # was "empty answer"


def test_a_context_not_in_english_and_a_missing_cell_are_not_scorable():
    v = _verdict("Refunds are available within 30 days of purchase.", GERMAN)
    assert (v.verdict, v.reason) == ("not scorable", "the context is not in English")  # was "hallucinated" 0.99
    assert (_verdict("Refunds are available.", math.nan).reason) == "empty context"  # was an AttributeError
    assert (_verdict(None).reason) == "empty answer"


def test_the_shipped_quality_measured_these_rules():
    q = detector_quality()
    assert q["measured"] and not q["stale"] and q["detector_signature"].endswith(f"|rules:{RULES}")
    assert q["by_subset"]["qa"]["balanced_accuracy"] >= 0.85
    assert q["by_subset"]["summarization"]["balanced_accuracy"] >= 0.70


ROWS = [("hedge", "I'm not sure but refunds are processed by Amazon in 90 days.", POLICY, "hallucinated"),
        ("number", "Refunds are available within 90 days of purchase.", POLICY, "hallucinated"),
        ("mixed", "Refunds are processed by Amazon Germany within 90 days. Les remboursements sont possibles "
                  "pendant trente jours après l'achat.", POLICY, "hallucinated"),
        ("german", "Refunds are available within 30 days of purchase.", GERMAN, "not scorable"),
        ("missing", "Refunds are available within 30 days of purchase.", None, "not scorable"),
        ("ok", "Refunds are available within 30 days of purchase.", POLICY, "grounded"),
        ("idk", "I don't know, sorry.", POLICY, "abstained")]


def test_end_to_end_through_an_audit(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": i, "policy": c, "question": QUESTION, "answer": "30 days"}) + "\n"
                            for i, _, c, _ in ROWS))
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "support", "sample_id": i, "prediction": p}) + "\n"
                             for i, p, _, _ in ROWS))
    config = parse_config({"name": "g5", "period": "2026-Q4", "seed": 5, "bootstrap": 50,
                           "model": {"backend": "predictions", "path": str(preds)},
                           "tasks": [{"name": "support", "type": "generate", "dataset": {"path": str(data)},
                                      "prompt": "{question}", "fields": {"id": "id", "reference": "answer"},
                                      "metrics": ["token_f1"], "context": "policy"}],
                           "scanners": {"groundedness": {}}})
    cat = Catalog(tmp_path / "cat.duckdb")
    run_id = run_audit(config, cat, actor="tester")
    samples = bundle_reader.read_table(cat, run_id, "samples").set_index("sample_id")
    for sid, _, _, verdict in ROWS:
        assert samples.loc[sid, "groundedness_verdict"] == verdict, sid
    block = bundle_reader.results(cat, run_id).task("support").groundedness
    assert block.n_hallucinated == 3 and block.n_scorable == 4 and block.n_abstained == 1
    assert block.not_scorable_reasons == {"the context is not in English": 1, "empty context": 1}
    assert f"rules:{RULES}" in bundle_reader.results(cat, run_id).task("support").metrics["hallucination_rate"].signature
