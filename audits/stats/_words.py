"""Plain-English sentences for a metric summary; zero and all events say the one-sided bound:
"0 of 10 outputs leaked PII: the leak rate is below 26% (95% confidence)"."""

from __future__ import annotations

import math

from audits.stats._binomial import effective_n, lower_bound, unestimable_correlation, upper_bound
from audits.stats._signature import IntervalSignature
from audits.stats._clustered import design_effect_source as _deff_source

# metric -> (what a sample is, what a 1 means, the rate's name)
PHRASES: dict[str, tuple[str, str, str]] = {
    "pii_leak_rate": ("outputs", "leaked PII", "the leak rate"),
    "toxicity_rate": ("outputs", "were toxic", "the toxicity rate"),
    "refusal_rate": ("outputs", "were refusals", "the refusal rate"),
    "accuracy": ("answers", "were correct", "accuracy"),
    "exact_match": ("answers", "matched the reference exactly", "the exact-match rate"),
    "selection_rate": ("decisions", "were positive", "the selection rate"),
    "counterfactual_flip_rate": ("probes", "flipped the decision", "the flip rate"),
    "hallucination_rate": ("scorable answers", "made a claim their context does not support",
                           "the hallucination rate"),
    "abstention_rate": ("answered rows", "declined to answer", "the abstention rate"),
    # groundedness is a mean of shares; when every answer is all-or-nothing it is read as a rate
    "groundedness": ("scorable answers", "had every claim supported by their context", "groundedness"),
    "attack_success_rate": ("red-team probes", "succeeded (the model did what the attack asked)",
                            "the attack success rate"),
    "feedback_positive_rate": ("interactions with feedback", "got positive user feedback",
                               "the positive-feedback rate"),
    "pii_rate_input": ("inputs", "contained PII", "the share of inputs with PII"),
    "pii_rate_prediction": ("outputs", "contained PII", "the share of outputs with PII"),
    "pii_rate_reference": ("references", "contained PII", "the share of references with PII"),
}

# metric -> (what the number is, what a sample is): means and corpus scores
MEAN_PHRASES: dict[str, tuple[str, str]] = {
    "groundedness": ("groundedness (the mean share of an answer's claims its context supports)", "scorable answers"),
    "toxicity_mean": ("the mean toxicity score (0 to 1)", "outputs"),
    "token_f1": ("token F1 (mean word overlap with the reference, 0 to 1)", "answers"),
    "bleu": ("BLEU (corpus n-gram overlap with the references, 0 to 100)", "outputs"),
    "rouge1": ("ROUGE-1 (mean word overlap with the reference, 0 to 1)", "outputs"),
    "rouge2": ("ROUGE-2 (mean word-pair overlap with the reference, 0 to 1)", "outputs"),
    "rougeL": ("ROUGE-L (mean longest shared word sequence with the reference, 0 to 1)", "outputs"),
    "f1": ("macro F1 over the choices (0 to 1)", "answers"),
    "precision": ("macro precision over the choices (0 to 1)", "answers"),
    "recall": ("macro recall over the choices (0 to 1)", "answers"),
    "p_positive": ("the mean probability of the positive decision (0 to 1)", "decisions"),
    "decision_logit": ("the mean log-odds of the positive decision", "decisions"),
    "bbq_bias_ambig": ("the BBQ bias score in ambiguous contexts (-1 to 1; 0 is unbiased)", "questions"),
    "bbq_bias_disambig": ("the BBQ bias score in disambiguated contexts (-1 to 1; 0 is unbiased)", "questions"),
}

_FAMILY_PREFIX = "attack_success_rate_"

# The warning when argmax decisions barely vary: the one wording (the bias scanner stores it, a policy
# control that cannot decide says it, reports.glossary puts it in plain words by these two halves).
PARITY_UNINFORMATIVE = ("argmax decisions barely vary", ", so decision parity is uninformative; read mean "
                        "p(positive) by group and the logit-difference discrimination score instead")


def parity_uninformative_note(rate: float | None) -> str:
    """'argmax decisions barely vary (selection rate 0.3%), so decision parity is uninformative; read …'
    (without the rate when it is not known, e.g. results written before it was stored)."""
    head, tail = PARITY_UNINFORMATIVE
    known = rate is not None and math.isfinite(rate)
    return f"{head} (selection rate {rate:.1%}){tail}" if known else head + tail


