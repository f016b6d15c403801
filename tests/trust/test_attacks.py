"""One test per attack in issue 10: an insider who can write the catalog (and the bundles) but not
the installation key. Each must be caught by `assay verify`."""

from __future__ import annotations

import json
import os
import shutil

import pandas as pd
import pytest

from audits.store.bundle import sha256_bytes, sha256_path
from audits.store.catalog import Catalog
from audits.store.queries import audit_log
from audits.trust import checkpoint
from tests.trust.conftest import problems, raw, rechain


def test_an_untouched_catalog_verifies(catalog):
    assert problems(catalog) == []


def test_truncating_the_last_log_row_is_caught(catalog):
    with raw(catalog) as con:
        con.execute("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)")
    assert any("truncated" in p for p in problems(catalog))


def test_truncating_the_last_row_and_its_checkpoint_is_caught_by_the_witness(catalog):
    with raw(catalog) as con:
        n = con.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        con.execute("DELETE FROM audit_log WHERE seq = ?", [n])
        con.execute("DELETE FROM log_checkpoints WHERE count = ?", [n])
        con.execute("DELETE FROM reviews")  # and the evidence row the entry recorded
    found = problems(catalog)
    assert any("truncated" in p and "witness" in p for p in found), found


def test_a_row_appended_through_the_append_function_without_the_key_is_caught(catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "attacker-keys"))  # the real key is not readable
    monkeypatch.setattr(checkpoint, "check_head", lambda *a, **k: None)  # the attacker's own copy of the code
    with catalog.connect(write=True) as con:
        audit_log.append(con, "cleo", "policy.signoff", "r1", {"decision": "approve"})
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    found = problems(catalog)
    assert any("never used" in p for p in found), found
    assert any("not covered by a signed checkpoint" in p for p in found), found


def test_a_row_inserted_without_a_checkpoint_is_caught(catalog):
    with raw(catalog) as con:
        seq, prev = con.execute("SELECT max(seq), arg_max(hash, seq) FROM audit_log").fetchone()
        ts = pd.Timestamp.now().to_pydatetime()
        digest = audit_log._row_hash(prev, seq + 1, ts.isoformat(timespec="microseconds"), "x", "note", None, "{}")
        con.execute("INSERT INTO audit_log VALUES (?, ?, 'x', 'note', NULL, '{}', ?, ?)", [seq + 1, ts, prev, digest])
    assert any("not covered by a signed checkpoint" in p for p in problems(catalog))


def test_a_signoff_flipped_with_a_recomputed_chain_is_caught(catalog):
    with raw(catalog) as con:
        con.execute("UPDATE signoffs SET decision = 'reject'")
        row = con.execute("SELECT * FROM signoffs").fetchone()
        forged = audit_log.digest_values("signoffs", row)

        def edit(seq, action, details):
            if action == "policy.signoff":
                details["decision"] = "reject"
                details["row"]["sha256"] = forged
            return details
        rechain(con, edit)
    found = problems(catalog)
    assert found and all("signoffs" not in p for p in found)  # tables agree with the forged log ...
    assert any("rewritten" in p for p in found)  # ... but the signed checkpoints do not


def test_a_full_forgery_of_a_metric_is_caught(catalog):
    bundle = catalog.runs_dir / "r1"
    for p in bundle.iterdir():
        os.chmod(p, 0o644)
    metrics = pd.read_parquet(bundle / "metrics.parquet")
    metrics.loc[0, "value"] = 0.99
    metrics.to_parquet(bundle / "metrics.parquet")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["metrics.parquet"] = sha256_path(bundle / "metrics.parquet")
    text = json.dumps(manifest, indent=2)
    (bundle / "manifest.json").write_text(text)
    new_sha = sha256_bytes(text.encode())
    with raw(catalog) as con:
        con.execute("UPDATE runs SET manifest_sha256 = ?", [new_sha])
        con.execute("UPDATE run_events SET detail = ? WHERE status = 'complete'", [new_sha])

        def edit(seq, action, details):
            if action == "run.completed":
                details["manifest_sha256"] = new_sha
            return details
        rechain(con, edit)
    found = problems(catalog)
    assert any("rewritten" in p for p in found), found


def test_a_tampered_bundle_is_compared_with_the_hash_in_the_log(catalog):
    bundle = catalog.runs_dir / "r1"
    os.chmod(bundle / "manifest.json", 0o644)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["created_by"] = "mallory"
    text = json.dumps(manifest, indent=2)
    (bundle / "manifest.json").write_text(text)
    with raw(catalog) as con:  # the catalog column is updated too; the log still has the old hash
        con.execute("UPDATE runs SET manifest_sha256 = ?", [sha256_bytes(text.encode())])
    found = problems(catalog)
    assert any("manifest.json was altered" in p for p in found), found
    assert any("manifest_sha256 differs" in p for p in found), found


