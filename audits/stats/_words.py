"""Plain-English sentences for a metric summary; zero and all events say the one-sided bound:
"0 of 10 outputs leaked PII: the leak rate is below 26% (95% confidence)"."""

from __future__ import annotations

import math

from audits.stats._binomial import lower_bound, upper_bound
from audits.stats._signature import IntervalSignature

# metric -> (what a sample is, what a 1 means, the rate's name)
PHRASES: dict[str, tuple[str, str, str]] = {
    "pii_leak_rate": ("outputs", "leaked PII", "the leak rate"),
    "toxicity_rate": ("outputs", "were toxic", "the toxicity rate"),
    "refusal_rate": ("outputs", "were refusals", "the refusal rate"),
    "accuracy": ("answers", "were correct", "accuracy"),
    "exact_match": ("answers", "matched the reference exactly", "the exact-match rate"),
    "selection_rate": ("decisions", "were positive", "the selection rate"),
    "counterfactual_flip_rate": ("probes", "flipped the decision", "the flip rate"),
}

METHOD_WORDS = {
    "clopper-pearson": "exact binomial", "clopper-pearson-effective-n": "exact binomial at the effective n",
    "bca-bootstrap": "BCa bootstrap", "cluster-bca-bootstrap": "cluster BCa bootstrap",
    "percentile-bootstrap": "percentile bootstrap", "cluster-percentile-bootstrap": "cluster percentile bootstrap",
    "normal": "normal approximation", "katz-log": "Katz log interval",
}


def interval_methods(methods) -> str:
    """The plain names of the interval methods behind a chart or table, in first-seen order:
    ``["clopper-pearson", "bca-bootstrap"]`` -> "exact binomial; BCa bootstrap"; "" for none."""
    names: list[str] = []
    for m in methods if methods is not None else []:
        if isinstance(m, str) and m:
            word = METHOD_WORDS.get(m, m)
            if word not in names:
                names.append(word)
    return "; ".join(names)


def _pct(x: float, direction: str) -> str:
    """A percentage to two significant figures, rounded so the statement stays true."""
    v = 100.0 * x
    if v <= 0 or v >= 100:
        return f"{v:.0f}%"
    digits = max(0, 1 - int(math.floor(math.log10(v))))
    scale = 10 ** digits
    v = math.ceil(v * scale - 1e-9) / scale if direction == "up" else math.floor(v * scale + 1e-9) / scale
    return f"{v:.{digits}f}%"


def _num(x: float) -> str:
    return f"{x:.3g}"


def describe(name: str, value: float, low: float, high: float, n: int, *, kind: str = "mean",
             confidence: float = 0.95, events: float | None = None, method: str | None = None,
             design_effect: float | None = None, n_clusters: int | None = None) -> str:
    """One sentence a committee member can read, for any metric summary."""
    if not n or value is None or not math.isfinite(value):
        return f"{name} has no value (no sample could be scored)."
    unit, event, rate_name = PHRASES.get(name, ("samples", f"scored 1 on {name}", name))
    conf = f"{confidence:.0%} confidence"
    deff = design_effect if design_effect is not None and math.isfinite(design_effect) else None
    tail = ""
    if n_clusters:
        tail = f"; {n_clusters} clusters" + (f", design effect {deff:.2g}" if deff is not None else "")
    if kind == "rate":
        k = round(events if events is not None else value * n)
        n_eff = n / max(1.0, deff) if deff is not None else n
        if k == 0:
            bound = float(upper_bound(0, n_eff, confidence))
            return f"0 of {n} {unit} {event}: {rate_name} is below {_pct(bound, 'up')} ({conf}{tail})."
        if k == n:
            bound = float(lower_bound(n_eff, n_eff, confidence))
            return f"{n} of {n} {unit} {event}: {rate_name} is above {_pct(bound, 'down')} ({conf}{tail})."
        how = METHOD_WORDS.get(method or "", method or "exact binomial")
        return (f"{k} of {n} {unit} {event}: {rate_name} is {100 * value:.3g}% "
                f"({confidence:.0%} CI {_pct(low, 'down')} to {_pct(high, 'up')}, {how}{tail}).")
    how = METHOD_WORDS.get(method or "", method or IntervalSignature.parse(None).method)
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{name} is {_num(value)} over {n} samples (no interval could be formed)."
    return f"{name} is {_num(value)} over {n} samples ({confidence:.0%} CI {_num(low)} to {_num(high)}, {how}{tail})."
