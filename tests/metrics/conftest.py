"""A small real-text corpus shared by the metric tests (hypotheses are seeded edits of references)."""

from __future__ import annotations

import random

import pytest

REFERENCES = [
    "The committee approved the audit report on Tuesday.",
    "Paris is the capital of France.",
    "The model refused to answer questions about medical dosage.",
    "Water boils at one hundred degrees Celsius at sea level.",
    "Customers can reset their password from the account settings page.",
    "The loan application was denied because of insufficient income.",
    "Shakespeare wrote Hamlet around the year 1600.",
    "Our support team answers emails within two business days.",
    "The quarterly review found no evidence of demographic bias.",
    "Photosynthesis converts light energy into chemical energy.",
    "The invoice must be paid within thirty days of receipt.",
    "A refund is issued to the original payment method.",
    "The Amazon is the largest rainforest on Earth.",
    "Encryption keys are rotated every ninety days.",
    "The patient should take the medicine twice a day with food.",
    "Mount Everest is the highest mountain above sea level.",
    "The training data was collected between 2019 and 2023.",
    "Employees must complete the privacy training every year.",
    "The cat sat quietly on the warm windowsill.",
    "Interest rates rose for the third consecutive quarter.",
    "The train to Berlin leaves at half past nine.",
    "Please attach a copy of your identity document.",
    "The vaccine was approved after three phases of clinical trials.",
    "Light travels faster than sound.",
    "The new policy takes effect on the first of January.",
    "Solar panels produce less electricity on cloudy days.",
    "The library is closed on public holidays.",
    "Our chatbot cannot give legal advice.",
    "The bridge was completed in 1937 after four years of construction.",
    "Children under twelve travel free on weekends.",
]

_FILLERS = ["really", "perhaps", "the", "a", "quickly", "report", "system", "data", "often", "new"]


def _edit(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    kind = rng.randrange(6)
    if kind == 0:
        return sentence                                         # exact copy
    if kind == 1 and len(words) > 3:
        del words[rng.randrange(len(words))]                    # drop a word
    elif kind == 2:
        words[rng.randrange(len(words))] = rng.choice(_FILLERS)  # substitute
    elif kind == 3 and len(words) > 2:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]         # swap neighbours
    elif kind == 4:
        words = words[: max(1, len(words) // 2)]                # truncate (brevity penalty)
    else:
        words.insert(rng.randrange(len(words) + 1), rng.choice(_FILLERS))
    return " ".join(words)


def make_corpus(n: int, seed: int = 7) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    refs = [REFERENCES[i % len(REFERENCES)] for i in range(n)]
    hyps = [_edit(r, rng) for r in refs]
    return hyps, refs


@pytest.fixture(scope="session")
def corpus() -> tuple[list[str], list[str]]:
    hyps, refs = make_corpus(60)
    hyps[5] = "I do not know."             # unrelated answer
    hyps[11] = "Refund."                    # very short
    return hyps, refs
