"""Issue 19, round 4: a sealed raw note's bytes are reconciled with the SHA-256 its signed act logged.
Each test fails without its fix (verify only checked that a row with that key existed)."""

from __future__ import annotations

import pytest

from tests.trust.test_followup_f2 import _keeping_run


@pytest.fixture
def sealed(catalog):
    from audits.store.queries import policies as policies_q
    from audits.store.queries import reviews as reviews_q

    run = _keeping_run(catalog)
    policies_q.add_signoff(catalog, run, "cleo", "committee", "approve", "call jane.roe@example.org first")
    policies_q.add_attestation(catalog, run, "gdpr", "DPIA", "carol", "compliance", "compliance",
                               note="DPO is +1 415 555 0199")
    return catalog, run


def test_the_signed_act_carries_the_sealed_blobs_sha256(sealed):
    import hashlib

    from audits.store.queries import audit_log
    from tests.trust.conftest import problems, raw

    cat, _ = sealed
    with raw(cat) as con:
        blob = bytes(con.execute("SELECT sealed FROM sealed_notes WHERE table_name = 'signoffs'").fetchone()[0])
    with cat.connect() as con:
        log = audit_log.entries(con)
    details = log[log["action"] == "policy.signoff"]["details"].iloc[0]
    assert f'"sealed_sha256":{{"note":"{hashlib.sha256(blob).hexdigest()}"}}' in details
    assert problems(cat) == []


@pytest.mark.parametrize("how", ["edited", "swapped"])
def test_an_edited_or_swapped_sealed_blob_is_named_by_verify(sealed, how):
    """Flip one byte of the sign-off's sealed note, or put the attestation's blob in its place: the row
    keys still match a logged act, so verify said the catalog was intact."""
    from tests.trust.conftest import problems, raw

    cat, run = sealed
    with raw(cat) as con:
        if how == "edited":
            blob = bytearray(con.execute("SELECT sealed FROM sealed_notes WHERE table_name = 'signoffs'").fetchone()[0])
            blob[-1] ^= 1
            con.execute("UPDATE sealed_notes SET sealed = ? WHERE table_name = 'signoffs'", [bytes(blob)])
        else:
            con.execute("UPDATE sealed_notes SET sealed = (SELECT sealed FROM sealed_notes WHERE "
                        "table_name = 'attestations') WHERE table_name = 'signoffs'")
    found = problems(cat)
    assert len(found) == 1, found
    assert found[0].startswith("sealed_notes: the sealed note of signoffs row ")
    assert f"(run '{run}') differs from the blob whose SHA-256 log entry " in found[0]


def test_a_sealed_column_deleted_from_a_two_column_act_is_missing(catalog):
    """An attestation seals its note and its evidence link; deleting one of the two was not noticed."""
    from audits.store.queries import policies as policies_q
    from tests.trust.conftest import problems, raw

    run = _keeping_run(catalog)
    policies_q.add_attestation(catalog, run, "gdpr", "DPIA", "carol", "compliance", "compliance",
                               note="ask jane.roe@example.org", evidence_link="https://x.example/jane.roe@example.org")
    with raw(catalog) as con:
        assert con.execute("SELECT count(*) FROM sealed_notes").fetchone()[0] == 2
        con.execute("DELETE FROM sealed_notes WHERE column_name = 'evidence_link'")
    found = problems(catalog)
    assert len(found) == 1 and "the sealed evidence_link of attestations row" in found[0], found
    assert found[0].endswith("deleted outside `assay erase`")


def test_an_older_acts_blob_is_checked_by_its_key(sealed):
    """An act logged before sealed_sha256 existed: an edited blob no longer decrypts under the run's key."""
    from tests.trust.conftest import problems, raw, rechain

    cat, run = sealed
    with raw(cat) as con:  # as written by an earlier Assay: no sealed_sha256 in the act
        rechain(con, lambda seq, action, d: {k: v for k, v in d.items() if k != "sealed_sha256"})
    legacy = problems(cat)
    with raw(cat) as con:
        blob = bytearray(con.execute("SELECT sealed FROM sealed_notes WHERE table_name = 'signoffs'").fetchone()[0])
        blob[-1] ^= 1
        con.execute("UPDATE sealed_notes SET sealed = ? WHERE table_name = 'signoffs'", [bytes(blob)])
    found = [p for p in problems(cat) if p not in legacy]
    assert found == [f"sealed_notes: the sealed note of signoffs row {found[0].split(' row ')[1].split(' ')[0]} "
                     f"(run '{run}') does not decrypt under the run's key (edited outside Assay)"]
