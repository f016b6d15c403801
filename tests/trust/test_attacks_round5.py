"""Fifth adversarial round on issue 19: an attacker who can write the catalog file and the bundle
folder but does not hold the signing key, and personal data that must not stay raw at rest."""

from __future__ import annotations

import pandas as pd
import pytest

from audits.errors import AssayError

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


# -- the older copy: a removed user acting on a copy of the catalog taken before the removal -------------

def _older_copy(catalog, tmp_path):
    import shutil

    from audits.store.catalog import Catalog

    old = tmp_path / "old" / "c.duckdb"
    old.parent.mkdir()
    shutil.copy(catalog.path, old)
    shutil.copytree(catalog.runs_dir, old.parent / "c.runs")
    return Catalog(old)


@pytest.mark.parametrize("change", ["deactivated", "password reset"])
def test_a_removed_user_cannot_sign_in_or_sign_off_on_an_older_copy(catalog, tmp_path, change):
    """cleo copies the catalog, is then removed (or her leaked password reset) on the real one, and
    signs off on her copy at another path: the copy's own log still lists her with the old password, and
    the installation key signed the act (verify of the copy passed, and the note about an older copy
    vanished once the copy's log grew past the original's)."""
    from audits.store.queries import policies as policies_q
    from audits.store.queries import users as users_q

    old = _older_copy(catalog, tmp_path)
    if change == "deactivated":
        users_q.deactivate_user(catalog, "cleo", actor="ada")
    else:
        users_q.add_user(catalog, "cleo", "committee", "a-new-password", actor="ada")
    assert users_q.authenticate(old, "cleo", "cleo-password") is None
    with pytest.raises(AssayError) as err:
        policies_q.add_signoff(old, "r1", "cleo", "committee", "reject", "from my copy")
    what = "deactivated" if change == "deactivated" else "changed (role, password or OS login)"
    assert str(err.value).startswith(f"the account 'cleo' was {what} at ")
    assert "in another copy of this catalog, which this file lacks: it is an older copy" in str(err.value)
    assert users_q.authenticate(old, "rita", "rita-password") == {"username": "rita", "role": "reviewer"}
    assert users_q.authenticate(catalog, "carol", "carol-password") is not None   # the real catalog is untouched
    # ... but rita's sign-in was signed into the copy too: the key dir now holds two histories (round 7)
    assert [p[:18] for p in problems(catalog)] == ["catalog: FORKED — "]


def test_an_act_signed_with_a_key_dir_copy_taken_before_the_removal_is_named_by_verify(catalog, tmp_path,
                                                                                       key_dir, monkeypatch):
    """The same fork, acted on with a copy of the key dir taken before the removal (which does not know
    of it): verify with the installation's own key dir names the act."""
    import shutil

    from audits.store.queries import policies as policies_q
    from audits.store.queries import users as users_q

    old = _older_copy(catalog, tmp_path)
    shutil.copytree(key_dir, tmp_path / "keys-before")
    users_q.deactivate_user(catalog, "cleo", actor="ada")
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys-before"))
    policies_q.add_signoff(old, "r1", "cleo", "committee", "reject", "from my copy")
    monkeypatch.setenv("ASSAY_KEY_DIR", str(key_dir))
    found = [p for p in problems(old) if "older copy acted on" in p]
    assert len(found) == 1 and found[0].startswith("audit log: entry 10 (policy.signoff by 'cleo') was written after "
                                                   "'cleo' was deactivated at ")
    assert problems(catalog) == []


def test_a_user_changed_again_on_the_copy_itself_is_its_own_business(catalog, tmp_path):
    """An admin who re-adds the user on the copy after the change: the copy's own newer entry rules."""
    from audits.store.queries import users as users_q

    old = _older_copy(catalog, tmp_path)
    users_q.deactivate_user(catalog, "cleo", actor="ada")
    users_q.add_user(old, "cleo", "committee", "cleo-password-2", actor="ada")
    assert users_q.authenticate(old, "cleo", "cleo-password-2") == {"username": "cleo", "role": "committee"}
