"""One test per identity/verify attack of issue 19 (an insider who can write the catalog file, and run
Assay's own commands, but not read the installation key): each is refused or caught by `assay verify`."""

from __future__ import annotations

import io
import json
import os
import secrets
from datetime import datetime, timedelta

import pytest

from audits.access import os_login
from audits.errors import AssayError
from audits.store.queries import audit_log
from audits.store.queries import policies as policies_q
from audits.store.queries import users as users_q
from tests.trust.conftest import make_run, problems, raw


@pytest.fixture(autouse=True)
def _no_password_env(monkeypatch):
    monkeypatch.delenv("ASSAY_PASSWORD", raising=False)


def _cli(capsys, monkeypatch, cat, *args, stdin=""):
    from audits.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(["--catalog", str(cat.path), *args])
    return code, capsys.readouterr()


def _forged_user_row(cat, name: str, role: str, password: str) -> None:
    with raw(cat) as con:
        con.execute("INSERT INTO users VALUES (?, ?, ?, ?, TRUE, NULL)",
                    [name, role, users_q.hash_password(password), datetime.now() + timedelta(seconds=5)])


# -- item 2: a users row is a user only when the signed log recorded it ---------------------------

def test_a_forged_users_row_cannot_sign_off(catalog, capsys, monkeypatch):
    _forged_user_row(catalog, "cleo", "committee", "mallory-chose-this")  # a newer row for a real member
    _forged_user_row(catalog, "mallory", "committee", "mallory-chose-this")  # and a member of her own
    for name in ("cleo", "mallory"):
        code, out = _cli(capsys, monkeypatch, catalog, "signoff", "r1", "--user", name, "--password-stdin",
                         "--decision", "approve", stdin="mallory-chose-this\n")
        assert code == 2 and out.err.strip() == (f"assay: error: wrong user name or password for {name!r} — check both, "
                                                  "or ask an admin to reset it"), out.err
    assert users_q.get_user(catalog, "mallory") is None
    assert users_q.authenticate(catalog, "cleo", "cleo-password")["role"] == "committee"  # the real one still works
    assert policies_q.list_signoffs(catalog, "r1")["username"].tolist() == ["cleo"]  # only the fixture's


def test_an_edited_users_row_is_not_a_user(catalog):
    with raw(catalog) as con:
        con.execute("UPDATE users SET password_hash = ? WHERE username = 'cleo'",
                    [users_q.hash_password("mallory-chose-this")])
    assert users_q.authenticate(catalog, "cleo", "mallory-chose-this") is None
    assert users_q.get_user(catalog, "cleo") is None
    with pytest.raises(AssayError, match="'cleo' is not an active user"):
        policies_q.add_signoff(catalog, "r1", "cleo", "committee", "approve")


def test_a_user_entry_chained_into_the_log_without_the_key_is_not_trusted(catalog):
    _forged_user_row(catalog, "mallory", "committee", "mallory-chose-this")
    with raw(catalog) as con:
        row = con.execute("SELECT * FROM users WHERE username = 'mallory'").fetchone()
        seq, prev = con.execute("SELECT max(seq), arg_max(hash, seq) FROM audit_log").fetchone()
        ts = datetime.now()
        details = json.dumps({"role": "committee", "row": {"table": "users",
                                                           "sha256": audit_log.digest_values("users", row)}},
                             sort_keys=True, separators=(",", ":"))
        digest = audit_log._row_hash(prev, seq + 1, ts.isoformat(timespec="microseconds"), "ada", "user.added",
                                     "mallory", details)
        con.execute("INSERT INTO audit_log VALUES (?, ?, 'ada', 'user.added', 'mallory', ?, ?, ?)",
                    [seq + 1, ts, details, prev, digest])
    assert users_q.get_user(catalog, "mallory") is None  # not covered by a signed checkpoint: not trusted
    with pytest.raises(AssayError, match=f"entry {seq + 1} is not covered by a checkpoint this installation signed"):
        users_q.authenticate(catalog, "mallory", "mallory-chose-this")  # nothing is signed over it either
    with pytest.raises(AssayError, match="not covered by a checkpoint"):
        policies_q.add_signoff(catalog, "r1", "cleo", "committee", "reject")  # approve: already signed (conftest)
    assert any("not covered by a signed checkpoint" in p for p in problems(catalog))


