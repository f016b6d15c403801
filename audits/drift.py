"""Input drift between two runs (``assay drift``, the Overview's warning, ``drift.inputs`` in packs):
do the inputs of run B come from the distribution of run A's?

Embeddings of the inputs (the packaged all-MiniLM-L6-v2, the counterfactual scanner's embedder)
are compared by MMD with a seeded permutation p-value; input lengths by Kolmogorov–Smirnov; each
declared categorical field (the tasks' sensitive attributes, the task itself when there are
several, and any ``columns`` asked for) by chi-square. The tests are Holm-corrected together
(``audits.stats.drift_family``); "drift" means at least one test has an adjusted p-value below
alpha AND an effect size at or above its practical floor (``audits.stats._drift.FLOORS``: Cohen's
small effect in each test's scale; ``floors`` overrides them), so a difference of no practical
weight (same templates, other ticket ids) is reported as significant but not as drift.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TypedDict

import numpy as np
import pandas as pd

from audits import stats
from audits.stats._drift import smallest_adjusted_p
from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.store.catalog import Catalog

MAX_INPUTS = 1000  # per run; larger runs are subsampled (seeded) for the embedding test


class DriftReport(TypedDict):
    """:func:`input_drift`: the verdict, whether drift was detectable at these n, and every test
    (``asdict(stats.DriftTest)``: name, test, statistic, p-value, Holm p, effect, floor, drift)."""

    run_a: str
    run_b: str
    task: str | None
    drift: bool
    alpha: float
    correction: str                # holm
    floors: dict[str, float]
    n_a: int
    n_b: int
    tests: list[JsonObject]
    smallest_p_adjusted: float     # the smallest Holm p these tests could give at n_a, n_b
    detectable: bool


def _declared(cat: Catalog, run_id: str) -> list[str]:
    from audits.store.queries import runs as runs_q

    return [a for t in runs_q.get_results(cat, run_id).tasks for a in (t.attributes or [])]


def _subsample(frame: pd.DataFrame, limit: int, seed: int) -> pd.DataFrame:
    if len(frame) <= limit:
        return frame
    keep = np.sort(np.random.default_rng(seed).choice(len(frame), size=limit, replace=False))
    return frame.iloc[keep]


def input_drift(cat: Catalog, run_a: str, run_b: str, *, task: str | None = None, columns: list[str] | None = None,
                embeddings: bool = True, n_permutations: int = 1000, seed: int = 1234, alpha: float = 0.05,
                max_inputs: int = MAX_INPUTS, floors: dict[str, float] | None = None) -> DriftReport:
    """The drift verdict and every test (name, test, statistic, p-value, Holm p, drift)."""
    from audits.store.queries import runs as runs_q
    from audits.store.queries.trends import run_inputs

    if run_a == run_b:
        raise AssayError(f"drift compares two runs; both are '{run_a}'", "name the earlier run and the later one")
    for run_id in (run_a, run_b):
        if runs_q.get_run(cat, run_id)["status"] != "complete":
            raise AssayError(f"run '{run_id}' is not complete", "compare complete runs (see `assay runs`)")
    for kind, value in (floors or {}).items():
        if kind not in stats.DRIFT_FLOORS or not 0 <= value <= 1:
            raise AssayError(f"drift floor '{kind}={value}' is not a known test kind with a value in [0, 1]",
                             f"use {', '.join(f'{k}=VALUE' for k in stats.DRIFT_FLOORS)} with VALUE between 0 and 1")
    declared = list(dict.fromkeys(_declared(cat, run_a) + _declared(cat, run_b) + list(columns or [])))
    a, b = run_inputs(cat, run_a, declared), run_inputs(cat, run_b, declared)
    if task is not None:
        for run_id, frame in ((run_a, a), (run_b, b)):
            if task not in set(frame["task"]):
                raise AssayError(f"run '{run_id}' has no task '{task}'", f"name one of: {', '.join(sorted(set(frame['task'])))}")
        a, b = a[a["task"] == task], b[b["task"] == task]
    for col in columns or []:
        if col not in a.columns or col not in b.columns:
            raise AssayError(f"column '{col}' is not in the samples of both runs",
                             "name a column both runs have (a sensitive attribute or a logged field)")
    tests: list[stats.DriftTest] = []
    if embeddings:
        from audits.scanners.counterfactual import _embedder

        sa, sb = _subsample(a, max_inputs, seed), _subsample(b, max_inputs, seed + 1)
        model = _embedder()
        encode = lambda texts: model.encode([t if isinstance(t, str) else "" for t in texts], batch_size=64,  # noqa: E731
                                            normalize_embeddings=True, show_progress_bar=False)
        tests.append(stats.mmd_test(encode(sa["input"].tolist()), encode(sb["input"].tolist()), n_permutations, seed))
    lengths = lambda f: f["input"].map(lambda t: len(t) if isinstance(t, str) else 0).tolist()  # noqa: E731
    tests.append(stats.length_test("input length (characters)", lengths(a), lengths(b)))
    if task is None and (a["task"].nunique() > 1 or b["task"].nunique() > 1):
        declared = ["task", *declared]
    for col in declared:
        if col in a.columns and col in b.columns:
            tests.append(stats.category_test(col, a[col].dropna().tolist(), b[col].dropna().tolist(), seed=seed))
    drift, tests = stats.drift_family(tests, alpha, floors)
    smallest = smallest_adjusted_p(len(a), len(b), sum(t.p_value is not None for t in tests))  # stats/_drift.py
    return DriftReport(run_a=run_a, run_b=run_b, task=task, drift=drift, alpha=alpha, correction="holm",
                       floors={**stats.DRIFT_FLOORS, **(floors or {})},
                       n_a=int(len(a)), n_b=int(len(b)), tests=[asdict(t) for t in tests],
                       smallest_p_adjusted=smallest, detectable=bool(smallest < alpha))

