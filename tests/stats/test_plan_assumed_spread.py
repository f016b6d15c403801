"""`assay plan` for a mean score with no earlier run: the assumed spread (sd 0.5 at n 100) is an interval
from ``audits.stats.normal_interval``, not a z literal in the planner; the n it asks for is unchanged."""

from __future__ import annotations

import json

from audits import stats
from audits.cli import main


def test_a_mean_with_no_spread_known_plans_from_the_stats_interval(tmp_path, capsys):
    data = tmp_path / "qa.jsonl"
    data.write_text("\n".join(json.dumps({"q": f"q{i}", "a": "yes"}) for i in range(40)))
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: p\ntitle: P\ncontrols:\n"
                    "  - {id: F1, title: f, source: s, owner: compliance, check: 'token_f1 >= 0.7'}\n")
    cfg = tmp_path / "audit.yaml"
    cfg.write_text(f"name: mean-audit\nperiod: 2027-Q1\npolicy: [{pack}]\ntasks:\n"
                   f"  - {{name: qa, type: generate, dataset: {{path: {data}}}, prompt: '{{q}}',"
                   f" fields: {{reference: a}}, metrics: [token_f1]}}\n")
    capsys.readouterr()
    code = main(["plan", str(cfg), "--catalog", str(tmp_path / "none.duckdb"), "--expect", "token_f1=0.8", "--json"])
    row = json.loads(capsys.readouterr().out)["controls"][0]
    lo, hi = stats.normal_interval(0.8, 0.05, 0.95)
    assert code == 0 and row["assumed_sd"] == 0.5 and row["kind"] == "mean"
    assert row["n_needed"] == stats.n_needed("mean", 0.8, 0.7, confidence=0.95, n=100, low=float(lo),
                                             high=float(hi), interval_confidence=0.95)
    z = 1.959964  # the literal the planner used before: the same n
    assert row["n_needed"] == stats.n_needed("mean", 0.8, 0.7, confidence=0.95, n=100, low=0.8 - z * 0.05,
                                             high=0.8 + z * 0.05, interval_confidence=0.95) == 155