def test_a_forged_act_signed_by_the_signing_process_is_caught_by_verify(catalog):
    """Even if an act by a non-user got signed (the process holding the key signs what it is given),
    verify replays the users history and names it."""
    users_q.deactivate_user(catalog, "cleo", actor="ada")
    users_q.add_user(catalog, "rita", "viewer", actor="ada")
    with catalog.connect(write=True) as con:  # straight through the signing append, no role check
        audit_log.append(con, "mallory", "policy.signoff", "r1", {"decision": "approve", "role": "committee"})
        audit_log.append(con, "cleo", "policy.signoff", "r1", {"decision": "approve", "role": "committee"})
        audit_log.append(con, "rita", "review.label", "r1/t/1", {"label": "correct", "role": "reviewer"})
        audit_log.append(con, "carol", "user.added", "zed", {"role": "admin"})
    found = problems(catalog)
    assert any("(policy.signoff by 'mallory'): 'mallory' was not an active user then" in p for p in found), found
    assert any("(policy.signoff by 'cleo'): 'cleo' was not an active user then" in p for p in found), found
    assert any("(review.label by 'rita'): the role 'viewer' may not review" in p for p in found), found
    assert any("(user.added by 'carol'): the role 'compliance' may not manage users" in p for p in found), found


def test_truncating_a_removal_off_the_log_does_not_revive_the_user(catalog):
    users_q.deactivate_user(catalog, "cleo", actor="ada")
    assert users_q.get_user(catalog, "cleo") is None  # (and this process caches the replayed log)
    with raw(catalog) as con:
        n = con.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
        con.execute("DELETE FROM audit_log WHERE seq = ?", [n])
        con.execute("DELETE FROM log_checkpoints WHERE count = ?", [n])
        con.execute("DELETE FROM users WHERE NOT active")
    with pytest.raises(AssayError, match=f"the key dir witnessed {n} signed entries, the log has {n - 1}"):
        users_q.authenticate(catalog, "cleo", "cleo-password")


# -- item 2: wiping users does not open the catalog ------------------------------------------------

def test_wiping_users_refuses_everyone_instead_of_demo_mode(catalog, capsys, monkeypatch):
    with raw(catalog) as con:
        con.execute("DELETE FROM users")
    assert users_q.users_configured(catalog) and not users_q.has_users(catalog)  # no demo admin
    monkeypatch.setenv("ASSAY_PASSWORD", "mallory-password")
    code, out = _cli(capsys, monkeypatch, catalog, "users", "add", "mallory", "--role", "admin", "--no-password",
                     "--by", "mallory")
    assert code == 2 and out.err.strip() == (
        "assay: error: no one can act on this catalog: no users row matches the signed audit log (rows were deleted or "
        "edited outside Assay) — run `assay verify`; restore the users table from a backup, or re-activate an "
        "admin"), out.err
    code, out = _cli(capsys, monkeypatch, catalog, "users", "add", "mallory", "--role", "admin", "--no-password",
                     "--os-user", "mallory")  # the bootstrap path is closed too
    assert code == 2 and "no one can act on this catalog" in out.err
    assert users_q.list_users(catalog, include_inactive=True).empty
    code, out = _cli(capsys, monkeypatch, catalog, "users", "list")
    assert code == 0 and out.out.startswith("no valid users: no users row matches the signed audit log")


def test_wiping_users_and_the_whole_log_refuses_everyone(catalog):
    with raw(catalog) as con:
        for table in ("users", "audit_log", "log_checkpoints"):
            con.execute(f"DELETE FROM {table}")
    with pytest.raises(AssayError, match="the audit log cannot be trusted .*witnessed .* signed entries"):
        users_q.users_configured(catalog)
    with pytest.raises(AssayError, match="cannot be trusted"):
        users_q.add_user(catalog, "mallory", "admin", "mallory-password", actor="mallory")


# -- item 3: the OS identity is the real uid's ------------------------------------------------------

def test_logname_and_user_do_not_choose_the_os_identity(catalog, capsys, monkeypatch):
    users_q.add_user(catalog, "cleo", "committee", os_user="cleo-login", actor="ada")
    monkeypatch.setenv("LOGNAME", "cleo-login")
    monkeypatch.setenv("USER", "cleo-login")
    monkeypatch.setenv("LNAME", "cleo-login")
    monkeypatch.setenv("USERNAME", "cleo-login")
    code, out = _cli(capsys, monkeypatch, catalog, "signoff", "r1", "--decision", "reject")
    login = os_login()
    assert code == 2 and out.err.strip() == (
        f"assay: error: OS account {login!r} is not mapped to an Assay user — pass --user NAME with your password, or "
        f"ask an admin to run `assay users add NAME --role ROLE --os-user {login}`"), out.err
    assert policies_q.list_signoffs(catalog, "r1")["decision"].tolist() == ["approve"]
    users_q.add_user(catalog, "cleo", "committee", os_user=login, actor="ada")  # the real uid's login does
    code, out = _cli(capsys, monkeypatch, catalog, "signoff", "r1", "--decision", "reject")
    assert code == 0 and "by cleo (committee)" in out.out, out.err


# -- item 7: verify reconciles runs, run_events and sign_in_attempts --------------------------------

