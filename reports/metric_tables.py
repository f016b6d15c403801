"""The report's measurement tables, from a run's results: metrics with intervals and the change
against a compared run, the largest changes, and the fairness gaps (``reports.data.collect`` gathers them)."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from audits.results import RunResults
from policies._fairness_bounds import verdict_bounds
from reports.figures import figure, interval


def finite(x: Any) -> float | None:
    """``x`` as a finite float; None for a bool, None, text or NaN/inf."""
    if isinstance(x, bool) or x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _metric_rows(results: RunResults) -> pd.DataFrame:
    return results.metrics_frame()


def metrics_table(results: RunResults, compare: RunResults | None, paired_scores=None) -> pd.DataFrame:
    """Metrics with CIs, and against the compared run: the change, its test and whether it is
    significant after Holm's correction over the run's metrics (``audits.stats.compare_runs``,
    the dashboard's call too). ``paired_scores(task, metric)`` gives both runs' per-sample scores."""
    from audits.stats import compare_runs, describe_change

    cur = _metric_rows(results)
    cols = ["task", "metric", "value", "ci_low", "ci_high", "n", "compare_value", "compare_ci_low",
            "compare_ci_high", "change", "test", "p_adjusted", "significant", "change_test", "higher_is_better",
            "method", "signature"]
    if compare is None:
        for c in ("compare_value", "compare_ci_low", "compare_ci_high", "change", "test", "p_adjusted",
                  "significant", "change_test"):
            cur[c] = None
        return cur[cols]
    tested = compare_runs(results, compare, paired_scores)
    tested["change_test"] = [describe_change(r) for r in tested.to_dict("records")]
    tested = tested.rename(columns={"prev_value": "compare_value", "prev_ci_low": "compare_ci_low",
                                    "prev_ci_high": "compare_ci_high"})
    merged = cur.merge(tested[["task", "metric", "compare_value", "compare_ci_low", "compare_ci_high", "change",
                               "test", "p_adjusted", "significant", "change_test"]], on=["task", "metric"], how="left")
    merged["significant"] = merged["significant"].astype(object).where(merged["significant"].notna(), None)
    return merged[cols]


def changes_table(metrics: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The largest changes against the compared run, largest first; ``real`` = significant after
    the paired test (or unpaired, where the runs share no samples) and Holm's correction.

    Changes are ranked on a common scale (the change over the larger of |value|, |compared| and 1, so
    BLEU's 0-100 points do not drown rates), significant changes first; unchanged metrics are left out.
    """
    cols = ["task", "metric", "compare_value", "value", "change", "direction", "real_change", "change_test"]
    have = metrics.dropna(subset=["change"]).copy()
    have = have[have["change"] != 0]
    if have.empty:
        return pd.DataFrame(columns=cols)
    scale = pd.concat([have["value"].abs(), have["compare_value"].abs(), pd.Series(1.0, index=have.index)],
                      axis=1).max(axis=1)
    have["rank"] = have["change"].abs() / scale
    have["real_change"] = have["significant"].map(lambda s: None if s is None or pd.isna(s) else bool(s))
    have["real_first"] = (have["real_change"] != True).astype(int)  # noqa: E712
    have = have.sort_values(["real_first", "rank", "task", "metric"], ascending=[True, False, True, True]).head(top)
    have["direction"] = ["" if hib is None or pd.isna(hib) else ("better" if (c > 0) == bool(hib) else "worse")
                         for hib, c in zip(have["higher_is_better"], have["change"])]
    return have[cols].reset_index(drop=True)


def gaps_table(results: RunResults) -> pd.DataFrame:
    rows = []
    for t in results.tasks:
        for attr, block in t.fairness.items():
            ok = block.groups_compared
            note = "" if ok >= 2 else (f"{ok} of {len(block.by_group)} groups have at least "
                                       f"{block.min_group_size} samples: no gap measured")
            if block.decision_parity_informative is False:  # argmax decisions barely vary
                note = "; ".join(x for x in (note, block.decision_parity_note or "") if x)
            ratio, decided = verdict_bounds(attr, block)  # the bounds the fairness controls decide on (the page's)
            disc = block.discrimination
            if disc is not None and finite(disc.value) is not None:
                ci = f" {interval(decided.low, decided.high)}" if decided is not None else ""
                note = "; ".join(x for x in (note, f"discrimination score (gap in the leaning towards 'yes', "
                                                   f"log-odds, {disc.highest} vs {disc.lowest}) {figure(disc.value)}{ci}")
                                 if x)
            if ratio is not None:  # every pair of groups at once, not Katz on the observed extremes
                note = "; ".join(x for x in (note, f"'yes' rate ratio one-sided 95% bounds "
                                                   f"{interval(ratio.low, ratio.high)} (every pair of groups; the four-fifths "
                                                   f"control decides on these)") if x)
            gaps = {m: g.ratio for m, g in block.metrics.items()}
            rows.append({"task": t.name, "attribute": attr, "groups": len(block.by_group), "groups_compared": ok,
                         "demographic_parity_ratio": block.demographic_parity_ratio,
                         "demographic_parity_difference": block.demographic_parity_difference,
                         "equalized_odds_difference": block.equalized_odds_difference,
                         "four_fifths_threshold": block.four_fifths_threshold,
                         "four_fifths_violation": block.four_fifths_violation,
                         "four_fifths_reading": block.four_fifths_reading,
                         "metric_ratios": ", ".join(f"{m} {figure(v)}" for m, v in gaps.items() if finite(v) is not None),
                         "note": note})
    return pd.DataFrame(rows, columns=["task", "attribute", "groups", "groups_compared", "demographic_parity_ratio",
                                       "demographic_parity_difference", "equalized_odds_difference",
                                       "four_fifths_threshold", "four_fifths_violation", "four_fifths_reading",
                                       "metric_ratios", "note"])

