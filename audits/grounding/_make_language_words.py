"""Writes ``audits/grounding/data/language_words.json``, the word lists ``claims.is_english`` reads.

    python -m audits.grounding._make_language_words      # rerunning gives a byte-identical file

* ``english``: lower-case words seen at least ``MIN_ENGLISH`` times in the shipped HaluEval texts
  (``audits/datasets/data/halueval``: Wikipedia knowledge, news articles, dialogues, answers) — an English
  vocabulary without names, since names are capitalised;
* ``english_function``: spaCy's English stop words;
* ``foreign``: spaCy's stop words of 26 other Latin-script languages (function words such as est, und,
  está, sono, zijn, jest), less the English stop words, one-letter words, and any word seen
  ``MAX_FOREIGN_IN_ENGLISH`` times or more in the HaluEval texts (de, la, von, die, son, come: words
  an English sentence or name uses).

The thresholds were chosen on spaCy's example sentences (``spacy.lang.<xx>.examples``) and the
HaluEval claims; ``tests/grounding/data/short_sentences.json`` measures the result.
"""

from __future__ import annotations

import importlib
import json
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = Path(__file__).with_name("data") / "language_words.json"
HALUEVAL = ROOT / "datasets" / "data" / "halueval"
LANGUAGES = "fr de es it pt nl ca ro da sv nb pl cs sk sl hr tr hu fi et lv lt id ms af sq".split()
MIN_ENGLISH = 2
MAX_FOREIGN_IN_ENGLISH = 4
_WORD = re.compile(r"[^\W\d_]+", re.U)


def english_counts() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in sorted(HALUEVAL.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            for key in ("knowledge", "question", "answer", "right_answer", "hallucinated_answer"):
                counts.update(w.casefold() for w in _WORD.findall(str(row.get(key) or "")) if w.islower())
    return counts


def build() -> dict[str, list[str]]:
    from spacy.lang.en.stop_words import STOP_WORDS as english_stop

    counts = english_counts()
    foreign: set[str] = set()
    for lang in LANGUAGES:
        foreign |= importlib.import_module(f"spacy.lang.{lang}.stop_words").STOP_WORDS
    foreign = {w.casefold() for w in foreign} - {w.casefold() for w in english_stop}
    return {"english": sorted(w for w, n in counts.items() if n >= MIN_ENGLISH),
            "english_function": sorted({w.casefold() for w in english_stop}),
            "foreign": sorted(w for w in foreign if len(w) >= 2 and counts[w] < MAX_FOREIGN_IN_ENGLISH)}


def main() -> None:
    words = build()
    OUT.write_text(json.dumps({"_about": "written by audits/grounding/_make_language_words.py; see its docstring",
                               **words}, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(OUT, {k: len(v) for k, v in words.items()})


if __name__ == "__main__":
    main()
