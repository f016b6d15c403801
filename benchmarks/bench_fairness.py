"""Speed of the bias scan: 100k samples, 3 attributes + 1 intersection, 1,000 bootstrap resamples.

Target: the whole scan (fairlearn point values + per-group bootstrap CIs for the selection
rate, a binary metric, a binary scanner rate and a continuous score) under 30 s on 2 cores.

Baselines measured in the same run, on one attribute, scaled linearly to the full work:
* fairlearn's own bootstrap: ``MetricFrame(..., n_boot=B, ci_quantiles=...)`` (rebuilds
  every group per resample), measured at a small B (``--fairlearn-boot``), against Assay's scan on
  the same work (race, the selection rate) at that B and at the full count, interleaved rounds;
* the generic reference bootstrap, ``audits.metrics.bootstrap.bootstrap_ci`` called per group
  and per metric (one count matrix per call).

Run: ``python benchmarks/bench_fairness.py [--n 100000] [--resamples 1000] [--rounds 3] [--json FILE]``.
"""

from __future__ import annotations

import argparse
import json
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


def like_for_like(frame: pd.DataFrame, resamples: int, fl_boot: int, rounds: int) -> dict:
    """fairlearn's ``MetricFrame`` bootstrap against Assay's scan on the same work: the same 100k rows, one
    attribute (race), the selection rate, the same resample count; interleaved rounds. fairlearn runs at
    ``fl_boot`` resamples (measured) and is scaled to ``resamples``; Assay runs at both."""
    import statistics

    from fairlearn.metrics import MetricFrame, selection_rate

    task = TaskConfig(name="bench", type="choice", dataset={"path": "x"}, choices=["yes", "no"], positive="yes",
                      sensitive=["race"])
    opts = parse_options({})  # no metric columns given: the selection rate only (any decision task has it)
    y_true, y_pred = frame["label"] == "yes", frame["positive"].astype(int)
    fl_s, small_s, full_s = [], [], []
    for _ in range(rounds):  # interleaved, so drifting load hits both sides alike
        t0 = time.perf_counter()
        mf = MetricFrame(metrics=selection_rate, y_true=y_true, y_pred=y_pred, sensitive_features=frame["race"],
                         n_boot=fl_boot, ci_quantiles=[0.025, 0.975], random_state=0)
        fl_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        fairness_scan(task, frame, {}, opts, seed=0, n_bootstrap=fl_boot)
        small_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = fairness_scan(task, frame, {}, opts, seed=0, n_bootstrap=resamples)
        full_s.append(time.perf_counter() - t0)
    groups = out.results["fairness"]["race"]["by_group"]
    delta = max(abs(groups[str(g)]["selection_rate"]["value"] - v) for g, v in mf.by_group.items())
    fl_med, small_med, full_med = (statistics.median(x) for x in (fl_s, small_s, full_s))
    fl_full = fl_med / fl_boot * resamples
    return {"work": f"{len(frame):,} rows, race (5 groups), selection_rate, {resamples} resamples", "rounds": rounds,
            "fairlearn_boot_measured": fl_boot, "fairlearn_s": fl_s, "assay_s_at_fairlearn_boot": small_s,
            "assay_s": full_s, "ratio_at_equal_boot_measured": fl_med / small_med,
            "fairlearn_s_scaled": fl_full, "ratio_at_full_boot": fl_full / full_med,
            "max_abs_delta_selection_rate": float(delta),
            "assay_interval_method": groups[next(iter(groups))]["selection_rate"]["method"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--fairlearn-boot", type=int, default=20, help="fairlearn's measured resamples (scaled up)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of the like-for-like comparison")
    parser.add_argument("--json", default=None, help="write every figure to this JSON file")
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

    # Like for like: fairlearn's MetricFrame bootstrap and Assay's scan on the same attribute and metric.
    same = like_for_like(frame, args.resamples, args.fairlearn_boot, args.rounds)

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
    print(f"like for like ({same['work']}), median of {args.rounds} interleaved rounds:")
    print(f"  fairlearn MetricFrame(n_boot={args.fairlearn_boot}) {statistics_median(same['fairlearn_s']):7.2f} s, "
          f"Assay scan at n_boot={args.fairlearn_boot} {statistics_median(same['assay_s_at_fairlearn_boot']):7.2f} s "
          f"({same['ratio_at_equal_boot_measured']:.1f}x, both measured)")
    print(f"  fairlearn scaled to n_boot={args.resamples} ~{same['fairlearn_s_scaled']:7.1f} s, "
          f"Assay at n_boot={args.resamples} {statistics_median(same['assay_s']):7.2f} s ({same['ratio_at_full_boot']:.0f}x)")
    print(f"  selection rates by group: max |Assay - fairlearn| = {same['max_abs_delta_selection_rate']:.2e}")
    print(f"baseline, race only, bootstrap_ci per group x 3 metrics:           {ref_s:7.2f} s")
    dpd = out.results["fairness"]["gender"]["demographic_parity_difference"]
    print(f"sanity: gender demographic_parity_difference={dpd:.4f} "
          f"four_fifths_violation={out.results['fairness']['gender']['four_fifths_violation']}")
    if args.json:
        import fairlearn

        record = {"n": args.n, "resamples": args.resamples, "cpus": cpus, "fairlearn": fairlearn.__version__,
                  "whole_scan_s": scan_s, "point_values_s": point_s, "groups": n_groups,
                  "whole_scan_vs_fairlearn_one_attribute": same["fairlearn_s_scaled"] / scan_s,
                  "like_for_like": same, "reference_bootstrap_ci_race_s": ref_s}
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=1)


def statistics_median(values: list[float]) -> float:
    import statistics

    return statistics.median(values)


if __name__ == "__main__":
    main()
