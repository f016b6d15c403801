"""The queries moved out of access, trust and erase into the store answer as before, on a real
catalog (tests/trust/conftest.py): the checkpoints table, verify's reads, the acting user's role,
and erase's refusals."""

from __future__ import annotations

import json

import pytest

from audits import access
from audits.errors import AssayError
from audits.store.queries import checkpoints, evidence
from audits.store.queries import policies as policies_q
from audits.store.queries import runs as runs_q
from audits.store.queries import users as users_q
from audits.trust import checkpoint
from tests.trust.conftest import raw


def test_checkpoint_rows_are_the_signed_heads_of_the_log(catalog):
    with catalog.connect() as con:
        bodies = checkpoints.bodies(con)
        log = evidence.log_entries(con)
        assert checkpoints.stored(con) == len(bodies) == len(log)  # one signed head per append
        newest = json.loads(checkpoints.newest_body(con))
        assert json.loads(bodies[-1]) == newest and newest["count"] == len(log) and newest["head"] == log[-1][-1]
        assert checkpoints.bodies_at(con, newest["count"]) == [bodies[-1]] and checkpoints.bodies_at(con, 10_000) == []
    assert checkpoint.check_signature(newest) is None
    assert checkpoint.latest(catalog) == newest


def test_verify_reads_every_evidence_table_and_only_those(catalog):
    with catalog.connect() as con:
        columns, rows = evidence.table_rows(con, "signoffs")
        runs = evidence.run_rows(con, ["run_id", "status", "model"])
        with pytest.raises(ValueError, match="'audit_log' is not an evidence table"):
            evidence.table_rows(con, "audit_log")
        with pytest.raises(ValueError, match="unknown runs columns"):
            evidence.run_rows(con, ["run_id; DROP TABLE runs"])
    assert "signoff_id" in columns and [dict(zip(columns, r))["decision"] for r in rows] == ["approve"]
    assert runs == [{"run_id": "r1", "status": "complete", "model": "model"}]


def test_the_acting_role_comes_from_the_signed_log(catalog):
    with catalog.connect() as con:
        assert users_q.current_role(con, "cleo") == "committee" and users_q.current_role(con, "nobody") is None
        users_q.check_acting_role(con, "cleo", "committee")
        with pytest.raises(AssayError, match=r"user 'cleo' does not hold the role 'admin' \(holds: committee\)"):
            users_q.check_acting_role(con, "cleo", "admin")
    with raw(catalog) as con:  # a forged users row, inserted without Assay
        con.execute("INSERT INTO users SELECT 'mallory', 'admin', password_hash, created_at, active, NULL "
                    "FROM users WHERE username = 'ada'")
    with catalog.connect() as con:
        assert users_q.current_role(con, "mallory") is None


def test_sign_off_and_attest_rules_are_access_rules(catalog):
    assert policies_q.SIGNOFF_ROLE == "committee" and access.can("committee", "signoff")
    with pytest.raises(AssayError, match="role 'compliance' cannot sign off a run"):
        policies_q.add_signoff(catalog, "r1", "carol", "compliance", "reject")
    with pytest.raises(AssayError, match="must be attested by the 'compliance' role, not 'committee'"):
        policies_q.add_attestation(catalog, "r1", "gdpr", "DPIA", "cleo", "committee", "compliance")


def test_erase_refusals_read_through_the_store(catalog):
    from audits.commands.erase import _check

    with catalog.connect() as con:
        assert runs_q.run_exists(con, "r1") and not runs_q.run_exists(con, "r9")
        assert len(policies_q.signoff_ids(con, "r1")) == 1
        with pytest.raises(AssayError, match="run 'r9' does not exist"):
            _check(con, "r9", None)
        with pytest.raises(AssayError, match="run 'r1' has 1 sign-off"):
            _check(con, "r1", "  ")
        assert _check(con, "r1", "subject's request") == policies_q.signoff_ids(con, "r1")
