"""The small-n simulation for means of unbounded scores (decision logits, log-probabilities,
lengths), shared by tests/stats/test_unbounded_mean_bound.py and benchmarks/README.md.

Each cell draws ``trials`` test sets of size n from a shape with a known mean, puts the truth on
the threshold, and counts how often each method's one-sided 95% bound clears it (every such pass
is an error): the lower bound above the mean (``mean >= t`` wrongly passes) and the upper bound
below it (``mean <= t`` wrongly passes). The bootstrap methods share one set of resamples per
trial (``resamples`` index draws), so their differences are the methods', not the draws'.

``python -m tests.stats._unbounded_coverage`` prints the table.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats as _st
from scipy.special import ndtr, ndtri

from audits.stats._studentized import COCHRAN, t_quantiles

SHAPES = ("normal", "lognormal", "t3", "logit-bumps", "outliers")
NS = (5, 10, 20, 30, 50, 100, 300)
METHODS = ("bca", "bca-rescaled", "student-t", "expanded-percentile", "expanded-bca", "bootstrap-t",
           "bootstrap-t-rescaled", "envelope", "envelope-rescaled", "+skew rule", "env+skew rule", "undecided")
_MIX_LOW = 0.7  # logit-bumps: 70% near -3.6, 30% near +1 (a decision logit leaning 'no')


def draw(shape: str, size: tuple[int, int], rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """(samples of ``size``, true mean) of one shape an audit meets."""
    if shape == "normal":
        return rng.normal(0.0, 1.0, size), 0.0
    if shape == "lognormal":  # a length or a cost: right-skewed, sigma 1
        return rng.lognormal(0.0, 1.0, size), math.exp(0.5)
    if shape == "t3":  # heavy tails both ways
        return rng.standard_t(3, size), 0.0
    if shape == "logit-bumps":  # decision logits: two bumps near -3.6 and +1
        low = rng.random(size) < _MIX_LOW
        return np.where(low, rng.normal(-3.6, 0.7, size), rng.normal(1.0, 0.7, size)), _MIX_LOW * -3.6 + (1 - _MIX_LOW)
    if shape == "outliers":  # 90% N(0, 1), 10% outliers near +5 (a few very long outputs)
        out = rng.random(size) < 0.1
        return np.where(out, rng.normal(5.0, 1.0, size), rng.normal(0.0, 1.0, size)), 0.5
    raise ValueError(shape)


def _row_quantile(sorted_rows: np.ndarray, q: np.ndarray) -> np.ndarray:
    """numpy's linear-interpolation quantile of each sorted row at its own level ``q`` (rows,)."""
    r = sorted_rows.shape[1]
    h = np.clip(q, 0.0, 1.0) * (r - 1)
    lo = np.floor(h).astype(int)
    hi = np.minimum(lo + 1, r - 1)
    rows = np.arange(sorted_rows.shape[0])
    a, b = sorted_rows[rows, lo], sorted_rows[rows, hi]
    with np.errstate(invalid="ignore"):
        return np.where(lo == hi, a, a + (h - lo) * (b - a))


