"""Input drift holds its false-positive rate under the null at the run sizes audits have (20-50
inputs, sparse categories, runs of unequal size), per test and over the Holm-corrected family
(lengths + categories + embeddings): seeded simulation on ``audits.stats`` as ``assay drift`` calls it.

Before: the chi-square on a sparse category column took its p-value from the chi-square
distribution; over 8 categories (1-50%) it called drift 11.5% of the time with 10 inputs against
300 and 13.2% with 5 against 500 (these seeds, 600 pairs; 20 against 200: 6.2%). Now a permutation
p-value when an expected count is below 5: 5.8%, 5.0%, 4.8%."""

from __future__ import annotations

import numpy as np
import pytest

from audits import stats

CATS = np.array(list("ABCDEFGH"))
SPARSE = np.array([0.5, 0.2, 0.1, 0.08, 0.06, 0.03, 0.02, 0.01])


def _limit(sims: int) -> float:
    return 0.05 + 3 * np.sqrt(0.05 * 0.95 / sims)


@pytest.mark.parametrize("n_a,n_b", [(20, 200), (10, 300), (5, 500)])
def test_sparse_category_column_holds_its_level(n_a, n_b):
    rng = np.random.default_rng(n_a * 1000 + n_b)
    sims, drift = 600, 0
    for i in range(sims):
        t = stats.category_test("segment", rng.choice(CATS, n_a, p=SPARSE), rng.choice(CATS, n_b, p=SPARSE),
                                n_permutations=400, seed=i)
        drift += stats.drift_family([t])[0]
    assert drift / sims <= _limit(sims), drift / sims


def test_sparse_column_uses_the_permutation_and_a_dense_one_the_distribution():
    rng = np.random.default_rng(1)
    sparse = stats.category_test("s", rng.choice(CATS, 20, p=SPARSE), rng.choice(CATS, 200, p=SPARSE))
    dense = stats.category_test("d", rng.choice(CATS[:2], 200), rng.choice(CATS[:2], 200))
    assert "permutation" in sparse.test and "2000 permutations, seed 0" in sparse.detail
    assert dense.test == "Pearson chi-square, 2 x categories"
    # an obvious shift is still drift on the permutation path
    shifted = stats.category_test("s", ["A"] * 18 + ["H"] * 2, list(rng.choice(CATS[1:], 200)))
    assert shifted.p_value < 0.001 and stats.drift_family([shifted])[0]


@pytest.mark.parametrize("n", [20, 50])
def test_family_of_embedding_length_and_category_tests_holds_its_level(n):
    """Overall ``drift: true`` rate with all three kinds of test at once (Holm over them)."""
    rng = np.random.default_rng(n)
    sims, family = 300, 0
    for i in range(sims):
        x, y = rng.normal(size=(n, 16)), rng.normal(size=(n, 16))
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        y /= np.linalg.norm(y, axis=1, keepdims=True)
        tests = [stats.mmd_test(x, y, 200, seed=i), stats.length_test("len", rng.poisson(60, n), rng.poisson(60, n)),
                 stats.category_test("seg", rng.choice(CATS, n, p=SPARSE), rng.choice(CATS, n, p=SPARSE),
                                     n_permutations=200, seed=i),
                 stats.category_test("lang", rng.choice(CATS[:3], n, p=[0.6, 0.3, 0.1]),
                                     rng.choice(CATS[:3], n, p=[0.6, 0.3, 0.1]), n_permutations=200, seed=i)]
        family += stats.drift_family(tests)[0]
    assert family / sims <= _limit(sims), family / sims
