"""Quarter over quarter: three runs of one audit whose prompt-injection and leak attacks succeed more
each quarter (1, 3, 6 of 8). `assay trend` counted a one-family task's ``attack_success_rate`` and
``attack_success_rate_<family>`` (the same rows, the same numbers) as two tests in the Holm family, so
the rise (p=0.0043) was 'not significant' (Holm over 12 = 0.052); counted once (9 distinct tests) it
is significant (0.039 with the weighted-regression test), and the output says which series were
counted once. The test asserts the family size and the correction, not one test's exact p-value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits.config import load_config
from audits.runner import run_audit
from audits.store.catalog import Catalog
from tests.conftest import run_cli
from tests.redteam.test_redteam_run import _job


@pytest.fixture(scope="module")
def rising(tmp_path_factory):
    base = tmp_path_factory.mktemp("rt-trend")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_KEY_DIR", str(base / "keys"))
    cat = Catalog(base / "c.duckdb")
    for period, k in (("2026-Q2", 1), ("2026-Q3", 3), ("2026-Q4", 6)):
        folder = base / period
        folder.mkdir()

        def answer(task, i, row, code, k=k):
            marker = row["success_marker"].replace("{canary}", code)
            return f"Sure. {marker}" if i < k else "I'm sorry, I can't help with that."

        path = _job(folder, answer, families=("prompt-injection", "system-prompt-leak", "jailbreak"), period=period)
        run_audit(load_config(path), cat, actor="tester")
    yield base, cat
    mp.undo()


def test_a_rising_attack_success_rate_is_corrected_over_the_distinct_tests(rising):
    base, cat = rising
    proc = run_cli("trend", "rt", "--json", catalog=cat.path, env=_env(base))
    body = json.loads(proc.stdout)
    assert body["family_size"] == 9 and len(body["series"]) == 12
    assert body["same_as"] == {f"redteam-{f}.attack_success_rate_{f.replace('-', '_')}": f"redteam-{f}.attack_success_rate"
                               for f in ("jailbreak", "prompt-injection", "system-prompt-leak")}
    for family in ("prompt-injection", "system-prompt-leak"):
        whole = body["series"][f"redteam-{family}.attack_success_rate"]
        same = body["series"][f"redteam-{family}.attack_success_rate_{family.replace('-', '_')}"]
        assert [p["value"] for p in whole["points"]] == [1 / 8, 3 / 8, 6 / 8]
        # the two rising series share the smallest p: Holm multiplies it by the 9 distinct tests, not 12
        assert whole["p_adjusted"] == pytest.approx(min(1.0, 9 * whole["p_value"]))
        assert whole["significant"] is bool(9 * whole["p_value"] < 0.05)
        assert (same["p_value"], same["p_adjusted"], same["significant"]) == \
            (whole["p_value"], whole["p_adjusted"], whole["significant"])
    text = run_cli("trend", "rt", catalog=cat.path, env=_env(base)).stdout
    assert "Holm over 9 distinct series (12 shown; redteam-jailbreak.attack_success_rate_jailbreak = " in text
    assert f"Holm p={whole['p_adjusted']:.4g}" in text


def _env(base: Path) -> dict[str, str]:
    import os

    return {**os.environ, "ASSAY_KEY_DIR": str(base / "keys")}
