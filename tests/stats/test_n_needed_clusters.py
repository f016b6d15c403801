"""The n-needed of a clustered rate is the n at which the verdict's own bound would decide: the
verdict takes the exact bound at ``effective_n`` (n / design effect, degrees-of-freedom adjusted
for the clusters, Korn & Graubard), so the n-needed counts the same factor at the clusters that
n would hold (issue 20: verdict and n-needed consistent)."""

from __future__ import annotations

import pytest

from audits import stats


@pytest.mark.parametrize("rate,threshold,deff,n,g", [(0.05, 0.10, 3.0, 200, 20), (0.2, 0.3, 4.0, 60, 6),
                                                     (0.9, 0.8, 2.0, 100, 25)])
def test_n_needed_gives_the_effective_n_the_bound_needs(rate, threshold, deff, n, g):
    units = stats.rate_n_needed(rate, threshold)                 # independent samples the bound needs
    needed = stats.n_needed("rate", rate, threshold, design_effect=deff, n=n, n_clusters=g)
    clusters = stats.clusters_needed(rate, threshold, n=n, n_clusters=g, design_effect=deff)
    size = n / g
    assert stats.effective_n(rate * needed, needed, deff, int(needed / size)) >= units - 1e-9
    assert clusters == pytest.approx(needed / size, abs=1)
    smaller = needed - max(2, int(0.02 * needed))              # and it is not far more than needed
    assert stats.effective_n(rate * smaller, smaller, deff, int(smaller / size)) < units + 1


def test_no_events_keep_each_cluster_once():
    # 0 of 40 in 32 clusters against 8%: the assumed design effect n/G, no degrees-of-freedom factor
    assert stats.n_needed("rate", 0.0, 0.08, n=40, n_clusters=32, design_effect=1.25) == 45
    assert stats.clusters_needed(0.0, 0.08, n=40, n_clusters=32, design_effect=1.25) == 36
