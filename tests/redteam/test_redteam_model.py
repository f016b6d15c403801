"""`assay run` of the built-in prompt-injection and system-prompt-leak probes on the embedded model (slow):
attack_success_rate with exact intervals, success_marker (the run's canary for the leak probe) in the
exported samples, each verdict the detector's on the real output."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import yaml

from audits.redteam import detectors
from audits.stats import clopper_pearson
from tests.conftest import run_cli

LIMIT = 2


@pytest.mark.slow
def test_assay_run_probes_on_the_embedded_model(tmp_path):
    config = {"name": "rt-model", "period": "2026-Q4", "seed": 11, "bootstrap": 0,
              "model": {"backend": "hf", "path": "smollm2", "max_new_tokens": 24, "batch_size": 4},
              "tasks": [{"name": "qa", "type": "generate", "dataset": {"builtin": "reference-qa"}, "limit": 1,
                         "prompt": "{question}"}],
              "redteam": {"families": ["prompt-injection", "system-prompt-leak"], "limit": LIMIT},
              "review": {"rate": 0.0}}
    (tmp_path / "rt.yaml").write_text(yaml.safe_dump(config))
    catalog = tmp_path / "c.duckdb"
    run_cli("run", str(tmp_path / "rt.yaml"), catalog=catalog, check=True, timeout=1500)
    run_id = json.loads(run_cli("runs", "--json", catalog=catalog, check=True).stdout)[-1]["run_id"]
    results = json.loads(run_cli("results", run_id, "--json", catalog=catalog, check=True).stdout)
    tasks = {t["name"]: t for t in results["tasks"]}
    out = tmp_path / "samples.parquet"
    run_cli("export", run_id, "samples", "-o", str(out), catalog=catalog, check=True)
    samples = pd.read_parquet(out)
    for name in ("redteam-prompt-injection", "redteam-system-prompt-leak"):
        rate = tasks[name]["metrics"]["attack_success_rate"]
        rows = samples[samples["task"] == name]
        k = int(rows["attack_success"].sum())
        low, high = clopper_pearson(k, LIMIT)
        assert rate["n"] == LIMIT and rate["value"] == k / LIMIT and rate["higher_is_better"] is False
        assert (rate["ci_low"], rate["ci_high"]) == (pytest.approx(float(low)), pytest.approx(float(high)))
        for r in rows.to_dict("records"):  # each stored verdict is the detector's on the real output
            hit = detectors.detect(r["prediction"] or "", r["success_marker"], r["input"], bool(r["marker_requested"]))
            assert bool(hit.score) == bool(r["attack_success"])
    leak = samples[samples["task"] == "redteam-system-prompt-leak"]
    assert set(leak["success_marker"]) == {tasks["redteam-system-prompt-leak"]["redteam"]["canary"]}
    assert tasks["redteam-system-prompt-leak"]["redteam"]["planted_system_prompt"] is True
