"""The report's privacy, safety and human-review tables, and the PII detector's measured quality in
words (precision and recall with exact 95% intervals, per labelled set and per entity)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from audits.results import Estimate, PiiBlock, RunResults, ToxicityBlock, detector_quality
from audits.store.records import ReviewSummaryRecord
from reports.figures import count, figure, interval
from reports.metric_tables import finite


def _interval_words(est: Estimate | None) -> str:
    """' [low, high]' of an Estimate with both bounds, else ''."""
    if est is None or finite(est.ci_low) is None or finite(est.ci_high) is None:
        return ""
    return f" {interval(est.ci_low, est.ci_high)}"


def _detector_recall_words(quality: dict) -> str:
    """Per-entity detector recall on the held-out labelled set with its 95% interval, entities
    below their recall target marked, e.g. 'PHONE_NUMBER 0.95 [0.89, 0.98]; LOCATION 0.68 [0.63, 0.72] below target 0.75'."""
    figures = detector_quality(quality)
    parts = []
    for entity, v in (quality.get("by_entity") or {}).items():
        if not isinstance(v, dict) or v.get("recall") is None:
            continue
        text = f"{entity} {figure(v['recall'])}" + _interval_words(figures.get(f"by_entity.{entity}.recall"))
        parts.append(text + (f" below target {figure(v['recall_target'])}" if v.get("below_target") else ""))
    return "; ".join(parts)


def detector_sets_words(quality: dict) -> str:
    """The detector's precision and recall on each labelled set, named by its source, with exact
    95% intervals: 'held-out split of … : precision 0.91 [0.88, 0.93], recall …; second independent set …'."""
    def one(q: dict) -> str | None:
        if not isinstance(q, dict) or q.get("recall") is None:
            return None
        estimates = detector_quality(q)
        figures = []
        for name in ("precision", "recall"):
            value = q.get(name)
            figures.append(f"{name} " + ("not measured" if value is None else
                                         figure(value) + _interval_words(estimates.get(name))))
        return (f"{q.get('set_sources') or 'a labelled set'}: {', '.join(figures)} "
                f"({count(q['n_labelled']) if q.get('n_labelled') is not None else '?'} labelled spans)")
    parts = [x for x in (one(quality), one(quality.get("second_set") or {})) if x]
    return "; ".join(parts)


def privacy_safety_tables(results: RunResults) -> tuple[pd.DataFrame, pd.DataFrame]:
    priv, safe = [], []
    for t in results.tasks:
        pii, leak = t.pii, t.metric("pii_leak_rate")
        if pii is not None or leak is not None:
            pii = pii or PiiBlock()
            quality = pii.detector
            priv.append({"task": t.name, "findings": pii.findings, "leaks": pii.leaks,
                         "samples_with_leak": pii.samples_with_leak, "pii_leak_rate": leak and leak.value,
                         "ci_low": leak and leak.ci_low, "ci_high": leak and leak.ci_high,
                         "by_entity": ", ".join(f"{k} {v}" for k, v in sorted(pii.by_entity.items(),
                                                                              key=lambda kv: (-kv[1], kv[0]))) or "none",
                         "detector_precision": finite(quality.get("precision")),
                         "detector_recall": finite(quality.get("recall")),
                         "detector_recall_by_entity": _detector_recall_words(quality),
                         "detector_sets": detector_sets_words(quality),
                         "detector_recall_second_set": finite((quality.get("second_set") or {}).get("recall")),
                         "public_source": str(pii.public_text.get("source")) if pii.public_text else None})
        tox, rate = t.toxicity, t.metric("toxicity_rate")
        if tox is not None or rate is not None:
            tox = tox or ToxicityBlock(n=t.n)
            safe.append({"task": t.name, "n": tox.n, "n_toxic": tox.n_toxic,
                         "toxicity_rate": rate.value if rate else tox.rate and tox.rate.value, "ci_low": rate and rate.ci_low,
                         "ci_high": rate and rate.ci_high, "threshold": tox.threshold, "model": tox.model})
    return (pd.DataFrame(priv, columns=["task", "findings", "leaks", "samples_with_leak", "pii_leak_rate", "ci_low",
                                        "ci_high", "by_entity", "detector_precision", "detector_recall",
                                        "detector_recall_by_entity", "detector_sets", "detector_recall_second_set",
                                        "public_source"]),
            pd.DataFrame(safe, columns=["task", "n", "n_toxic", "toxicity_rate", "ci_low", "ci_high", "threshold",
                                        "model"]))


def review_table(review: ReviewSummaryRecord | None, results: RunResults) -> pd.DataFrame:
    rows: list[tuple[str, Any]] = []
    if review:
        kappa, method = review["agreement"]["kappa"], review["agreement"]["method"]
        rows += [("samples", review.get("n_samples")), ("queued for review", review.get("n_queue")),
                 ("reviewed", review.get("n_reviewed")), ("coverage (reviewed / samples)", finite(review.get("coverage"))),
                 ("agreement" + (f" ({method})" if method else ""), finite(kappa)),
                 ("disagreements", review.get("disagreements")), ("reviewers", ", ".join(review.get("reviewers") or []))]
    else:
        rows += [("sampling rate", results.review.rate), ("queued for review", results.review.queue),
                 ("reviewed", "no review data")]
    return pd.DataFrame([{"item": k, "value": "—" if v is None or v == "" else str(v)}
                         for k, v in rows])