@pytest.mark.parametrize("column,value", [
    ("audit", "'other-audit'"), ("period", "'2026Q3'"), ("model", "'better-model'"), ("created_by", "'mallory'"),
    ("config_sha256", "'f00d'"), ("created_at", "created_at - INTERVAL 90 DAY"),
    ("finished_at", "finished_at + INTERVAL 1 HOUR"), ("device", "'cuda'"), ("error", "'oops'"),
])
def test_editing_a_deciding_runs_column_is_caught(catalog, column, value):
    with raw(catalog) as con:
        con.execute(f"UPDATE runs SET {column} = {value}")
    found = problems(catalog)
    assert any(p.startswith(f"run r1: runs.{column} is ") and "but the audit log says" in p for p in found), found


def test_a_comparison_run_planted_by_editing_runs_is_caught(catalog):
    """previous_run() chooses by audit and created_at: a second run moved into the past and renamed
    into this audit changes every comparison; verify names both columns."""
    make_run(catalog, "r0")
    with raw(catalog) as con:
        con.execute("UPDATE runs SET audit = 'unit-x' WHERE run_id = 'r1'")
        con.execute("UPDATE runs SET created_at = created_at - INTERVAL 1 DAY, audit = 'unit-x' WHERE run_id = 'r0'")
    found = problems(catalog)
    assert any(p.startswith("run r1: runs.audit is 'unit-x' but the audit log says 'unit'") for p in found), found
    assert any(p.startswith("run r0: runs.created_at is ") for p in found), found


@pytest.mark.parametrize("sql", [
    "UPDATE run_events SET status = 'failed' WHERE status = 'complete'",
    "DELETE FROM run_events WHERE status = 'running'",
    "INSERT INTO run_events SELECT run_id, ts + INTERVAL 1 SECOND, 'failed', 'oom' FROM run_events LIMIT 1",
])
def test_rewriting_run_events_is_caught(catalog, sql):
    with raw(catalog) as con:
        con.execute(sql)
    found = problems(catalog)
    assert any(p.startswith("run_events:") for p in found), found


def test_deleting_sign_in_attempts_neither_resets_the_lockout_nor_passes_verify(catalog):
    for _ in range(users_q.MAX_FAILURES):
        assert users_q.authenticate(catalog, "cleo", "wrong-guess") is None
    with raw(catalog) as con:
        con.execute("DELETE FROM sign_in_attempts")
    with pytest.raises(AssayError, match="locked after 5 failed attempts"):
        users_q.authenticate(catalog, "cleo", "cleo-password")
    found = problems(catalog)
    assert any(p.startswith("sign_in_attempts: the row recorded at log entry") for p in found), found


def test_a_wiped_catalog_with_a_new_id_fails_verify(catalog, capsys):
    from audits.cli import main

    with raw(catalog) as con:
        old = audit_log.catalog_id(con)
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            if table != "schema_info":
                con.execute(f"DELETE FROM {table}")
        con.execute("UPDATE schema_info SET value = ? WHERE key = 'catalog_id'", [secrets.token_hex(8)])
    found = problems(catalog)
    assert any(p.startswith(f"catalog: this file held catalog {old} (") and "wiped, re-identified or replaced" in p
               for p in found), found
    capsys.readouterr()
    assert main(["--catalog", str(catalog.path), "verify"]) == 1
    assert "wiped, re-identified or replaced" in capsys.readouterr().err
    with pytest.raises(AssayError, match="cannot be trusted"):  # and nobody can bootstrap a new admin on it
        users_q.users_configured(catalog)


def test_a_wiped_catalog_keeping_its_id_fails_verify(catalog):
    with raw(catalog) as con:
        for (table,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
            if table != "schema_info":
                con.execute(f"DELETE FROM {table}")
    found = problems(catalog)
    assert any("truncated" in p and "witness" in p and "the log has 0" in p for p in found), found


# -- item 8: a malformed manifest is a finding naming the file --------------------------------------

@pytest.mark.parametrize("content,why", [
    (b'{"format": "assay-bundle/1", "files": {"metrics.parq', "is not valid JSON"),
    (b'["metrics.parquet"]', "holds a JSON list, not an object"),
    (bytes(range(256)) * 4, "is not text"),
    (b'{"files": ["metrics.parquet"]}', "no valid 'files' map"),
    (b'{"files": {"../../etc/passwd": "00"}}', "names a file outside the bundle"),
])
def test_a_malformed_manifest_is_a_finding_not_a_traceback(catalog, capsys, content, why):
    from audits.cli import main

    path = catalog.runs_dir / "r1" / "manifest.json"
    os.chmod(path, 0o644)
    path.write_bytes(content)
    found = problems(catalog)
    assert any(p.startswith(f"run r1: manifest.json is malformed: {path}") and why in p for p in found), found
    capsys.readouterr()
    assert main(["--catalog", str(catalog.path), "verify"]) == 1
    err = capsys.readouterr().err
    assert "manifest.json is malformed" in err and "Traceback" not in err


def test_the_untouched_fixture_still_verifies(catalog):
    assert problems(catalog) == []
