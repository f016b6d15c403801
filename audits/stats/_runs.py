"""Quarter over quarter: every metric of a run against the same metric of an earlier run, with
the right test and Holm's correction over the run's family of comparisons. The dashboard and
the report both call ``compare_runs``, so they give one answer.

Per (task, metric): paired when both runs scored the same samples (McNemar's exact test for
0/1 scores, the paired t-test otherwise); unpaired rates use the two-proportion test (Fisher's
exact test at small counts); unpaired means and corpus metrics a z-test on the two intervals'
standard errors. Corpus metrics (BLEU, macro-F1) are never paired on per-sample scores, whose
mean is not the corpus value.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Callable, Iterable, Protocol

import numpy as np
import pandas as pd
from scipy import stats as _st
from scipy.special import ndtri

from audits.jsontypes import JsonObject
from audits.stats._binomial import effective_counts
from audits.stats._compare import HOLM, Comparison, compare_scores, correct, two_proportions


class MetricSummary(Protocol):
    """What a comparison reads of one metric: ``audits.results.MetricSummary`` (stats does not import it)."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    n: int
    kind: str | None
    events: float | None


class _Task(Protocol):
    name: str


class RunResults(Protocol):
    """``audits.results.RunResults`` as read here: ``metrics()`` gives (task, name, summary) for every metric."""

    def metrics(self) -> Iterable[tuple[_Task, str, MetricSummary]]: ...

UNPAIRED_Z = "unpaired-z (from intervals)"
COLUMNS = ["task", "metric", "kind", "value", "ci_low", "ci_high", "n", "prev_value", "prev_ci_low", "prev_ci_high",
           "prev_n", "change", "test", "paired", "n_pairs", "diff_low", "diff_high", "p_value", "p_adjusted",
           "correction", "significant"]


def _summaries(results: RunResults | None) -> dict[tuple[str, str], MetricSummary]:
    """{(task, metric): summary} of typed results (a results.json of an older schema is migrated at load)."""
    if results is None:
        return {}
    return {(t.name, name): m for t, name, m in results.metrics()}


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _kind(name: str, m: MetricSummary, scores: np.ndarray | None = None) -> str:
    kind = m.kind
    if kind:
        return kind
    if scores is not None and scores.size and np.all((scores == 0) | (scores == 1)):
        return "rate"
    if name in ("bleu", "f1", "precision", "recall"):
        return "corpus"
    return "mean"


def _from_intervals(a: MetricSummary, b: MetricSummary, confidence: float) -> Comparison:
    """Unpaired z-test on two summaries, each standard error read off its interval."""
    z = float(ndtri((1 + confidence) / 2))
    va, vb = a.value, b.value
    bounds = [a.ci_low, a.ci_high, b.ci_low, b.ci_high]
    nan = float("nan")
    if not (_finite(va) and _finite(vb) and all(_finite(x) for x in bounds)):
        return Comparison(nan, nan, nan, nan, UNPAIRED_Z, False, int(a.n or 0), int(b.n or 0))
    se = math.hypot((bounds[1] - bounds[0]) / (2 * z), (bounds[3] - bounds[2]) / (2 * z))
    d = float(va) - float(vb)
    p = (1.0 if d == 0 else 0.0) if se == 0 else float(2 * _st.norm.sf(abs(d) / se))
    return Comparison(d, d - z * se, d + z * se, p, UNPAIRED_Z, False, int(a.n or 0), int(b.n or 0))


def _effective_counts(m: MetricSummary) -> tuple[float, float]:
    """(events, n) of a stored rate at its effective size (``effective_n``: n / design effect with the
    Korn-Graubard df factor, or the clusters when the correlation is unknown; raw when unclustered)."""
    n = int(m.n or 0)
    k = float(m.events) if _finite(m.events) else float(round(float(m.value or 0) * n))
    deff, g = getattr(m, "design_effect", None), getattr(m, "n_clusters", None)
    return effective_counts(k, n, float(deff) if _finite(deff) else None, int(g) if _finite(g) else None)


