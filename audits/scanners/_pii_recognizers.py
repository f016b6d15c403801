"""Assay's own presidio recognizers: phone numbers as people write them, card numbers with
separators (Luhn-checked), and name/place gazetteers that back up the NER model.

Each is a small ``EntityRecognizer`` (presidio's interface), configured from the detection profile
(``_pii_profile.PiiProfile``). Scores are tiers, not probabilities: a per-entity threshold in the
profile decides what is reported, and presidio's context enhancer adds to a score when one of the
recognizer's context words stands within five words before the match.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from functools import lru_cache

import phonenumbers
from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

# --- phone numbers ---------------------------------------------------------------------------------
from audits.scanners._pii_patterns import _EXT, _PHONE  # noqa: E402,F401  (re-exported)
_DATE = re.compile(r"^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$")
_SSN_SHAPE = re.compile(r"^\d{3}([- .])\d{2}\1\d{4}$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
_WORD = re.compile(r"[^\W\d_][\w'’\-]*")
# a North American number by its shape, allocated or not: optional +1/1/001, (NXX) or NXX, NXX-XXXX
_NANP = re.compile(r"^(?:(?:\+1|001|1)[ .\-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .\-])\d{3}[ .\-]\d{4}$")
# shapes that are not phone numbers: an ISO date with its hour ("2010-01-02 14" of "2010-01-02 14:05"),
# a decimal or coordinate ("58.973112"), a long bare run of digits (card or account numbers)
_TIMESTAMP = re.compile(r"^\d{4}([-./])\d{1,2}\1\d{1,2}(?:[ T]\d{1,2})?$|^\d{1,2}([-./])\d{1,2}\2\d{4}[ T]\d{1,2}$")
_DECIMAL = re.compile(r"^\d+[.,]\d+$")
_TIME_AFTER = re.compile(r"^(?::\d{2}|\s*(?:[ap]\.?m\.?|h\b|hrs?\b|o'?clock))", re.I)
_STREET_AFTER = re.compile(r"^\s+(?:[A-Z][\w'’-]*\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Drive|Dr|Boulevard|"
                           r"Blvd|Way|Court|Ct|Place|Pl|Square|Terrace|Parkway|Highway|Circle|Trail|Mews|Ways|"
                           r"Springs?|Meadows?|Squares?|Crossing|Loop|Pike|Row|Path|Hill|Hills|Park)\b")


class PhoneNumberRecognizer(EntityRecognizer):
    """Phone-shaped digit runs (7-15 digits, spaces/dots/dashes/brackets, ``+``/``00`` prefix,
    extensions), scored by what ``phonenumbers`` says of them: valid for its international prefix or
    one of ``regions`` (or a North American shape, ``(711)471-0497``, allocated or not) > possible >
    shape only. Runs preceded by a ``not_phone_words`` word (order, ticket, invoice...), SSN, date,
    timestamp, decimal/coordinate and IPv4 shapes, two numbers side by side, and runs followed by a
    time (``:05``, ``pm``) or a street name are skipped."""

    def __init__(self, regions: list[str], context: list[str], not_phone_words: list[str],
                 scores: dict[str, float]):
        self.regions = list(regions)
        self.not_phone = {w.casefold() for w in not_phone_words}
        self.scores = dict(scores)
        super().__init__(supported_entities=["PHONE_NUMBER"], name="AssayPhoneRecognizer", supported_language="en",
                         context=list(context))

    def load(self) -> None:
        pass

    def _tier(self, candidate: str) -> str | None:
        body = _EXT.sub("", candidate).strip()
        digits = re.sub(r"\D", "", body)
        if not 7 <= len(digits) <= 15 or _DATE.match(body) or _SSN_SHAPE.match(body) or _IPV4.match(body):
            return None
        if body.count("(") != body.count(")"):
            return None
        if _TIMESTAMP.match(body) or _DECIMAL.match(body) or (body.isdigit() and len(body) > 12):
            return None
        groups = re.findall(r"\d+", body)
        if len(groups) == 2 and not body.startswith("+") and (len(groups[1]) <= 2 or (len(groups[0]) <= 2 and len(digits) < 8)):
            return None  # "Rooms 57 80114", "44073 47": two numbers side by side
        if _NANP.match(body):
            return "nanp"  # valid by shape, whether or not the area code is allocated
        international = body.startswith(("+", "00"))
        tier = "shape"
        for region in ([None] if international else self.regions):
            try:
                number = phonenumbers.parse("+" + body.lstrip("+0") if international and body.startswith("00") else body,
                                            region)
            except phonenumbers.NumberParseException:
                continue
            if phonenumbers.is_valid_number(number):
                return "valid"
            if phonenumbers.is_possible_number(number):
                tier = "possible"
        if tier == "shape" and not international and len(digits) < 8 and not re.search(r"[ .\-()]", body):
            return None  # a bare run of 7 digits is a number, not yet a phone number
        return tier

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        out = []
        for m in _PHONE.finditer(text):
            candidate, start = m.group().rstrip(" \t-.("), m.start()
            if candidate.startswith("(") and candidate.count("(") > candidate.count(")"):
                candidate, start = candidate[1:], start + 1  # "(457-604-9768)": the brackets are the sentence's
            tier = self._tier(candidate)
            end = start + len(candidate)
            if tier is None or _TIME_AFTER.match(text[end:end + 12]) or _STREET_AFTER.match(text[end:end + 60]):
                continue  # a time ("14:05") or a street number ("4146 Hill Street"), not a phone
            before = [w.casefold() for w in _WORD.findall(text[max(0, start - 40):start])][-3:]
            # a key's parts count as words: "user_id=4155550199", "order-no 4155550199" name an identifier
            if self.not_phone.intersection(before + [p for w in before for p in re.split(r"[_\-]", w)]):
                continue
            out.append(_result("PHONE_NUMBER", start, end, self.scores["valid" if tier == "nanp" else tier], self,
                               f"phone number ({tier})"))
        return out


# --- payment cards ---------------------------------------------------------------------------------
_CARD = re.compile(r"(?<![\w.\-])\d(?:[ .\-]?\d){11,18}(?![\w\-]|[.,]\d)")
_IIN = [  # (prefixes, lengths): Visa, Mastercard, Amex, Discover, Diners, JCB, Maestro, UnionPay
    (("4",), (13, 16, 19)), (("51", "52", "53", "54", "55"), (16,)),
    (tuple(str(p) for p in range(2221, 2721)), (16,)), (("34", "37"), (15,)),
    (("6011", "65") + tuple(str(p) for p in range(644, 650)), (16, 17, 18, 19)),
    (("300", "301", "302", "303", "304", "305", "36", "38", "39"), (14, 15, 16, 17, 18, 19)),
    (tuple(str(p) for p in range(3528, 3590)), (16, 17, 18, 19)), (("2131", "1800"), (15,)),
    (("50",) + tuple(str(p) for p in range(56, 70)), tuple(range(12, 20))), (("62",), (16, 17, 18, 19)),
]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch) * (2 if i % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def known_iin(digits: str) -> bool:
    return any(digits.startswith(prefixes) and len(digits) in lengths for prefixes, lengths in _IIN)


class CardNumberRecognizer(EntityRecognizer):
    """12-19 digits, written plain or in groups with one kind of separator (space, dash or dot),
    Luhn-valid; a known issuer prefix and length scores ``scores['issuer']``, Luhn alone ``scores['luhn']``."""

    def __init__(self, context: list[str], scores: dict[str, float]):
        self.scores = dict(scores)
        super().__init__(supported_entities=["CREDIT_CARD"], name="AssayCardRecognizer", supported_language="en",
                         context=list(context))

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        out = []
        for m in _CARD.finditer(text):
            value = m.group()
            if len(set(re.findall(r"[ .\-]", value))) > 1:
                continue
            digits = re.sub(r"\D", "", value)
            if not luhn_ok(digits) or len(set(digits)) == 1:
                continue
            tier = "issuer" if known_iin(digits) else "luhn"
            out.append(_result("CREDIT_CARD", m.start(), m.end(), self.scores[tier], self, f"card number ({tier})"))
        return out


# --- e-mail addresses -------------------------------------------------------------------------------
_EMAIL = re.compile(r"(?<![\w.+\-])[\w.+\-']+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,24}(?![\w@])")


class EmailShapeRecognizer(EntityRecognizer):
    """E-mail addresses whatever their top-level domain (presidio's own recognizer, kept, accepts
    only domains on the public-suffix list, so ``.local``, ``.example`` and ``.internal`` are missed)."""

    def __init__(self, score: float):
        self.score = score
        super().__init__(supported_entities=["EMAIL_ADDRESS"], name="AssayEmailShape", supported_language="en")

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        return [_result("EMAIL_ADDRESS", m.start(), m.end(), self.score, self, "e-mail shape")
                for m in _EMAIL.finditer(text) if not m.group().startswith(".")]


# --- gazetteers --------------------------------------------------------------------------------------
_TITLES = {"mr", "mrs", "ms", "miss", "dr", "prof", "sir", "herr", "frau", "mme", "m", "sr", "sra"}
_PARTICLES = {"de", "da", "del", "della", "di", "van", "von", "der", "den", "le", "la", "du", "bin", "al", "el", "ter"}
_TOKEN = re.compile(r"[^\W\d_](?:[\w'’\-]*[^\W_])?\.?|\S")


def _faker_words(package: str, attrs: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    base = importlib.import_module(f"faker.providers.{package}")
    for mod in pkgutil.iter_modules(base.__path__):
        try:
            provider = importlib.import_module(f"faker.providers.{package}.{mod.name}").Provider
        except Exception:  # noqa: BLE001  (a locale module that does not import is skipped)
            continue
        for attr in attrs:
            values = getattr(provider, attr, None)
            if isinstance(values, (list, tuple, dict, set, frozenset)):
                out.update(v.strip() for v in values if isinstance(v, str) and v.strip())
    return out


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Lower-case English words that are also first names or places ("May", "Mobile"): never a
    gazetteer hit on their own. spaCy's stop words, Faker's lorem word list, months and weekdays."""
    from faker.providers.lorem.en_US import Provider as Lorem
    from spacy.lang.en.stop_words import STOP_WORDS

    months = "january february march april may june july august september october november december"
    days = "monday tuesday wednesday thursday friday saturday sunday"
    extra = ("will bill mark art page case grace faith hope joy rose long young major sterling summer "
             "hi hello dear thanks mr mrs ms dr sir madam customer user assistant name phone email card "
             "princess prince king queen lord lady royal love angel saint captain general north south east west "
             "new old great little")
    return frozenset(STOP_WORDS | {w.casefold() for w in Lorem.word_list} | set(f"{months} {days} {extra}".split()))


