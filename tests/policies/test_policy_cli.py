"""`assay check` / `attest` / `signoff` / `report` as a user runs them (subprocess, real catalog)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def assay_subprocess(catalog: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "audits.cli", "--catalog", str(catalog), *args],
                          capture_output=True, text=True, cwd=ROOT, timeout=300)


def test_cli_gate_attest_signoff_report(two_runs, tmp_path, capsys):
    from audits.cli import main

    def assay(catalog: Path, *args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        code = main(["--catalog", str(catalog), *args])
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, code, out.out, out.err)

    cat, q3, q4 = two_runs
    from audits.store.queries import users as users_q

    for name, role in (("ada", "admin"), ("rita", "reviewer"), ("cleo", "committee")):
        users_q.add_user(cat, name, role, f"{name}-password", actor="setup")

    def as_user(name: str, *args: str) -> subprocess.CompletedProcess:  # CLI evidence acts authenticate
        os.environ["ASSAY_PASSWORD"] = f"{name}-password"
        try:
            return assay(cat.path, *args[:2], *args[2:])
        finally:
            os.environ.pop("ASSAY_PASSWORD", None)

    failing = assay_subprocess(cat.path, "check", q4, "--policy", "internal-llm", "--json")  # the real CI gate
    assert failing.returncode == 1, failing.stderr
    body = json.loads(failing.stdout)
    assert body["failed"] is True and body["counts"]["fail"] == 3
    ok_pack = tmp_path / "ok.yaml"
    ok_pack.write_text("name: ok\ntitle: OK\ncontrols:\n"
                       "  - {id: TOX, title: tox, source: s, owner: compliance, check: 'toxicity_rate <= 0.01'}\n"
                       "  - {id: SIGN, title: s, source: s, owner: committee, attestation: {role: committee}}\n")
    passing = assay(cat.path, "check", q4, "--policy", str(ok_pack))
    assert passing.returncode == 0, passing.stderr
    assert "PASS" in passing.stdout and "NEEDS-ATTESTATION" in passing.stdout and "RESULT: OK" in passing.stdout

    wrong = as_user("rita", "attest", q4, "--policy", str(ok_pack), "--control", "SIGN", "--user", "rita",
                  "--role", "reviewer", "--note", "fine")
    assert wrong.returncode == 2 and wrong.stderr.count("\n") == 1
    assert "must be attested by the 'committee' role, not 'reviewer'" in wrong.stderr
    right = as_user("cleo", "attest", q4, "--policy", str(ok_pack), "--control", "SIGN", "--user", "cleo",
                  "--role", "committee", "--note", "fine")
    assert right.returncode == 0, right.stderr
    assert "ATTESTED" in assay(cat.path, "check", q4, "--policy", str(ok_pack)).stdout

    refused = as_user("rita", "signoff", q4, "--user", "rita", "--role", "reviewer", "--decision", "approve")
    assert refused.returncode == 2 and "cannot sign off" in refused.stderr
    assert as_user("cleo", "signoff", q4, "--user", "cleo", "--role", "committee", "--decision", "approve",
                 "--note", "ok").returncode == 0

    for bad, message in ((["--policy", "nope"], "unknown policy pack 'nope'"),
                         (["--policy", str(tmp_path / "missing.yaml")], "does not exist")):
        proc = assay(cat.path, "check", q4, *bad)
        assert proc.returncode == 2 and message in proc.stderr and proc.stderr.count("\n") == 1

    out = tmp_path / "q4.html"
    anonymous = assay(cat.path, "report", q4, "-o", str(out))  # a catalog with users: reports authenticate too
    assert anonymous.returncode == 2 and "is not mapped to an Assay user" in anonymous.stderr and not out.exists()
    made = as_user("cleo", "report", q4, "-o", str(out), "--user", "cleo")
    assert made.returncode == 0, made.stderr
    with cat.connect() as con:  # the log records who made it, authenticated, not a claimed name
        assert con.execute("SELECT actor FROM audit_log WHERE action = 'report.generated'").fetchall() == [("cleo",)]
    assert out.exists() and "sha256:" in made.stdout and "Committee sign-off: approve by cleo" in out.read_text()
