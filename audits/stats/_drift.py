"""Input drift between two runs: do their inputs come from the same distribution?

- ``mmd_test``: the unbiased squared maximum mean discrepancy (Gretton et al. 2012) between two
  sets of embeddings with a Gaussian kernel (bandwidth: the median pairwise distance of the pooled
  sample, which is the same under every relabelling), and a seeded permutation p-value
  (1 + #{permuted >= observed}) / (1 + B), exact at any sample size.
- ``category_test``: Pearson chi-square on the 2 x c table of a categorical column's counts; when
  any expected count is below 5 (Cochran's rule: sparse categories, or two runs of very different
  size) its p-value is a seeded permutation p-value of the same statistic (the margins are fixed
  under relabelling, so it is exact up to Monte-Carlo error), not the chi-square distribution's: a
  run of 20 against one of 200 over 8 categories with rare ones called drift 6.6% of the time at
  alpha 0.05 (10 against 300: 8.1%), now within 5% (tests/stats/test_drift_null.py).
- ``length_test``: two-sample Kolmogorov–Smirnov on text lengths (characters).
- ``drift_family``: the tests together, Holm-corrected; a test drifts where its adjusted p < alpha
  AND its effect size reaches the practical floor: significance alone is not drift, because with a
  few hundred inputs the permutation test detects differences of no practical weight (two logs from
  the same templates that differ only in ticket-id prefixes: MMD² 0.006, p 0.016).

Effect sizes and their floors (``FLOORS``), each Cohen's "small" effect (d = 0.2) in its own scale:

- embeddings: eta², the share of the inputs' variance in the kernel's feature space explained by
  which run an input came from, ``pA pB MMD² / (pA pB MMD² + pA VA + pB VB)`` (VA = 1 - mean
  off-diagonal kernel within A; the kernel analogue of ANOVA's eta²). Floor 0.01 (Cohen's f = 0.1,
  i.e. d = 0.2 between two groups). Same templates, ids differ: 0.002; billing -> cooking: ~0.1.
- categories: Cramér's V (= Cohen's w for 2 x c). Floor 0.1 (Cohen's small w).
- lengths: the KS distance D itself. Floor 0.08 (= 2 Phi(d / 2) - 1 for two normals d = 0.2 apart).

Pass other ``floors`` (``{"embeddings": 0.0, ...}``) to call drift on significance alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as sps

from audits.stats._compare import holm

MMD = "MMD² (unbiased, Gaussian kernel, median-distance bandwidth), permutation p-value"
CHI2 = "Pearson chi-square, 2 x categories"
CHI2_PERMUTATION = "Pearson chi-square, 2 x categories, permutation p-value (expected counts below 5)"
KS = "two-sample Kolmogorov–Smirnov"
EMBEDDINGS, CATEGORIES, LENGTHS = "embeddings", "categories", "lengths"
FLOORS: dict[str, float] = {EMBEDDINGS: 0.01, CATEGORIES: 0.1, LENGTHS: 0.08}  # Cohen's small effect; see above
EFFECTS = {EMBEDDINGS: "eta² (kernel feature space)", CATEGORIES: "Cramér's V", LENGTHS: "KS distance D"}


@dataclass
class DriftTest:
    """One two-sample test between the inputs of run A and run B."""

    name: str
    test: str
    statistic: float | None
    p_value: float | None
    n_a: int
    n_b: int
    p_adjusted: float | None = None
    drift: bool = False
    detail: str = ""
    kind: str = ""                    # embeddings | categories | lengths: which effect and floor apply
    effect: float | None = None       # the effect size (``EFFECTS[kind]``), beside the p-value
    effect_size: str = ""             # its name
    floor: float | None = None        # the practical floor the effect had to reach (``drift_family``)
    significant: bool = False         # Holm p < alpha, whatever the effect


def _mmd2(k: np.ndarray, labels: np.ndarray, n: int, m: int) -> np.ndarray:
    """Unbiased MMD² for each row of ``labels`` ((B, n + m) 0/1, 1 = sample A) over kernel ``k``."""
    a, b = labels, 1.0 - labels
    ka, kb = a @ k, b @ k
    diag = np.diag(k)
    xx = (np.einsum("ij,ij->i", ka, a) - a @ diag) / (n * (n - 1))
    yy = (np.einsum("ij,ij->i", kb, b) - b @ diag) / (m * (m - 1))
    xy = np.einsum("ij,ij->i", ka, b) / (n * m)
    return xx + yy - 2 * xy


def _eta2(k: np.ndarray, n: int, m: int, mmd2: float) -> float:
    """Share of the feature-space variance explained by the run: between / (between + within)."""
    within_a = 1.0 - (k[:n, :n].sum() - np.trace(k[:n, :n])) / (n * (n - 1))
    within_b = 1.0 - (k[n:, n:].sum() - np.trace(k[n:, n:])) / (m * (m - 1))
    pa, pb = n / (n + m), m / (n + m)
    between = pa * pb * max(0.0, mmd2)
    total = between + pa * within_a + pb * within_b
    return float(between / total) if total > 0 else 0.0


def mmd_test(x: np.ndarray, y: np.ndarray, n_permutations: int = 1000, seed: int = 0,
             chunk: int = 100) -> DriftTest:
    """MMD² of embeddings ``x`` (n, d) against ``y`` (m, d) with its permutation p-value."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        return DriftTest("inputs (embeddings)", MMD, None, None, n, m, detail="needs at least 2 inputs per run",
                         kind=EMBEDDINGS, effect_size=EFFECTS[EMBEDDINGS])
    z = np.vstack([x, y])
    sq = np.maximum(np.sum(z ** 2, 1)[:, None] + np.sum(z ** 2, 1)[None, :] - 2 * z @ z.T, 0.0)
    off = sq[np.triu_indices(n + m, 1)]
    bandwidth = float(np.median(off[off > 0])) if np.any(off > 0) else 1.0
    k = np.exp(-sq / bandwidth)
    observed = float(_mmd2(k, np.r_[np.ones(n), np.zeros(m)][None, :], n, m)[0])
    effect = _eta2(k, n, m, observed)
    rng = np.random.default_rng(seed)
    exceed = 0
    for start in range(0, n_permutations, chunk):
        b = min(chunk, n_permutations - start)
        labels = np.zeros((b, n + m))
        perms = np.argsort(rng.random((b, n + m)), axis=1)[:, :n]
        np.put_along_axis(labels, perms, 1.0, axis=1)
        exceed += int(np.sum(_mmd2(k, labels, n, m) >= observed - 1e-12))
    p = (1 + exceed) / (1 + n_permutations)
    return DriftTest("inputs (embeddings)", MMD, observed, float(p), n, m,
                     detail=f"{n_permutations} permutations, seed {seed}, bandwidth {bandwidth:.4g}",
                     kind=EMBEDDINGS, effect=effect, effect_size=EFFECTS[EMBEDDINGS])


