"""Groundedness scorers behind one interface (``Scorer.score(rows) -> verdicts with claims``), chosen by
``scanners.groundedness.scorer``:

- ``builtin`` (default): the shipped offline detector, with its measured held-out quality;
- ``nli``: a local NLI cross-encoder directory (``nli.path``), P(entailment) per claim;
- ``judge``: a chat model behind an OpenAI-compatible server (``judge.base_url``, ``judge.model``),
  one JSON verdict per claim.

Each records itself in the metric's signature (``Scorer.signature``).
"""

from __future__ import annotations

from typing import Any

from audits.grounding.scorers.base import SCORERS, Row, Scorer, answer_verdict, triage
from audits.registry import import_submodules


def scorer_class(name: str) -> type[Scorer]:
    """The registered scorer ``name`` (AssayError naming the known ones when unknown)."""
    import_submodules(__name__)
    return SCORERS.get(name)


def build_scorer(options: Any) -> Scorer:
    """The scorer the typed ``scanners.groundedness`` options name, not yet set up."""
    return scorer_class(options.scorer)(options)


__all__ = ["SCORERS", "Row", "Scorer", "answer_verdict", "build_scorer", "scorer_class", "triage"]
