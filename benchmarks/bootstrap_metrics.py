"""Bootstrap cost: 100k samples x 1,000 resamples, for mean metrics and for corpus BLEU.

Compares the shipped ``audits.metrics.bootstrap.bootstrap_values`` with the first version
(one offset ``bincount`` over 160 MB chunks, then ``counts @ stats``) in the same run. For stats
with many distinct rows (ROUGE-like scores, BLEU) both draw the same random stream, so values must
be identical; for 0/1 scores (accuracy) the new path draws row-type counts directly, so only the
intervals are compared.

    python benchmarks/bootstrap_metrics.py [--n 100000] [--resamples 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from audits.metrics import get_metric
from audits.metrics.bootstrap import bootstrap_values, resample_counts


def baseline_values(metric, stats: np.ndarray, n_resamples: int, seed: int) -> np.ndarray:
    """The first implementation, kept here as the baseline."""
    n = stats.shape[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, 20_000_000 // n)
    out = []
    for start in range(0, n_resamples, chunk):
        counts = resample_counts(n, min(chunk, n_resamples - start), rng)
        out.append(metric.aggregate(counts @ stats))
    return np.concatenate(out)


def synthetic_stats(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    mean = np.column_stack([(rng.random(n) < 0.7).astype(float), np.ones(n)])
    hyp_len = rng.integers(5, 30, n).astype(float)
    total = np.stack([np.maximum(hyp_len - k, 0) for k in range(4)], axis=1)
    correct = np.floor(total * rng.random((n, 4)))
    bleu = np.column_stack([hyp_len, hyp_len + rng.integers(-3, 4, n), correct, total])
    rouge = np.column_stack([rng.random(n), np.ones(n)])
    return {"accuracy": mean, "rougeL": rouge, "bleu": bleu}


def best_of(fn, repeats: int) -> tuple[float, np.ndarray]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    for name, stats in synthetic_stats(args.n).items():
        metric = get_metric(name)
        base_s, base = best_of(lambda: baseline_values(metric, stats, args.resamples, 0), args.repeats)
        new_s, new = best_of(lambda: bootstrap_values(metric, stats, args.resamples, 0), args.repeats)
        same = np.allclose(base, new, rtol=1e-12, atol=0)
        ci_base, ci_new = np.quantile(base, [0.025, 0.975]), np.quantile(new, [0.025, 0.975])
        print(f"{name:9s} n={args.n} resamples={args.resamples}: baseline {base_s:.3f}s, "
              f"now {new_s:.3f}s, speed-up x{base_s / new_s:.1f}, identical values: {same}, "
              f"CI baseline [{ci_base[0]:.5g}, {ci_base[1]:.5g}] now [{ci_new[0]:.5g}, {ci_new[1]:.5g}]")


if __name__ == "__main__":
    main()
