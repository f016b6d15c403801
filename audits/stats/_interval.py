"""One interval per metric, by the kind of its score: the choice every caller shares.

- ``rate`` (every scored sample is 0 or 1: accuracy, exact_match, selection_rate,
  pii_leak_rate, toxicity_rate...): Clopper–Pearson exact; clustered: at the effective sample
  size n / deff (Korn & Graubard 1998, deff floored at 1).
- ``mean`` (a per-sample score in between: token_f1, ROUGE): BCa bootstrap; clustered: BCa over
  whole clusters. A mean with a score outside [0, 1] (decision_logit, a log-probability, a length):
  the studentized bootstrap (``_studentized``; BCa's one-sided 95% bound erred 8-11% at n=5-10 on
  normal scores); clustered: BCa over whole clusters, widened for few.
- ``corpus`` (BLEU, macro-F1: not a mean of per-sample scores): percentile bootstrap;
  clustered: percentile over whole clusters.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from audits.stats import _bootstrap, _cluster, _studentized
from audits.stats._clustered import ESTIMATED, NONE, clustered_rate
from audits.stats._signature import (BCA, CLOPPER_PEARSON, CLUSTER_BCA, CLUSTER_PERCENTILE, KORN_GRAUBARD,
                                     PERCENTILE, STUDENTIZED, IntervalSignature)

KINDS = ("rate", "mean", "corpus")
CLUSTER_WIDENED = "2"  # signature version of a cluster bootstrap widened for few clusters (widen_for_clusters)


@dataclass
class Interval:
    """A metric's point value and interval, with everything needed to read and recompute it."""

    value: float
    low: float
    high: float
    n: int
    kind: str                          # rate | mean | corpus
    signature: IntervalSignature
    events: float | None = None        # rates: number of 1s among the n
    design_effect: float | None = None
    n_clusters: int | None = None
    design_effect_source: str = NONE   # estimated | assumed | none (audits.stats._clustered)
    caveat: str | None = None          # why the interval may not hold its stated coverage (``coverage_reason``)

    @property
    def method(self) -> str:
        return self.signature.method

    @property
    def confidence(self) -> float:
        return self.signature.confidence


def score_kind(metric, stats: np.ndarray) -> str:
    """'rate', 'mean' or 'corpus' for these (scored) statistics.

    A metric declares ``kind`` ('mean' for means of a per-sample score, 'rate' for a mean that is
    0/1 by construction, else 'corpus'); a mean whose scored samples are all 0 or 1 is a rate,
    whatever its name, and a declared rate with no scored sample is still a rate (its signature
    names the exact method that would be computed).
    """
    declared = getattr(metric, "kind", "corpus")
    stats = np.asarray(stats, dtype=np.float64)
    if declared == "rate" and stats.size == 0:  # a declared 0/1 rate with nothing scored: its exact method
        return "rate"
    if declared in ("mean", "rate") and stats.ndim == 2 and stats.shape[1] == 2:
        y, w = stats[:, 0], stats[:, 1]
        if y.size and np.all(w == 1) and np.all((y == 0) | (y == 1)):
            return "rate"
        return "mean"
    return "corpus"