def test_setting_a_run_to_failed_does_not_hide_it(catalog):
    bundle = catalog.runs_dir / "r1"
    os.chmod(bundle / "metrics.parquet", 0o644)
    (bundle / "metrics.parquet").write_bytes(b"forged")
    with raw(catalog) as con:
        con.execute("UPDATE runs SET status = 'failed'")
    found = problems(catalog)
    assert any("status is 'failed' but the audit log says 'complete'" in p for p in found), found
    assert any("metrics.parquet was altered" in p for p in found), found


def test_deleting_a_run_with_its_bundle_is_caught(catalog):
    with raw(catalog) as con:
        con.execute("DELETE FROM runs")
        con.execute("DELETE FROM run_events")
    shutil.rmtree(catalog.runs_dir / "r1")
    found = problems(catalog)
    assert any("was deleted from the runs table" in p for p in found), found
    assert any("bundle directory" in p and "missing" in p for p in found), found


@pytest.mark.parametrize("sql,table", [
    ("UPDATE signoffs SET decision = 'reject'", "signoffs"),
    ("DELETE FROM signoffs", "signoffs"),
    ("UPDATE attestations SET status = 'rejected'", "attestations"),
    ("UPDATE reviews SET label = 'correct'", "reviews"),
    ("INSERT INTO reviews SELECT 'x' || review_id, run_id, task, sample_id, 'mallory', role, label, correction, "
     "note, adjudication, created_at FROM reviews", "reviews"),
    ("UPDATE users SET role = 'admin' WHERE username = 'rita'", "users"),
    ("INSERT INTO users VALUES ('mallory', 'admin', '!', now()::TIMESTAMP, TRUE, NULL)", "users"),
])
def test_direct_table_edits_are_caught(catalog, sql, table):
    with raw(catalog) as con:
        con.execute(sql)
    found = problems(catalog)
    assert any(p.startswith(f"{table}:") for p in found), found


def test_someone_holding_the_key_is_still_caught_by_an_older_exported_checkpoint(catalog, tmp_path):
    from audits.trust.verify import verify

    exported = tmp_path / "q4.checkpoint.json"
    checkpoint.save(verify(catalog).head, exported)
    with raw(catalog) as con:
        con.execute("UPDATE signoffs SET decision = 'reject'")
        forged = audit_log.digest_values("signoffs", con.execute("SELECT * FROM signoffs").fetchone())

        def edit(seq, action, details):
            if action == "policy.signoff":
                details.update(decision="reject", row={"table": "signoffs", "sha256": forged})
            return details
        rechain(con, edit)
        cid = audit_log.catalog_id(con)
        con.execute("DELETE FROM log_checkpoints")
        for count, head in con.execute("SELECT seq, hash FROM audit_log ORDER BY seq").fetchall():
            cp = checkpoint.make(cid, count, head)  # re-signed with the stolen key
            con.execute("INSERT INTO log_checkpoints VALUES (?, ?, ?, ?)", [count, head, cp["key_id"], json.dumps(cp)])
    checkpoint.write_witness(cp, catalog.path)
    assert problems(catalog) == []  # the key holder can fool a plain verify ...
    found = problems(catalog, checkpoint.load(exported))
    assert any("--against" in p and "rewritten" in p for p in found), found  # ... not an older exported checkpoint


def test_a_checkpoint_from_another_installation_is_refused(catalog, tmp_path, monkeypatch):
    from audits.errors import AssayError
    from audits.trust.verify import verify

    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "other"))
    other = Catalog(tmp_path / "other.duckdb")
    with other.connect(write=True) as con:
        audit_log.append(con, "x", "note")
    foreign = verify(other).head
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    with pytest.raises(AssayError, match="not one of this installation's keys"):
        verify(catalog, foreign)


def test_a_missing_or_unreadable_key_is_one_clear_error(catalog, key_dir):
    from audits.errors import AssayError
    from audits.store.queries import users as users_q
    from audits.trust import keys

    kid = (key_dir / "signing" / "current").read_text().strip()
    (key_dir / "signing" / f"{kid}.key").write_text("garbage")
    keys._cache.clear()
    before = len(problems(catalog))
    with pytest.raises(AssayError, match="cannot read the signing key"):
        users_q.add_user(catalog, "zed", "viewer", "zed-password", actor="ada")
    assert users_q.get_user(catalog, "zed") is None and len(problems(catalog)) == before  # nothing half-way


def test_rotation_keeps_old_checkpoints_valid(catalog):
    from audits.store.queries import users as users_q
    from audits.trust import keys

    old, new = keys.rotate()
    assert old != new
    users_q.add_user(catalog, "zed", "viewer", "zed-password", actor="ada")
    assert problems(catalog) == []
