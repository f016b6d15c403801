"""Interval methods tried for the displayed 95% interval of a skewed unbounded mean (benchmarks/README.md):
the envelope Assay shows (each side the wider of the studentized bootstrap and Student t), Hall's (1992)
skew-corrected t, the envelope of both, and the envelope widened by sqrt(n / (n - 1)). Every method shares
each test set's 1,000 resamples. ``python -m tests.stats._display_candidates [trials]`` prints coverage
(P(low > mean) / P(high < mean)) on the lognormal and the exponential at n = 10 and 30.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st

from audits.stats._studentized import t_quantiles
from tests.stats._display_coverage import draw


def _hall(mean: np.ndarray, se: np.ndarray, g1: np.ndarray, n: int, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Hall's transformation g(t) = t + a t^2 / 3 + a^2 t^3 / 27 + a / 6 (a = g1 / sqrt n), inverted."""
    a = g1 / math.sqrt(n)

    def inverse(q: float) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(np.abs(a) > 1e-9, (np.cbrt(1 + a * (q - a / 6)) - 1) * 3 / a, q - a / 6)
    return mean - inverse(z) * se, mean - inverse(-z) * se


def coverage(shape: str, n: int, trials: int = 2000, resamples: int = 1000, seed: int = 0
             ) -> dict[str, tuple[float, float, float]]:
    """Each method's (coverage, P(low > mean), P(high < mean)) over ``trials`` test sets."""
    rng = np.random.default_rng(seed)
    x = np.empty((trials, n))
    for i in range(trials):
        x[i], mu = draw(shape, n, rng)
    wrong: dict[str, np.ndarray] = {}
    z, tq = float(_st.norm.ppf(0.975)), float(_st.t.ppf(0.975, n - 1))
    for start in range(0, trials, 200):
        part = x[start:start + 200]
        mean = part.mean(axis=1)
        se = part.std(axis=1, ddof=1) / math.sqrt(n)
        boot = np.take_along_axis(part[:, None, :], rng.integers(0, n, size=(part.shape[0], resamples, n)), axis=2)
        diff = boot.mean(axis=2) - mean[:, None]
        se_star = boot.std(axis=2, ddof=1) / math.sqrt(n)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.where(se_star > 0, diff / se_star, np.sign(diff) * np.inf)
        lo_q, hi_q = t_quantiles(t_star, 0.95)
        env = (np.minimum(mean - hi_q * se, mean - tq * se), np.maximum(mean - lo_q * se, mean + tq * se))
        d = part - mean[:, None]
        m2 = (d * d).mean(axis=1)
        g1 = np.where(m2 > 0, (d ** 3).mean(axis=1) / np.where(m2 > 0, m2, 1.0) ** 1.5, 0.0)
        hall = _hall(mean, se, g1, n, z)
        f = math.sqrt(n / (n - 1))
        methods = {"envelope (shown)": env, "hall": hall,
                   "envelope+hall": (np.minimum(env[0], hall[0]), np.maximum(env[1], hall[1])),
                   "envelope widened": (mean - (mean - env[0]) * f, mean + (env[1] - mean) * f)}
        for name, (low, high) in methods.items():
            wrong[name] = wrong.get(name, np.zeros(2)) + (np.sum(low > mu), np.sum(high < mu))
    return {k: (1 - float(v.sum()) / trials, float(v[0]) / trials, float(v[1]) / trials) for k, v in wrong.items()}


def main() -> None:  # python -m tests.stats._display_candidates [trials]
    import sys

    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    for shape in ("lognormal", "exponential"):
        for n in (10, 30):
            row = coverage(shape, n, trials)
            print(f"{shape} n={n}: " + "; ".join(f"{k} {c:.3f} ({lo:.3f}/{hi:.3f})" for k, (c, lo, hi) in row.items()))


if __name__ == "__main__":
    main()
