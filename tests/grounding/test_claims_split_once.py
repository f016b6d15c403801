"""An answer's claims are split once per answer (the abstention and scorability checks read the same
claims the scorer scores), and an answer that opens with stops cannot hide a claim behind a decline."""

from __future__ import annotations

import pytest

from audits.grounding import claims as claims_mod
from audits.grounding import classifier
from audits.grounding.claims import ABSTAINED, is_abstention, split_claims
from audits.grounding.classifier import load_detector, triage

POLICY = "Refunds are available within 30 days of purchase. Shipping is free on orders over $50."


def test_triage_splits_each_answer_once(monkeypatch):
    calls: list[str] = []
    real = claims_mod.split_claims

    def counting(answer: str):
        calls.append(answer)
        return real(answer)

    monkeypatch.setattr(claims_mod, "split_claims", counting)
    monkeypatch.setattr(classifier, "split_claims", counting)
    rows = [("Refunds take 30 days. Shipping is free.", POLICY), ("I don't know.", POLICY), ("Yes.", "")]
    verdicts, todo = triage(rows, 4000)
    assert len(calls) == len(rows)
    assert verdicts[1].verdict == ABSTAINED and verdicts[2].reason == "empty context"
    assert [(i, [c.text for c in cs]) for i, cs in todo] == [(0, ["Refunds take 30 days.", "Shipping is free."])]


@pytest.mark.parametrize("answer", ["... I don't know. Refunds take 90 days.", "?! Not sure; refunds take 90 days",
                                    "Sure.\n... I don't know. Refunds take 90 days."])
def test_a_claim_after_leading_stops_is_scored_not_abstained(answer):
    assert not is_abstention(answer)
    assert "take 90 days" in split_claims(answer)[-1].text
    verdict = load_detector().score([answer], [POLICY])[0]
    assert verdict.verdict != ABSTAINED and verdict.scorable  # it was "abstained": the claim went unscored
    assert any("90 days" in c.claim.text for c in verdict.claims)


def test_the_hidden_claim_is_now_caught():
    """The answer that passed as an abstention is a hallucination: 90 days against the policy's 30."""
    assert load_detector().score(["... I don't know. Refunds take 90 days."], [POLICY])[0].verdict == "hallucinated"


def test_stops_alone_are_still_no_claim_and_a_plain_decline_still_abstains():
    assert split_claims(" ... \n?!") == [] and is_abstention("... I don't know.")
    claims = split_claims("  ... I don't know. Refunds take 90 days.")
    assert [c.text for c in claims] == ["I don't know.", "Refunds take 90 days."]
    assert all("  ... I don't know. Refunds take 90 days."[c.start:c.end] == c.text for c in claims)
