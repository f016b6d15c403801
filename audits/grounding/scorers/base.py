"""The one interface every groundedness scorer sits behind, and what they all share.

A scorer turns rows ``(answer, context, question)`` into one :class:`~audits.grounding.classifier.Verdict`
per answer, with its claims. What a row *is* stays the same whatever decides the claims: the
answer is split into claims by ``claims.split_claims``; an answer that declines is *abstained*; an
empty answer or context, an over-long context or a claim not in English is *not scorable*
(:func:`triage`, defined in ``classifier`` and used by the built-in detector too, so no scorer sorts
rows differently); an answer is a hallucination exactly when one of its claims is not supported, and
its groundedness is the share of its claims supported (:func:`answer_verdict`). Only the claim
verdicts differ between scorers (lm-evaluation-harness style: one small interface, a registry).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

from audits.grounding.claims import NOT_SCORABLE
from audits.grounding.classifier import GROUNDED, HALLUCINATED, SUPPORTED, ClaimVerdict, Verdict, settle, triage
from audits.grounding.signals import Source, content_tokens, span_overlap
from audits.jsontypes import JsonObject
from audits.registry import Registry

Row = tuple[str, str, str]  # (answer, context, question)


class Scorer(ABC):
    """Decides each claim of an answer supported / unsupported / contradicted against its context.

    ``options`` is the scanner's typed ``scanners.groundedness`` model. ``check()`` runs at
    validate (before inference: one-line AssayError for a bad setting); ``setup()`` loads what
    scoring needs, once per process; ``score(rows)`` gives one verdict per row, in order, each
    independent of the other rows."""

    name: ClassVar[str] = ""

    def __init__(self, options: Any):
        self.options = options

    def check(self) -> None:
        """Raise AssayError for a setting that cannot work (before any model runs)."""

    def setup(self) -> None:
        """Load the scorer (once per process)."""

    @abstractmethod
    def score(self, rows: list[Row]) -> list[Verdict]:
        """One verdict per row (answer, context, question), with its claims."""

    @abstractmethod
    def signature(self) -> str:
        """How the verdicts were made: the scorer and what identifies it (hashes, model, prompt)."""

    @property
    def version(self) -> str:
        """A short name of what decided (stored with every claim finding)."""
        return self.name

    def quality(self) -> JsonObject:
        """The scorer's own measured quality; a scorer without a stored measurement says so."""
        return {"measured": False, "scorer": self.name,
                "note": f"the '{self.name}' scorer's own accuracy is not measured by this run (the shipped held-out "
                        "HaluEval quality is the built-in detector's); measure it with "
                        "benchmarks/bench_groundedness_scorer.py"}

    def close(self) -> None:
        """Release connections or memory."""


SCORERS: Registry[type[Scorer]] = Registry("groundedness scorer")


def answer_verdict(claims: list[ClaimVerdict]) -> Verdict:
    """An answer from its claims: hallucinated when any claim is not supported; its score is the
    highest claim probability of being unsupported."""
    bad = any(c.verdict != SUPPORTED for c in claims)
    return Verdict(HALLUCINATED if bad else GROUNDED, list(claims), score=float(max(c.p_unsupported for c in claims)))


def ranked_spans(claim: str, source: Source) -> list[int]:
    """The context's sentences (indices into ``source.spans``), most word overlap with the claim first
    (ties: earlier first)."""
    overlap = span_overlap(content_tokens(claim), source)
    return sorted(range(len(source.spans)), key=lambda k: (-overlap[k], k))


def not_scorable(reason: str) -> Verdict:
    """A row the scorer could not decide, with why (left out of the rates' n, counted by reason)."""
    return Verdict(NOT_SCORABLE, reason=reason)

