"""Input drift: runs whose inputs changed topic drift, runs from the same distribution do not, and
the test's false-positive rate under the null stays at its level (seeded simulation on real
MiniLM embeddings of same-topic inputs)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audits import stats
from tests.conftest import run_cli
from tests.monitoring.conftest import log_config, run_config, write_log


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three runs: billing (Q2), billing again with other tickets (Q3), cooking (Q4)."""
    from audits.store.catalog import Catalog

    tmp = tmp_path_factory.mktemp("drift")
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSAY_KEY_DIR", str(tmp / "keys"))
    cat = Catalog(tmp / "c.duckdb")
    ids = []
    for seed, (topic, period) in enumerate([("billing", "2026-Q2"), ("billing", "2026-Q3"), ("cooking", "2026-Q4")]):
        log = write_log(tmp / f"{period}.jsonl", 120, 0.8, seed=20 + seed, topic=topic)
        ids.append(run_config(cat, log_config(tmp, log, period=period)))
    yield cat, ids
    mp.undo()


def test_same_inputs_do_not_drift_and_a_new_topic_does(runs):
    cat, (q2, q3, q4) = runs
    same = json.loads(run_cli("drift", q2, q3, "--json", "--permutations", "500", catalog=cat.path, check=True).stdout)
    assert same["drift"] is False and same["n_a"] == same["n_b"] == 120
    names = [t["name"] for t in same["tests"]]
    assert names == ["inputs (embeddings)", "input length (characters)", "segment"]
    assert all(t["p_adjusted"] >= 0.05 for t in same["tests"])
    moved = json.loads(run_cli("drift", q3, q4, "--json", "--permutations", "500", catalog=cat.path, check=True).stdout)
    assert moved["drift"] is True
    mmd = moved["tests"][0]
    assert mmd["drift"] and mmd["p_value"] == pytest.approx(1 / 501) and mmd["statistic"] > 10 * same["tests"][0]["statistic"]
    text = run_cli("drift", q3, q4, "--permutations", "200", catalog=cat.path, check=True).stdout
    assert text.startswith("drift: true") and "DRIFT inputs (embeddings)" in text


def test_drift_bad_input_is_one_line(runs):
    cat, (q2, q3, _) = runs

    def errors(*args):
        proc = run_cli("drift", *args, catalog=cat.path)
        assert proc.returncode == 2
        return [line for line in proc.stderr.splitlines() if line.startswith("assay:")]

    assert errors(q2, q2) == [f"assay: error: drift compares two runs; both are '{q2}' — name the earlier run and the later one"]
    assert errors(q2, "nope") == [f"assay: error: run 'nope' does not exist in {cat.path} — list runs with `assay runs`"]
    assert errors(q2, q3, "--column", "colour") == [
        "assay: error: column 'colour' is not in the samples of both runs — name a column both runs have "
        "(a sensitive attribute or a logged field)"]


def test_mmd_false_positive_rate_under_the_null_on_real_embeddings(tmp_path):
    """400 billing inputs embedded once; 300 random splits into two runs of 60: the permutation MMD
    test, and the whole Holm family with the length test, call drift in <= 5% (+ 2 simulation SE)."""
    from audits.scanners.counterfactual import _embedder

    log = write_log(tmp_path / "pool.jsonl", 400, 0.8, seed=99)
    texts = [json.loads(line)["input"] for line in log.read_text().splitlines()]
    emb = _embedder().encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False)
    lengths = np.array([len(t) for t in texts])
    rng = np.random.default_rng(7)
    sims, mmd_hits, family_hits = 300, 0, 0
    for i in range(sims):
        pick = rng.permutation(len(texts))[:120]
        a, b = pick[:60], pick[60:]
        mmd = stats.mmd_test(emb[a], emb[b], n_permutations=99, seed=i)
        mmd_hits += mmd.p_value < 0.05
        drift, _ = stats.drift_family([mmd, stats.length_test("len", lengths[a], lengths[b])])
        family_hits += drift
    limit = 0.05 + 2 * np.sqrt(0.05 * 0.95 / sims)
    assert mmd_hits / sims <= limit, mmd_hits / sims
    assert family_hits / sims <= limit, family_hits / sims


def test_overview_warns_when_inputs_drifted_from_the_previous_run(runs, monkeypatch):
    from streamlit.testing.v1 import AppTest

    cat, (q2, q3, q4) = runs
    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    source = ("import streamlit as st\nst.query_params['run'] = %r\n"
              "from dashboard.views import overview\noverview.render()\n")
    moved = AppTest.from_string(source % q4, default_timeout=180).run()
    assert not moved.exception
    warned = [w.value for w in moved.warning if "drifted" in w.value]
    assert len(warned) == 1 and "input length (characters)" in warned[0] and f"assay drift {q3} {q4}" in warned[0]
    same = AppTest.from_string(source % q3, default_timeout=180).run()
    assert not same.exception and not [w for w in same.warning if "drifted" in w.value]
