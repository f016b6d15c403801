"""Input drift between two runs: do their inputs come from the same distribution?

- ``mmd_test``: the unbiased squared maximum mean discrepancy (Gretton et al. 2012) between two
  sets of embeddings with a Gaussian kernel (bandwidth: the median pairwise distance of the pooled
  sample, which is the same under every relabelling), and a seeded permutation p-value
  (1 + #{permuted >= observed}) / (1 + B), exact at any sample size.
- ``category_test``: Pearson chi-square on the 2 x c table of a categorical column's counts.
- ``length_test``: two-sample Kolmogorov–Smirnov on text lengths (characters).
- ``drift_family``: the tests together, Holm-corrected, drift where any adjusted p < alpha.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats as sps

from audits.stats._compare import holm

MMD = "MMD² (unbiased, Gaussian kernel, median-distance bandwidth), permutation p-value"
CHI2 = "Pearson chi-square, 2 x categories"
KS = "two-sample Kolmogorov–Smirnov"


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


def _mmd2(k: np.ndarray, labels: np.ndarray, n: int, m: int) -> np.ndarray:
    """Unbiased MMD² for each row of ``labels`` ((B, n + m) 0/1, 1 = sample A) over kernel ``k``."""
    a, b = labels, 1.0 - labels
    ka, kb = a @ k, b @ k
    diag = np.diag(k)
    xx = (np.einsum("ij,ij->i", ka, a) - a @ diag) / (n * (n - 1))
    yy = (np.einsum("ij,ij->i", kb, b) - b @ diag) / (m * (m - 1))
    xy = np.einsum("ij,ij->i", ka, b) / (n * m)
    return xx + yy - 2 * xy


def mmd_test(x: np.ndarray, y: np.ndarray, n_permutations: int = 1000, seed: int = 0,
             chunk: int = 100) -> DriftTest:
    """MMD² of embeddings ``x`` (n, d) against ``y`` (m, d) with its permutation p-value."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    n, m = len(x), len(y)
    if n < 2 or m < 2:
        return DriftTest("inputs (embeddings)", MMD, None, None, n, m, detail="needs at least 2 inputs per run")
    z = np.vstack([x, y])
    sq = np.maximum(np.sum(z ** 2, 1)[:, None] + np.sum(z ** 2, 1)[None, :] - 2 * z @ z.T, 0.0)
    off = sq[np.triu_indices(n + m, 1)]
    bandwidth = float(np.median(off[off > 0])) if np.any(off > 0) else 1.0
    k = np.exp(-sq / bandwidth)
    observed = float(_mmd2(k, np.r_[np.ones(n), np.zeros(m)][None, :], n, m)[0])
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
                     detail=f"{n_permutations} permutations, seed {seed}, bandwidth {bandwidth:.4g}")


def category_test(name: str, a: Sequence[object], b: Sequence[object]) -> DriftTest:
    """Chi-square on the counts of each category in run A and run B."""
    a, b = [str(v) for v in a], [str(v) for v in b]
    cats = sorted(set(a) | set(b))
    if len(cats) < 2 or not a or not b:
        return DriftTest(name, CHI2, None, None, len(a), len(b), detail="one category only: nothing to compare")
    table = np.array([[a.count(c) for c in cats], [b.count(c) for c in cats]], dtype=np.float64)
    stat, p, dof, _ = sps.chi2_contingency(table, correction=False)
    return DriftTest(name, CHI2, float(stat), float(p), len(a), len(b), detail=f"{len(cats)} categories, {dof} df")


def length_test(name: str, a: Sequence[float], b: Sequence[float]) -> DriftTest:
    """Kolmogorov–Smirnov on two samples of lengths."""
    if len(a) < 1 or len(b) < 1:
        return DriftTest(name, KS, None, None, len(a), len(b), detail="an empty run")
    res = sps.ks_2samp(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    return DriftTest(name, KS, float(res.statistic), float(res.pvalue), len(a), len(b))


def drift_family(tests: list[DriftTest], alpha: float = 0.05) -> tuple[bool, list[DriftTest]]:
    """Holm over the tests; (any drift, the tests with ``p_adjusted`` and ``drift`` filled in)."""
    adjusted = holm([np.nan if t.p_value is None else t.p_value for t in tests])
    for t, p in zip(tests, adjusted):
        if np.isfinite(p):
            t.p_adjusted, t.drift = float(p), bool(p < alpha)
    return any(t.drift for t in tests), tests
