"""Numbers that scanners still write flat (a value with its bounds beside it), read as one
:class:`audits.results.Estimate` each: the fairness parity ratio and every group test's ratio (Katz),
the red-team block's overall attack success rate (Clopper-Pearson), and every figure of a detector's
measured quality (``<name>`` with ``<name>_ci`` beside it). The flat keys stay in the file (policy
packs and older readers name them); the Estimate is derived from them whenever they are there, so a
file holds one source for each number and results written before these fields open unchanged.
Import the models from :mod:`audits.results`.
"""

from __future__ import annotations

import math
from typing import Any

from audits.jsontypes import JsonObject

KATZ_LOG = "katz-log"              # the selection-rate ratio's interval (audits.stats.parity_ratio)
CLOPPER_PEARSON = "clopper-pearson"


def _num(x: Any) -> float | None:
    """A finite float, else None (bools and text are not numbers)."""
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(float(x)):
        return None
    return float(x)


def _int(x: Any) -> int:
    v = _num(x)
    return int(round(v)) if v is not None and v >= 0 else 0


def estimate_of(value: Any, low: Any, high: Any, n: Any = 0, method: str | None = None) -> JsonObject | None:
    """``{value, ci_low, ci_high, n, method}`` from flat fields; None when there is no number at all."""
    value, low, high = _num(value), _num(low), _num(high)
    if value is None and low is None and high is None:
        return None
    return {"value": value, "ci_low": low, "ci_high": high, "n": _int(n), "method": method}


def _pair(bounds: Any) -> tuple[Any, Any]:
    return (bounds[0], bounds[1]) if isinstance(bounds, (list, tuple)) and len(bounds) == 2 else (None, None)


def fold_flat(data: Any, target: str, value_key: str, bounds: str | tuple[str, str], method: str | None,
              n_key: str | None = None) -> Any:
    """Set ``data[target]`` to the Estimate of ``data[value_key]`` and its bounds (one key holding
    ``[low, high]``, or two keys). Where the flat value is absent the stored ``target`` is kept."""
    if not isinstance(data, dict) or value_key not in data:
        return data
    low, high = _pair(data.get(bounds)) if isinstance(bounds, str) else (data.get(bounds[0]), data.get(bounds[1]))
    return {**data, target: estimate_of(data[value_key], low, high, data.get(n_key) if n_key else 0, method)}


# the denominator of each detector figure, from the keys its block stores beside it (first found;
# none found: n is 0, unknown). Recall counts the labelled positives (PII: ``n_labelled`` gold spans),
# precision the flagged ones; balanced accuracy, AUROC and agreement every judged item.
_N_KEYS = {"recall": ("n_gold", "positives", "n_labelled"), "precision": ("n_pred",)}
_N_DEFAULT = ("n",)


def _denominator(name: str, quality: JsonObject) -> int:
    found = next((quality[k] for k in _N_KEYS.get(name, _N_DEFAULT) if _num(quality.get(k)) is not None), None)
    if found is None and name == "precision" and all(_num(quality.get(k)) is not None for k in ("tp", "fp")):
        found = quality["tp"] + quality["fp"]
    return _int(found)


def _method(name: str, interval: str) -> str | None:
    """The interval method of one detector figure, as the block's ``interval`` text states it."""
    text = interval.lower()
    if name in ("precision", "recall", "agreement") and "clopper" in text:
        return CLOPPER_PEARSON
    if name == "auroc" and "newcombe" in text:      # audits.stats._detection.AUROC_METHOD
        return "newcombe-score"
    if name == "balanced_accuracy" and "price-bonett" in text:  # BALANCED_METHOD
        return "price-bonett"
    if name in ("balanced_accuracy", "auroc") and "bootstrap" in text:  # figures measured before those
        return "percentile-bootstrap-stratified" if "stratified" in text else "percentile-bootstrap"
    return None


def detector_estimates(quality: Any, prefix: str = "", interval: str = "") -> dict[str, JsonObject]:
    """Every figure of a detector's measured-quality JSON that has ``<name>_ci`` beside it, as an
    Estimate keyed by its dotted path (``recall``, ``by_entity.PERSON.recall``,
    ``by_subset.qa.balanced_accuracy``, ``model_outputs.agreement``); n is the figure's denominator."""
    if not isinstance(quality, dict):
        return {}
    interval = quality["interval"] if isinstance(quality.get("interval"), str) else interval
    out: dict[str, JsonObject] = {}
    for key, value in quality.items():
        if isinstance(value, dict):
            out.update(detector_estimates(value, f"{prefix}{key}.", interval))
        elif isinstance(quality.get(f"{key}_ci"), (list, tuple)):
            est = estimate_of(value, *_pair(quality[f"{key}_ci"]), _denominator(key, quality), _method(key, interval))
            if est is not None:
                out[prefix + key] = est
    subsets, subset = quality.get("by_subset"), quality.get("subset")  # top level = the lowest subset's figures
    lowest = subsets.get(subset) if isinstance(subsets, dict) and isinstance(subset, str) else None
    for key, est in out.items():
        if isinstance(lowest, dict) and key.startswith(prefix) and "." not in key[len(prefix):] and not est["n"]:
            est["n"] = _denominator(key[len(prefix):], lowest)
    return out
