"""Re-audit of issue 24: two runs of 4 logged inputs each, billing questions then cooking ones, read
"drift: false" with every test "same", and a pack's ``drift.inputs == 0`` passed. At 4 and 4 inputs no
two-sample test here can give a p-value below 2 / C(8, 4) (the mirror labelling gives the same statistic),
0.086 after Holm over the 3 tests: drift could never be called. Now the CLI says "drift: inconclusive" and why, the JSON
says ``detectable: false``, and the pack's control reads no data instead of passing."""

from __future__ import annotations

import json

import pytest
import yaml

from audits.stats._drift import smallest_adjusted_p
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def test_smallest_adjusted_p_is_the_exact_permutation_floor():
    assert smallest_adjusted_p(4, 4, 2) == pytest.approx(2 * 2 / 70)  # C(8, 4) = 70, mirror labelling
    assert smallest_adjusted_p(5, 5, 2) == pytest.approx(2 * 2 / 252) and 4 / 252 < 0.05
    assert smallest_adjusted_p(3, 200, 2) == pytest.approx(2 / 1373701, rel=1e-6)  # C(203, 3)
    assert smallest_adjusted_p(1000, 1000, 5) == 0.0 and smallest_adjusted_p(0, 10, 2) == 1.0


def test_four_inputs_a_run_is_inconclusive_not_no_drift(tmp_path, catalog):
    runs = [run_config(catalog, log_config(tmp_path, write_log(tmp_path / f"{p}.jsonl", 4, 1.0, topic=topic, seed=i),
                                           period=p, feedback=False))
            for i, (p, topic) in enumerate((("2026-Q3", "billing"), ("2026-Q4", "cooking")))]
    env = {"ASSAY_KEY_DIR": str(tmp_path / "keys")}
    proc = run_cli("drift", *runs, catalog=catalog.path, env=_env(env))
    assert proc.returncode == 0, proc.stderr
    head, why = proc.stdout.splitlines()[:2]
    assert head.startswith("drift: inconclusive  (") and "n=4" in head
    # 3 tests (embeddings, lengths, the segment column): 3 x 2 / 70
    assert why == ("  too few inputs to tell: the smallest p-value these tests could give at n=4 and 4 is 0.0857 after "
                   "correction, not below 0.05; no drift was detectable, which is not evidence of none")
    assert "same " not in proc.stdout
    from audits.drift import input_drift

    body = input_drift(catalog, *runs)
    assert body["detectable"] is False and body["drift"] is False
    assert body["smallest_p_adjusted"] == pytest.approx(6 / 70) and len(body["tests"]) == 3

    pack = tmp_path / "drifting.yaml"
    pack.write_text(yaml.safe_dump({"name": "drifting", "title": "Monitoring", "controls": [
        {"id": "DRIFT", "title": "inputs did not drift", "source": "internal", "owner": "compliance",
         "check": "drift.inputs == 0"}]}), encoding="utf-8")
    checked = json.loads(run_cli("check", runs[1], "--policy", str(pack), "--json", catalog=catalog.path,
                                 env=_env(env)).stdout)
    [control] = checked["controls"]
    assert control["verdict"] != "pass" and control["verdict"] == "no-data", control


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}
