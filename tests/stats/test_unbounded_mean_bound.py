"""A mean of unbounded scores (decision logits, log-probabilities, lengths) keeps its one-sided error.

Seeded simulation with the truth on the threshold, so every pass is an error (the grid is
tests/stats/_unbounded_coverage.py): BCa's one-sided 95% bound erred 10.5% at n=5 and 8% at n=10 on
normal scores and 9.6% at n=20 on t(3) ones; the studentized bootstrap (never narrower than Student
t) that ``metric_interval`` now gives holds 5% there. On skewed
scores no bound holds at small n; ``skew_reason`` then leaves the verdict inconclusive, and the
verdicts it lets through keep their error (lognormal at n=50: BCa 9.8%)."""

from __future__ import annotations

import numpy as np
import pytest

from audits import stats
from audits.metrics import get_metric
from audits.stats import _bootstrap

LEVEL = stats.interval_level(">=", 0.95)  # the 90% interval: its ends are the one-sided 95% bounds
TRIALS = 1000
LIMIT = 0.05 + 2 * (0.05 * 0.95 / TRIALS) ** 0.5


def _errors(draw, mu: float, n: int, seed: int, gate: bool = False) -> tuple[float, float, float, float]:
    """(new >= error, new <= error, old BCa >= error, old BCa <= error) over TRIALS test sets of ``draw``."""
    metric, rng = get_metric("decision_logit"), np.random.default_rng(seed)
    wrong = np.zeros(4)
    for t in range(TRIALS):
        x = draw(rng, n)
        rows = np.column_stack([x, np.ones(n)])
        iv = stats.metric_interval(metric, rows, confidence=LEVEL, seed=t)
        assert iv.method == stats.STUDENTIZED
        decided = not gate or stats.skew_reason(x) is None
        jack = _bootstrap.jackknife_values(metric.aggregate, rows)
        old = _bootstrap.bca_interval(iv.value, stats.bootstrap_values(metric, rows, 1000, t), jack, LEVEL)
        wrong += (decided and iv.low > mu, decided and iv.high < mu, old[0] > mu, old[1] < mu)
    return tuple(wrong / TRIALS)


@pytest.mark.parametrize("shape, n", [("normal", 5), ("normal", 10), ("t3", 20)])
def test_the_studentized_bound_holds_where_bca_erred(shape, n):
    draw = (lambda rng, k: rng.normal(-1.0, 1.0, k)) if shape == "normal" else (
        lambda rng, k: rng.standard_t(3, k) - 1.0)  # heavy tails both ways: bootstrap-t alone erred 8%
    new_lo, new_hi, old_lo, old_hi = _errors(draw, -1.0, n, seed=n)
    assert new_lo <= LIMIT and new_hi <= LIMIT, (new_lo, new_hi)
    assert max(old_lo, old_hi) > LIMIT, (old_lo, old_hi)  # BCa in the grid: 10.5% (normal, 5), 8.0% (10), 9.6% (t3, 20)


def test_skewed_scores_are_left_inconclusive_and_the_verdicts_let_through_hold():
    mu = float(np.exp(0.5))
    new_lo, new_hi, old_lo, old_hi = _errors(lambda rng, k: rng.lognormal(0.0, 1.0, k), mu, 50, seed=7, gate=True)
    assert new_lo <= LIMIT and new_hi <= LIMIT, (new_lo, new_hi)
    assert old_hi > LIMIT, old_hi  # BCa passed `mean <= mu` 9.8% of the time


def test_why_a_verdict_on_an_unbounded_mean_is_inconclusive():
    rng = np.random.default_rng(0)
    assert "too few" in stats.skew_reason(rng.normal(0, 1, 12))
    skewed = stats.skew_reason(np.exp(np.linspace(-2, 4, 60)))  # skewness 1.8: about 80 would do
    assert skewed.startswith("the scores are skewed (sample skewness") and "would (25 x skewness squared)" in skewed
    assert stats.skew_reason(rng.normal(0, 1, 200)) is None


def test_three_unbounded_scores_have_no_interval_and_unit_scores_keep_bca():
    logit, f1 = get_metric("decision_logit"), get_metric("token_f1")
    three = stats.metric_interval(logit, np.column_stack([[-2.0, -1.0, 0.5], np.ones(3)]))
    assert np.isnan(three.low) and np.isnan(three.high) and three.method == stats.STUDENTIZED
    unit = stats.metric_interval(f1, np.column_stack([[0.2, 0.5, 0.9, 0.4], np.ones(4)]))
    assert unit.method == "bca-bootstrap" and unit.low < unit.high
    assert "studentized" in stats.IntervalSignature.parse(three.signature.format()).method


def test_the_plan_never_asks_fewer_unbounded_scores_than_a_verdict_needs(tmp_path, capsys):
    import json

    from audits.cli import main

    (tmp_path / "d.jsonl").write_text("\n".join(json.dumps({"q": f"q{i}", "label": "yes"}) for i in range(60)))
    (tmp_path / "p.yaml").write_text("name: p\ntitle: P\ncontrols:\n  - {id: LOGIT, title: t, source: s, "
                                     "owner: compliance, check: 'decision_logit <= 0'}\n")
    (tmp_path / "a.yaml").write_text(
        f"name: u\nperiod: 2027-Q1\npolicy: [{tmp_path / 'p.yaml'}]\ntasks:\n  - {{name: dec, type: choice, "
        f"choices: [yes, no], positive: yes, dataset: {{path: {tmp_path / 'd.jsonl'}}}, prompt: '{{q}}', "
        f"fields: {{label: label}}, metrics: [decision_logit]}}\n")
    capsys.readouterr()
    main(["plan", str(tmp_path / "a.yaml"), "--catalog", str(tmp_path / "none.duckdb"), "--expect",
          "decision_logit=-2", "--sd", "decision_logit=0.5", "--json"])
    row = json.loads(capsys.readouterr().out)["controls"][0]
    assert row["n_needed"] == stats.MIN_UNBOUNDED_N and row["sd_from"] == "--sd"  # the normal approximation alone: 1