@lru_cache(maxsize=1)
def places() -> frozenset[str]:
    """Country, state, region and city names from Faker's locale data (casefolded)."""
    words = _faker_words("address", ("countries", "states", "provinces", "regions", "cantons", "departments",
                                     "cities", "city_names", "real_city_names", "towns"))
    return frozenset(w.casefold() for w in words if len(w) > 2 and w.casefold() not in common_words())


@lru_cache(maxsize=1)
def all_first_names() -> frozenset[str]:
    """Every first name in Faker's locale data (casefolded)."""
    words = _faker_words("person", ("first_names", "first_names_male", "first_names_female",
                                    "first_names_nonbinary"))
    return frozenset(w.casefold() for w in words if len(w) > 1)


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """First names that are neither common words nor places (casefolded)."""
    bad = common_words() | places()
    return frozenset(w for w in all_first_names() if w not in bad)


def _capitalised(tok: str) -> bool:
    return tok[:1].isupper() and (tok[1:2].islower() or tok.isupper() and len(tok) > 2)


class NameGazetteerRecognizer(EntityRecognizer):
    """PERSON: a capitalised known first name, with the capitalised words, initials and particles
    (de, van, von...) that follow it on the same line (up to four words). First names that are also
    places or common words are left to the NER model; ``score`` is set above the NER model's 0.85 so
    that a known first name wins over an NER guess of LOCATION for the same words."""

    def __init__(self, context: list[str], score: float, not_names: list[str] = ()):
        self.score = score
        self.not_names = frozenset(w.casefold() for w in not_names)
        self._names: frozenset[str] | None = None
        super().__init__(supported_entities=["PERSON"], name="AssayNameGazetteer", supported_language="en",
                         context=list(context))

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        if self._names is None:
            self._names = first_names() - self.not_names
        names, out = self._names, []
        toks = list(_TOKEN.finditer(text))
        i = 0
        while i < len(toks):
            tok = toks[i].group()
            if not (_capitalised(tok) and tok.rstrip(".").casefold() in names and not tok.isupper()):
                i += 1
                continue
            if i and text[toks[i - 1].end():toks[i].start()] == " " and _capitalised(toks[i - 1].group()):
                prev = toks[i - 1].group().rstrip(".").casefold()
                if prev not in _TITLES and prev not in common_words():
                    i += 1  # inside a longer capitalised name ("São Paulo", "North Nicolas")
                    continue
            j = i
            while j + 1 < len(toks) and j - i < 3:
                nxt = toks[j + 1].group()
                gap = text[toks[j].end():toks[j + 1].start()]
                if gap not in (" ", "") or toks[j].group().endswith(".") and len(toks[j].group()) > 2:
                    break
                initial = len(nxt.rstrip(".")) == 1 and nxt[:1].isupper()
                particle = nxt in _PARTICLES and j + 2 < len(toks) and _capitalised(toks[j + 2].group())
                if not (initial or particle or (_capitalised(nxt) and nxt.casefold() not in common_words())):
                    break
                if re.search(r"['’]s$", toks[j].group()):
                    break
                j += 1
            end = toks[j].end() - (1 if toks[j].group().endswith(".") and len(toks[j].group()) > 2 else 0)
            possessive = re.search(r"['’]s\b", text[toks[i].start():end])
            end = toks[i].start() + possessive.start() if possessive else end
            out.append(_result("PERSON", toks[i].start(), end, self.score, self, "known first name"))
            i = j + 1
        return out


