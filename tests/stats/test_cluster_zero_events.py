"""Zero events (or all events) in a clustered task: the design effect cannot be estimated, so the
bound counts each cluster once (audits.stats._binomial.effective_n), and the sentence, the
one-sided verdicts, n-needed and the coverage all follow from that one place."""

from __future__ import annotations

import math

import numpy as np
import pytest

from audits import stats
from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise
from policies.bounds import metric_bounds

# 40 samples in 32 clusters (8 pairs, 24 singletons), the shape of the demo's loan-decisions at --limit 40
CLUSTERS = np.r_[np.repeat(np.arange(8), 2), np.arange(8, 32)]


def _rows(events: int) -> np.ndarray:
    y = np.r_[np.ones(events), np.zeros(40 - events)]
    return np.column_stack([y, np.ones(40)])


def _entry(r, confidence: float = 0.95) -> dict:
    return {"value": r.value, "ci_low": r.ci_low, "ci_high": r.ci_high, "n": r.n, "kind": r.kind,
            "confidence": confidence, "events": r.events, "design_effect": r.design_effect,
            "n_clusters": r.n_clusters}


def test_zero_events_are_bounded_at_the_number_of_clusters():
    assert stats.effective_n(0, 40, None, 32) == 32
    assert stats.effective_n(40, 40, None, 32) == 32
    assert stats.effective_n(0, 40) == 40  # unclustered: unchanged
    # an estimated design effect still rules, degrees-of-freedom adjusted for its 32 clusters (Korn & Graubard)
    assert stats.effective_n(4, 40, 1.25, 32) == pytest.approx(32 * (2.0227 / 2.0395) ** 2, rel=1e-3)
    r = summarise(get_metric("accuracy"), _rows(0), n_resamples=10, seed=0, clusters=CLUSTERS)
    assert r.n == 40 and r.n_clusters == 32 and r.design_effect == 40 / 32
    assert r.ci_high == float(stats.clopper_pearson(0, 32)[1])  # 0.1089, not 0.0881 at n = 40
    assert round(r.ci_high, 4) == 0.1089
    one_sided = float(stats.upper_bound(0, 32))
    assert round(one_sided, 4) == 0.0894 and round(float(stats.upper_bound(0, 40)), 4) == 0.0722
    assert r.statement.endswith(
        "is below 9.0% at 95%, counting each of the 32 clusters once: with no events there is no way to "
        "tell how alike the samples in one cluster are.")
    assert r.statement.startswith("0 of 40 ")


def test_all_events_are_bounded_at_the_number_of_clusters_too():
    r = summarise(get_metric("accuracy"), _rows(40), n_resamples=10, seed=0, clusters=CLUSTERS)
    assert r.ci_low == float(stats.clopper_pearson(32, 32)[0])
    assert r.statement.endswith(
        "is above 91% at 95%, counting each of the 32 clusters once: with every sample an event there is "
        "no way to tell how alike the samples in one cluster are.")


def test_unclustered_zero_events_keep_the_rule_of_three_sentence():
    r = summarise(get_metric("accuracy"), _rows(0), n_resamples=10, seed=0)
    assert r.ci_high == float(stats.clopper_pearson(0, 40)[1]) and r.design_effect is None
    assert r.statement.endswith("below 7.3% (95% confidence).")


def test_one_sided_control_and_n_needed_count_clusters():
    r = summarise(get_metric("accuracy"), _rows(0), n_resamples=10, seed=0, clusters=CLUSTERS)
    # a control `accuracy <= 0.08` at 95% is decided on the one-sided bound: 8.9% at 32 clusters
    level = stats.interval_level("<=", 0.95)
    b = metric_bounds(_entry(r), "accuracy", "accuracy", level)
    assert math.isclose(b.high, float(stats.upper_bound(0, 32)), rel_tol=1e-9)
    assert stats.decide(b.low, b.high, "<=", 0.08)[0] == stats.INCONCLUSIVE  # was pass at n = 40 (7.2%)
    assert stats.decide(b.low, b.high, "<=", 0.09)[0] == stats.PASS
    # n-needed: 0 events decide `<= 0.08` at 95% in 36 independent units; with each cluster counted
    # once that is 36 clusters, i.e. 36 * 40/32 = 45 samples at the current mean cluster size
    assert stats.rate_n_needed(0.0, 0.08) == 36
    v = stats.verdict(0.0, b.low, b.high, "<=", 0.08, kind="rate", n=40, design_effect=r.design_effect,
                      n_clusters=32)
    assert v.verdict == stats.INCONCLUSIVE and v.n_needed == 45
    assert "45 samples" in v.reason and "36 clusters" in v.reason


