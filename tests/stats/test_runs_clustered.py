"""Quarter over quarter on a clustered rate (``compare_runs``, unpaired): each run is taken at its
effective size, so the change test keeps its error. Seeded simulation of ``feedback_positive_rate``
with users as clusters (geometric interactions per user, mean 4; per-user rates Beta with
within-user correlation 0.2), both quarters at the same true rate 0.8, different users.

Measured (these seeds, 1,000 pairs of quarters per cell): on the raw counts the test read a change
15.6% (30 users) and 16.5% (100 users) of the time at 5%; at the effective counts 4.4% and 4.7%.
Heavier clustering stays above 5% (0.9 at correlation 0.3, 50 users of mean 6: raw 30.8%, effective
7.6%; 0.95 at 0.2, 60 users of mean 5: 21.1% / 7.3%), because the design effect estimated from a
quarter's users is itself noisy: read a clustered change near alpha with care."""

from __future__ import annotations

import numpy as np
import pytest

from audits._results_base import MetricSummary
from audits.stats import clustered_rate, compare_runs, two_proportions

SIMS = 400
LIMIT = 0.05 + 3 * np.sqrt(0.05 * 0.95 / SIMS)


class _Task:
    name = "chat"


class _Run:
    """A run's results as ``compare_runs`` reads them: one rate of one task."""

    def __init__(self, summary: MetricSummary):
        self.summary = summary

    def metrics(self):
        yield _Task(), "feedback_positive_rate", self.summary


def _quarter(rng: np.random.Generator, users: int, p: float, rho: float, mean_size: float):
    sizes = rng.geometric(1 / mean_size, users)
    per_user = rng.beta(p * (1 - rho) / rho, (1 - p) * (1 - rho) / rho, users)
    y = np.concatenate([rng.random(s) < q for s, q in zip(sizes, per_user)]).astype(float)
    rate = clustered_rate(y, np.repeat(np.arange(users), sizes))
    low, high = rate.interval()
    return rate, MetricSummary(value=rate.rate, ci_low=low, ci_high=high, n=rate.n, kind="rate", events=rate.events,
                               design_effect=rate.design_effect, n_clusters=rate.n_clusters)


@pytest.mark.parametrize("users", [30, 100])
def test_clustered_quarters_hold_the_change_tests_error(users):
    rng = np.random.default_rng(users)
    effective = raw = 0
    for _ in range(SIMS):
        (ra, a), (rb, b) = _quarter(rng, users, 0.8, 0.2, 4), _quarter(rng, users, 0.8, 0.2, 4)
        effective += bool(compare_runs(_Run(a), _Run(b))["p_value"].iloc[0] < 0.05)
        raw += two_proportions(ra.events, ra.n, rb.events, rb.n).p_value < 0.05
    assert effective / SIMS <= LIMIT, effective / SIMS
    assert raw / SIMS > 0.10, raw / SIMS  # what the raw counts did: the clustering is real here


def test_an_unclustered_rate_is_compared_on_its_counts():
    a = MetricSummary(value=0.8, ci_low=0.7, ci_high=0.9, n=100, kind="rate", events=80)
    b = MetricSummary(value=0.7, ci_low=0.6, ci_high=0.8, n=120, kind="rate", events=84)
    row = compare_runs(_Run(a), _Run(b)).iloc[0]
    assert row["p_value"] == pytest.approx(two_proportions(80, 100, 84, 120).p_value)
    assert row["n"] == 100 and row["prev_n"] == 120


def test_a_clustered_rate_counts_at_its_design_effect():
    """80 of 200 in 40 clusters at design effect 2 is compared as 40 of 100 (times the df factor)."""
    a = MetricSummary(value=0.4, ci_low=0.3, ci_high=0.5, n=200, kind="rate", events=80, design_effect=2.0,
                      n_clusters=40)
    b = MetricSummary(value=0.3, ci_low=0.2, ci_high=0.4, n=200, kind="rate", events=60, design_effect=2.0,
                      n_clusters=40)
    clustered = compare_runs(_Run(a), _Run(b)).iloc[0]["p_value"]
    assert clustered > two_proportions(80, 200, 60, 200).p_value
    assert clustered >= two_proportions(40, 100, 30, 100).p_value
