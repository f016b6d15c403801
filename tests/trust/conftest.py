"""A small real catalog with one complete run and every kind of evidence row, and an attacker's
toolkit that edits the DuckDB file directly (as someone with a shell on the audit host would)."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import audit_log
from audits.store.queries import policies as policies_q
from audits.store.queries import reviews as reviews_q
from audits.store.queries import runs as runs_q
from audits.store.queries import users as users_q
from audits.trust.rawstore import SCHEME


def make_run(cat: Catalog, run_id: str = "r1") -> str:
    runs_q.register_run(cat, run_id, "unit", "2026Q4", "cfg", "model", actor="tester")
    tables = {"samples": pd.DataFrame({"task": ["t", "t"], "sample_id": ["1", "2"], "input": ["q1", "q2"],
                                       "prediction": ["a", "b"]}),
              "metrics": pd.DataFrame({"task": ["t"], "metric": ["accuracy"], "value": [0.5]}),
              "review_queue": pd.DataFrame({"task": ["t"], "sample_id": ["1"], "reason": ["random"],
                                            "stratum": ["all"], "priority": [1]})}
    personal = {"redacted": True, "scheme": SCHEME, "pseudonyms": "per item"}  # as today's writer records it
    bundle, sha = write_bundle(cat.runs_dir, run_id, tables, {"run_id": run_id, "tasks": []}, {"name": "unit"},
                               {"audit": "unit", "personal_data": personal})
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return run_id


@pytest.fixture
def key_dir(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "keys"
    monkeypatch.setenv("ASSAY_KEY_DIR", str(path))
    return path


@pytest.fixture
def catalog(tmp_path, key_dir) -> Catalog:
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password", actor="setup")
    users_q.add_user(cat, "cleo", "committee", "cleo-password", actor="ada")
    users_q.add_user(cat, "carol", "compliance", "carol-password", actor="ada")
    users_q.add_user(cat, "rita", "reviewer", "rita-password", actor="ada")
    make_run(cat)
    policies_q.add_signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    policies_q.add_attestation(cat, "r1", "gdpr", "DPIA", "carol", "compliance", "compliance", note="v3")
    reviews_q.record_review(cat, "r1", "t", "1", "rita", "reviewer", "incorrect", correction="b")
    return cat


def raw(cat: Catalog) -> duckdb.DuckDBPyConnection:
    """The attacker's own connection: no Assay code, no key."""
    return duckdb.connect(str(cat.path))


def rechain(con: duckdb.DuckDBPyConnection, edit=None) -> None:
    """Recompute every log hash after ``edit(seq, details) -> details`` (plain SHA-256, as an attacker can)."""
    rows = con.execute("SELECT seq, ts, actor, action, target, details FROM audit_log ORDER BY seq").fetchall()
    prev = audit_log.genesis(audit_log.catalog_id(con))
    for seq, ts, actor, action, target, details in rows:
        if edit is not None:
            details = json.dumps(edit(seq, action, json.loads(details)), sort_keys=True, separators=(",", ":"))
        digest = audit_log._row_hash(prev, seq, ts.isoformat(timespec="microseconds"), actor, action, target, details)
        con.execute("UPDATE audit_log SET details = ?, prev_hash = ?, hash = ? WHERE seq = ?", [details, prev, digest, seq])
        prev = digest


def problems(cat: Catalog, against=None) -> list[str]:
    from audits.trust.verify import verify

    return verify(cat, against).problems