def bounds(x: np.ndarray, rng: np.random.Generator, resamples: int = 1000, one_sided: float = 0.95
           ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Each method's (lower, upper) one-sided ``one_sided`` bounds for every row of ``x`` (trials, n)."""
    t, n = x.shape
    mean, sd = x.mean(axis=1), x.std(axis=1, ddof=1)
    se = sd / math.sqrt(n)
    idx = rng.integers(0, n, size=(t, resamples, n))
    boot = np.take_along_axis(x[:, None, :], idx, axis=2)
    m_star = boot.mean(axis=2)
    se_star = boot.std(axis=2, ddof=1) / math.sqrt(n)
    del boot, idx
    alpha = 1.0 - one_sided
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    tq = float(_st.t.ppf(one_sided, n - 1))
    out["student-t"] = (mean - tq * se, mean + tq * se)
    diff = m_star - mean[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.where(se_star > 0, diff / se_star, np.where(diff > 0, np.inf, np.where(diff < 0, -np.inf, 0.0)))
    lo_q, hi_q = t_quantiles(t_star, 1 - 2 * alpha)
    out["bootstrap-t"] = (mean - hi_q * se, mean - lo_q * se)
    # what a verdict reads: the stored two-sided 95% interval, rescaled to 90% (``stats.rescale``)
    scale = float(ndtri(one_sided) / ndtri(1 - alpha / 2))
    lo_q, hi_q = t_quantiles(t_star, 1 - alpha)
    low, high = mean - scale * hi_q * se, mean - scale * lo_q * se
    out["bootstrap-t-rescaled"] = (low, high)
    # the envelope: each side the wider of bootstrap-t and Student t (at 90%, and the stored 95% rescaled)
    out["envelope"] = (np.minimum(out["bootstrap-t"][0], out["student-t"][0]),
                       np.maximum(out["bootstrap-t"][1], out["student-t"][1]))
    t95 = float(_st.t.ppf(1 - alpha / 2, n - 1))
    env = (np.minimum(low, mean - scale * t95 * se), np.maximum(high, mean + scale * t95 * se))
    out["envelope-rescaled"] = env
    d = x - mean[:, None]
    m2 = (d * d).mean(axis=1)
    g1 = np.where(m2 > 0, (d ** 3).mean(axis=1) / np.where(m2 > 0, m2, 1.0) ** 1.5, 0.0)
    decided = n >= np.maximum(4, COCHRAN * g1 * g1)  # stats.skew_reason is None: the verdict may pass
    out["+skew rule"] = (np.where(decided, low, -np.inf), np.where(decided, high, np.inf))
    out["env+skew rule"] = (np.where(decided, env[0], -np.inf), np.where(decided, env[1], np.inf))
    out["undecided"] = (np.where(decided, -np.inf, np.inf), np.full(t, np.inf))  # share the rule leaves undecided
    m_sorted = np.sort(m_star, axis=1)
    below = ((m_star < mean[:, None]).sum(axis=1) + 0.5 * (m_star == mean[:, None]).sum(axis=1)) / resamples
    z0 = ndtri(np.clip(below, 1e-12, 1 - 1e-12))
    jack = (x.sum(axis=1, keepdims=True) - x) / (n - 1)
    d = jack.mean(axis=1, keepdims=True) - jack
    den = 6.0 * (d * d).sum(axis=1) ** 1.5
    a = np.where(den > 0, (d ** 3).sum(axis=1) / np.where(den > 0, den, 1.0), 0.0)
    expanded = float(ndtr(-math.sqrt(n / (n - 1)) * _st.t.ppf(one_sided, n - 1)))  # Hesterberg's tail
    for name, tail, z_scale in (("bca", alpha, 1.0), ("bca-rescaled", alpha / 2, float(ndtri(1 - alpha) / ndtri(1 - alpha / 2))),
                                ("expanded-bca", expanded, 1.0)):
        ends = []
        for q in (tail, 1 - tail):
            z = float(ndtri(q))
            adj = z0 + (z0 + z) / (1.0 - a * (z0 + z))
            level = np.where((below <= 0) | (below >= 1), q, ndtr(adj))
            ends.append(_row_quantile(m_sorted, level))
        if z_scale != 1.0:  # the stored 95% interval rescaled to 90% by the verdict (stats.rescale)
            ends = [mean - (mean - ends[0]) * z_scale, mean + (ends[1] - mean) * z_scale]
        out[name] = (ends[0], ends[1])
    out["expanded-percentile"] = (_row_quantile(m_sorted, np.full(t, expanded)),
                                  _row_quantile(m_sorted, np.full(t, 1 - expanded)))
    return out


def errors(shape: str, n: int, trials: int = 2000, seed: int = 0, resamples: int = 1000
           ) -> dict[str, tuple[float, float]]:
    """Each method's (P(lower bound > truth), P(upper bound < truth)) over ``trials`` test sets."""
    rng = np.random.default_rng(seed)
    chunk = max(1, 20_000_000 // (resamples * n))
    wrong = {m: np.zeros(2) for m in METHODS}
    done = 0
    while done < trials:
        size = min(chunk, trials - done)
        x, mu = draw(shape, (size, n), rng)
        for m, (low, high) in bounds(x, rng, resamples).items():
            wrong[m] += (np.sum(low > mu), np.sum(high < mu))
        done += size
    return {m: (float(w[0]) / trials, float(w[1]) / trials) for m, w in wrong.items()}


def main() -> None:  # python -m tests.stats._unbounded_coverage [trials]
    import sys
    import time

    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    t0 = time.perf_counter()
    print(f"one-sided 95% bounds, truth on the threshold; {trials} trials, 1000 resamples; "
          "each cell: wrongly passed >= / <= (%)")
    print("shape        n    " + "  ".join(f"{m:>13}" for m in METHODS))
    print("(-rescaled: the stored 95% interval rescaled to 90%, as a verdict reads it; envelope: each side the "
          "wider of bootstrap-t and Student t; +skew rule: the rescaled bound counted only where n >= 25 g1**2 "
          "(stats.skew_reason without its n >= 30 floor); undecided: the share that rule leaves inconclusive)")
    for shape in SHAPES:
        for n in NS:
            e = errors(shape, n, trials, seed=1000 * n + SHAPES.index(shape))
            print(f"{shape:<12} {n:<4} " + "  ".join(f"{100 * e[m][0]:>6.1f}/{100 * e[m][1]:<6.1f}" for m in METHODS),
                  flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
