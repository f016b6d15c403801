"""Is a change between two runs real? Interval overlap, and a paired bootstrap when the two
runs scored the same samples."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def intervals_overlap(a_low: float, a_high: float, b_low: float, b_high: float) -> bool | None:
    """True when [a_low, a_high] and [b_low, b_high] overlap; None when either is unknown."""
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (a_low, a_high, b_low, b_high)):
        return None
    return not (a_high < b_low or b_high < a_low)


BOOTSTRAP_MAX_N = 20_000  # above this the bootstrap of a mean is normal to well within its own noise


def normal_interval(mean: float, std: float, n: int, z: float = 1.959964) -> tuple[float, float, float]:
    """(mean, low, high): the large-n limit of the paired bootstrap of a mean difference."""
    if n < 2 or not math.isfinite(mean) or not math.isfinite(std):
        return float("nan"), float("nan"), float("nan")
    half = z * std / math.sqrt(n)
    return mean, mean - half, mean + half


def paired_bootstrap(a: np.ndarray, b: np.ndarray, n_resamples: int = 1000, seed: int = 0,
                     alpha: float = 0.05) -> tuple[float, float, float]:
    """Mean of (a - b) over paired samples and its percentile CI: (diff, low, high)."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size == 0:
        return float("nan"), float("nan"), float("nan")
    rng = np.random.default_rng(seed)
    n = d.size
    chunk = max(1, 5_000_000 // n)
    means = []
    for start in range(0, n_resamples, chunk):
        idx = rng.integers(0, n, size=(min(chunk, n_resamples - start), n))
        means.append(d[idx].mean(axis=1))
    means = np.concatenate(means)
    low, high = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return float(d.mean()), float(low), float(high)


def metric_rows(results: dict) -> pd.DataFrame:
    """Flatten results.json metrics: task, type, metric, value, ci_low, ci_high, n, signature."""
    rows = []
    for task in results.get("tasks") or []:
        for name, m in (task.get("metrics") or {}).items():
            if not isinstance(m, dict):
                continue
            rows.append({"task": task.get("name"), "type": task.get("type"), "metric": name,
                         "value": m.get("value"), "ci_low": m.get("ci_low"), "ci_high": m.get("ci_high"),
                         "n": m.get("n"), "signature": m.get("signature")})
    return pd.DataFrame(rows, columns=["task", "type", "metric", "value", "ci_low", "ci_high", "n", "signature"])


def compare_metrics(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Join two runs' metric rows on (task, metric); adds prev_*, change, overlap and 'real'."""
    prev = previous.rename(columns={c: f"prev_{c}" for c in ("value", "ci_low", "ci_high", "n")})
    prev = prev[["task", "metric", "prev_value", "prev_ci_low", "prev_ci_high", "prev_n"]]
    out = current.merge(prev, on=["task", "metric"], how="left")
    out["change"] = out["value"] - out["prev_value"]
    out["overlap"] = [intervals_overlap(*r) for r in
                      out[["ci_low", "ci_high", "prev_ci_low", "prev_ci_high"]].itertuples(index=False)]
    out["real"] = out["overlap"].map(lambda o: None if o is None else (not o))
    return out
