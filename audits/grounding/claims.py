"""Claims of an answer, and which answers cannot be scored (and why).

A claim is a sentence or a ';'-separated clause of the answer, with its character offsets. An
answer that declines ("I don't know", "I cannot find that in the policy") is an *abstention*:
it has no claims and is not a hallucination (it is counted in ``abstention_rate``, so "always
refuse" cannot look perfect). An empty answer, an empty context, an over-long context and a
claim that is not English are *not scorable*: the row gets that verdict and its reason, and is
left out of the rates' n.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# verdicts of a whole answer that has no scored claims
ABSTAINED = "abstained"
NOT_SCORABLE = "not scorable"

# a line that opens with stops ("... I don't know. X.") gives them as a piece of their own, so the
# sentences after them are claims, not one line that reads as a decline and hides X
_SENTENCE = re.compile(r"[.!?;]+(?=\s|$)|[^.!?;\n]+(?:[.!?;]+(?=\s|$)|$)|[^\n]+", re.S)
_ALNUM = re.compile(r"[^\W_]", re.U)  # a letter or digit of any script
_ABSTAIN = re.compile(
    r"^\W*(?:i\s*(?:do\s*not|don'?t|dont)\s+know|i'?m\s+not\s+sure|i\s+am\s+not\s+sure|not\s+sure|"
    r"i\s+(?:can(?:no|')?t|cannot|am\s+unable\s+to|'m\s+unable\s+to)\s+(?:answer|help|say|tell|find|determine)|"
    r"(?:there\s+is\s+)?no\s+information|the\s+(?:policy|context|document|text)\s+does\s*(?:not|n't)\s+"
    r"(?:say|mention|specify|state|cover)|unknown|n/?a|no\s+answer)\b", re.I)
_WORD = re.compile(r"[^\W\d_]+", re.U)
_DIGIT = re.compile(r"\d")
# where a decline ends and a second clause starts ("I'm not sure, but ...", "N/A - ...", "No answer: ...")
_CLAUSE = re.compile(r"[,:;()\u2013\u2014]|\s-\s|\s-(?=\w)|\b(?:but|however|though|although|yet|except|so)\b", re.I)
_COURTESY = frozenset("sorry please apologies apologise apologize thanks thank you unfortunately honestly sadly to be honest "
                      "i m am afraid ask contact our the support team customer service".split())
DECLINE_WORDS = 12  # a declining sentence longer than this says something besides declining
_LANGUAGE_WORDS = Path(__file__).with_name("data") / "language_words.json"
LANGUAGE_CHECK_VERSION = 2  # is_english: v2 reads short texts too (foreign words, an English vocabulary)
# frequent English function words (weighed against those of other languages in is_english)
_EN_FUNCTION = frozenset(
    "the a an is are was were be been of to in on at for with by from and or not no it this that these those "
    "he she they we you i his her their our your its as if but can will would should may must has have had do "
    "does did there which who what when where how than then also only all any each".split())
# frequent function words of other Latin-script languages (French, German, Spanish, Italian, Portuguese,
# Dutch; "de", "la", "von" also start names): a claim with two or more of these and more of them than English
# ones is read as not English
_OTHER_FUNCTION = frozenset(
    "la le les de des du est et une sont avec dans sur nous vous ils elle cette qui pas der das und ist nicht von zu "
    "dem mit sind auch wir ich kann el los las es que del por para una está il di che della sono gli het een "
    "van zijn niet ook uma não werden wird für innerhalb eine einen einem ein auf bei nach oder aber wenn zum zur "
    "en como em os dos sus muy pero sous avec aux".split())


@dataclass(frozen=True)
class Claim:
    """One claim of an answer: its text and its [start, end) character offsets in the answer."""

    text: str
    start: int
    end: int


def split_claims(answer: str) -> list[Claim]:
    """The answer's sentences and ';'-clauses that contain a letter or digit, in order."""
    claims = []
    for m in _SENTENCE.finditer(answer or ""):
        raw = m.group(0)
        text = raw.strip()
        if not text or not _ALNUM.search(text):
            continue
        start = m.start() + (len(raw) - len(raw.lstrip()))
        claims.append(Claim(text, start, start + len(text)))
    return claims


def _declines(claim: str) -> bool:
    """A short sentence that only declines. After the decline ("I don't know", "Not sure") it may say
    what is not known ("... the answer to that"), but a number, or a clause after a comma, colon, dash or
    "but"/"however" that is not itself a decline or an apology, is a claim: "I'm not sure but refunds
    take 90 days", "No answer: Amazon pays", "I don't know, Amazon does" are scored, not abstained."""
    m = _ABSTAIN.match(claim)
    if m is None or len(_WORD.findall(claim)) > DECLINE_WORDS:
        return False
    rest = claim[m.end():]
    if _DIGIT.search(rest):
        return False
    parts = _CLAUSE.split(rest, maxsplit=1)
    if len(parts) < 2:
        return True
    tail = parts[1].strip(" .!?,;:-\u2013\u2014()")
    words = _WORD.findall(tail)
    return len(words) < 2 or _declines(tail) or _courtesy(tail)


