"""A stratified log sample's rate describes the log (audits.sampling.draw, the run's own sampler):
seeded simulation of many small strata whose rate differs from the rest."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.metrics import get_metric
from audits.metrics.bootstrap import summarise
from audits.sampling import draw
from audits.stats._strata import POOL, pooled_strata


def _log(rng: np.random.Generator) -> pd.DataFrame:
    """2,000 logged rows: 'web' 1,940 answered right 95% of the time, 30 two-row segments 10%."""
    segment = np.r_[np.repeat("web", 1940), np.repeat([f"s{i:02d}" for i in range(30)], 2)]
    p = np.where(segment == "web", 0.95, 0.10)
    return pd.DataFrame({"segment": segment, "correct": rng.random(segment.size) < p})


def test_a_sample_with_many_tiny_strata_is_not_tilted_toward_them(capsys):
    """Before: each two-row stratum got a row (30 of 127 audited rows for 3% of the log), the sample's
    accuracy was about 0.75 against the log's 0.92, and the interval held the log's accuracy in 0% of
    draws. Now every row has the same chance n/N: coverage >= 0.93 over 300 draws (Monte-Carlo
    standard error 0.013 at 0.95) and the mean estimate within 0.01 of the mean truth."""
    metric, rng = get_metric("accuracy"), np.random.default_rng(0)
    held, errors, trials = 0, [], 300
    for t in range(trials):
        log = _log(rng)
        truth = float(log["correct"].mean())
        sample, record = draw(log, 100, ["segment"], seed=t, what="log")
        y = sample["correct"].to_numpy(dtype=float)
        r = summarise(metric, np.column_stack([y, np.ones_like(y)]))
        held += r.ci_low <= truth <= r.ci_high
        errors.append(r.value - truth)
        assert record.drawn == len(sample) == 100
    capsys.readouterr()
    assert held / trials >= 0.93, held / trials
    assert abs(float(np.mean(errors))) < 0.01, np.mean(errors)


def test_pooled_strata_keeps_shares_of_one_row_or_more():
    sizes = {"web": 1940, **{f"s{i}": 2 for i in range(30)}}
    mapping = pooled_strata(sizes, 100)
    assert mapping["web"] == "web" and {mapping[f"s{i}"] for i in range(30)} == {POOL}  # 30 x 0.1 = 3 rows
    tiny = pooled_strata({"web": 39, "phone": 1}, 10)  # phone's share 0.25, alone: drawn with web
    assert tiny == {"web": "web", "phone": "web"}
    assert pooled_strata({"a": 600, "b": 600}, 10) == {"a": "a", "b": "b"}
    assert pooled_strata({"a": 1, "b": 1, "c": 1}, 1) == {"a": POOL, "b": POOL, "c": POOL}