def _unpaired_rate(a: MetricSummary, b: MetricSummary, confidence: float) -> Comparison:
    """Two rates from different samples, each at its effective size: a clustered run's raw counts (users,
    sessions, templates) overstate its information. Seeded null (tests/stats/test_runs_clustered.py): two
    quarters of feedback from 30-100 users, rate 0.8, within-user correlation 0.2, read a change 15-17% of
    the time at 5% on the raw counts; at the effective counts 4-5%."""
    (ka, na), (kb, nb) = _effective_counts(a), _effective_counts(b)
    out = two_proportions(ka, na, kb, nb, confidence)
    return replace(out, n_a=int(a.n or 0), n_b=int(b.n or 0))


def compare_runs(current: RunResults, previous: RunResults | None,
                 paired_scores: Callable[[str, str], pd.DataFrame | None] | None = None, *,
                 confidence: float = 0.95, correction: str = HOLM, alpha: float = 0.05) -> pd.DataFrame:
    """One row per metric of ``current`` (columns ``COLUMNS``); comparison columns are empty where
    ``previous`` lacks the metric.

    ``paired_scores(task, metric)`` returns the two runs' per-sample scores joined on sample id
    (columns ``a`` = current, ``b`` = previous), or None/empty when they share no samples.
    ``significant`` is the Holm-adjusted p-value (or Benjamini–Hochberg) below ``alpha``.
    """
    cur, prev = _summaries(current), _summaries(previous)
    rows: list[JsonObject] = []  # one per metric (COLUMNS)
    tested: list[tuple[int, Comparison]] = []
    for (task, name), m in cur.items():
        row = {"task": task, "metric": name, "value": m.value, "ci_low": m.ci_low,
               "ci_high": m.ci_high, "n": m.n, "kind": m.kind}
        p = prev.get((task, name))
        if p is not None:
            row.update(prev_value=p.value, prev_ci_low=p.ci_low, prev_ci_high=p.ci_high,
                       prev_n=p.n)
            if _finite(row["value"]) and _finite(row["prev_value"]):
                row["change"] = float(row["value"]) - float(row["prev_value"])
            pairs = paired_scores(task, name) if paired_scores is not None else None
            scores = None
            if pairs is not None and len(pairs) >= 2:
                scores = np.concatenate([pairs["a"].to_numpy(float), pairs["b"].to_numpy(float)])
            kind = _kind(name, m, scores)
            row["kind"] = kind
            if scores is not None and kind != "corpus":
                c = compare_scores(pairs["a"].to_numpy(float), pairs["b"].to_numpy(float), kind=kind, paired=True,
                                   confidence=confidence)
            elif kind == "rate":
                c = _unpaired_rate(m, p, confidence)
            else:
                c = _from_intervals(m, p, confidence)
            row.update(test=c.method, paired=c.paired, n_pairs=c.n_a if c.paired else None,
                       diff_low=c.low, diff_high=c.high, p_value=c.p_value)
            tested.append((len(rows), c))
        rows.append(row)
    correct([c for _, c in tested], correction)
    for i, c in tested:
        rows[i].update(p_adjusted=c.p_adjusted, correction=c.correction, significant=c.significant(alpha))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("paired", "significant"):
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)
    return frame


def describe_change(row: Any, alpha: float = 0.05) -> str:
    """'significant (mcnemar-exact, holm p=0.003)' / 'not significant (paired-t, holm p=0.41)' / ''."""
    test = row.get("test") if isinstance(row, dict) else getattr(row, "test", None)
    if not isinstance(test, str) or not test:
        return ""
    sig = row.get("significant") if isinstance(row, dict) else getattr(row, "significant", None)
    padj = row.get("p_adjusted") if isinstance(row, dict) else getattr(row, "p_adjusted", None)
    corr = row.get("correction") if isinstance(row, dict) else getattr(row, "correction", None)
    p = f"{corr} p={padj:.2g}" if _finite(padj) else "p n/a"
    return f"{'significant' if sig else 'not significant'} ({test}, {p})"