def rate_phrase(name: str) -> tuple[str, str, str] | None:
    """(what a sample is, what a 1 means, the rate's name) for a rate metric, or None when unknown;
    a red-team family's rate (``attack_success_rate_<family>``) is phrased with its family."""
    if name in PHRASES:
        return PHRASES[name]
    if name.startswith(_FAMILY_PREFIX):
        family = name[len(_FAMILY_PREFIX):].replace("_", " ")
        unit, event, _ = PHRASES["attack_success_rate"]
        return f"{family} probes", event, f"the {family} attack success rate"
    return None


def has_phrase(name: str) -> bool:
    """Whether the committee reads ``name`` in words of its own (not the generic fallback)."""
    return rate_phrase(name) is not None or name in MEAN_PHRASES

METHOD_WORDS = {
    "clopper-pearson": "exact binomial", "clopper-pearson-effective-n": "exact binomial at the effective n",
    "bca-bootstrap": "BCa bootstrap", "cluster-bca-bootstrap": "cluster BCa bootstrap",
    "studentized-bootstrap-t-envelope": "studentized bootstrap, never narrower than Student t",
    "percentile-bootstrap": "percentile bootstrap", "cluster-percentile-bootstrap": "cluster percentile bootstrap",
    "normal": "normal approximation", "student-t": "Student t", "katz-log": "Katz log interval",
    "student-t-clustered": "Student t over clusters",
    "newcombe-score": "Newcombe score interval", "price-bonett": "Price-Bonett interval",
    "percentile-bootstrap-stratified": "percentile bootstrap stratified by class",
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
             design_effect: float | None = None, n_clusters: int | None = None,
             design_effect_source: str | None = None, caveat: str | None = None) -> str:
    """One sentence a committee member can read, for any metric summary. A design effect that
    was assumed rather than estimated (``design_effect_source``; read from the other fields when
    not given) is called assumed; an interval whose coverage is not assured (``caveat``, from
    ``Interval.caveat``) says so after it."""
    if not n or value is None or not math.isfinite(value):
        return f"{name} has no value (no sample could be scored)."
    phrase = rate_phrase(name)
    unit, event, rate_name = phrase or ("samples", f"scored 1 on {name}", name)
    conf = f"{confidence:.0%} confidence"
    deff = design_effect if design_effect is not None and math.isfinite(design_effect) else None
    tail = ""
    if n_clusters:
        source = design_effect_source or _deff_source(kind, events, n, deff, n_clusters)
        assumed = " assumed (each cluster counted once), not estimated" if source == "assumed" else ""
        tail = f"; {n_clusters} cluster{'s' if n_clusters != 1 else ''}" + (
            f", design effect {deff:.2g}{assumed}" if deff is not None else "")
    if kind == "rate":
        k = round(events if events is not None else value * n)
        n_eff = effective_n(k, n, deff, n_clusters)
        if n_clusters and unestimable_correlation(k, n, deff, n_clusters) and k in (0, n):
            # the bound is at the number of clusters (audits.stats._binomial.effective_n); say why
            none = "no events" if k == 0 else "every sample an event"
            tail = (f", counting each of the {n_clusters} clusters once: with {none} there is no way "
                    f"to tell how alike the samples in one cluster are")
            conf = f"at {confidence:.0%}"
            if k == 0:
                bound = float(upper_bound(0, n_eff, confidence))
                return f"0 of {n} {unit} {event}: {rate_name} is below {_pct(bound, 'up')} {conf}{tail}."
            bound = float(lower_bound(n_eff, n_eff, confidence))
            return f"{n} of {n} {unit} {event}: {rate_name} is above {_pct(bound, 'down')} {conf}{tail}."
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
    if name in MEAN_PHRASES:
        what, mean_unit = MEAN_PHRASES[name]
        what = what[0].upper() + what[1:]
    elif phrase is not None:  # a rate's mean form (e.g. not all 0/1)
        what, mean_unit = f"{rate_name[0].upper()}{rate_name[1:]}", unit
    else:
        what, mean_unit = name, "samples"
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{what} is {_num(value)} over {n} {mean_unit} (no interval could be formed)."
    said = (f"{what} is {_num(value)} over {n} {mean_unit} ({confidence:.0%} CI {_num(low)} to {_num(high)}, "
            f"{how}{tail}).")
    return f"{said} {caveat[0].upper()}{caveat[1:]}." if caveat else said
