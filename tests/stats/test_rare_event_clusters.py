"""Rare events with strong within-cluster correlation: when one or two clusters carry every event
the correlation cannot be estimated, and each cluster is counted once (``MIN_OUTCOME_CLUSTERS``).

Seeded simulation as in test_group_clusters (correlation 0.4, clusters of 5-11). Before the rule:
coverage 0.910 at rate 0.05 in 30 clusters and 0.894 at 0.01 in 100. After: 0.972 and 0.993; the
common case (rate 0.3, 30 clusters) is unchanged (coverage 0.962, mean width 0.251)."""

from __future__ import annotations

import numpy as np
import pytest

from audits import stats
from audits.metrics import get_metric
from tests.stats.test_group_clusters import draw, group_coverage


@pytest.mark.parametrize("p,n_clusters", [(0.05, 30), (0.01, 100)])
def test_rare_clustered_events_keep_their_coverage(p, n_clusters):
    _, clustered = group_coverage(p, n_clusters, 2000, 41)
    print(f"coverage p={p} clusters={n_clusters}: clustered {clustered:.3f}")
    assert clustered >= 0.93


def test_the_common_case_is_not_widened():
    rng, metric, widths = np.random.default_rng(41), get_metric("accuracy"), []
    for _ in range(300):
        y, cl = draw(rng, 0.3, 30)
        iv = stats.group_interval(metric, np.column_stack([y, np.ones_like(y)]), np.empty(0), 0.95, cl)
        widths.append(iv.high - iv.low)
        assert iv.design_effect_source == "estimated"
    assert np.mean(widths) == pytest.approx(0.251, abs=0.01)


def test_events_in_one_cluster_count_each_cluster_once():
    y, cl = np.zeros(80), np.repeat(np.arange(10), 8)
    y[:5] = 1  # five events, all in cluster 0
    rate = stats.clustered_rate(y, cl)
    assert rate.source == "assumed" and rate.design_effect == 8.0 and rate.n_clusters == 10
    y[[0, 8, 16]] = 1  # events now in three clusters: estimated again
    assert stats.clustered_rate(y, cl).source == "estimated"
    mostly = 1 - np.r_[np.ones(5), np.zeros(75)]  # the rarer outcome is the non-event: same rule
    assert stats.clustered_rate(mostly, cl).source == "assumed"