def _chi2_permutation_p(codes: np.ndarray, n_a: int, observed: float, expected: np.ndarray,
                        n_permutations: int, seed: int, chunk: int = 200) -> float:
    """(1 + #{relabelled chi-square >= observed}) / (1 + B): ``codes`` (N,) the pooled category of
    each input, the first ``n_a`` from run A; ``expected`` (2, c) is the same under every relabelling."""
    c, total = expected.shape[1], np.bincount(codes, minlength=expected.shape[1]).astype(np.float64)
    rng = np.random.default_rng(seed)
    exceed = 0
    for start in range(0, n_permutations, chunk):
        b = min(chunk, n_permutations - start)
        picks = np.argsort(rng.random((b, codes.size)), axis=1)[:, :n_a]
        flat = (codes[picks] + c * np.arange(b)[:, None]).ravel()
        count_a = np.bincount(flat, minlength=b * c).reshape(b, c).astype(np.float64)
        stat = ((count_a - expected[0]) ** 2 / expected[0]).sum(1) + \
            ((total - count_a - expected[1]) ** 2 / expected[1]).sum(1)
        exceed += int(np.sum(stat >= observed - 1e-9))
    return (1 + exceed) / (1 + n_permutations)


def category_test(name: str, a: Sequence[object], b: Sequence[object], n_permutations: int = 2000,
                  seed: int = 0) -> DriftTest:
    """Chi-square on the counts of each category in run A and run B (permutation p-value when an
    expected count is below 5)."""
    a, b = [str(v) for v in a], [str(v) for v in b]
    cats = sorted(set(a) | set(b))
    if len(cats) < 2 or not a or not b:
        return DriftTest(name, CHI2, None, None, len(a), len(b), detail="one category only: nothing to compare",
                         kind=CATEGORIES, effect_size=EFFECTS[CATEGORIES])
    table = np.array([[a.count(c) for c in cats], [b.count(c) for c in cats]], dtype=np.float64)
    stat, p, dof, expected = sps.chi2_contingency(table, correction=False)
    cramers_v = float(np.sqrt(stat / table.sum()))  # 2 rows: min(r, c) - 1 = 1
    method, detail = CHI2, f"{len(cats)} categories, {dof} df"
    if expected.min() < 5:
        index = {c: i for i, c in enumerate(cats)}
        codes = np.array([index[v] for v in a + b], dtype=np.int64)
        p = _chi2_permutation_p(codes, len(a), float(stat), expected, n_permutations, seed)
        method, detail = CHI2_PERMUTATION, f"{detail}; {n_permutations} permutations, seed {seed}"
    return DriftTest(name, method, float(stat), float(p), len(a), len(b), detail=detail,
                     kind=CATEGORIES, effect=cramers_v, effect_size=EFFECTS[CATEGORIES])


