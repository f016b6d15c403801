"""The coverage simulation of issue 8, shared by the test and benchmarks/README.md: draw test
sets with a known true value, ask Assay (``summarise``, the runner's own call) for the 95%
interval, count how often it holds the truth."""

from __future__ import annotations

import numpy as np

from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise

RATE_NS = (10, 30, 100, 1000)
RATE_PS = (0.01, 0.05, 0.5, 0.9, 0.99)


def rate_coverage(n: int, p: float, trials: int, seed: int = 0) -> float:
    """Share of ``trials`` Bernoulli(p) test sets of size n whose accuracy interval holds p.

    Clopper–Pearson depends on the data only through k, so each distinct k is summarised once
    (through the full ``summarise`` path) and weighted by how often it was drawn.
    """
    metric = get_metric("accuracy")
    ks, counts = np.unique(np.random.default_rng(seed).binomial(n, p, size=trials), return_counts=True)
    held = 0
    for k, count in zip(ks, counts):
        stats = np.column_stack([np.r_[np.ones(k), np.zeros(n - k)], np.ones(n)])
        r = summarise(metric, stats, n_resamples=1000, seed=0)
        held += count * (r.ci_low <= p <= r.ci_high)
    return held / trials


def skewed_scores(n: int, rng: np.random.Generator) -> np.ndarray:
    """A token-F1-like score: 40% zeros, the rest Beta(0.6, 2.5) (right-skewed); mean 0.116."""
    return np.where(rng.random(n) < 0.4, 0.0, rng.beta(0.6, 2.5, size=n))


SKEWED_MEAN = 0.6 * 0.6 / (0.6 + 2.5)


def mean_coverage(n: int, trials: int, seed: int = 0, resamples: int = 1000) -> float:
    """Share of ``trials`` skewed test sets of size n whose token_f1 interval (BCa) holds the mean."""
    metric = get_metric("token_f1")
    rng = np.random.default_rng(seed)
    held = 0
    for t in range(trials):
        scores = skewed_scores(n, rng)
        r = summarise(metric, np.column_stack([scores, np.ones(n)]), n_resamples=resamples, seed=t)
        assert r.method == "bca-bootstrap"
        held += r.ci_low <= SKEWED_MEAN <= r.ci_high
    return held / trials


def main() -> None:  # python -m tests.stats._coverage: the grid for benchmarks/README.md
    import time

    t0 = time.perf_counter()
    print("rates (accuracy, Clopper-Pearson), 2000 trials per cell")
    print("n \\ p  " + "  ".join(f"{p:>5}" for p in RATE_PS))
    for n in RATE_NS:
        print(f"{n:<6} " + "  ".join(f"{rate_coverage(n, p, 2000, seed=n):.3f}" for p in RATE_PS))
    print("token_f1 on a skewed score distribution (BCa bootstrap, 1000 resamples), 1000 trials")
    for n in (30, 100, 300):
        print(f"n={n}: {mean_coverage(n, 1000, seed=n):.3f}")
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
