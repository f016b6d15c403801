"""Shared pieces of the interval reading of check expressions (``policies.bounds``): a typed or
plain-JSON field reader, and ``Bounds``, an interval with the estimates it involves."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Required, TypedDict


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """A field / extra key of a typed results model, or a key of the plain JSON beneath one.

    The dict branch cannot narrow to ``_stated_interval`` (which walks a detector's measured-quality
    JSON, plain by design): a group's ``metrics`` is a dict of Estimates, and a key a typed block
    keeps as an extra (a flat ``selection_rate`` on a group, written before ``metrics``) reads back
    as plain JSON, so ``_ratio_bounds`` meets dicts too."""
    if isinstance(obj, dict):
        return obj.get(key, default)
    if obj is None:
        return default
    if key in getattr(type(obj), "model_fields", {}):
        return getattr(obj, key)
    return (getattr(obj, "model_extra", None) or {}).get(key, default)


def _finite(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


class MetricMeta(TypedDict, total=False):
    """One estimate a :class:`Bounds` involves: its name, kind, n, design effect and interval method (what the
    verdict names and the sample size it needs reads)."""

    name: Required[str]
    kind: Required[str]            # rate | mean | ratio | trend
    n: Required[int | None]
    design_effect: Required[float | None]
    method: Required[str]
    n_clusters: int | None
    rate_ratio: Any                # stats.compare_rates' result, for a ratio of two runs' rates


@dataclass
class Bounds:
    value: float
    low: float
    high: float
    metrics: list[MetricMeta] = field(default_factory=list)  # the estimated names it involves


def _meta(label: str, kind: str, n: float, method: str) -> MetricMeta:
    return MetricMeta(name=label, kind=kind, n=int(n), design_effect=None, method=method)
