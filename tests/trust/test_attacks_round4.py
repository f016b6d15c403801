"""Fourth adversarial round of issue 19 (re-audit of the landed product): an insider who can write the
catalog file and the bundle folders but does not hold the installation key. Each test here failed
before its fix."""

from __future__ import annotations

import json
import shutil

import pytest

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import audit_log, users as users_q
from tests.trust.conftest import make_run, problems, raw, rechain


def _forge_admin(con, name: str = "mallory") -> None:
    """Insert a users row and a user.added entry that records its hash, chained like Assay does."""
    con.execute("INSERT INTO users VALUES (?, 'admin', ?, now()::TIMESTAMP, TRUE, NULL)",
                [name, users_q.hash_password("mallory-password")])
    row = con.execute("SELECT * FROM users WHERE username = ?", [name]).fetchone()
    last = con.execute("SELECT seq, hash, ts FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    details = json.dumps({"role": "admin", "previous_role": None, "password_changed": True, "os_user": None,
                          "row": {"table": "users", "sha256": audit_log.digest_values("users", row)}},
                         sort_keys=True, separators=(",", ":"))
    ts = last[2]
    digest = audit_log._row_hash(last[1], last[0] + 1, ts.isoformat(timespec="microseconds"), "ada", "user.added",
                                 name, details)
    con.execute("INSERT INTO audit_log VALUES (?, ?, 'ada', 'user.added', ?, ?, ?, ?)",
                [last[0] + 1, ts, name, details, last[1], digest])


def test_a_copy_with_its_checkpoints_deleted_is_not_signed_as_a_legacy_log(catalog, tmp_path):
    """Copy the catalog elsewhere, forge an admin into its log, delete every checkpoint: the copy looks
    like a log written before checkpoints existed, and the next honest write signed the forgery."""
    copy = tmp_path / "copy.duckdb"
    shutil.copy(catalog.path, copy)
    with raw(Catalog(copy)) as con:
        _forge_admin(con)
        con.execute("DELETE FROM log_checkpoints")
    forged = Catalog(copy)
    with pytest.raises(AssayError, match="is not covered by a checkpoint this installation signed"):
        make_run(forged, "r2")  # any signed act: here a run registered on the copy
    with pytest.raises(AssayError, match="cannot be trusted"):
        users_q.add_user(forged, "eve", "viewer", "eve-password-1", actor="ada")
    assert any("not covered by a signed checkpoint" in p for p in problems(forged))
    with pytest.raises(AssayError, match="cannot be trusted"):
        users_q.get_user(forged, "mallory")


def test_a_wiped_copy_at_another_path_does_not_open_as_an_unmanaged_catalog(catalog, tmp_path):
    """Copy the catalog elsewhere and wipe its log, checkpoints and users: with no witness at the new path
    it read as a fresh catalog with no users (everyone a local admin), and its first write was signed."""
    copy = tmp_path / "wiped.duckdb"
    shutil.copy(catalog.path, copy)
    with raw(Catalog(copy)) as con:
        for table in ("audit_log", "log_checkpoints", "users"):
            con.execute(f"DELETE FROM {table}")
    wiped = Catalog(copy)
    found = problems(wiped)
    assert any(p.startswith("catalog: a wiped copy of catalog ") and "this file has no signed entry" in p
               for p in found), found
    with pytest.raises(AssayError, match="cannot be trusted"):
        users_q.users_configured(wiped)
    with pytest.raises(AssayError):
        users_q.add_user(wiped, "mallory", "admin", "mallory-password", actor="mallory")


def test_replaying_an_old_signed_entry_is_caught(catalog):
    with raw(catalog) as con:
        n, head = con.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        old = con.execute("SELECT ts, actor, action, target, details FROM audit_log WHERE action = 'policy.signoff'"
                          ).fetchone()
        digest = audit_log._row_hash(head, n + 1, old[0].isoformat(timespec="microseconds"), *old[1:])
        con.execute("INSERT INTO audit_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [n + 1, *old, head, digest])
    found = problems(catalog)
    assert f"audit log: entries {n + 1}-{n + 1} are not covered by a signed checkpoint (written without the " \
           "installation key)" in found, found


def test_truncating_the_log_to_an_earlier_checkpoint_is_caught(catalog):
    with raw(catalog) as con:
        con.execute("DELETE FROM audit_log WHERE seq > 5")
        con.execute("DELETE FROM log_checkpoints WHERE count > 5")
        con.execute("DELETE FROM signoffs")
        con.execute("DELETE FROM attestations")
        con.execute("DELETE FROM reviews")
    found = problems(catalog)
    assert any(p.startswith("audit log: truncated — the witness checkpoint kept beside the key (signed) covers")
               for p in found), found
    with pytest.raises(AssayError, match="cannot be trusted"):
        users_q.get_user(catalog, "ada")


@pytest.mark.parametrize("sql, name", [("UPDATE users SET role = 'admin' WHERE username = 'rita'", "rita"),
                                       ("UPDATE users SET active = FALSE WHERE username = 'ada'", "ada")])
def test_a_users_role_or_active_flag_edited_in_sql(catalog, sql, name):
    with raw(catalog) as con:
        con.execute(sql)
    assert any(p.startswith(f"users: row {name} @ ") for p in problems(catalog))
    assert users_q.get_user(catalog, name) is None  # the edited row is no user at all


@pytest.mark.parametrize("sql", ["UPDATE reviews SET label = 'correct'", "UPDATE reviews SET adjudication = TRUE",
                                 "UPDATE attestations SET status = 'rejected'",
                                 "UPDATE signoffs SET decision = 'reject'"])
def test_an_edited_review_adjudication_attestation_or_signoff_row(catalog, sql):
    with raw(catalog) as con:
        con.execute(sql)
    assert any("does not match the audit log (edited or inserted outside Assay)" in p for p in problems(catalog))


def test_a_fresh_key_dir_does_not_verify_a_signed_catalog(catalog, tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "empty-keys"))
    found = problems(catalog)
    assert found and found[0].startswith("audit log: no signing key in ")


