"""SQuAD-style exact match and token F1 on normalised text (the official SQuAD evaluation rules)."""

from __future__ import annotations

import collections
import re
import string

from audits.metrics._common import MeanMetric, assay_version
from audits.metrics.base import METRICS, MetricInputs

_PUNCT = set(string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b", re.UNICODE)
NORMALISATION = "lower+no-punct+no-articles+ws"


def normalize_answer(text: str) -> str:
    """Lowercase, drop punctuation and the articles a/an/the, collapse whitespace (SQuAD)."""
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match_score(prediction: str, reference: str) -> float:
    return float(normalize_answer(prediction) == normalize_answer(reference))


def token_f1_score(prediction: str, reference: str) -> float:
    """SQuAD token F1; two empty answers count as a match (the SQuAD v2 rule)."""
    pred = normalize_answer(prediction).split()
    ref = normalize_answer(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    same = sum((collections.Counter(pred) & collections.Counter(ref)).values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred), same / len(ref)
    return 2 * precision * recall / (precision + recall)


@METRICS.register("exact_match")
class ExactMatch(MeanMetric):
    """Share of predictions equal to the reference after SQuAD normalisation (0–1)."""

    name = "exact_match"
    requires = frozenset({"references"})
    task_types = frozenset({"generate"})

    def score(self, prediction: str, target: str, inputs: MetricInputs) -> float:
        return exact_match_score(prediction, target)

    def signature(self) -> str:
        return f"exact_match|assay:{assay_version()}|norm:squad({NORMALISATION})|mean"


@METRICS.register("token_f1")
class TokenF1(MeanMetric):
    """Mean SQuAD token-overlap F1 between prediction and reference (0–1)."""

    name = "token_f1"
    requires = frozenset({"references"})
    task_types = frozenset({"generate"})

    def score(self, prediction: str, target: str, inputs: MetricInputs) -> float:
        return token_f1_score(prediction, target)

    def signature(self) -> str:
        return f"token_f1|assay:{assay_version()}|norm:squad({NORMALISATION})|empty:squad-v2|mean"
