"""Groundedness: split an answer into claims and decide each against the task's context, offline.

- ``claims``: claim splitting, abstention and language checks (what is not scorable, and why);
- ``signals``: entity/number/date/unit/negation support (spaCy), lexical overlap and embedding
  alignment (the bundled all-MiniLM) of a claim against its context, with the nearest span;
- ``classifier``: the shipped logistic-regression coefficients over the signals, the verdicts;
- ``quality``: the detector's own measured accuracy on held-out, length-matched HaluEval (``halueval``)
  and on a second, independent hand-labelled set (``faithgate``).

The scanner that runs it in an audit is ``audits.scanners.groundedness``.
"""

from audits.grounding.claims import Claim, split_claims
from audits.grounding.classifier import Detector, Verdict, load_detector

__all__ = ["Claim", "Detector", "Verdict", "load_detector", "split_claims"]
