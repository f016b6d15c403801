"""A sign-off pins the packs the committee was looking at, not only those the run's config named.

A run whose config names no pack is still checked on the Policies page (internal-llm by default) and
with `assay check --policy`; the sign-off records those packs' SHA-256 (``shown``), so a later edit of
them is a verify finding too. Real catalog, real shipped pack, real CLI argument parsing.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pandas as pd
import pytest

import policies
from audits.cli import build_parser
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from audits.store.queries import users as users_q
from audits.trust.packs import signoff_warning
from policies.schema import PACKS_DIR
from tests.trust.conftest import raw


@pytest.fixture
def no_pack_run(tmp_path, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))
    cat = Catalog(tmp_path / "c.duckdb")
    users_q.add_user(cat, "ada", "admin", "ada-password", actor="setup")
    users_q.add_user(cat, "cleo", "committee", "cleo-password", actor="ada")
    runs_q.register_run(cat, "r1", "unit", "2026Q4", "cfg", "model", actor="ada")
    samples = pd.DataFrame({"task": ["t"], "sample_id": ["1"], "input": ["q"], "prediction": ["a"]})
    results = {"run_id": "r1", "audit": "unit", "period": "2026Q4", "tasks": [], "policy": []}
    bundle, sha = write_bundle(cat.runs_dir, "r1", {"samples": samples}, results, {"name": "unit"}, {"audit": "unit"})
    runs_q.complete_run(cat, "r1", bundle, sha, "ada", "cpu")
    return cat, tmp_path


def _packs_signed(cat: Catalog) -> dict:
    with raw(cat) as con:
        row = con.execute("SELECT details FROM audit_log WHERE action = 'policy.signoff' ORDER BY seq DESC LIMIT 1").fetchone()
    return json.loads(row[0]).get("packs", {})


def test_a_run_naming_no_pack_pins_the_packs_shown(no_pack_run):
    cat, _ = no_pack_run
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine", shown=["internal-llm"])
    sha = hashlib.sha256((PACKS_DIR / "internal-llm.yaml").read_bytes()).hexdigest()
    assert _packs_signed(cat) == {"internal-llm": sha}


def test_an_edited_shown_pack_file_is_named_after_the_signoff(no_pack_run):
    cat, tmp = no_pack_run
    pack = tmp / "ours.yaml"
    shutil.copy(PACKS_DIR / "internal-llm.yaml", pack)
    policies.signoff(cat, "r1", "cleo", "committee", "approve", "fine", shown=[str(pack)])
    assert signoff_warning(cat, "r1") is None
    pack.write_text(pack.read_text().replace("accuracy >= 0.85", "accuracy >= 0.10"))
    assert "the policy pack changed after this sign-off" in (signoff_warning(cat, "r1") or "")


def test_signoff_cli_takes_the_packs_it_rests_on() -> None:
    args = build_parser().parse_args(["signoff", "r1", "--user", "cleo", "--decision", "approve",
                                      "--policy", "internal-llm", "--policy", "eu-ai-act"])
    assert args.policy == ["internal-llm", "eu-ai-act"]
