"""Identity terms masked before the toxicity classifier (an allowlist, as the field does after
Dixon et al. 2018): naming a group — "transgender", "gay", "Muslim", "disabled" — is not toxic on
its own, so the classifier never sees the term; insults and profanity around it still score.
A term graded by an intensifier ("so gay", "too Jewish", "such a queer") is not a reference to a
group but the term used as an insult, so it is left for the classifier to score (decided on the
tune half of the StereoSet/RealToxicityPrompts sets, reported on the other half: benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

TERMS_PATH = Path(__file__).parent / "data" / "toxicity" / "identity_terms.txt"
# a degree word right before the term: the term is graded, i.e. used as an insult ("that's so gay"), not a group
INSULT_BEFORE = re.compile(r"(?:\b(?:so|too|very|really|totally|super|kinda|sorta|fucking|fuckin|freaking)"
                           r"|\bsuch\s+an?)\s+$", re.IGNORECASE)


@lru_cache(maxsize=1)
def identity_terms() -> tuple[str, ...]:
    """The allowlist, lower case, longest first (so 'african american' masks before 'african')."""
    lines = TERMS_PATH.read_text(encoding="utf-8").splitlines()
    terms = {ln.strip().lower() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")}
    return tuple(sorted(terms, key=lambda t: (-len(t), t)))


@lru_cache(maxsize=1)
def allowlist_hash() -> str:
    """First 12 hex digits of SHA-256 over the sorted terms and the insult rule: the mask's identity in a signature."""
    text = "\n".join(sorted(identity_terms())) + "\ninsult-before:" + INSULT_BEFORE.pattern
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(t).replace(r"\ ", r"[\s-]+") for t in identity_terms())
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?:e?s)?(?![\w-])", re.IGNORECASE)


def mask_identity_terms(text: str) -> str:
    """``text`` with every allowlisted identity term (and its plural) removed, spaces collapsed; a term
    graded by an intensifier (:data:`INSULT_BEFORE`: "so gay", "such a queer") is kept, as an insult."""
    def drop(m: re.Match[str]) -> str:
        return m.group(0) if INSULT_BEFORE.search(text, 0, m.start()) else ""

    return re.sub(r"\s{2,}", " ", _pattern().sub(drop, text)).strip()
