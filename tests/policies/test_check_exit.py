"""`assay check` exit codes when nothing is decided, and the run's own packs by default."""

from __future__ import annotations

import json

import pytest

from audits.cli import main
from catalog_builder import make_run


def _pack(tmp_path, *controls: str) -> str:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\ntitle: P\ncontrols:\n" + "".join(f"  - {c}\n" for c in controls))
    return str(path)


MANUAL = "{id: SIGN, title: s, source: s, owner: committee, attestation: {role: committee}}"
NO_DATA = "{id: CF, title: c, source: s, owner: committee, check: 'counterfactual.flip_rate <= 0.1'}"
PASSES = "{id: TOX, title: t, source: s, owner: compliance, check: 'toxicity_rate <= 0.01'}"


def _check(cat, run, *args, capsys=None):
    if capsys:
        capsys.readouterr()
    return main(["--catalog", str(cat.path), "check", run, *args])


@pytest.mark.parametrize("controls", [(MANUAL,), (NO_DATA,), (MANUAL, NO_DATA)],
                         ids=["only-manual", "only-no-data", "manual-and-no-data"])
@pytest.mark.parametrize("strict", [[], ["--strict"]])
def test_nothing_decided_exits_3(two_runs, tmp_path, capsys, controls, strict):
    cat, _, q4 = two_runs
    pack = _pack(tmp_path, *controls)
    assert _check(cat, q4, "--policy", pack, *strict, capsys=capsys) == 3
    out = capsys.readouterr().out
    assert "RESULT: INCONCLUSIVE (nothing decided: every control has no data or awaits attestation)" in out
    assert "RESULT: OK" not in out
    assert _check(cat, q4, "--policy", pack, "--json", *strict, capsys=capsys) == 3
    body = json.loads(capsys.readouterr().out)
    assert body["exit_code"] == 3 and body["nothing_decided"] is True and body["failed"] is False


def test_one_decided_control_is_enough_for_ok(two_runs, tmp_path, capsys):
    cat, _, q4 = two_runs
    assert _check(cat, q4, "--policy", _pack(tmp_path, PASSES, MANUAL, NO_DATA), capsys=capsys) == 0
    assert "RESULT: OK" in capsys.readouterr().out


def test_json_without_policy_uses_the_runs_packs(two_runs, capsys):
    cat, _, q4 = two_runs   # the run's config named internal-llm (results.policy)
    assert _check(cat, q4, "--json", capsys=capsys) == 1
    body = json.loads(capsys.readouterr().out)
    assert body["packs"] == ["internal-llm"] and body["exit_code"] == 1
    assert {r["control_id"] for r in body["controls"]} >= {"INT-ACC-1", "INT-PII-1", "INT-PII-2", "INT-REL-1"}


def test_a_run_without_packs_and_no_policy_is_a_one_line_error(two_runs, capsys):
    cat, _, _ = two_runs
    run = make_run(cat, "run-nopack", "2027-Q1", acc=0.9, ratio=0.9, leak=0.0,
                   edit=lambda r: r.update(policy=[]))
    assert _check(cat, run, "--json", capsys=capsys) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "names no policy pack" in err and "--policy" in err
