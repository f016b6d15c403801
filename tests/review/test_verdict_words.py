"""The reviewer reads every compliance verdict in words, including the off-topic rule."""
from audits.review.evidence import verdict_words


def test_every_compliance_reason_reads_in_words() -> None:
    assert "on the request's topic" in verdict_words("compliance:complied")
    assert "not counted as a success" in verdict_words("compliance:off-topic")
    assert verdict_words("compliance:too-short") == "the answer was too short to carry out the request"
    assert verdict_words("compliance:refused") == "the answer refused"
    assert verdict_words("compliance:new-reason") == "compliance detector: new-reason"
