"""Identity that cannot be claimed: roles from the latest active users row, CLI acts that
authenticate, no role from a flag, sign-in throttling with lockout and constant-time failure."""

from __future__ import annotations

import io
import time
from datetime import timedelta

import pytest

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from audits.store.queries import users as uq
from tests.trust.conftest import make_run


@pytest.fixture
def cat(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.delenv("ASSAY_PASSWORD", raising=False)
    cat = Catalog(tmp_path / "c.duckdb")
    uq.add_user(cat, "ada", "admin", "ada-password")
    uq.add_user(cat, "bob", "committee", "bob-password")
    make_run(cat)
    return cat


def test_a_removed_user_cannot_sign_off(cat):
    uq.deactivate_user(cat, "bob")
    with pytest.raises(AssayError, match="not an active user"):
        policies_q.add_signoff(cat, "r1", "bob", "committee", "approve")


def test_a_demoted_user_cannot_sign_off(cat):
    uq.add_user(cat, "bob", "reviewer")
    with pytest.raises(AssayError, match="does not hold the role 'committee'"):
        policies_q.add_signoff(cat, "r1", "bob", "committee", "approve")
    assert policies_q.list_signoffs(cat, "r1").empty


def _cli(capsys, monkeypatch, cat, *args, stdin=""):
    from audits.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    code = main(["--catalog", str(cat.path), *args])
    return code, capsys.readouterr()


def test_cli_signoff_needs_the_password_and_takes_the_role_from_the_table(cat, capsys, monkeypatch):
    code, out = _cli(capsys, monkeypatch, cat, "signoff", "r1", "--user", "bob", "--decision", "approve")
    assert code == 2 and "no password given" in out.err and out.err.count("\n") == 1
    code, out = _cli(capsys, monkeypatch, cat, "signoff", "r1", "--user", "bob", "--password-stdin",
                     "--decision", "approve", stdin="wrong-password\n")
    assert code == 2 and "wrong user name or password" in out.err
    code, out = _cli(capsys, monkeypatch, cat, "signoff", "r1", "--user", "ada", "--password-stdin", "--role",
                     "committee", "--decision", "approve", stdin="ada-password\n")
    assert code == 2 and "has the role 'admin', not 'committee'" in out.err  # a flag cannot grant a role
    assert policies_q.list_signoffs(cat, "r1").empty
    code, out = _cli(capsys, monkeypatch, cat, "signoff", "r1", "--user", "bob", "--password-stdin",
                     "--decision", "approve", stdin="bob-password\n")
    assert code == 0, out.err
    assert policies_q.list_signoffs(cat, "r1")["username"].tolist() == ["bob"]


def test_cli_refuses_evidence_changes_on_a_catalog_without_users(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    empty = Catalog(tmp_path / "empty.duckdb")
    make_run(empty)
    code, out = _cli(capsys, monkeypatch, empty, "signoff", "r1", "--user", "bob", "--role", "committee",
                     "--decision", "approve")
    assert code == 2 and "has no users" in out.err


def test_an_os_account_mapped_by_an_admin_acts_without_a_password(cat, capsys, monkeypatch):
    import getpass

    uq.add_user(cat, "bob", "committee", os_user=getpass.getuser(), actor="ada")
    code, out = _cli(capsys, monkeypatch, cat, "signoff", "r1", "--decision", "reject")
    assert code == 0, out.err
    assert "by bob (committee)" in out.out


def test_users_commands_need_an_admin(cat, capsys, monkeypatch):
    monkeypatch.setenv("ASSAY_PASSWORD", "bob-password")
    code, out = _cli(capsys, monkeypatch, cat, "users", "add", "eve", "--role", "admin", "--no-password",
                     "--by", "bob")
    assert code == 2 and "may not manage users" in out.err
    monkeypatch.setenv("ASSAY_PASSWORD", "ada-password")
    code, out = _cli(capsys, monkeypatch, cat, "users", "remove", "bob", "--by", "ada")
    assert code == 0, out.err
    assert uq.get_user(cat, "bob") is None


def test_sign_in_locks_after_repeated_failures_and_the_lock_expires(cat, monkeypatch):
    for _ in range(uq.MAX_FAILURES):
        assert uq.authenticate(cat, "bob", "nope-nope") is None
    with pytest.raises(AssayError, match="locked after 5 failed attempts"):
        uq.authenticate(cat, "bob", "bob-password")  # even the right password, while locked
    later = uq._now() + timedelta(seconds=uq.LOCKOUT_WINDOW_S + 1)
    monkeypatch.setattr(uq, "_now", lambda: later)  # the window passes
    assert uq.authenticate(cat, "bob", "bob-password") == {"username": "bob", "role": "committee"}


def test_unknown_names_fail_as_slowly_as_wrong_passwords(cat):
    def timed(name):
        start = time.perf_counter()
        uq.authenticate(cat, name, "x" * 12)
        return time.perf_counter() - start

    unknown = min(timed(f"ghost{i}") for i in range(3))
    wrong = min(timed("ada") for _ in range(3))
    assert 0.5 < unknown / wrong < 2.0  # both cost one scrypt


def test_cli_review_authenticates_and_stores_corrections_redacted(cat, capsys, monkeypatch):
    from audits.store.queries import reviews as rv

    uq.add_user(cat, "rita", "reviewer", "rita-password", actor="ada")
    code, out = _cli(capsys, monkeypatch, cat, "review", "r1", "--user", "rita", "--password-stdin",
                     stdin="wrong-password\n")
    assert code == 2 and "wrong user name or password" in out.err
    code, out = _cli(capsys, monkeypatch, cat, "review", "r1", "--user", "rita", "--password-stdin",
                     stdin="rita-password\ni\nwrite to ann@example.com\n\n")
    assert code == 0, out.err
    row = rv.history(cat, "r1").iloc[0]
    assert (row["reviewer"], row["role"], row["correction"]) == ("rita", "reviewer", "write to <EMAIL_ADDRESS_1>")
