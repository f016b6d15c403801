"""`assay verify --export-checkpoint FILE` and `--against FILE` as an operator runs them."""

from __future__ import annotations

import json

from audits.store.queries import users as users_q
from audits.trust import checkpoint
from tests.trust.conftest import raw


def test_export_then_verify_against_the_exported_checkpoint(catalog, tmp_path, capsys, monkeypatch):
    from audits.cli import main

    operator_file = tmp_path / "elsewhere" / "checkpoints.jsonl"
    operator_file.parent.mkdir()
    monkeypatch.setenv("ASSAY_CHECKPOINT_FILE", str(operator_file))
    out = tmp_path / "q4.checkpoint.json"
    assert main(["--catalog", str(catalog.path), "verify", "--export-checkpoint", str(out)]) == 0
    assert "signed log entries" in capsys.readouterr().out
    exported = json.loads(out.read_text())
    assert exported["count"] > 0 and len(exported["signature"]) == 128
    assert main(["--catalog", str(catalog.path), "verify", "--export-checkpoint", str(out)]) == 2  # no overwrite
    assert "already exists" in capsys.readouterr().err

    users_q.add_user(catalog, "zed", "viewer", "zed-password", actor="ada")  # the log grows: still consistent
    assert checkpoint.load(operator_file)["count"] == exported["count"] + 1  # appended outside the catalog
    assert main(["--catalog", str(catalog.path), "verify", "--against", str(out)]) == 0
    with raw(catalog) as con:
        con.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
    assert main(["--catalog", str(catalog.path), "verify", "--against", str(out)]) == 1
    err = capsys.readouterr().err
    assert "entry 2 (" in err and "was altered" in err


def test_a_file_that_is_not_a_checkpoint_is_one_line(catalog, tmp_path, capsys):
    from audits.cli import main

    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    assert main(["--catalog", str(catalog.path), "verify", "--against", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "is not an Assay checkpoint" in err and err.count("\n") == 1


def test_report_is_generated_by_an_authenticated_user_never_a_claimed_name(catalog, tmp_path, capsys, monkeypatch):
    """`assay report --user cleo` without cleo's password is refused (the log would record a claimed name)."""
    import io

    from audits.cli import main

    out = tmp_path / "r1.html"
    monkeypatch.setattr("sys.stdin", io.StringIO("not-her-password\n"))
    assert main(["--catalog", str(catalog.path), "report", "r1", "-o", str(out), "--user", "cleo",
                 "--password-stdin"]) == 2
    assert "wrong user name or password for 'cleo'" in capsys.readouterr().err
    assert not out.exists()
