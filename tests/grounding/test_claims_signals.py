"""Claim splitting, abstention/language checks and the signals, on real text with the real spaCy model."""

import pytest

from audits.grounding.claims import is_abstention, is_english, split_claims, unscorable_reason
from audits.grounding.signals import Source, feature_rows

POLICY = ("Refunds are available within 30 days of purchase. Items bought in France cannot be returned. "
          "Shipping is free on orders over $50. Contact support at the Dublin office.")


def test_claims_are_sentences_and_clauses_with_offsets():
    answer = "Refunds take 30 days. You can return items; shipping is free!\n- Call Dublin."
    claims = split_claims(answer)
    assert [c.text for c in claims] == ["Refunds take 30 days.", "You can return items;", "shipping is free!",
                                        "- Call Dublin."]
    assert all(answer[c.start:c.end] == c.text for c in claims)
    assert split_claims("") == [] and split_claims(" ... \n") == []


@pytest.mark.parametrize("answer", ["I don't know.", "I do not know the answer.", "Not sure.",
                                    "The policy does not mention that.", "I cannot answer that from the policy."])
def test_declining_answers_are_abstentions(answer):
    assert is_abstention(answer)


def test_an_answer_is_not_an_abstention():
    assert not is_abstention("Refunds are available within 30 days.")
    assert not is_abstention("")


def test_language_check():
    assert is_english("Refunds are available within thirty days.")
    assert is_english("Arthur's Magazine")  # short names: benefit of the doubt
    assert not is_english("La politique de remboursement est de trente jours.")
    assert not is_english("Der Kunde kann die Ware innerhalb von 30 Tagen zurückgeben.")
    assert not is_english("退款期限为三十天，请联系客服。")


def test_unscorable_reasons():
    assert unscorable_reason("Yes.", "", 1000) == "empty context"
    assert unscorable_reason("Yes.", "x" * 2000, 1000) == "context over 1000 characters"
    assert unscorable_reason("  ", POLICY, 1000) == "empty answer"
    assert unscorable_reason("Refunds take 30 days.", POLICY, 1000) is None


def _features(answer: str, embedding: bool = False):
    source = Source.build(POLICY, "What is the refund window?")
    [[(feats, nearest)]] = feature_rows([split_claims(answer)], [source], embedding)
    return feats, POLICY[slice(*source.spans[nearest])]


def test_supported_claim_scores_full_support_and_finds_its_sentence():
    feats, span = _features("Refunds are available within 30 days.")
    assert feats["lexical"] == 1.0 and feats["number"] == 1.0 and feats["quantity"] == 1.0
    assert feats["novel_share"] == 0.0 and feats["negation_mismatch"] == 0.0
    assert span.startswith("Refunds are available within 30 days")


def test_wrong_number_is_caught_at_number_level():
    feats, span = _features("Refunds are available within 60 days.")
    assert feats["number"] == 0.0 and feats["quantity"] == 0.0 and feats["has_number"] == 1.0
    assert span.startswith("Refunds")


def test_flipped_negation_is_a_mismatch_with_the_nearest_sentence():
    feats, span = _features("Items bought in France can be returned.")
    assert feats["negation_mismatch"] == 1.0 and "France cannot" in span


def test_invented_entities_are_unsupported():
    feats, _ = _features("Refunds are handled by Amazon in Germany.")
    assert feats["entity"] < 1.0 and feats["novel_entities"] > 0 and feats["has_entity"] == 1.0
    assert feats["novel_share"] > 0.3


def test_embedding_alignment_uses_minilm():
    feats, span = _features("You get your money back within a month of buying.", embedding=True)
    assert 0.4 < feats["embedding"] <= 1.0 and span.startswith("Refunds")
