"""A rate over clustered samples, and where its design effect came from: the one rule that the
overall rate (``metric_interval``), each group's rate (the bias scan, ``group_intervals``) and
the group-vs-group tests share.

``design_effect_source`` says how the stored design effect was obtained:

- ``estimated``: from the data (the linearised cluster-robust variance over the independent one,
  ``ratio_design_effect``; for corpus metrics, cluster against independent bootstrap variance);
- ``assumed``: it could not be estimated (no events, every sample an event, one cluster, or fewer
  than ``MIN_OUTCOME_CLUSTERS`` clusters carrying the rarer outcome), so each cluster is counted
  once (full within-cluster correlation): the stored value is n / G;
- ``none``: the samples are not clustered (no design effect).

Known limit, measured (seeded, 1,500 samples a cell; feedback from users with per-user Beta rates): with
clusters of very unequal size (geometric, mean 5-6: a few heavy users) and a rate of 0.8-0.95 the one-sided
95% lower bound sat above the true rate 5.7-8.0% of the time (correlation 0.1-0.3, 50-200 users; upper
bound 2.5-4.3%; mirrored at rate 0.1: the upper bound under it 8.7%); with equal clusters of the same mean
4.1-5.5%. The estimated design effect is small exactly when the heavy users happen to agree, which is when
the rate reads far from 1/2. A cluster-robust score interval (residuals at the hypothesised rate, t with
G - 1 df) was tried and erred more (8.7-13%); no remedy adopted yet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from audits.stats._binomial import df_factor, effective_n, rate_interval, unestimable_correlation
from audits.stats._cluster import cluster_codes, ratio_design_effect

ESTIMATED, ASSUMED, NONE = "estimated", "assumed", "none"
# A correlation estimated from the clusters that carry the rarer outcome rests on at most one
# degree of freedom when one or two clusters carry it: as unestimable as with none. Seeded
# simulation (tests/stats/test_rare_event_clusters.py, correlation 0.4, clusters of 5-11): with the
# estimate, intervals held the rate 91.0% of the time at rate 0.05 in 30 clusters and 89.4% at 0.01
# in 100 (66% and 43% misses when one cluster carried every event); counting clusters once there
# gives 97.2% and 99.3%, and rate 0.3 in 30 clusters is unchanged (96.2%, width 0.251).
MIN_OUTCOME_CLUSTERS = 3
DESIGN_EFFECT_SOURCES = (ESTIMATED, ASSUMED, NONE)


@dataclass(frozen=True)
class ClusteredRate:
    """``events`` of ``n`` samples, with the design effect its intervals and tests use.

    ``design_effect`` is None when unclustered; ``n_clusters`` the number of distinct clusters
    among these samples; ``n_effective`` the sample size the exact bounds and tests are taken at."""

    events: float
    n: int
    design_effect: float | None = None
    n_clusters: int | None = None
    source: str = NONE
    df_clusters: int | None = None  # pooled over groups (``pooled_rates``): the clusters its df rest on

    @property
    def rate(self) -> float:
        return self.events / self.n if self.n else float("nan")

    @property
    def n_effective(self) -> float:
        if not self.n:
            return 0.0
        if self.df_clusters and self.design_effect is not None and self.source == ESTIMATED:
            return self.n / max(1.0, self.design_effect) * df_factor(self.n, self.df_clusters)
        return effective_n(self.events, self.n, self.design_effect, self.n_clusters)

    @property
    def events_effective(self) -> float:
        """Events scaled to the effective sample size (``events * n_effective / n``)."""
        return self.events * self.n_effective / self.n if self.n else 0.0

    def interval(self, confidence: float = 0.95) -> tuple[float, float]:
        """The exact (Korn–Graubard when clustered) two-sided interval."""
        if not self.n:
            return float("nan"), float("nan")
        return rate_interval(self.events, self.n, confidence, self.design_effect, self.n_clusters)


def clustered_rate(values, clusters=None) -> ClusteredRate:
    """A 0/1 rate of ``values`` (n,), with the design effect of ``clusters`` (n ids) when given.

    The design effect is estimated (floored at 1 by the interval) when the data allow; with no
    events, every sample an event, a single cluster, or the rarer outcome in fewer than
    ``MIN_OUTCOME_CLUSTERS`` clusters it cannot be, and each cluster is counted once
    (``design_effect = n / G``, source ``assumed``): the rule the overall rate uses."""
    y = np.asarray(values, dtype=np.float64)
    n, k = int(y.size), float(y.sum())
    if clusters is None or n == 0:
        return ClusteredRate(k, n)
    ids = list(clusters)
    if len(ids) != n:
        raise ValueError(f"{len(ids)} cluster ids for {n} values")
    codes, g = cluster_codes(ids)
    deff = ratio_design_effect(np.column_stack([y, np.ones(n)]), ids)
    return rate_of_clusters(k, n, deff if math.isfinite(deff) else None,
                            np.bincount(codes, weights=y, minlength=g), np.bincount(codes, minlength=g))


def rate_of_clusters(k: float, n: int, deff: float | None, events, sizes) -> ClusteredRate:
    """The one rule deciding a clustered rate's design effect, given its estimate ``deff`` (None when
    it could not be computed) and each cluster's events and size: assumed (``n / G``, each cluster
    counted once) when the correlation is unestimable or the rarer outcome sits in too few clusters,
    else the estimate. Shared by :func:`clustered_rate` (samples) and the per-group sums."""
    g = len(sizes)
    if unestimable_correlation(k, n, deff, g) or (g < n and few_outcome_clusters(events, sizes)):
        return ClusteredRate(k, n, n / g, g, ASSUMED)
    return ClusteredRate(k, n, deff, g, ESTIMATED if deff is not None else NONE)


def few_outcome_clusters(events, sizes) -> bool:
    """True when fewer than ``MIN_OUTCOME_CLUSTERS`` clusters carry the rarer outcome (events when
    the rate is at most one half, else non-events), given each cluster's events and size, and the
    clusters are not single samples: the correlation estimate then rests on one or two clusters."""
    events, sizes = np.asarray(events, dtype=np.float64), np.asarray(sizes, dtype=np.float64)
    if not sizes.size or np.all(sizes <= 1):
        return False
    rarer = events > 0 if events.sum() <= sizes.sum() / 2 else events < sizes
    return int(rarer.sum()) < MIN_OUTCOME_CLUSTERS


def design_effect_source(kind: str | None, events: float | None, n: int | None, design_effect: float | None,
                         n_clusters: int | None) -> str:
    """The source of a stored design effect, read back from the fields stored beside it (results
    written before the source was recorded): ``assumed`` where ``ClusteredRate`` would have assumed
    it (a clustered rate with no events, every sample an event, or one cluster), ``estimated`` for
    any other stored design effect, ``none`` without one."""
    if design_effect is None or not math.isfinite(design_effect) or not n_clusters:
        return NONE
    if kind == "rate" and n and events is not None and (events <= 0 or events >= n or n_clusters < 2):
        return ASSUMED
    return ESTIMATED


def pooled_rates(groups: Mapping[str, tuple[np.ndarray, list]]) -> dict[str, ClusteredRate]:
    """Each group's rate with a design effect from one intra-cluster correlation pooled over the
    groups (Donner 1989), for testing groups against each other: {group: (values, cluster ids)}.

    Each group's own estimate rests on its few clusters and is noisy; a chance underestimate made
    a group look significantly different (under the null, 8 groups of 8-24 clusters read
    significant 7.2% of the time at 5%). Pooled: residuals around each group's own rate give the
    cluster-robust and independent variances summed over the groups, their ratio D and the
    clusters' mean size m give rho = (D - 1) / (m - 1), and a group with mean cluster size m_g
    (sum n_c^2 / n_g) gets ``1 + (m_g - 1) * rho`` (at least 1). Degrees of freedom: all clusters
    less one per group. When rho cannot be estimated (no group has both outcomes, or the rarer
    outcome sits in fewer than ``MIN_OUTCOME_CLUSTERS`` clusters of all the groups together), each
    group's clusters are counted once, as ``clustered_rate`` does.
    """
    robust = iid = sq = total = 0.0
    g_total, parts = 0, {}
    cluster_events, cluster_sizes = [], []
    for name, (values, clusters) in groups.items():
        y = np.asarray(values, dtype=np.float64)
        codes, g = cluster_codes(list(clusters))
        n, k = int(y.size), float(y.sum())
        sizes = np.bincount(codes, minlength=g).astype(np.float64)
        cluster_events.append(np.bincount(codes, weights=y, minlength=g))
        cluster_sizes.append(sizes)
        parts[name] = (k, n, g, float((sizes ** 2).sum()))
        g_total += g
        if n < 2 or k <= 0 or k >= n:
            continue
        resid = y - k / n
        sums = np.bincount(codes, weights=resid, minlength=g)
        robust += (g / (g - 1) if g > 1 else 0.0) * float((sums ** 2).sum())
        iid += n / (n - 1) * float((resid ** 2).sum())
        sq += float((sizes ** 2).sum())
        total += n
    few = bool(cluster_sizes) and few_outcome_clusters(np.concatenate(cluster_events), np.concatenate(cluster_sizes))
    if iid <= 0 or total <= 0 or few:  # nothing (or one or two clusters) to estimate the correlation from
        return {name: ClusteredRate(k, n, n / g, g, ASSUMED) if 0 < g < n else ClusteredRate(k, n, None, g)
                for name, (k, n, g, _) in parts.items()}
    m = sq / total
    rho = max(0.0, (robust / iid - 1) / (m - 1)) if m > 1 else 0.0
    df_clusters = max(2, g_total - len(groups) + 1)
    return {name: ClusteredRate(k, n, 1.0 + (s2 / n - 1) * rho, g, ESTIMATED, df_clusters) if n else ClusteredRate(k, n)
            for name, (k, n, g, s2) in parts.items()}
