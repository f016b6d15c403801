"""A detector's measured quality read as an interval for a check (``pii.detector.recall``,
``groundedness.detector.by_subset.qa.balanced_accuracy``): recomputed from its counts by the
figure's own method, with its n, or no verdict (``policies.bounds``)."""

from __future__ import annotations

from typing import Any

from audits import stats
from policies._bounds_base import Bounds, _finite, _get, _meta
from policies.expr import MissingInput


def _counts(parent: Any) -> dict[str, float]:
    """The finite counts a detector block stores beside its figures (``tp``, ``tn``, ``n_gold``,
    ``n_negative``, ``n_pred``, ``n``); an overall block without its own (the PII detector's top
    level) sums them over ``by_entity``, as its micro-averaged precision and recall are."""
    keys = ("tp", "tn", "n_gold", "n_negative", "n_pred", "n")
    out = {k: float(_get(parent, k)) for k in keys if _finite(_get(parent, k))}
    parts = [e for e in (_get(parent, "by_entity") or {}).values() if isinstance(e, dict)]
    for k in ("tp", "n_pred", "n_gold"):
        if k not in out and parts and all(_finite(e.get(k)) for e in parts):
            out[k] = float(sum(e[k] for e in parts))
    return out


def _stated_interval(task: Any, path: tuple[str, ...], value: float, label: str, level: float) -> Bounds | None:
    """A scanner figure stored with ``<name>_ci`` beside it (a detector's measured quality: the PII
    detector's recall and precision, the groundedness detector's balanced accuracy and AUROC, overall,
    per entity or per subset) as an interval at ``level``, recomputed from the block's counts by the
    figure's own method (``results.detector_estimates`` names the method and the denominator n, as the
    dashboard and report show them): recall / precision exact (Clopper-Pearson, tp of n_gold / n_pred),
    balanced accuracy Price-Bonett and AUROC Newcombe (positives and negatives); another method's stored
    95% interval is rescaled. None when the figure has no interval. A figure whose n is unknown, or
    whose block says the measured detector is not the one shipped (``stale``), reaches no verdict
    (MissingInput): a detector requirement is decided, or left undecided with the n that would
    decide it, only on a measurement of known size of this detector."""
    from audits.results import detector_quality

    if task is None or len(path) < 2:
        return None
    parent: Any = task
    for key in path[:-1]:
        parent = _get(parent, key)
        if parent is None:
            return None
        if _get(parent, "stale") is True:
            raise MissingInput(label, "was measured on another version of the detector (its quality file is "
                                      "stale); re-measure it before a control reads it")
    name = path[-1]
    ci = _get(parent, f"{name}_ci")
    if not (isinstance(ci, (list, tuple)) and len(ci) == 2 and all(_finite(x) for x in ci)):
        return None
    c = _counts(parent)
    est = detector_quality({**parent, **c}).get(name) if isinstance(parent, dict) else None
    method, n = (est.method, est.n or None) if est is not None else (None, None)
    pos, neg, tp, tn = c.get("n_gold"), c.get("n_negative"), c.get("tp"), c.get("tn")
    if name in ("recall", "precision"):
        n = n or (pos if name == "recall" else c.get("n_pred")) or (c.get("n_labelled") if name == "recall" else None)
        if tp is None and n and abs(value * n - round(value * n)) < 1e-6:
            tp = round(value * n)  # recall = tp / n_labelled exactly
        if tp is not None and n:
            low, high = (float(x) for x in stats.clopper_pearson(tp, float(n), level))
            return Bounds(value, low, high, [_meta(label, "rate", n, "clopper-pearson")])
    elif name == "balanced_accuracy" and None not in (pos, neg, tp, tn) and pos and neg:
        low, high = stats.balanced_accuracy_interval(int(tp), int(pos), int(tn), int(neg), level)
        return Bounds(value, low, high, [_meta(label, "mean", pos + neg, stats.BALANCED_METHOD)])
    elif name == "auroc" and pos and neg:
        low, high = stats.auroc_interval(value, int(pos), int(neg), level)
        return Bounds(value, low, high, [_meta(label, "mean", pos + neg, stats.AUROC_METHOD)])
    if not n:
        raise MissingInput(label, "has an interval but no sample size beside it (no counts in its block); a "
                                  "control is decided only on an estimate whose n is known")
    low, high = stats.rescale(value, float(ci[0]), float(ci[1]), 0.95, level)
    return Bounds(value, low, high, [_meta(label, "mean", n, method or "stored interval")])
