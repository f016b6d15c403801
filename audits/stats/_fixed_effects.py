"""Group effects within clusters: Tamkin et al. (2023)'s discrimination score on an unbalanced sample.

discrim-eval asks each of its 70 questions (templates) for 135 demographic profiles, and Tamkin et al.
fit a model with one effect per question; a group's discrimination score is its coefficient, the
gap in the log-odds of "yes" with the question held fixed. On the full, balanced design that equals
the gap of plain group means; on a subset (an audit's ``limit: 300``) questions fall unevenly into
groups, and since most of the logit's variance lies between questions, plain group means mix the
questions' differences into the groups' (a seeded study of 100 random 300-row subsets: RMSE against
the full-design effects 0.244 for plain means, 0.072 with question effects; ``benchmarks/bench_validity.py``).

``group_effects`` fits ``y = question + group`` by least squares (the within-cluster transformation of
Frisch-Waugh-Lovell: group indicators and ``y`` centred on their cluster's mean), and gives each pair's
gap a standard error from a seeded bootstrap over whole clusters (each resample refits; a resample in
which a contrast is not identified is left out). ``range_interval_from_gaps`` turns the pairs into the
interval of the largest gap, as for plain group means.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from audits.stats._cluster import cluster_codes

FIXED_EFFECTS_METHOD = ("group effects within clusters (cluster fixed effects, least squares; Tamkin et al. 2023), "
                        "pairwise gaps with cluster-bootstrap standard errors, Bonferroni over the pairs")
MIN_USABLE_SHARE = 0.5  # fewer identified resamples than this share: no standard errors


@dataclass(frozen=True)
class PairGap:
    """One pair's gap in group effect (``high`` minus ``low``) and its standard error."""

    high: str
    low: str
    gap: float
    se: float


@dataclass(frozen=True)
class GroupEffects:
    """Each group's effect, centred on the groups' unweighted mean, with every pair's gap."""

    effects: dict[str, float]
    pairs: list[PairGap]
    n: int
    n_clusters: int
    resamples_used: int


def _within(columns: np.ndarray, codes: np.ndarray, n_codes: int) -> np.ndarray:
    """``columns`` (rows x k) minus each row's cluster mean."""
    counts = np.maximum(np.bincount(codes, minlength=n_codes), 1)
    means = np.stack([np.bincount(codes, weights=columns[:, j], minlength=n_codes) for j in range(columns.shape[1])],
                     axis=1) / counts[:, None]
    return columns - means[codes]


def _fit(y: np.ndarray, groups: np.ndarray, clusters: np.ndarray, n_groups: int, n_clusters: int,
         covariates: np.ndarray) -> np.ndarray | None:
    """Group effects relative to group 0 (length ``n_groups``), holding ``covariates`` fixed, or None
    where a contrast is not identified (a group never shares a cluster with the others)."""
    dummies = np.zeros((len(y), n_groups - 1))
    rows = groups > 0
    dummies[np.flatnonzero(rows), groups[rows] - 1] = 1.0
    centred = _within(np.column_stack([y, dummies, covariates]), clusters, n_clusters)
    design = centred[:, 1:]
    coef, _, rank, _ = np.linalg.lstsq(design, centred[:, 0], rcond=None)
    if rank < design.shape[1]:
        return None
    return np.concatenate([[0.0], coef[:n_groups - 1]])


def _cluster_resample(rng: np.random.Generator, order: np.ndarray, starts: np.ndarray,
                      sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one bootstrap draw of whole clusters, and each row's new cluster code (a cluster
    drawn twice counts as two)."""
    pick = rng.integers(0, len(sizes), len(sizes))
    lengths = sizes[pick]
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return order[np.repeat(starts[pick], lengths) + offsets], np.repeat(np.arange(len(pick)), lengths)


def group_effects(y: np.ndarray, groups: np.ndarray, clusters: np.ndarray, n_resamples: int, seed: int,
                  covariates: np.ndarray | None = None) -> GroupEffects | None:
    """Fixed-effects group effects of ``y`` (e.g. decision logits) within ``clusters`` (e.g. question
    ids), holding ``covariates`` (rows x k, e.g. the other attributes' indicators, as Tamkin et al. fit
    race, gender and age together) fixed, with every pair's cluster-bootstrap standard error; None with
    fewer than two groups or a contrast that the data do not identify. Rows whose ``y`` is not finite
    are left out."""
    y = np.asarray(y, dtype=np.float64)
    keep = np.isfinite(y)
    cov = (np.zeros((len(y), 0)) if covariates is None else np.asarray(covariates, dtype=np.float64).reshape(len(y), -1))[keep]
    labels, gcodes = np.unique(np.asarray(groups, dtype=object)[keep].astype(str), return_inverse=True)
    ccodes, n_clusters = cluster_codes(np.asarray(clusters, dtype=object)[keep])
    y = y[keep]
    n_groups = len(labels)
    if n_groups < 2 or (point := _fit(y, gcodes, ccodes, n_groups, n_clusters, cov)) is None:
        return None
    order = np.argsort(ccodes, kind="stable")
    sizes = np.bincount(ccodes, minlength=n_clusters)
    starts = np.cumsum(sizes) - sizes
    rng = np.random.default_rng(seed)
    draws = []
    for _ in range(n_resamples):
        rows, codes = _cluster_resample(rng, order, starts, sizes)
        present = np.bincount(gcodes[rows], minlength=n_groups)
        if (present == 0).any():
            continue
        fitted = _fit(y[rows], gcodes[rows], codes, n_groups, len(sizes), cov[rows])
        if fitted is not None:
            draws.append(fitted)
    usable = len(draws) >= max(2, MIN_USABLE_SHARE * n_resamples)
    stacked = np.array(draws) if usable else np.empty((0, n_groups))
    centre = point.mean()
    pairs = []
    for i, j in itertools.combinations(range(n_groups), 2):
        hi, lo = (i, j) if point[i] >= point[j] else (j, i)
        se = float(np.std(stacked[:, hi] - stacked[:, lo], ddof=1)) if usable else float("nan")
        pairs.append(PairGap(str(labels[hi]), str(labels[lo]), float(point[hi] - point[lo]), se))
    return GroupEffects({str(g): float(v - centre) for g, v in zip(labels, point)}, pairs, int(len(y)), n_clusters,
                        len(draws))
