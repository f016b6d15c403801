"""Fifth adversarial round on issue 19: an attacker who can write the catalog file and the bundle
folder but does not hold the signing key, and personal data that must not stay raw at rest."""

from __future__ import annotations

import pandas as pd

from audits.trust.notes import public_kept
from audits.trust.redact import Redactor, redact_samples, stands_in

_PUBLIC = "Mary Jonesboro wrote from mary.jane.roe@example.org. Karen and Steven sat the test. Who is good at math?"


def test_a_value_that_is_only_a_substring_of_public_text_is_redacted_at_rest():
    """A public benchmark row keeps the values that stand in its text as whole words (Karen), but an
    e-mail that is only the tail of one in the prompt, or a name that is only the start of a longer
    word, is someone else's: substring containment kept both raw in samples.parquet."""
    frame = pd.DataFrame({"task": ["bbq"], "sample_id": ["1"], "input": [_PUBLIC], "reference": ["Karen"],
                          "prediction": ["Karen. Write to jane.roe@example.org or ry.jane.roe@example.org"]})
    out = redact_samples(frame, Redactor(patterns_only=True), ("input", "prediction", "reference"), {"bbq"})
    assert out["input"][0] == _PUBLIC and out["reference"][0] == "Karen"
    assert out["prediction"][0] == "Karen. Write to <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_2>"
    assert "jane.roe" not in out["prediction"][0]


def test_one_whole_word_rule_for_redaction_at_rest_and_reviewer_text():
    assert stands_in("Karen", _PUBLIC) and stands_in("MARY.JANE.ROE@example.org", _PUBLIC)
    assert not stands_in("Mary Jones", _PUBLIC) and not stands_in("jane.roe@example.org", _PUBLIC)
    assert not stands_in("ary", _PUBLIC) and not stands_in("", _PUBLIC)
    note = "Mary Jones, not Karen; jane.roe@example.org"
    spans = [(0, 10, "PERSON"), (16, 21, "PERSON"), (23, 43, "EMAIL_ADDRESS")]
    assert public_kept(note, spans, _PUBLIC) == [(0, 10, "PERSON"), (23, 43, "EMAIL_ADDRESS")]
