"""Trends over the runs of one audit: a real fall is flagged, a flat series is not, and the trend
test's false-positive rate under the null stays at its level (seeded simulation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audits import stats
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


def _three_runs(tmp_path, catalog, accuracies, name):
    for i, (acc, period) in enumerate(zip(accuracies, ["2026-Q2", "2026-Q3", "2026-Q4"])):
        log = write_log(tmp_path / f"{name}-{period}.jsonl", 150, acc, seed=10 + i)
        run_config(catalog, log_config(tmp_path, log, period=period, name=name))


@pytest.fixture(scope="module")
def catalog(tmp_path_factory):
    """One catalog with three runs of a falling audit and three of a flat one."""
    from audits.store.catalog import Catalog

    tmp = tmp_path_factory.mktemp("trend")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_KEY_DIR", str(tmp / "keys"))
    cat = Catalog(tmp / "c.duckdb")
    _three_runs(tmp, cat, [0.92, 0.78, 0.6], "falling")
    _three_runs(tmp, cat, [0.8, 0.8, 0.8], "flat")
    yield cat
    mp.undo()


def test_falling_accuracy_is_a_significant_trend_and_flat_is_not(catalog):
    proc = run_cli("trend", "falling", "--json", catalog=catalog.path, check=True)
    body = json.loads(proc.stdout)
    assert [r["period"] for r in body["runs"]] == ["2026-Q2", "2026-Q3", "2026-Q4"]
    em = body["series"]["exact_match"]
    assert em["significant"] and em["slope"] < -0.1 and em["p_adjusted"] < 0.01 and em["slope_high"] < 0
    assert len(em["points"]) == 3 and all(p["ci_low"] < p["value"] < p["ci_high"] for p in em["points"])
    assert body["series"]["feedback_positive_rate"]["significant"]  # feedback follows correctness in these logs
    text = run_cli("trend", "falling", "--metric", "exact_match", catalog=catalog.path, check=True).stdout
    assert "exact_match:" in text and "SIGNIFICANT" in text and "Holm over 1 metric(s)" in text
    flat = json.loads(run_cli("trend", "flat", "--json", catalog=catalog.path, check=True).stdout)
    assert not flat["series"]["exact_match"]["significant"] and not flat["series"]["exact_match"]["change"]


def test_trend_bad_input_is_one_line(catalog):
    proc = run_cli("trend", "nope", catalog=catalog.path)
    assert proc.returncode == 2
    assert [l for l in proc.stderr.splitlines() if l.startswith("assay:")] == [
        f"assay: error: no complete run of audit 'nope' in {catalog.path} — name one of: falling, flat"]
    proc = run_cli("trend", "flat", "--metric", "bleu", catalog=catalog.path)
    assert proc.returncode == 2 and "has no metric 'bleu' — name one of: exact_match, feedback_positive_rate" in proc.stderr


def test_two_runs_have_no_trend_test():
    t = stats.trend_family({"acc": ([0.9, 0.6], [0.85, 0.5], [0.95, 0.7])})[0]
    assert t.slope is None and t.p_value is None and not t.significant
    assert t.change_after == 0 and t.change  # two runs can still differ


@pytest.mark.parametrize("k", [3, 5])
def test_trend_test_false_positive_rate_under_the_null(k):
    """Runs with the same true accuracy (0.8, n=200 each, exact intervals as the runs report them):
    the share of series called significant at 0.05 stays at or below 5% (+ simulation error)."""
    rng = np.random.default_rng(2026 + k)
    sims, hits, changes = 2000, 0, 0
    for _ in range(sims):
        events = rng.binomial(200, 0.8, size=k)
        low, high = zip(*(map(float, stats.clopper_pearson(int(e), 200)) for e in events))
        t = stats.trend_family({"acc": (events / 200, low, high)})[0]
        hits += t.significant
        changes += t.change
    se = np.sqrt(0.05 * 0.95 / sims)
    assert hits / sims <= 0.05 + 2 * se, hits / sims
    assert changes / sims <= 0.05 + 2 * se, changes / sims


def test_trends_page_draws_each_metric_and_flags_the_fall(catalog, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from audits.store.queries.trends import audit_runs

    monkeypatch.setenv("ASSAY_CATALOG", str(catalog.path))
    last = audit_runs(catalog, "falling")["run_id"].iloc[-1]
    at = AppTest.from_string(
        "import streamlit as st\nst.query_params['run'] = %r\n"
        "from dashboard.views import trends\ntrends.render()\n" % last, default_timeout=120).run()
    assert not at.exception and [t.value for t in at.title] == ["Trends"]
    # plain words for a committee: measure names and the corrected p-value, never metric ids or 'Holm p'
    assert any("A real trend (significant after correction) in share of answers matching the reference exactly"
               in w.value for w in at.warning)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert len(specs) == 2 and all(list(s["data"][0]["x"]) == ["2026-Q2", "2026-Q3", "2026-Q4"] for s in specs)
    titles = [s["layout"]["title"]["text"].replace("</sup><br><sup>", " ").replace("<br>", " ") for s in specs]  # wrapped
    assert all("after correcting for 2 metrics" in t and "Holm p" not in t and "_" not in t for t in titles), titles
    table = at.table[0].value   # a table that wraps (walk 5: the grid was cut off at 1280 px)
    assert list(table["measure"]) == ["share of answers matching the reference exactly",
                                      "share of interactions with positive user feedback"]
    assert set(table["real trend?"]) == {"yes"}