def _courtesy(sentence: str) -> bool:
    """A short apology or aside made only of courtesy words, nothing to check ("Sorry.", "to be honest",
    "please ask support"); "Sorry, Amazon pays." is a claim."""
    words = [w.lower() for w in _WORD.findall(sentence)]
    return 0 < len(words) <= 6 and not _DIGIT.search(sentence) and all(w in _COURTESY for w in words)


def is_abstention(answer: str, claims: Sequence[Claim] | None = None) -> bool:
    """True when the answer only declines: its first sentence is a short decline ("I don't know.",
    "The policy does not mention that.") and every other sentence declines too or is a question. A
    hedge followed by a claim ("Not sure. However you would enjoy Jurassic Park.", "I don't know
    much about it, just that it is played on ice.") is scored, so a claim cannot hide behind it.
    ``claims``: ``split_claims(answer)`` when the caller has them."""
    text = (answer or "").strip()
    texts = [c.text for c in (split_claims(text) if claims is None else claims)]
    return (bool(texts) and len(text) <= 200 and _declines(texts[0])
            and all(_declines(c) or _courtesy(c) or c.endswith("?") for c in texts[1:]))


@functools.cache
def _language_words() -> dict[str, frozenset[str]]:
    """The word lists of ``data/language_words.json`` (written by ``_make_language_words``)."""
    words = json.loads(_LANGUAGE_WORDS.read_text(encoding="utf-8"))
    return {k: frozenset(v) for k, v in words.items() if not k.startswith("_")}


def is_english(text: str) -> bool:
    """False for a text that is mostly non-Latin letters, or that reads as another Latin-script language:

    * (v1) five or more words with two or more function words of French, German, Spanish, Italian,
      Portuguese or Dutch and more of them than English ones;
    * (v2, any length) more foreign words than English function words, a foreign word being a function
      word of one of 26 other languages that English text does not use (est, und, está, sono, zijn) or
      a lower-case word with a letter outside ASCII that English text does not use (accepté, grátis);
    * (v2) two or more lower-case words, over half of them outside an English vocabulary beside a foreign
      word, or over two thirds with no English function word ("Ja, das stimmt.", "Studenten krijgen korting.").

    Only lower-case words are read (and a sentence's first word when the next is lower case), so English
    headlines and names ("Bath dominated Champions Cup quarter final", "Carl Maria von Weber", "Los
    Angeles") stay English. Measured in ``tests/grounding/test_language_check.py``."""
    letters = [c for c in text if c.isalpha()]
    if letters and sum(c.isascii() for c in letters) / len(letters) < 0.7:
        return False
    tokens = _WORD.findall(text)
    words = [w.lower() for w in tokens]
    other = sum(w in _OTHER_FUNCTION for w in words)
    english_function = sum(w in _EN_FUNCTION for w in words)
    if len(words) >= 5 and other >= 2 and other > english_function:
        return False
    lists = _language_words()
    lower = [t.casefold() for t in tokens[:1] if len(tokens) > 1 and tokens[1].islower() and not t[1:].isupper()]
    lower += [t.casefold() for t in tokens[1:] if t.islower()]
    foreign = sum(w in lists["foreign"] or (not w.isascii() and w not in lists["english"]) for w in lower)
    english = sum(w in _EN_FUNCTION or w in lists["english_function"] for w in words)
    if foreign and foreign > english:
        return False
    known = [w in lists["english"] for w in lower if len(w) >= 2]
    if foreign:  # half the words unknown to English suffice beside a foreign one
        return not (len(known) >= 2 and known.count(False) > len(known) / 2)
    # no foreign word: two thirds unknown and no English function word ("Overdraft fees waived." stays English)
    return english > 0 or len(known) < 2 or known.count(False) <= 2 * len(known) / 3


def unscorable_reason(answer: str, context: str, max_context_chars: int,
                      claims: Sequence[Claim] | None = None) -> str | None:
    """Why a row cannot be scored (None when it can); abstentions are handled by the caller.
    ``claims``: ``split_claims(answer)`` when the caller has them."""
    if not (context or "").strip():
        return "empty context"
    if len(context) > max_context_chars:
        return f"context over {max_context_chars} characters"
    if not (answer or "").strip() or not (split_claims(answer) if claims is None else claims):
        return "empty answer"
    return None
