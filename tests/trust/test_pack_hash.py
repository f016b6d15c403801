"""Issue 19 follow-up: nobody can change the policy pack a sign-off or attestation rested on.

A sign-off's and an attestation's signed log entry records the SHA-256 of each pack file the run is
checked against; editing or deleting the pack afterwards is a verify finding naming it, and `assay
check` / the dashboard say "the policy pack changed after this sign-off". Real catalog, real packs
(a shipped one and a copy on disk), the real CLI. Each test fails without the fix.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import policies
from audits.errors import AssayError
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from audits.store.queries import runs as runs_q
from audits.store.queries import users as users_q
from audits.trust.packs import signoff_warning
from policies.schema import PACKS_DIR
from tests.trust.conftest import problems, raw


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A catalog with a committee member and a compliance officer, and one complete run whose config
    named a pack file on disk (a copy of internal-llm) and the shipped eu-ai-act pack."""
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    pack = tmp_path / "packs" / "ours.yaml"
    pack.parent.mkdir()
    shutil.copy(PACKS_DIR / "internal-llm.yaml", pack)
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password", actor="setup")
    users_q.add_user(cat, "cleo", "committee", "cleo-password", actor="ada")
    users_q.add_user(cat, "carol", "compliance", "carol-password", actor="ada")
    runs_q.register_run(cat, "r1", "unit", "2026Q4", "cfg", "model", actor="ada")
    samples = pd.DataFrame({"task": ["t"], "sample_id": ["1"], "input": ["q"], "prediction": ["a"]})
    results = {"run_id": "r1", "audit": "unit", "period": "2026Q4", "tasks": [], "policy": [str(pack), "eu-ai-act"]}
    bundle, sha = write_bundle(cat.runs_dir, "r1", {"samples": samples}, results, {"name": "unit"}, {"audit": "unit"})
    runs_q.complete_run(cat, "r1", bundle, sha, "ada", "cpu")
    return cat, pack


def _log(cat: Catalog, action: str) -> list[dict]:
    with raw(cat) as con:
        rows = con.execute("SELECT details FROM audit_log WHERE action = ? ORDER BY seq", [action]).fetchall()
    return [json.loads(r[0]) for r in rows]


def _seq(cat: Catalog, action: str) -> int:
    with raw(cat) as con:
        return con.execute("SELECT max(seq) FROM audit_log WHERE action = ?", [action]).fetchone()[0]


def test_a_signoff_records_each_pack_it_rested_on_and_an_unchanged_pack_verifies_clean(setup):
    cat, pack = setup
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    assert _log(cat, "policy.signoff")[-1]["packs"] == {str(pack.absolute()): _sha(pack),
                                                        "eu-ai-act": _sha(PACKS_DIR / "eu-ai-act.yaml")}
    assert problems(cat) == []
    assert signoff_warning(cat, "r1") is None


def test_lowering_a_threshold_after_the_signoff_fails_verify_naming_the_pack(setup):
    cat, pack = setup
    sid = policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    was = _sha(pack)
    pack.write_text(pack.read_text().replace("accuracy >= 0.85", "accuracy >= 0.10"))
    now = _sha(pack)
    assert problems(cat) == [f"sign-off {sid} of run r1 (entry {_seq(cat, 'policy.signoff')}) rested on pack "
                             f"{pack.absolute()} {was[:12]}; the file now hashes {now[:12]} — restore the pack or "
                             "sign off again"]
    assert signoff_warning(cat, "r1") == ("the policy pack changed after this sign-off (ours.yaml): what the checklist "
                                          "shows now is not what was approved — restore the pack or sign off again")
    shutil.copy(PACKS_DIR / "internal-llm.yaml", pack)  # restored byte for byte: clean again
    assert problems(cat) == [] and signoff_warning(cat, "r1") is None


def test_a_deleted_pack_is_a_finding(setup):
    cat, pack = setup
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    pack.unlink()
    found = problems(cat)
    assert len(found) == 1 and f"rested on pack {pack.absolute()}" in found[0]
    assert "the file no longer exists — restore the pack or sign off again" in found[0]
    assert signoff_warning(cat, "r1").startswith("the policy pack changed after this sign-off (ours.yaml)")


def test_signing_off_again_on_the_changed_pack_clears_it_and_an_unchanged_repeat_is_still_refused(setup):
    cat, pack = setup
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    with pytest.raises(AssayError, match="already signed off run 'r1' with 'approve'"):
        policies.signoff(cat, "r1", "cleo", "committee", "approve", "again")
    pack.write_text(pack.read_text().replace("accuracy >= 0.85", "accuracy >= 0.90"))
    assert len(problems(cat)) == 1
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "re-read the checklist on the new pack")
    assert problems(cat) == [] and signoff_warning(cat, "r1") is None
    assert _log(cat, "policy.signoff")[-1]["packs"][str(pack.absolute())] == _sha(pack)


