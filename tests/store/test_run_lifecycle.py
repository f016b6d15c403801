"""Robustness of the run register: a dead job's run shows as interrupted, `--resume` completes a
run whose bundle was renamed before the crash, `assay export` refuses to overwrite, `assay erase`."""

from __future__ import annotations

import io
import json
import os
from datetime import datetime, timedelta

import pytest

from audits.errors import AssayError
from audits.store import lease
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from tests.trust.conftest import make_run


@pytest.fixture
def cat(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    return Catalog(tmp_path / "c.duckdb")


def _cli(capsys, monkeypatch, cat, *args, stdin=""):
    from audits.cli import main

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    capsys.readouterr()
    return main(["--catalog", str(cat.path), *args]), capsys.readouterr()


def test_a_killed_job_shows_as_interrupted(cat, capsys, monkeypatch):
    runs_q.register_run(cat, "r-dead", "unit", "Q4", "cfg", "m", actor="t")
    held = lease.hold(cat, "r-dead")
    held.release()
    code, out = _cli(capsys, monkeypatch, cat, "runs")
    assert code == 0 and "running" in out.out  # our own process is alive
    with cat.connect(write=True) as con:  # a job on this host whose pid is gone
        con.execute("UPDATE runs SET lease_pid = 2147483000")
    code, out = _cli(capsys, monkeypatch, cat, "runs")
    assert "interrupted" in out.out
    stale = datetime.now() - timedelta(hours=1)
    assert lease.effective_status("running", "other-host", 1, stale) == "interrupted"
    assert lease.effective_status("complete", None, None, None) == "complete"


def test_a_running_row_with_no_heartbeat_shows_as_interrupted_once_stale(cat, capsys, monkeypatch):
    """`assay runs` judged a run with no heartbeat as running for ever (erase already judged it by its start)."""
    runs_q.register_run(cat, "r-old", "unit", "Q4", "cfg", "m", actor="t")
    with cat.connect(write=True) as con:  # no lease at all, started two days ago
        con.execute("UPDATE runs SET lease_host = NULL, lease_pid = NULL, heartbeat_at = NULL, "
                    "created_at = created_at - INTERVAL 2 DAY")
    code, out = _cli(capsys, monkeypatch, cat, "runs", "--json")
    assert code == 0 and json.loads(out.out)[0]["status"] == "interrupted"
    with cat.connect(write=True) as con:  # started just now: it may still be running
        con.execute("UPDATE runs SET created_at = now()")
    code, out = _cli(capsys, monkeypatch, cat, "runs", "--json")
    assert json.loads(out.out)[0]["status"] == "running"


def test_resume_completes_a_run_whose_bundle_was_already_renamed(cat):
    runs_q.register_run(cat, "r-crash", "unit", "Q4", "cfg", "m", actor="t")
    write_bundle(cat.runs_dir, "r-crash", {"metrics": __import__("pandas").DataFrame({"v": [1]})},
                 {"run_id": "r-crash"}, {"name": "unit"}, {"audit": "unit"})  # crash before complete_run
    assert lease.complete_renamed(cat, "r-crash", "t") == cat.runs_dir / "r-crash"  # run_audit(resume=) calls it first
    assert runs_q.get_run(cat, "r-crash")["status"] == "complete"
    from audits.trust.verify import verify

    assert verify(cat).problems == []


def test_export_refuses_to_overwrite_without_force(cat, tmp_path, capsys, monkeypatch):
    make_run(cat)
    out = tmp_path / "m.csv"
    out.write_text("precious")
    code, res = _cli(capsys, monkeypatch, cat, "export", "r1", "metrics", "-o", str(out))
    assert code == 2 and "--force" in res.err and out.read_text() == "precious"
    code, res = _cli(capsys, monkeypatch, cat, "export", "r1", "metrics", "-o", str(out), "--force")
    assert code == 0 and "accuracy" in out.read_text()


def test_erase_refuses_a_signed_off_run_without_a_reason_and_logs_it(cat, capsys, monkeypatch):
    from audits.store.queries import policies as policies_q
    from audits.store.queries import users as uq
    from audits.trust import keys
    from audits.trust.verify import verify

    uq.add_user(cat, "ada", "admin", "ada-password")
    uq.add_user(cat, "bob", "committee", "bob-password", actor="ada")  # verify checks the actor
    make_run(cat)
    keys.new_run_key("r1")
    policies_q.add_signoff(cat, "r1", "bob", "committee", "approve")
    code, res = _cli(capsys, monkeypatch, cat, "erase", "r1", "--user", "bob", "--password-stdin",
                     stdin="bob-password\n")
    assert code == 2 and "may not erase" in res.err
    code, res = _cli(capsys, monkeypatch, cat, "erase", "r1", "--user", "ada", "--password-stdin",
                     stdin="ada-password\n")
    assert code == 2 and "sign-off(s) resting on its evidence" in res.err and keys.run_key("r1") is not None
    code, res = _cli(capsys, monkeypatch, cat, "erase", "r1", "--user", "ada", "--password-stdin",
                     "--reason", "data subject request 42", stdin="ada-password\n")
    assert code == 0, res.err
    assert keys.run_key("r1") is None
    with cat.connect() as con:
        details = json.loads(con.execute("SELECT details FROM audit_log WHERE action = 'run.erased'").fetchone()[0])
    assert details["reason"] == "data subject request 42" and details["raw_key_destroyed"] and details["signoffs"]
    assert verify(cat).problems == []
