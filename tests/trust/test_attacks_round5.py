"""Fifth adversarial round on issue 19: an attacker who can write the catalog file and the bundle
folder but does not hold the signing key, and personal data that must not stay raw at rest."""

from __future__ import annotations

import pandas as pd

from audits.trust.notes import public_kept
from audits.trust.redact import Redactor, redact_samples, stands_in
from tests.trust.conftest import problems, raw

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


def test_a_duplicate_run_row_read_before_the_genuine_one_is_caught(catalog):
    """The runs table rebuilt without its primary key, a forged copy of a run first: verify kept one row
    per id (the genuine one, read last) and passed while `assay runs` listed the forged audit name."""
    with raw(catalog) as con:
        con.execute("CREATE TABLE runs2 AS SELECT * REPLACE ('FAKE-AUDIT' AS audit) FROM runs WHERE run_id = 'r1'")
        con.execute("INSERT INTO runs2 SELECT * FROM runs")
        con.execute("DROP TABLE runs")
        con.execute("ALTER TABLE runs2 RENAME TO runs")
    found = problems(catalog)
    assert "run r1: 2 rows of the runs table carry this id (inserted outside Assay; readers may show any of them)" in found
    assert "run r1: runs.audit is 'FAKE-AUDIT' but the audit log says 'unit'" in found
