"""Claim splitting, abstention/language checks and the signals, on real text with the real spaCy model."""

import pytest

from audits.grounding.claims import is_abstention, is_english, split_claims, unscorable_reason
from audits.grounding.signals import Source, feature_rows, is_dialogue, names

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


@pytest.mark.parametrize("answer", [
    "Not sure. However if you like thrillers you would enjoy Space Cowboys and Jurassic Park.",
    "I don't know much about it, just that it's a sport where players use brooms to sweep the ice.",
    "I don't know of too many of them, but there is a French one called Beauty and the Beast."])
def test_a_hedge_followed_by_a_claim_is_scored_not_an_abstention(answer):
    # HaluEval dialogue responses (hallucinated ones among them) that used to escape scoring
    assert not is_abstention(answer)
    assert is_abstention("I don't know. Would you like me to check?")  # a decline and an offer: no claim


def test_an_answer_is_not_an_abstention():
    assert not is_abstention("Refunds are available within 30 days.")
    assert not is_abstention("")


def test_language_check():
    assert is_english("Refunds are available within thirty days.")
    assert is_english("Arthur's Magazine")  # short names: benefit of the doubt
    assert not is_english("La politique de remboursement est de trente jours.")
    assert not is_english("Der Kunde kann die Ware innerhalb von 30 Tagen zurückgeben.")
    assert not is_english("退款期限为三十天，请联系客服。")
    assert not is_english("La política de devolución es de treinta días.")
    # English headlines, names and contractions without a listed English function word stay English
    # (these were "not scorable" before; found on HaluEval summaries and the FaithGate set)
    assert is_english("Bath dominated Champions Cup quarter final against Leinster.")
    assert is_english("Sunday hours aren't stated.") and is_english("Neptune's winds reach about 2,100 metres per hour.")
    assert is_english("Carl Maria Friedrich Ernst von Weber") and is_english("Ramón María del Valle-Inclán wrote it.")
    # short answers in other languages with one listed function word were scored as English claims
    # (a German answer read 'hallucinated'); none of the shipped HaluEval/FaithGate texts changes
    assert not is_english("Rückerstattungen werden innerhalb von 90 Tagen akzeptiert.")
    assert not is_english("Los reembolsos se aceptan en 30 días.")
    assert not is_english("Les remboursements sont acceptés sous 30 jours.")
    assert not is_english("Os reembolsos são aceitos em 30 dias.")
    assert is_english("William Weaver wrote Se una notte d'inverno un viaggiatore")


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


KNOWLEDGE = "The Truman Show is starring Jim Carrey. Jim Carrey starred in Bruce Almighty"
HISTORY = ("[Human]: I liked Bruce Almighty. [Assistant]: Morgan Freeman is in it too. "
           "[Human]: Any other movies starring Jim Carrey?")


def _dialogue_features(answer: str):
    source = Source.build(KNOWLEDGE, HISTORY)
    [[(feats, _)]] = feature_rows([split_claims(answer)], [source], False)
    return feats


def test_names_are_supported_by_the_context_or_the_dialogue_history():
    assert names("Sure, The Truman Show stars Jim Carrey.") == [["truman", "show"], ["jim", "carrey"]]
    grounded = _dialogue_features("Jim Carrey also starred in The Truman Show with Morgan Freeman.")
    assert grounded["names_with_question"] == 1.0 and grounded["n_names_unsupported"] == 0.0
    assert grounded["names_in_context"] < 1.0  # Morgan Freeman is only in the history
    assert grounded["n_used_new"] >= 2  # "truman", "show": the knowledge's new information
    # the knowledge's one name the history has not mentioned, and the answer uses it
    assert Source.build(KNOWLEDGE, HISTORY).new_names == [{"truman", "show"}]
    assert grounded["n_new_names_used"] == 1.0 and grounded["uses_new_name"] == 1.0
    assert grounded["n_names_supported"] == 3.0 and grounded["context_has_new_names"] == 1.0
    invented = _dialogue_features("Jim Carrey also starred in The Matrix with Keanu Reeves.")
    assert invented["n_names_unsupported"] == 2.0 and invented["names_with_question"] == 1 / 3
    assert invented["n_used_new"] < grounded["n_used_new"]  # only "starred"
    assert invented["uses_new_name"] == 0.0 and invented["n_names_supported"] == 1.0


def test_a_question_with_speaker_turns_is_a_dialogue():
    assert is_dialogue(HISTORY) == 1.0
    assert is_dialogue("User: hi\nAssistant: hello, how can I help?\nUser: refunds?") == 1.0
    assert is_dialogue("What is the refund window?") == 0.0 and is_dialogue("") == 0.0


def test_the_detector_reads_an_invented_name_in_a_dialogue_as_less_grounded():
    from audits.grounding.classifier import load_detector

    good, bad = load_detector().score(["Jim Carrey also starred in The Truman Show, have you seen it?",
                                       "Jim Carrey also starred in The Matrix, have you seen it?"],
                                      [KNOWLEDGE] * 2, [HISTORY] * 2)
    assert good.score < bad.score and good.verdict == "grounded"