def test_an_old_format_signoff_without_packs_is_not_a_finding(setup):
    cat, pack = setup
    policies_q.add_signoff(cat, "r1", "cleo", "committee", "approve", "before packs were recorded")
    assert "packs" not in _log(cat, "policy.signoff")[-1]
    pack.write_text(pack.read_text().replace("accuracy >= 0.85", "accuracy >= 0.10"))
    assert problems(cat) == []
    assert signoff_warning(cat, "r1") is None


def test_an_attestation_records_its_pack_and_an_edit_after_it_is_a_finding(setup):
    cat, pack = setup
    control = _manual_control(pack)
    att = policies.attest(cat, "r1", str(pack), control, "cleo", "committee", note="checked",
                          link="https://intranet/evidence", file=None)
    assert _log(cat, "policy.attest")[-1]["packs"] == {str(pack.absolute()): _sha(pack)}
    assert problems(cat) == []
    pack.write_text(pack.read_text() + "\n# edited\n")
    found = problems(cat)
    assert len(found) == 1 and found[0].startswith(f"attestation {att} of control {control} of run r1 (entry ")
    assert found[0].endswith("— restore the pack or attest again")


def _manual_control(pack: Path) -> str:
    loaded = policies.load_pack(pack)
    return next(c.id for c in loaded.controls if c.attestation is not None and c.attestation.role == "committee")


def test_assay_verify_and_check_on_the_command_line(setup, capsys, monkeypatch):
    from audits.cli import main

    cat, pack = setup
    monkeypatch.setenv("ASSAY_PASSWORD", "cleo-password")
    assert main(["--catalog", str(cat.path), "signoff", "r1", "--decision", "approve", "--user", "cleo",
                 "--note", "fine"]) == 0
    assert main(["--catalog", str(cat.path), "verify"]) == 0
    capsys.readouterr()
    pack.write_text(pack.read_text().replace("accuracy >= 0.85", "accuracy >= 0.10"))
    assert main(["--catalog", str(cat.path), "verify"]) == 1
    assert f"rested on pack {pack.absolute()}" in capsys.readouterr().err
    main(["--catalog", str(cat.path), "check", "r1"])
    assert "SIGN-OFF: the policy pack changed after this sign-off (ours.yaml)" in capsys.readouterr().out
    main(["--catalog", str(cat.path), "check", "r1", "--json"])
    body = json.loads(capsys.readouterr().out)
    assert body["signoff_warning"].startswith("the policy pack changed after this sign-off (ours.yaml)")


def test_a_signoff_on_a_pack_that_cannot_be_read_is_refused_and_nothing_is_stored(setup):
    """Else the sign-off would record no hash for it, and the pack could be put back changed unseen."""
    cat, pack = setup
    pack.unlink()
    with pytest.raises(AssayError, match=r"run 'r1' is checked against policy pack .*ours.yaml, which cannot be read "
                                         r"from here .* sign off from the folder the run was made in"):
        policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    assert len(policies_q.list_signoffs(cat, "r1")) == 0 and _log(cat, "policy.signoff") == []


@pytest.mark.parametrize("first", ["audits.trust.verify", "audits.trust.packs", "policies", "audits.commands.check"])
def test_each_module_imports_first_in_a_fresh_interpreter(first):
    """`assay verify` imports audits.trust.packs before the policies package: no circular-import crash."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", f"import {first}; import policies; import audits.trust.verify"],
                          capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr[-800:]


def test_a_pack_reached_through_a_symlink_that_is_repointed_is_a_finding(setup, tmp_path):
    """The key is the path the run named, not the symlink's target: re-pointing it changes what check reads."""
    cat, pack = setup
    v1 = tmp_path / "packs" / "v1.yaml"
    pack.rename(v1)
    pack.symlink_to(v1)
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine")
    assert str(pack.absolute()) in _log(cat, "policy.signoff")[-1]["packs"] and problems(cat) == []
    v2 = tmp_path / "packs" / "v2.yaml"
    v2.write_text(v1.read_text().replace("accuracy >= 0.85", "accuracy >= 0.10"))
    pack.unlink()
    pack.symlink_to(v2)
    found = problems(cat)
    assert len(found) == 1 and f"rested on pack {pack.absolute()}" in found[0] and "the file now hashes" in found[0]