def length_test(name: str, a: Sequence[float], b: Sequence[float]) -> DriftTest:
    """Kolmogorov–Smirnov on two samples of lengths."""
    if len(a) < 1 or len(b) < 1:
        return DriftTest(name, KS, None, None, len(a), len(b), detail="an empty run", kind=LENGTHS,
                         effect_size=EFFECTS[LENGTHS])
    res = sps.ks_2samp(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return DriftTest(name, KS, float(res.statistic), float(res.pvalue), len(a), len(b), kind=LENGTHS,
                     effect=float(res.statistic), effect_size=EFFECTS[LENGTHS])


def drift_family(tests: list[DriftTest], alpha: float = 0.05,
                 floors: dict[str, float] | None = None) -> tuple[bool, list[DriftTest]]:
    """Holm over the tests; (any drift, the tests with ``p_adjusted``, ``significant``, ``floor`` and
    ``drift`` filled in). A test drifts when significant AND its effect reaches its kind's floor
    (``FLOORS``, overridden per kind by ``floors``)."""
    floor_of = {**FLOORS, **(floors or {})}
    adjusted = holm([np.nan if t.p_value is None else t.p_value for t in tests])
    for t, p in zip(tests, adjusted):
        t.floor = floor_of.get(t.kind)
        if np.isfinite(p):
            t.p_adjusted, t.significant = float(p), bool(p < alpha)
            big = t.floor is None or (t.effect is not None and t.effect >= t.floor)
            t.drift = t.significant and big
    return any(t.drift for t in tests), tests


def smallest_adjusted_p(n_a: int, n_b: int, k: int) -> float:
    """The smallest Holm-adjusted p-value any of ``k`` two-sample tests could give at these sizes: a
    permutation or exact rank test of n_a and n_b inputs cannot go below 1 / C(n_a + n_b, n_a) (2 / C when
    n_a = n_b: the mirror labelling gives the same statistic); Holm multiplies the smallest by k. At or above
    alpha no test can call drift, so "drift: false" would say nothing (4 inputs a run, 2 tests: 0.057).
    (The MMD's Monte-Carlo floor 1 / (B + 1) is not counted: the rank and chi-square tests have none.)"""
    if n_a < 1 or n_b < 1 or k < 1:
        return 1.0
    log_splits = math.lgamma(n_a + n_b + 1) - math.lgamma(n_a + 1) - math.lgamma(n_b + 1)  # log C(n_a + n_b, n_a)
    return float(min(1.0, k * (2.0 if n_a == n_b else 1.0) * math.exp(-log_splits)))
