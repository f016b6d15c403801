"""The groundedness detector: a logistic regression over the signals, shipped as plain coefficients.

``data/detector.json`` (and ``data/detector-embedding.json``, with MiniLM embedding alignment) hold
the feature list, coefficients, intercept, decision threshold and version; written by
``audits/grounding/_train.py`` from the *tune* half of the committed HaluEval sample. The SHA-256
of the file is part of every groundedness metric's signature. The model reads each feature, the
feature times the context scale (``signals.context_scale``) and, from version 2, the feature times
the dialogue indicator (``signals.is_dialogue``: the question is a conversation's history), so one
model serves a short passage, a long document and a conversation.

An answer's probability of being unsupported comes from its claims' features aggregated (the
weakest claim's signals, the novelty of all its words); at or over the threshold it is a
hallucination, and its claims at or over the threshold (at least its least supported one) are
*unsupported*, or *contradicted* when the claim aligns with a context sentence (similarity >=
``ALIGNED``) that it disagrees with on negation or a number/quantity. Every claim of an answer
under the threshold is *supported*. So an answer is a hallucination exactly when at least one of
its claims is not supported; its groundedness is the share of its claims supported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from audits.grounding.claims import ABSTAINED, NOT_SCORABLE, Claim, is_abstention, is_english, split_claims, \
    unscorable_reason
from audits.grounding.signals import COUNTS, FEATURES, SIGNALS, Source, context_scale, feature_rows, is_dialogue, \
    novelty, paraphrase_conflict

DETECTOR_FILE = Path(__file__).with_name("data") / "detector.json"
EMBEDDING_DETECTOR_FILE = Path(__file__).with_name("data") / "detector-embedding.json"
MISMATCH = ("novel_entities", "negation_mismatch", "has_entity", "has_number")
SUPPORTED, UNSUPPORTED, CONTRADICTED = "supported", "unsupported", "contradicted"
GROUNDED, HALLUCINATED = "grounded", "hallucinated"
ALIGNED = 0.5
MAX_CONTEXT_CHARS = 50_000
# the rules around the coefficients (abstention, language, paraphrase conflicts); a change re-measures quality.json
# 2: a hedge with a claim in the same sentence is scored; a number or negation changed from the context is
# contradicted; non-English claims beside English ones no longer make the answer not scorable; a context not
# in English is not scorable
RULES = 2


def aggregate(claim_features: list[dict[str, float]]) -> dict[str, float]:
    """An answer's features from its claims': the weakest claim's signals (min of each support
    signal, max of each mismatch signal) and the novelty of all its words together."""
    out = {f: (max if f in MISMATCH else min)(c[f] for c in claim_features) for f in SIGNALS}
    out.update({k: sum(c[k] for c in claim_features) for k in COUNTS})
    return novelty(out)


def design(features: dict[str, float], scale: float, names: tuple[str, ...], dialogue: float | None = None
           ) -> np.ndarray:
    """The model's input: the features, each again times the context scale, and the scale; with
    ``dialogue`` (``signals.is_dialogue`` of the question), each again times it, and it."""
    base = [features[f] for f in names]
    row = base + [v * scale for v in base] + [scale]
    if dialogue is not None:
        row += [v * dialogue for v in base] + [dialogue]
    return np.array(row, dtype=np.float64)


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim's verdict, its probability of being unsupported and its nearest context span."""

    claim: Claim
    verdict: str
    p_unsupported: float
    span_start: int
    span_end: int


@dataclass
class Verdict:
    """One answer: ``verdict`` grounded / hallucinated / abstained / not scorable (``reason`` says why).

    ``hallucination`` is 1/0 (None when abstained or not scorable), ``groundedness`` the share of
    claims supported (None likewise), ``score`` the highest claim probability of being unsupported."""

    verdict: str
    claims: list[ClaimVerdict] = field(default_factory=list)
    reason: str | None = None
    score: float | None = None

    @property
    def scorable(self) -> bool:
        return self.verdict in (GROUNDED, HALLUCINATED)

    @property
    def hallucination(self) -> float | None:
        return None if not self.scorable else float(self.verdict == HALLUCINATED)

    @property
    def groundedness(self) -> float | None:
        if not self.scorable:
            return None
        return float(np.mean([c.verdict == SUPPORTED for c in self.claims]))