def metric_interval(metric, stats: np.ndarray, *, confidence: float = 0.95, n_resamples: int = 1000,
                    seed: int = 0, clusters=None, cluster_name: str | None = None) -> Interval:
    """The interval of ``metric`` over the scored rows ``stats`` (n, k).

    ``clusters`` (n,) gives each row's cluster id; intervals then treat clusters, not samples,
    as the independent units, and the design effect is reported.
    """
    from audits.stats._resample import bootstrap_values  # the seeded, vectorised resampler

    stats = np.asarray(stats, dtype=np.float64)
    n = int(stats.shape[0])
    kind = score_kind(metric, stats)
    nan = float("nan")
    value = float(metric.aggregate(stats.sum(axis=0))) if n else nan
    clustered = clusters is not None and n > 0
    cname = cluster_name if clustered else None
    if n == 0:
        return Interval(nan, nan, nan, 0, kind, IntervalSignature(CLOPPER_PEARSON if kind == "rate" else PERCENTILE,
                                                                  confidence))
    deff = g = None
    units = stats
    if clustered:
        units = _cluster.cluster_sums(stats, clusters)
        g = int(units.shape[0])
        if kind in ("rate", "mean"):
            deff = _cluster.ratio_design_effect(stats, clusters)
    if kind == "rate":  # clustered: estimated design effect, or each cluster counted once (assumed)
        rate = clustered_rate(stats[:, 0], clusters if clustered else None)
        low, high = rate.interval(confidence)
        sig = IntervalSignature(KORN_GRAUBARD if clustered else CLOPPER_PEARSON, confidence, cluster=cname)
        return Interval(value, float(low), float(high), n, kind, sig, events=rate.events,
                        design_effect=rate.design_effect if clustered else deff, n_clusters=g,
                        design_effect_source=rate.source)
    unbounded = unbounded_mean(metric, stats, clusters if clustered else None)
    if units.shape[0] < 2 or (kind == "mean" and _all_alike(metric, units)):  # one sample (or cluster), or every one the same:
        # its bootstrap is itself, a zero width that reads as certainty (three answers at 0.9: "0.9 to 0.9")
        method = STUDENTIZED if unbounded else (CLUSTER_BCA if clustered else BCA) if kind == "mean" else (
            CLUSTER_PERCENTILE if clustered else PERCENTILE)
        return Interval(value, nan, nan, n, kind, IntervalSignature(method, confidence, n_resamples, seed, cname),
                        design_effect=deff, n_clusters=g, design_effect_source=_source(deff))
    if unbounded:  # a mean of unbounded scores: bootstrap-t (nan, nan under 4 samples)
        low, high = _studentized.studentized_interval(stats, value, confidence, n_resamples, seed)
        return Interval(value, low, high, n, kind, IntervalSignature(STUDENTIZED, confidence, n_resamples, seed),
                        caveat=_caveat(stats, low, high))
    reps = bootstrap_values(metric, units, n_resamples, seed)
    if kind == "mean":
        jack = _bootstrap.jackknife_values(metric.aggregate, units)
        low, high = _bootstrap.bca_interval(value, reps, jack, confidence)
        sig = IntervalSignature(CLUSTER_BCA if clustered else BCA, confidence, n_resamples, seed, cname,
                                *((CLUSTER_WIDENED,) if clustered else ()))
    else:
        low, high = _bootstrap.percentile_interval(reps, confidence)
        sig = IntervalSignature(CLUSTER_PERCENTILE if clustered else PERCENTILE, confidence, n_resamples, seed, cname,
                                *((CLUSTER_WIDENED,) if clustered else ()))
        if clustered:
            deff = _cluster.variance_design_effect(reps, bootstrap_values(metric, stats, n_resamples, seed))
    if clustered:  # few clusters: the small-sample expansion (version 2 of the signature)
        low, high = _bootstrap.widen_for_clusters(value, low, high, int(units.shape[0]), confidence)
    return Interval(value, low, high, n, kind, sig, design_effect=deff, n_clusters=g,
                    design_effect_source=_source(deff))


def unbounded_mean(metric, stats: np.ndarray, clusters=None) -> bool:
    """True when ``metric``'s interval over the rows ``stats`` is the studentized bootstrap: a mean (not all
    0/1) with a score outside [0, 1], unclustered. Its group interval then needs ``studentized=``."""
    stats = np.asarray(stats, dtype=np.float64)
    return (clusters is None and stats.shape[0] > 0 and score_kind(metric, stats) == "mean"
            and not unit_scores(stats))


def unit_scores(stats: np.ndarray) -> bool:
    """True when every scored row's score (y / w of the rows [y, w]) lies in [0, 1]: a bounded mean, whose
    verdicts take the exact bound of its total (``bounded_mean_interval``); else its scores are unbounded."""
    stats = np.asarray(stats, dtype=np.float64)
    if stats.ndim != 2 or stats.shape[1] != 2 or not stats.shape[0]:
        return True
    with np.errstate(divide="ignore", invalid="ignore"):
        score = stats[:, 0] / stats[:, 1]
    return bool(np.all((score >= 0) & (score <= 1)))


def _all_alike(metric, units: np.ndarray) -> bool:
    """True when every unit (sample or cluster) of a mean has the same value: every resample is then
    that value, and a zero-width interval would read as certainty."""
    if units.shape[0] < 2:
        return True
    try:
        each = np.asarray(metric.aggregate(units), dtype=np.float64)
    except Exception:  # noqa: BLE001 - a corpus metric that only aggregates sums of many rows
        return False
    return bool(each.shape == (units.shape[0],) and np.all(np.isfinite(each)) and np.ptp(each) == 0)


def _caveat(stats: np.ndarray, low: float, high: float) -> str | None:
    """Why a formed interval of a mean of unbounded scores may not hold its coverage (None when formed
    and none is known, or when no interval was formed: there is nothing to caveat)."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    with np.errstate(divide="ignore", invalid="ignore"):
        scores = stats[:, 0] / stats[:, 1]
    return _studentized.coverage_reason(scores)


def _source(design_effect: float | None) -> str:
    """A bootstrap interval's design effect is estimated when it could be formed (finite)."""
    return ESTIMATED if design_effect is not None and np.isfinite(design_effect) else NONE


def rescale(value: float, low: float, high: float, from_confidence: float, to_confidence: float
            ) -> tuple[float, float]:
    """Another confidence level's interval from a stored one, keeping each side's width ratio
    (a normal approximation; exact methods recompute instead)."""
    from scipy.special import ndtri

    if from_confidence == to_confidence:
        return low, high
    ratio = float(ndtri((1 + to_confidence) / 2) / ndtri((1 + from_confidence) / 2))
    return value - (value - low) * ratio, value + (high - value) * ratio