def test_a_bundle_edited_after_its_signoff_with_every_hash_recomputed(catalog):
    """Rewrite a bundle file, then its manifest and runs.manifest_sha256: the chain still holds the hash."""
    import hashlib

    bundle = catalog.runs_dir / "r1"
    for path in bundle.iterdir():
        path.chmod(0o644)
    (bundle / "results.json").write_text("{}", encoding="utf-8")
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["files"]["results.json"] = hashlib.sha256(b"{}").hexdigest()
    text = json.dumps(manifest)
    (bundle / "manifest.json").write_text(text)
    with raw(catalog) as con:
        con.execute("UPDATE runs SET manifest_sha256 = ?", [hashlib.sha256(text.encode()).hexdigest()])
    found = problems(catalog)
    assert "run r1: runs.manifest_sha256 differs from the hash recorded in the log" in found
    assert "run r1: manifest.json was altered (hash differs from the catalog)" in found


# -- leftover: bundles written before sample ids were pseudonymised ------------------------------

def test_a_bundle_with_raw_email_sample_ids_is_named_by_verify_and_erase_drops_its_files(catalog):
    """Bundles written before ids were pseudonymised keep e-mail-shaped ids in every table keyed by them:
    verify names the run and the fix; erase drops those files (logged), after which everything verifies."""
    import pandas as pd

    from audits.commands.erase import erase
    from audits.store.bundle import write_bundle
    from audits.store.queries import runs as runs_q

    runs_q.register_run(catalog, "old", "unit", "2026Q3", "cfg", "model", actor="tester")
    ids = ["jane.doe@example.com", "s2"]
    tables = {"samples": pd.DataFrame({"task": ["t", "t"], "sample_id": ids, "input": ["q1", "q2"],
                                       "prediction": ["a", "b"]}),
              "review_queue": pd.DataFrame({"task": ["t"], "sample_id": ids[:1], "reason": ["random"]}),
              "metrics": pd.DataFrame({"task": ["t"], "metric": ["accuracy"], "value": [0.5]})}
    bundle, sha = write_bundle(catalog.runs_dir, "old", tables, {"run_id": "old", "tasks": []}, {"name": "unit"},
                               {"audit": "unit"})
    runs_q.complete_run(catalog, "old", bundle, sha, "tester", "cpu")
    from audits.trust.verify import verify

    report = verify(catalog)
    assert report.problems == []
    assert [n for n in report.notes if n.startswith("run old:") and "sample ids" in n] == [
        "run old: review_queue.parquet, samples.parquet keep sample ids holding personal data as written (before ids "
        "were pseudonymised); `assay erase old --reason TEXT` drops those files (logged; their hashes still verify)"]
    assert not any(n.startswith("run r1:") for n in report.notes)  # ids "1", "2": nothing personal
    done = erase(catalog, "old", "ada", reason="GDPR art. 17 request")
    assert sorted(done.dropped_files) == ["review_queue.parquet", "samples.parquet"]
    assert not (bundle / "samples.parquet").exists() and (bundle / "metrics.parquet").exists()
    report = verify(catalog)
    assert report.problems == [] and not any(n.startswith("run old:") for n in report.notes)  # (its scheme too)


def test_a_fabricated_legacy_log_is_not_signed_by_the_next_write_only_by_an_explicit_adopt(tmp_path, key_dir):
    """A log chained from the id-less genesis with no checkpoint (the form of logs written before checkpoints)
    was signed as it stood by the next honest write: a catalog fabricated in that form (users, sign-offs)
    became a signed one. Now only `assay keys adopt` signs it, as an explicit, logged act."""
    import argparse
    from datetime import datetime

    from audits.commands.keys import _adopt
    from audits.trust import keys

    keys.signing_key()  # the installation's key exists (it signs every other catalog here)
    cat = Catalog(tmp_path / "legacy.duckdb")
    with raw(cat) as con:
        con.execute("INSERT INTO users VALUES ('mallory', 'admin', ?, ?, TRUE, NULL)",
                    [users_q.hash_password("mallory-password"), datetime(2026, 11, 1)])
        details = json.dumps({"role": "admin"}, separators=(",", ":"))
        ts = datetime(2026, 11, 1, 9)
        digest = audit_log._row_hash(audit_log.GENESIS, 1, ts.isoformat(timespec="microseconds"), "setup",
                                     "user.added", "mallory", details)
        con.execute("INSERT INTO audit_log VALUES (1, ?, 'setup', 'user.added', 'mallory', ?, ?, ?)",
                    [ts, details, audit_log.GENESIS, digest])
    with pytest.raises(AssayError, match=r"written before signed checkpoints and has never been signed .* "
                                         r"`assay keys adopt`"):
        make_run(cat, "r1")
    assert users_q.get_user(cat, "mallory") is None  # an unsigned log trusts no one
    assert "audit log: entries 1-1 are not covered by a signed checkpoint (a log written before signed checkpoints: " \
           "check it, then sign it as it stands with `assay keys adopt`)" in problems(cat)
    assert _adopt(argparse.Namespace(catalog=str(cat.path))) == 0
    assert users_q.get_user(cat, "mallory")["role"] == "admin"  # the operator vouched for the log as it stood
    make_run(cat, "r1")
    assert problems(cat) == []
    with pytest.raises(AssayError, match="no unsigned legacy audit log to adopt"):
        _adopt(argparse.Namespace(catalog=str(cat.path)))
