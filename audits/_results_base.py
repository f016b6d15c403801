"""The ground floor of :mod:`audits.results`: the file format's version constants, the one NaN->None
helper (:func:`jsonable`), and :class:`Estimate`, the shape of a number with an interval (the exceptions
are listed there), with :class:`MetricSummary` built on it. Import these from :mod:`audits.results`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

from audits.stats._signature import LEGACY

SCHEMA_VERSION = 2
V1_INTERVAL_METHOD = LEGACY  # intervals before audits.stats: percentile bootstrap
V1_FOUR_FIFTHS = 0.8  # the bias scanner's default before the threshold was recorded


def jsonable(value: Any) -> Any:
    """Plain JSON values: NaN/inf/NA -> None, numpy scalars/arrays -> Python, tuples -> lists.

    The one NaN->None helper; results, tables shown to people and review items all use it.
    """
    if value is None or isinstance(value, (str, bool)):
        return value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, np.ndarray)):
        return [jsonable(v) for v in (value.tolist() if isinstance(value, np.ndarray) else value)]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    try:  # pandas NA / NaT and anything else pandas calls missing
        import pandas as pd

        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, BaseModel):
        return jsonable(value.model_dump(mode="python"))
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Estimate(_Open):
    """A value with its confidence interval and sample size (None where it cannot be formed).

    The shape of a number with an interval in ``results.json``: metrics (``MetricSummary``), per-group
    values, scanner rates (toxicity, PII), counterfactual gaps, probe flip rates, red-team families. ``method``
    is the interval's (audits.stats), ``design_effect``/``n_clusters`` are set for clustered samples.
    Numbers that scanners write flat (a value with its bounds beside it) are read as an Estimate too,
    derived from the flat keys (audits/_results_estimates.py): ``FairnessGrouping.parity_ratio``,
    ``GroupTest.rate_ratio`` (Katz), ``RedteamBlock.attack_success_rate`` (Clopper-Pearson) and each
    detector's measured quality, ``detector_estimates`` on the PII, groundedness and red-team blocks."""

    value: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int = 0
    method: str | None = None
    design_effect: float | None = None
    n_clusters: int | None = None
    # how design_effect was obtained: "estimated" from the data, "assumed" (n / clusters: each cluster
    # counted once, as no correlation could be estimated) or "none"; results written before it say
    # nothing and it is read back from the fields beside it (audits.stats.design_effect_source)
    design_effect_source: Literal["estimated", "assumed", "none"] | None = None
    # why the interval may not hold its stated coverage ("coverage not assured: ..."; a mean of unbounded
    # scores too few or too skewed, audits.stats Interval.caveat); None when none is known
    caveat: str | None = None

    @model_validator(mode="after")
    def _source_of_design_effect(self) -> "Estimate":
        if self.design_effect_source is None:
            from audits.stats._clustered import design_effect_source

            self.design_effect_source = design_effect_source(  # type: ignore[assignment]
                getattr(self, "kind", None), getattr(self, "events", None), self.n, self.design_effect,
                self.n_clusters)
        return self

    @classmethod
    def of(cls, result: Any) -> "Estimate":
        """From an ``audits.metrics.base.MetricResult`` (or any object with its fields); NaN -> None."""
        fields = {k: getattr(result, k, None) for k in cls.model_fields}
        return cls.model_validate(jsonable({**fields, "n": int(fields["n"] or 0), "method": fields["method"] or None}))


def _count(n: Any) -> int:
    """A stored count as an int; 0 where it is not one (the block's own ``n`` then fails validation)."""
    return int(n) if isinstance(n, (int, float)) and not isinstance(n, bool) and math.isfinite(n) and n >= 0 else 0


def _fold(data: Any, key: str, bounds: str | tuple[str, str] = ("ci_low", "ci_high")) -> Any:
    """Before a block's number carried an Estimate it was flat: ``key`` with its bounds beside it (two
    keys, or one key holding a [low, high] list); fold them into ``{value, ci_low, ci_high, n}``."""
    if not isinstance(data, dict) or key not in data or not (data[key] is None or isinstance(data[key], (int, float))):
        return data  # already an Estimate (or its dict)
    data = dict(data)
    bounds = data.pop(bounds, None) if isinstance(bounds, str) else [data.pop(b, None) for b in bounds]
    bounds = list(bounds) if isinstance(bounds, (list, tuple)) and len(bounds) == 2 else [None, None]
    value = data[key]
    data[key] = None if value is None and bounds == [None, None] else \
        {"value": value, "ci_low": bounds[0], "ci_high": bounds[1], "n": _count(data.get("n"))}
    return data


class MetricSummary(Estimate):
    """One metric of one task: value, interval, n and the exact recipe of both.

    ``kind`` is rate / mean / corpus (it chose the interval ``method``); ``interval`` is the
    formatted interval signature (method, confidence, resamples, seed); ``events`` counts the 1s
    of a rate; ``design_effect``/``n_clusters`` are set for clustered tasks; ``statement`` is the
    summary in plain English (zero events as a one-sided bound).
    """

    signature: str = ""
    method: str = V1_INTERVAL_METHOD
    confidence: float = 0.95
    higher_is_better: bool | None = None
    kind: str | None = None
    interval: str = ""
    events: float | None = None
    statement: str = ""
