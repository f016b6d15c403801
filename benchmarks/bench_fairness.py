"""Speed of the bias scan: 100k samples, 3 attributes + 1 intersection, 1,000 bootstrap resamples.

Target: the whole scan (fairlearn point values + per-group bootstrap CIs for the selection
rate, a binary metric, a binary scanner rate and a continuous score) under 30 s on 2 cores.

Baselines measured in the same run, on one attribute, scaled linearly to the full work:
* fairlearn's own bootstrap: ``MetricFrame(..., n_boot=B, ci_quantiles=...)`` (rebuilds
  every group per resample), measured at a small B;
* the generic reference bootstrap, ``audits.metrics.bootstrap.bootstrap_ci`` called per group
  and per metric (one count matrix per call).

Run: ``python benchmarks/bench_fairness.py [--n 100000] [--resamples 1000]``.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import pandas as pd

from audits.config import TaskConfig
from audits.metrics.bootstrap import bootstrap_ci
from audits.scanners._scanmetric import ScanMean, mean_stats
from audits.scanners.bias import fairness_scan, parse_options


def make_samples(n: int, seed: int = 0) -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(seed)
    race = rng.choice(["Asian", "Black", "Hispanic", "Native American", "white"], n)
    gender = rng.choice(["female", "male", "non-binary"], n, p=[0.48, 0.48, 0.04])
    age = rng.choice(["<30", "30-45", "45-60", "60+"], n)
    bias = np.where(gender == "non-binary", -0.1, 0.0) + np.where(race == "Black", -0.05, 0.0)
    positive = rng.random(n) < 0.6 + bias
    label = rng.random(n) < 0.6
    frame = pd.DataFrame({"race": race, "gender": gender, "age": age,
                          "prediction": np.where(positive, "yes", "no"), "positive": positive,
                          "label": np.where(label, "yes", "no")})
    frame["correct"] = frame["prediction"] == frame["label"]
    stats = {
        "accuracy": (ScanMean("accuracy", "accuracy"), mean_stats(frame["correct"].astype(float).to_numpy())),
        "pii_leak_rate": (ScanMean("pii_leak_rate", "pii"), mean_stats((rng.random(n) < 0.02).astype(float))),
        "toxicity_mean": (ScanMean("toxicity_mean", "tox"), mean_stats(rng.beta(1, 20, n))),  # continuous
    }
    return frame, stats


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    args = parser.parse_args()
    frame, stats = make_samples(args.n)
    task = TaskConfig(name="bench", type="choice", dataset={"path": "x"}, choices=["yes", "no"], positive="yes",
                      sensitive=["race", "gender", "age"], intersections=[["race", "gender"]])

    t0 = time.perf_counter()
    out = fairness_scan(task, frame, stats, parse_options({}), seed=0, n_bootstrap=args.resamples)
    scan_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fairness_scan(task, frame, stats, parse_options({}), seed=0, n_bootstrap=0)
    point_s = time.perf_counter() - t0
    n_groups = sum(len(v["by_group"]) for v in out.results["fairness"].values())

    # Baseline 1: fairlearn's MetricFrame bootstrap on one attribute (race), selection rate only.
    from fairlearn.metrics import MetricFrame, selection_rate
    b_small = 5
    t0 = time.perf_counter()
    MetricFrame(metrics=selection_rate, y_true=frame["label"] == "yes", y_pred=frame["positive"].astype(int),
                sensitive_features=frame["race"], n_boot=b_small, ci_quantiles=[0.025, 0.975], random_state=0)
    fl_s = (time.perf_counter() - t0) / b_small * args.resamples

    # Baseline 2: reference bootstrap_ci per group and metric on one attribute (race).
    t0 = time.perf_counter()
    for g in np.unique(frame["race"]):
        rows = (frame["race"] == g).to_numpy()
        for metric, s in stats.values():
            bootstrap_ci(metric, s[rows], n_resamples=args.resamples, seed=0)
    ref_s = time.perf_counter() - t0

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"samples={args.n:,} resamples={args.resamples} groupings=4 groups={n_groups} metrics=selection_rate+3 cpus={cpus}")
    print(f"whole bias scan:                 {scan_s:7.2f} s   (target < 30 s)")
    print(f"  of which fairlearn point work: {point_s:7.2f} s   (same scan with 0 resamples)")
    print(f"baseline, race only, selection_rate only, fairlearn MetricFrame(n_boot={args.resamples}) "
          f"~{fl_s:7.1f} s (measured at n_boot={b_small}, scaled)")
    print(f"baseline, race only, bootstrap_ci per group x 3 metrics:           {ref_s:7.2f} s")
    dpd = out.results["fairness"]["gender"]["demographic_parity_difference"]
    print(f"sanity: gender demographic_parity_difference={dpd:.4f} "
          f"four_fifths_violation={out.results['fairness']['gender']['four_fifths_violation']}")


if __name__ == "__main__":
    main()
