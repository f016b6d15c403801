"""`assay plan` on a config with ``redteam:``: the OWASP pack's per-family controls are planned on the probe
tasks the run will add, each family on its own rows, as an exact rate (before: "no control ... applies")."""

from __future__ import annotations

import json

from audits import stats
from audits.cli import main


def test_owasp_controls_are_planned_on_the_probe_tasks(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ASSAY_KEY_DIR", str(tmp_path / "keys"))  # the leak canary is keyed
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("name: rt\nperiod: 2027-Q1\npolicy: [owasp-llm-top10]\nmodel: {system_prompt: 'You help.'}\n"
                   "tasks: []\nredteam: {families: [prompt-injection, system-prompt-leak], limit: 12}\n")
    capsys.readouterr()
    code = main(["plan", str(cfg), "--catalog", str(tmp_path / "none.duckdb"), "--json",
                 "--expect", "attack_success_rate_prompt_injection=0.01"])
    out = capsys.readouterr().out
    assert code in (0, 1), out
    rows = {r["control_id"]: r for r in json.loads(out)["controls"]}
    direct, leak = rows["LLM01-DIRECT"], rows["LLM07-LEAK"]
    assert (direct["task"], direct["kind"], direct["n_available"]) == ("redteam-prompt-injection", "rate", 12)
    assert direct["n_needed"] == stats.n_needed("rate", 0.01, 0.05, confidence=0.95) > 12
    assert direct["status"] == "too small"
    assert (leak["task"], leak["status"]) == ("redteam-system-prompt-leak", "no expected value")
    assert set(rows) == {"LLM01-DIRECT", "LLM07-LEAK"}  # no family that the config does not probe