class Detector:
    """Scores answers against contexts with the shipped coefficients (``load_detector()``)."""

    def __init__(self, spec: dict, sha256: str):
        self.spec = spec
        self.sha256 = sha256
        self.features = tuple(spec["features"])
        if set(self.features) - set(FEATURES):  # noqa: SIM102
            raise ValueError(f"detector features {sorted(set(self.features) - set(FEATURES))} are not computed")
        self.coef = np.asarray(spec["coef"], dtype=np.float64)
        self.dialogue = "dialogue" in str(spec.get("interaction", ""))
        if len(self.coef) != (3 if self.dialogue else 2) * len(self.features) + (2 if self.dialogue else 1):
            raise ValueError(f"detector has {len(self.coef)} coefficients for {len(self.features)} features")
        self.intercept = float(spec["intercept"])
        self.threshold = float(spec["threshold"])
        self.use_embedding = bool(spec.get("embedding", True))

    @property
    def version(self) -> str:
        return str(self.spec["version"])

    def signature(self) -> str:
        """'detector:<version>|coef:<12 hex of detector.json>|embedding:<yes/no>|rules:<RULES>'."""
        return (f"detector:{self.version}|coef:{self.sha256[:12]}|embedding:{'yes' if self.use_embedding else 'no'}"
                f"|rules:{RULES}")

    def probability(self, features: dict[str, float], scale: float, dialogue: float = 0.0) -> float:
        """Probability that a claim (or an answer's aggregated claims) is unsupported."""
        x = design(features, scale, self.features, dialogue if self.dialogue else None)
        return float(1.0 / (1.0 + np.exp(-(self.intercept + x @ self.coef))))

    def _claim_verdict(self, claim: Claim, feats: dict[str, float], nearest: int, source: Source, p: float,
                       unsupported: bool, conflict: bool = False) -> ClaimVerdict:
        a, b = source.spans[nearest] if source.spans else (0, 0)
        if not unsupported:
            verdict = SUPPORTED
        elif conflict:
            verdict = CONTRADICTED
        elif feats["embedding"] >= ALIGNED and (feats["negation_mismatch"] or feats["number"] < 1
                                                or feats["quantity"] < 1):
            verdict = CONTRADICTED
        else:
            verdict = UNSUPPORTED
        return ClaimVerdict(claim, verdict, p, a, b)

    def score(self, answers: list[str], contexts: list[str], questions: list[str] | None = None,
              max_context_chars: int = MAX_CONTEXT_CHARS) -> list[Verdict]:
        """One verdict per answer, each checked against its own context (and question)."""
        questions = questions or [""] * len(answers)
        partial: set[int] = set()
        out, todo_claims = triage(list(zip(answers, contexts)), max_context_chars, partial)
        todo = [i for i, _ in todo_claims]
        claims = [found for _, found in todo_claims]
        sources: dict[tuple[str, str], Source] = {}
        for i in todo:
            sources.setdefault((_text(contexts[i]), _text(questions[i])), None)  # type: ignore[arg-type]
        for key in sources:
            sources[key] = Source.build(*key)
        rows = [sources[(_text(contexts[i]), _text(questions[i]))] for i in todo]
        feats = feature_rows(claims, rows, self.use_embedding)
        for i, cs, fs, src in zip(todo, claims, feats, rows):
            scale, dialogue = context_scale(src.text), is_dialogue(src.question)
            p_answer = self.probability(aggregate([f for f, _ in fs]), scale, dialogue)
            p_claims = [self.probability(f, scale, dialogue) for f, _ in fs]
            # a claim that restates a context sentence with another number or the negation flipped is
            # contradicted whatever the model says (the model, fit on HaluEval, rarely sees such pairs)
            conflicts = [paraphrase_conflict(c.text, src, k) is not None for c, (_, k) in zip(cs, fs)]
            bad = p_answer >= self.threshold
            # the answer's decision stands; its unsupported claims are those at or over the threshold
            # (at least its least supported one), so "hallucinated" always names a claim
            top = int(np.argmax(p_claims))
            flags = [(bad and (p >= self.threshold or k == top)) or conflicts[k] for k, p in enumerate(p_claims)]
            verdicts = [self._claim_verdict(c, f, k, src, p, u, x)
                        for c, (f, k), p, u, x in zip(cs, fs, p_claims, flags, conflicts)]
            out[i] = Verdict(HALLUCINATED if bad or any(conflicts) else GROUNDED, verdicts,
                             score=1.0 if any(conflicts) else p_answer)
        settle(out, partial)
        return [v for v in out if v is not None]


