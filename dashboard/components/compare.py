"""Is a change between two runs real? The page asks ``audits.stats.compare_runs`` (paired test
where both runs scored the same samples, Holm-corrected over the run's metrics), the same call
the report makes, so the dashboard and the report give one answer. No formula lives here."""

from __future__ import annotations

from typing import Callable

import pandas as pd

from audits.results import RunResults
from audits.stats import compare_runs as _compare_runs
from audits.stats import describe_change


def metric_rows(results: RunResults) -> pd.DataFrame:
    """One row per (task, metric) of a run: task, type, metric, value, interval, n, method, signature."""
    frame = results.metrics_frame()
    frame.insert(1, "type", frame["task"].map({t.name: t.type for t in results.tasks}))
    return frame


def compare_runs(current: RunResults, previous: RunResults | None,
                 paired_scores: Callable[[str, str], pd.DataFrame] | None = None) -> pd.DataFrame:
    """Every metric of ``current`` against ``previous`` (see ``audits.stats.compare_runs``), with
    a ``verdict`` column in words: 'significant (mcnemar-exact, holm p=0.003)'."""
    table = _compare_runs(current, previous, paired_scores)
    table["verdict"] = [describe_change(r) for r in table.to_dict("records")]
    return table
