"""Re-audit of issue 24: the change-point test is the same for rates as for means (n-weighted split of the
per-run estimates, variance pooled from their Clopper-Pearson intervals, Bonferroni over splits). Its
null false-alarm rate on rates, seeded: rates 0.02 and 0.2, 5 and 8 runs of n 100-300 each, through
``trend_family`` exactly as ``assay trend`` calls it. Measured at 4,000 series each (seed 7):
0.02/5 runs 1.4%, 0.02/8 runs 1.2%, 0.2/5 runs 3.4%, 0.2/8 runs 2.5% (all below 5%: conservative
near 0, where Clopper-Pearson intervals are wider than the binomial standard error). This guard uses
600 series each."""

from __future__ import annotations

import numpy as np
import pytest

from audits.stats import clopper_pearson, rate_counts, trend_family


@pytest.mark.parametrize("rate,runs", [(0.02, 5), (0.02, 8), (0.2, 5), (0.2, 8)])
def test_change_point_null_false_alarms_on_rates_stay_below_the_level(rate, runs):
    rng = np.random.default_rng(7)
    alarms = trends = 0
    reps = 600
    for _ in range(reps):
        n = rng.integers(100, 301, size=runs)
        events = rng.binomial(n, rate)
        low, high = clopper_pearson(events, n)
        values = events / n
        counts = rate_counts(values, n, ["clopper-pearson"] * runs)
        [t] = trend_family({"rate": (values, low, high, n)}, rates={"rate": counts})
        alarms += t.change
        trends += t.significant
    # 5% level; with 600 series a true 5% shows above 7.3% less than 1% of the time
    assert alarms / reps <= 0.073 and trends / reps <= 0.073