def interval_from_replicates(metric, stats: np.ndarray, replicates: np.ndarray,
                             confidence: float = 0.95, clusters=None,
                             studentized: np.ndarray | None = None) -> tuple[float, float, str]:
    """(low, high, method) of :func:`group_interval` (kept for its callers)."""
    iv = group_interval(metric, stats, replicates, confidence, clusters, studentized)
    return iv.low, iv.high, iv.method


def group_interval(metric, stats: np.ndarray, replicates: np.ndarray, confidence: float = 0.95,
                   clusters=None, studentized: np.ndarray | None = None) -> Interval:
    """The interval of one group whose bootstrap replicates were drawn elsewhere (the bias scan
    resamples all metrics of a group at once): exact for rates, BCa for means (the jackknife on
    ``stats``), percentile for corpus metrics. A mean of unbounded scores (unclustered) takes the
    studentized bootstrap from ``studentized``: the sums of ``studentized_rows(stats)`` on the same
    resamples (R, 5), since its replicates of the mean alone carry no resample's standard error
    (before, it drew 1,000 resamples of its own at seed 0 whatever it was given, and one when given none).

    ``clusters`` (one id per row of ``stats``, the group's own rows) makes it cluster-aware, as
    the task's overall interval is: a rate at its effective sample size (the design effect
    estimated within the group, or each cluster counted once when it cannot be), a mean's BCa
    jackknife over whole clusters. The ``replicates`` must then have been drawn over the
    group's cluster sums (``cluster_sums``), i.e. by resampling whole clusters.
    """
    stats = np.asarray(stats, dtype=np.float64)
    n = int(stats.shape[0])
    nan = float("nan")
    clustered = clusters is not None and n > 0
    if n == 0:
        return Interval(nan, nan, nan, 0, "corpus", IntervalSignature(PERCENTILE, confidence))
    kind = score_kind(metric, stats)
    value = float(metric.aggregate(stats.sum(axis=0)))
    if kind == "rate":
        rate = clustered_rate(stats[:, 0], clusters if clustered else None)
        low, high = rate.interval(confidence)
        sig = IntervalSignature(KORN_GRAUBARD if clustered else CLOPPER_PEARSON, confidence)
        return Interval(value, low, high, n, kind, sig, events=rate.events, design_effect=rate.design_effect,
                        n_clusters=rate.n_clusters, design_effect_source=rate.source)
    units = _cluster.cluster_sums(stats, clusters) if clustered else stats
    g = int(units.shape[0]) if clustered else None
    deff = _cluster.ratio_design_effect(stats, clusters) if clustered and kind == "mean" else None
    unbounded = unbounded_mean(metric, stats, clusters if clustered else None)  # scores outside [0, 1]
    if kind == "mean":
        method = CLUSTER_BCA if clustered else (STUDENTIZED if unbounded else BCA)
    else:
        method = CLUSTER_PERCENTILE if clustered else PERCENTILE
    sig = IntervalSignature(method, confidence)
    if units.shape[0] < 2 or (kind == "mean" and _all_alike(metric, units)):  # no interval (its bootstrap would be zero width)
        return Interval(value, nan, nan, n, kind, sig, design_effect=deff, n_clusters=g,
                        design_effect_source=_source(deff))
    if unbounded:  # bootstrap-t on the caller's resamples (their sums of y, w, y*y, y*w, w*w)
        if studentized is None:
            raise ValueError("a mean of unbounded scores needs studentized=: the resampled sums of "
                             "stats.studentized_rows(stats), drawn with its replicates")
        resampled = np.asarray(studentized, dtype=np.float64)
        low, high = _studentized.studentized_from_sums(stats, value, resampled, confidence)
        return Interval(value, low, high, n, kind, IntervalSignature(STUDENTIZED, confidence, int(resampled.shape[0])),
                        caveat=_caveat(stats, low, high))
    if kind == "mean":
        jack = _bootstrap.jackknife_values(metric.aggregate, units)
        low, high = _bootstrap.bca_interval(value, replicates, jack, confidence)
    else:
        low, high = _bootstrap.percentile_interval(replicates, confidence)
    if clustered:
        low, high = _bootstrap.widen_for_clusters(value, low, high, int(units.shape[0]), confidence)
        sig = IntervalSignature(method, confidence, version=CLUSTER_WIDENED)
    return Interval(value, low, high, n, kind, sig, design_effect=deff, n_clusters=g,
                    design_effect_source=_source(deff))


def normal_interval(mean, se, confidence: float = 0.95):
    """Normal-approximation interval ``mean ± z·se`` (arrays or scalars), for group means read from
    an aggregate query where only the mean and its standard error are at hand."""
    from scipy.special import ndtri

    z = float(ndtri((1 + confidence) / 2))
    mean, se = np.asarray(mean, dtype=np.float64), np.asarray(se, dtype=np.float64)
    return mean - z * se, mean + z * se
