"""``drift.inputs`` in a pack compares the run with the latest run of an earlier period, never with a
rerun of its own period: a Q4 rerun of a log whose topic moved away from Q3's passed 'inputs come from
last quarter's population' by comparing Q4 with Q4."""

from __future__ import annotations

import json

import yaml

from audits.store.queries.trends import previous_period_run
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def test_drift_inputs_compares_with_the_previous_period_not_a_rerun(tmp_path, catalog):
    q3 = run_config(catalog, log_config(tmp_path, write_log(tmp_path / "q3.jsonl", 120, 0.8, seed=41), period="2026-Q3"))
    q4_log = write_log(tmp_path / "q4.jsonl", 120, 0.8, seed=42, topic="cooking")
    q4 = run_config(catalog, log_config(tmp_path, q4_log, period="2026-Q4"))
    rerun = run_config(catalog, log_config(tmp_path, q4_log, period="2026-Q4"))
    assert previous_period_run(catalog, rerun) == q3 and previous_period_run(catalog, q4) == q3
    assert previous_period_run(catalog, q3) is None
    pack = tmp_path / "drift.yaml"
    pack.write_text(yaml.safe_dump({"name": "drift", "title": "Monitoring", "controls": [
        {"id": "DRIFT", "title": "Inputs come from last quarter's population", "source": "internal",
         "owner": "compliance", "check": "drift.inputs == 0"}]}), encoding="utf-8")
    body = json.loads(run_cli("check", rerun, "--policy", str(pack), "--json", catalog=catalog.path).stdout)
    assert {c["control_id"]: (c["verdict"], c["value"]) for c in body["controls"]} == {"DRIFT": ("fail", 1.0)}
