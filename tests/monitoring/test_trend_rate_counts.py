"""`assay trend` tests a rate on its counts: three quarters of a logged support audit, exact match
136, 136, 114 of 150 (0.91, 0.91, 0.76). The interval regression read this 'not significant'
(p = 0.33: the middle run on the line's wrong side put Q past its chi-square(1) point, and a t with
one df needs |z| > 12.7); Cochran-Armitage on the counts says p = 0.0004. The output names the test
per series (a score's series keeps the interval regression: tests/stats/test_trend_rates.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audits import stats
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    from audits.store.catalog import Catalog

    tmp = tmp_path_factory.mktemp("trend-rates")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_KEY_DIR", str(tmp / "keys"))
    cat = Catalog(tmp / "c.duckdb")
    for i, (acc, period) in enumerate(zip([0.9, 0.9, 0.82], ["2026-Q2", "2026-Q3", "2026-Q4"])):
        log = write_log(tmp / f"{period}.jsonl", 150, acc, seed=10 + i)
        run_config(cat, log_config(tmp, log, period=period, name="steps"))
    yield cat, tmp
    mp.undo()


def test_a_rate_is_tested_on_its_counts_and_the_output_says_so(catalog):
    cat, tmp = catalog
    env = {"ASSAY_KEY_DIR": str(tmp / "keys")}
    body = json.loads(run_cli("trend", "steps", "--json", catalog=cat.path, check=True, env=_env(env)).stdout)
    em = body["series"]["exact_match"]
    assert [p["value"] * p["n"] for p in em["points"]] == pytest.approx([136, 136, 114])
    assert em["method"] == stats.RATE_TREND_TEST
    assert em["p_value"] == pytest.approx(stats.rate_trend_test([136, 136, 114], [150] * 3)["p_value"], rel=1e-9)
    assert em["p_value"] < 0.001 and em["significant"] and em["slope"] < 0
    # the interval regression on the same points: 'not significant' (what assay trend said before)
    low, high = (np.array([p[c] for p in em["points"]]) for c in ("ci_low", "ci_high"))
    old = stats.trend_test([136 / 150, 136 / 150, 114 / 150], stats.standard_errors(low, high), n=[150] * 3)
    assert old["p_value"] > 0.3
    assert body["test"].startswith("rates: Cochran-Armitage")
    text = run_cli("trend", "steps", catalog=cat.path, check=True, env=_env(env)).stdout
    lines = text.splitlines()
    em_trend = lines[lines.index(next(l for l in lines if l.startswith("exact_match:"))) + 1]
    assert em_trend.endswith("SIGNIFICANT (Cochran-Armitage trend test on the counts)"), em_trend


def _env(extra: dict[str, str]) -> dict[str, str]:
    import os

    return {**os.environ, **extra}
