"""Local users: salted scrypt hashes (never plaintext), append-only role changes, sign-in,
and the `assay users` CLI."""

from __future__ import annotations

import io

import pytest

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import users as uq


def test_hashes_are_salted_and_verified(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    uq.add_user(cat, "ann", "reviewer", "correct horse")
    uq.add_user(cat, "ben", "reviewer", "correct horse")
    with cat.connect() as con:
        hashes = [h for (h,) in con.execute("SELECT password_hash FROM users ORDER BY username").fetchall()]
    assert all(h.startswith("scrypt$") and "correct horse" not in h for h in hashes)
    assert hashes[0] != hashes[1]  # per-user salt
    assert uq.authenticate(cat, "ann", "correct horse") == {"username": "ann", "role": "reviewer"}
    assert uq.authenticate(cat, "ann", "wrong horse") is None
    assert uq.authenticate(cat, "nobody", "correct horse") is None


def test_role_change_is_a_new_row_and_keeps_the_password(tmp_path):
    cat = Catalog(tmp_path / "c.duckdb")
    assert not uq.has_users(cat)
    uq.add_user(cat, "ann", "reviewer", "first-password")
    uq.add_user(cat, "ann", "committee")
    assert uq.get_user(cat, "ann")["role"] == "committee"
    assert uq.authenticate(cat, "ann", "first-password")["role"] == "committee"
    with cat.connect() as con:
        assert con.execute("SELECT count(*) FROM users WHERE username = 'ann'").fetchone()[0] == 2
        actions = [a for (a,) in con.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()]
    assert actions == ["user.added", "user.changed", "user.signed_in"]  # sign-ins are signed log entries
    uq.deactivate_user(cat, "ann")
    assert uq.get_user(cat, "ann") is None and not uq.has_users(cat)
    assert uq.authenticate(cat, "ann", "first-password") is None
    with pytest.raises(AssayError, match="unknown role"):
        uq.add_user(cat, "ben", "boss", "whatever-pass")
    with pytest.raises(AssayError, match="shorter"):
        uq.add_user(cat, "ben", "viewer", "short")


def test_users_cli(tmp_path, monkeypatch, capsys):
    from audits.cli import main

    path = str(tmp_path / "c.duckdb")
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    monkeypatch.setattr("sys.stdin", io.StringIO("admin-password\n"))
    assert main(["users", "add", "rita", "--role", "reviewer", "--password-stdin", "--catalog", path]) == 2
    assert "first user of a catalog must be an admin" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("admin-password\n"))
    assert main(["users", "add", "ada", "--role", "admin", "--password-stdin", "--catalog", path]) == 0
    monkeypatch.setenv("ASSAY_PASSWORD", "admin-password")  # ada acts; rita's password comes on stdin
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cret-password\n"))
    assert main(["users", "add", "rita", "--role", "reviewer", "--password-stdin", "--by", "ada",
                 "--catalog", path]) == 0
    assert main(["users", "list", "--catalog", path]) == 0
    listing = capsys.readouterr().out
    assert "rita" in listing and "reviewer" in listing
    assert uq.authenticate(Catalog(path), "rita", "s3cret-password")["role"] == "reviewer"
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal, and no --password-stdin
    assert main(["users", "add", "sam", "--role", "viewer", "--by", "ada", "--catalog", path]) == 2
    assert "--password-stdin" in capsys.readouterr().err