def _coverage(pc: float, within: float, trials: int, seed: int) -> tuple[float, float]:
    """One-sided 95% upper-bound coverage for 32 clusters of 2-3 samples: a cluster is 'bad' with
    probability pc, and each of its samples is an event with probability ``within`` (strong
    correlation); the true rate is pc * within. Returns (coverage, share of zero-event draws)."""
    metric = get_metric("accuracy")
    rng = np.random.default_rng(seed)
    p = pc * within
    held = zero = 0
    for _ in range(trials):
        m = rng.choice([2, 3], size=32)
        bad = rng.random(32) < pc
        y = np.concatenate([(rng.random(k) < within) & b for k, b in zip(m, bad)]).astype(float)
        r = summarise(metric, np.column_stack([y, np.ones(y.size)]), alpha=0.10, n_resamples=10, seed=0,
                      clusters=np.repeat(np.arange(32), m))
        held += p <= r.ci_high  # the 90% interval's upper end is the one-sided 95% bound
        zero += y.sum() == 0
    return held / trials, zero / trials


def test_coverage_holds_for_strongly_clustered_zero_heavy_data():
    # seeded; before the fix every zero-event draw missed (bound at n ~ 80: 3.7%): coverage 0.796 and 0.837
    cov, zero = _coverage(0.05, 1.0, 500, seed=2)
    assert zero > 0.15 and cov >= 0.95
    cov, zero = _coverage(0.06, 0.8, 500, seed=2)
    assert zero > 0.12 and cov >= 0.95


def test_policy_bounds_recount_a_stored_zero_event_rate_by_clusters():
    from policies.bounds import Bounds, IntervalEvaluator

    # a run stored before the fix: no design effect (it could not be estimated), but its n_clusters
    entry = {"value": 0.0, "ci_low": 0.0, "ci_high": 0.0881, "n": 40, "kind": "rate", "confidence": 0.95,
             "events": 0, "design_effect": None, "n_clusters": 32}
    level = stats.interval_level("<=", 0.95)
    b = metric_bounds(entry, "toxicity_rate", "toxicity_rate", level)
    assert math.isclose(b.high, float(stats.upper_bound(0, 32)), rel_tol=1e-9)  # was 0.0722 (n = 40)
    # a fresh run: the reason beside an inconclusive `toxicity_rate <= 0.08` gives n-needed in clusters
    r = summarise(get_metric("accuracy"), _rows(0), n_resamples=10, seed=0, clusters=CLUSTERS)
    left = metric_bounds(_entry(r), "toxicity_rate", "toxicity_rate", level)
    j = IntervalEvaluator(None, None, None, 0.95)._compare(left, "<=", Bounds(0.08, 0.08, 0.08), level)
    assert j.verdict == stats.INCONCLUSIVE and j.n_needed == 45
    assert j.reason.endswith("about 45 samples, i.e. about 36 clusters at the current mean cluster size would "
                             "decide it (80% power at the observed value)")


def test_plan_counts_clusters_when_the_previous_run_had_no_events(tmp_path):
    import json

    from audits.config import load_config
    from audits.planning import plan_rows
    from audits.results import RunResults
    from audits.runner import prepare
    from policies import load_pack

    data = tmp_path / "qa.jsonl"
    data.write_text("\n".join(json.dumps({"q": f"q{i}", "label": "yes"}) for i in range(40)))
    pack = tmp_path / "pack.yaml"
    pack.write_text("name: p\ntitle: P\ncontrols:\n"
                    "  - {id: ERR, title: e, source: s, owner: compliance, check: 'accuracy <= 0.08'}\n")
    cfg = tmp_path / "audit.yaml"
    cfg.write_text(f"name: unit-audit\nperiod: 2027-Q1\npolicy: [{pack}]\ntasks:\n"
                   f"  - {{name: qa, type: choice, choices: [yes, no], dataset: {{path: {data}}},"
                   f" prompt: '{{q}}', fields: {{label: label}}}}\n")
    config = load_config(cfg)
    # the previous run: 0 of 40 in 32 clusters, stored without a design effect (none could be estimated)
    previous = RunResults.model_validate({"run_id": "r0", "audit": "unit-audit", "period": "2026-Q4", "tasks": [
        {"name": "qa", "type": "choice", "n": 40, "metrics": {"accuracy": {
            "value": 0.0, "ci_low": 0.0, "ci_high": 0.0881, "n": 40, "kind": "rate", "events": 0.0,
            "n_clusters": 32, "method": "korn-graubard"}}}]})
    row = plan_rows(prepare(config, None), [load_pack(str(pack))], {}, previous)[0]
    # 36 clusters decide it (rule of three at 8%), i.e. 45 samples at 40/32 per cluster; was 36 samples
    assert row["n_needed"] == 45 and row["clusters_needed"] == 36 and row["status"] == "too small"
    assert "about 36 clusters at the previous run's mean cluster size" in row["advice"]
