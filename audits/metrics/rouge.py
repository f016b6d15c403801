"""ROUGE-1/2/L F-measure from Google's rouge-score (Porter stemmer on), averaged over samples."""

from __future__ import annotations

from functools import lru_cache

from audits.metrics._common import MeanMetric, package_version
from audits.metrics.base import METRICS, MetricInputs

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")


class _CachedPorter:
    """nltk's Porter stemmer (what rouge-score's use_stemmer=True uses), memoised per word."""

    def __init__(self) -> None:
        from nltk.stem import porter

        self.stem = lru_cache(maxsize=200_000)(porter.PorterStemmer().stem)


@lru_cache(maxsize=1)
def _scorer():
    from rouge_score import rouge_scorer, tokenize, tokenizers

    class StemmingTokenizer(tokenizers.Tokenizer):
        """rouge-score's DefaultTokenizer(use_stemmer=True) with a memoised stemmer: same tokens."""

        def __init__(self) -> None:
            self._stemmer = _CachedPorter()

        def tokenize(self, text: str) -> list[str]:
            return tokenize.tokenize(text, self._stemmer)

    return rouge_scorer.RougeScorer(list(ROUGE_TYPES), use_stemmer=True, tokenizer=StemmingTokenizer())


@lru_cache(maxsize=65_536)
def rouge_fmeasures(prediction: str, reference: str) -> dict[str, float]:
    """F-measure of each ROUGE type (one scorer pass serves rouge1, rouge2 and rougeL)."""
    scores = _scorer().score(reference, prediction)  # rouge-score takes (target, prediction)
    return {t: scores[t].fmeasure for t in ROUGE_TYPES}


class _Rouge(MeanMetric):
    requires = frozenset({"references"})
    task_types = frozenset({"generate"})

    def score(self, prediction: str, target: str, inputs: MetricInputs) -> float:
        return rouge_fmeasures(prediction, target)[self.name]

    def signature(self) -> str:
        return f"{self.name}|rouge-score:{package_version('rouge-score')}|stemmer:yes|fmeasure|mean"

    def options(self) -> dict:
        return {"use_stemmer": True, "measure": "fmeasure"}


@METRICS.register("rouge1")
class Rouge1(_Rouge):
    """Unigram-overlap F-measure (0–1)."""

    name = "rouge1"


@METRICS.register("rouge2")
class Rouge2(_Rouge):
    """Bigram-overlap F-measure (0–1)."""

    name = "rouge2"


@METRICS.register("rougeL")
class RougeL(_Rouge):
    """Longest-common-subsequence F-measure (0–1)."""

    name = "rougeL"