class PlaceGazetteerRecognizer(EntityRecognizer):
    """LOCATION: the longest run of up to four capitalised words that is a known place name. A
    place that is also a first name ("Sofia", "Florence") scores ``ambiguous_score``, below the NER
    model, so that the model's reading of the sentence decides."""

    def __init__(self, context: list[str], score: float, ambiguous_score: float, extra: list[str] = ()):
        self.score, self.ambiguous_score = score, ambiguous_score
        self.extra = frozenset(p.casefold() for p in extra)
        self._known: frozenset[str] | None = None
        super().__init__(supported_entities=["LOCATION"], name="AssayPlaceGazetteer", supported_language="en",
                         context=list(context))

    def load(self) -> None:
        pass

    def analyze(self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None) -> list[RecognizerResult]:
        if self._known is None:
            self._known = places() | self.extra
        known, out = self._known, []
        toks = [m for m in _TOKEN.finditer(text)]
        i = 0
        while i < len(toks):
            if not _capitalised(toks[i].group()):
                i += 1
                continue
            hit = None
            for n in (4, 3, 2, 1):
                if i + n > len(toks):
                    continue
                full = toks[i + n - 1].end()
                # "... in Oslo." : the sentence's full stop is not the place's ("U.S." keeps its own)
                for end in (full, full - 1) if text[full - 1] == "." else (full,):
                    span = text[toks[i].start():end]
                    if "\n" not in span and span.casefold() in known:
                        hit = (toks[i].start(), end, n)
                        break
                if hit:
                    break
            if hit:
                ambiguous = text[hit[0]:hit[1]].casefold() in all_first_names()
                out.append(_result("LOCATION", hit[0], hit[1], self.ambiguous_score if ambiguous else self.score, self,
                                   "known place name" + (" (also a first name)" if ambiguous else "")))
                i += hit[2]
            else:
                i += 1
        return out


def _result(entity: str, start: int, end: int, score: float, rec: EntityRecognizer, why: str) -> RecognizerResult:
    from presidio_analyzer import AnalysisExplanation

    return RecognizerResult(entity_type=entity, start=start, end=end, score=score,
                            analysis_explanation=AnalysisExplanation(recognizer=rec.name, original_score=score,
                                                                     textual_explanation=why),
                            recognition_metadata={RecognizerResult.RECOGNIZER_NAME_KEY: rec.name,
                                                  RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: rec.id})
