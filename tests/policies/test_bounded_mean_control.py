"""`token_f1 >= 0.8` on five answers scored 0.85-0.95: the stored BCa interval (90%: about 0.87-0.93)
passed it; the mean of [0, 1] scores is now bounded as a rate of its score total, so five answers
are inconclusive, with the n that would decide (tests/stats/test_bounded_mean_verdict.py for the
error rates). A mean with scores outside [0, 1] (a logit) keeps its stored interval."""

from __future__ import annotations

import pandas as pd
import pytest

import policies
from audits import stats
from audits.store.queries import runs as runs_q
from catalog_builder import _tables, results_for
from tests.results_factory import write_typed_bundle

SCORES = [0.85, 0.9, 0.95, 0.88, 0.92]


def _run(cat, run_id: str, scores: list[float]) -> str:
    results = results_for(run_id, "2027-Q1", 0.9, 0.9, 0.0)
    mean = sum(scores) / len(scores)
    results["tasks"][1]["metrics"]["token_f1"] = {"value": mean, "ci_low": mean - 0.04, "ci_high": mean + 0.04,
                                                  "n": len(scores), "signature": "t", "kind": "mean",
                                                  "method": "bca-bootstrap", "confidence": 0.95}
    tables = _tables(results)
    tables["samples"] = pd.concat([tables["samples"], pd.DataFrame({
        "task": "support-qa", "sample_id": [str(i) for i in range(len(scores))], "input": "q", "prediction": "a",
        "correct": None, "score_token_f1": scores})], ignore_index=True)
    runs_q.register_run(cat, run_id, "unit-audit", "2027-Q1", "cfgsha", "test-model", actor="tester")
    manifest = {"audit": "unit-audit", "period": "2027-Q1", "config_sha256": "cfgsha",
                "model": {"name": "test-model", "sha256": "abc123"}, "datasets": {},
                "code": {"sha256": "c" * 64, "git_commit": "deadbeef"}, "packages": {}, "seed": 1}
    bundle, sha = write_typed_bundle(cat, run_id, tables, results, {"name": "unit-audit"}, manifest)
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return run_id


def _item(cat, run, tmp_path, check: str):
    pack = tmp_path / "p.yaml"
    pack.write_text(f"name: p\ntitle: P\ncontrols:\n  - {{id: F1, title: t, source: s, owner: compliance, check: '{check}'}}\n")
    (item,) = policies.evaluate_run(cat, run, [str(pack)]).items
    return item


def test_five_scores_in_unit_range_are_inconclusive(two_runs, tmp_path):
    cat, _, _ = two_runs
    item = _item(cat, _run(cat, "five", SCORES), tmp_path, "token_f1 >= 0.8")
    low, _ = stats.bounded_mean_interval(sum(SCORES), 5, 0.90)
    assert item.status == "inconclusive", item.detail
    assert item.bound == pytest.approx(low) and item.n == 5 and item.method == stats.BOUNDED_MEAN
    assert item.n_needed == stats.rate_n_needed(sum(SCORES) / 5, 0.8)


def test_scores_outside_unit_range_keep_the_stored_interval(two_runs, tmp_path):
    cat, _, _ = two_runs
    item = _item(cat, _run(cat, "logit", [s * 3 for s in SCORES]), tmp_path, "token_f1 >= 2.0")
    assert item.status == "pass" and item.method == "bca-bootstrap"
