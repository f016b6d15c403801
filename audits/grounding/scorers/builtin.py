"""``scorer: builtin`` (the default): the shipped offline detector (``audits.grounding.classifier``),
whose held-out HaluEval quality ships in ``data/quality.json`` and travels with every result."""

from __future__ import annotations

from audits.grounding.classifier import Verdict, load_detector
from audits.grounding.scorers.base import SCORERS, Row, Scorer
from audits.jsontypes import JsonObject


@SCORERS.register("builtin")
class BuiltinScorer(Scorer):
    """The logistic regression over entity, number, negation and overlap signals (``embedding``:
    with MiniLM alignment)."""

    name = "builtin"

    @property
    def detector(self):  # noqa: ANN201 - the classifier's Detector
        return load_detector(embedding=bool(self.options.embedding))

    def setup(self) -> None:
        self.detector  # noqa: B018 - loads and caches the coefficients

    def score(self, rows: list[Row]) -> list[Verdict]:
        return self.detector.score([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows],
                                   int(self.options.max_context_chars))

    def signature(self) -> str:
        return self.detector.signature()

    @property
    def version(self) -> str:
        return self.detector.version

    def quality(self) -> JsonObject:
        from audits.grounding.quality import detector_quality

        return detector_quality(bool(self.options.embedding))
