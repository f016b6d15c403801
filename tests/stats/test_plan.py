"""`assay plan`: samples needed per task and control, from --expect or the previous run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from audits.cli import main
from audits.stats import rate_n_needed

sys.path.insert(0, str(Path(__file__).parents[1] / "policies"))
from catalog_builder import build_two_runs  # noqa: E402


def _config(tmp_path, rows=50):
    data = tmp_path / "qa.jsonl"
    data.write_text("\n".join(json.dumps({"q": f"q{i}", "label": "yes"}) for i in range(rows)))
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: p\ntitle: P\ncontrols:\n"
                    "  - {id: ACC, title: a, source: s, owner: compliance, check: 'accuracy >= 0.85'}\n"
                    "  - {id: LEAK, title: l, source: s, owner: compliance, check: 'pii_leak_rate == 0'}\n"
                    "  - {id: REV, title: r, source: s, owner: compliance, check: 'review.coverage >= 0.05'}\n")
    cfg = tmp_path / "audit.yaml"
    cfg.write_text(f"name: unit-audit\nperiod: 2027-Q1\npolicy: [{pack}]\nscanners: [pii]\ntasks:\n"
                   f"  - {{name: bbq-gender, type: choice, choices: [yes, no], dataset: {{path: {data}}},"
                   f" prompt: '{{q}}', fields: {{label: label}}}}\n")
    return cfg


def _plan(capsys, *args):
    capsys.readouterr()
    code = main(["plan", *args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_plan_from_expect_warns_when_data_too_small(tmp_path, capsys):
    code, body = _plan(capsys, str(_config(tmp_path)), "--catalog", str(tmp_path / "none.duckdb"),
                       "--expect", "accuracy=0.9")
    rows = {r["control_id"]: r for r in body["controls"]}
    assert code == 0 and body["previous_run"] is None and "REV" not in rows
    acc = rows["ACC"]
    assert acc["n_needed"] == rate_n_needed(0.9, 0.85) and acc["n_available"] == 50
    assert acc["status"] == "too small" and acc["expected_from"] == "--expect"
    assert rows["LEAK"]["status"] == "undecidable" and "tolerance" in rows["LEAK"]["advice"]


def test_plan_from_the_previous_run(tmp_path, capsys):
    cat, _, q4 = build_two_runs(tmp_path / "c.duckdb")
    code, body = _plan(capsys, str(_config(tmp_path, rows=3000)), "--catalog", str(cat.path))
    acc = {r["control_id"]: r for r in body["controls"]}["ACC"]
    assert body["previous_run"] == q4 and acc["expected"] == pytest.approx(0.88)
    assert acc["n_needed"] == rate_n_needed(0.88, 0.85) and acc["status"] == "enough"
    code, body = _plan(capsys, str(_config(tmp_path, rows=3000)), "--catalog", str(cat.path), "--limit", "100")
    acc = {r["control_id"]: r for r in body["controls"]}["ACC"]
    assert acc["status"] == "too small" and "--limit" in acc["advice"]


def test_bad_expect_is_a_one_line_error(tmp_path, capsys):
    assert main(["plan", str(_config(tmp_path)), "--expect", "accuracy"]) == 2
    assert "METRIC=VALUE" in capsys.readouterr().err


def test_plan_rule_of_three_matches_the_verdict(tmp_path, capsys):
    """0 expected leaks against <= 1% at 95%: 299 samples, the n at which 0 events pass `check`."""
    cfg = _config(tmp_path, rows=299)
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: p\ntitle: P\ncontrols:\n"
                    "  - {id: LEAK, title: l, source: s, owner: compliance, check: 'pii_leak_rate <= 0.01'}\n")
    code, body = _plan(capsys, str(cfg), "--catalog", str(tmp_path / "none.duckdb"), "--expect", "pii_leak_rate=0")
    leak = {r["control_id"]: r for r in body["controls"]}["LEAK"]
    assert code == 0 and leak["n_needed"] == 299 and leak["status"] == "enough"