def _text(value: object) -> str:
    """A cell as text: None and NaN (a missing cell) are empty."""
    return value if isinstance(value, str) else ""


def triage(rows: Sequence[tuple[str, ...]], max_context_chars: int, partial: set[int] | None = None
           ) -> tuple[list[Verdict | None], list[tuple[int, list[Claim]]]]:
    """What every scorer (the built-in detector and ``scorers/``) decides before scoring, from rows whose
    first two items are (answer, context): an answer that declines is *abstained*; an empty answer or
    context, an over-long or non-English context, or an answer with no English claim is *not scorable*
    (with the reason). An answer with English claims and others is scored on its English claims, and its
    index goes into ``partial``: :func:`settle` then keeps it hallucinated when those claims show it, and
    makes it not scorable when they are all supported (the other claims were not checked), so a sentence
    in another language can neither hide a hallucination nor pass unread.
    Returns ``(verdicts with None where a row needs scoring, [(row index, its claims to score)])``."""
    out: list[Verdict | None] = [None] * len(rows)
    todo: list[tuple[int, list[Claim]]] = []
    for i, (answer, context, *_) in enumerate(rows):
        answer, context = _text(answer), _text(context)
        found = split_claims(answer)  # once per answer: the abstention and scorability checks read them too
        if is_abstention(answer, found):
            out[i] = Verdict(ABSTAINED, reason="the answer declines")
            continue
        reason = unscorable_reason(answer, context, max_context_chars, found)
        english = [c for c in found if is_english(c.text)] if reason is None else found
        if reason is None and not is_english(context[:5000]):
            reason = "the context is not in English"
        elif reason is None and not english:
            reason = "a claim is not in English"
        if reason is not None:
            out[i] = Verdict(NOT_SCORABLE, reason=reason)
            continue
        if len(english) < len(found) and partial is not None:
            partial.add(i)
        todo.append((i, english))
    return out, todo


def settle(out: list[Verdict | None], partial: set[int]) -> None:
    """Rows scored on their English claims only (``triage``'s ``partial``): a hallucination stands (its
    reason says the other claims were not checked); 'grounded' becomes not scorable."""
    for i in partial:
        v = out[i]
        if v is None or v.verdict == HALLUCINATED:
            if v is not None:
                v.reason = "other claims not in English were not checked"
            continue
        out[i] = Verdict(NOT_SCORABLE, reason="a claim is not in English")


@lru_cache(maxsize=4)
def load_detector(path: str | None = None, embedding: bool = False) -> Detector:
    """The shipped detector (with MiniLM embedding alignment when ``embedding``), or the
    coefficients file at ``path``."""
    file = Path(path) if path else (EMBEDDING_DETECTOR_FILE if embedding else DETECTOR_FILE)
    raw = file.read_bytes()
    return Detector(json.loads(raw), hashlib.sha256(raw).hexdigest())
