"""Regenerate ``presidio_evaluator.jsonl`` with presidio-evaluator's own generator and templates.

Run in a separate environment (presidio-evaluator pins versions Assay does not use)::

    python -m venv /tmp/pe && /tmp/pe/bin/pip install --no-deps presidio-evaluator==0.3.2 \
        && /tmp/pe/bin/pip install faker pandas numpy tqdm spacy requests pyyaml python-dotenv \
           presidio-analyzer presidio-anonymizer
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS="" /tmp/pe/bin/python generate_presidio_evaluator.py

The templates write a line break as the two characters ``\\n``; it is stored as the newline the
template means (spans shifted to match). The generator's entity names are kept as it writes them (GPE is renamed LOCATION, the name presidio's
NER recognizer uses); spans of types Assay does not judge (STREET_ADDRESS, DATE_TIME, TITLE, ...) stay
in the file and are scored as "don't care" regions. Nothing here is tuned by Assay: the templates,
providers, seed and sentence count are the generator's defaults except ``N`` and ``SEED``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from presidio_evaluator.data_generator import PresidioSentenceFaker

N, SEED = 1600, 42
RENAME = {"GPE": "LOCATION"}


def _newlines(text: str, spans: list[tuple[int, int, str]]) -> tuple[str, list[tuple[int, int, str]]]:
    """Literal backslash-n as a newline; each span moved left by the characters removed before it."""
    cuts = [i for i in range(len(text) - 1) if text[i:i + 2] == "\\n"]
    shift = lambda pos: pos - sum(1 for c in cuts if c < pos)  # noqa: E731
    return text.replace("\\n", "\n"), [(shift(a), shift(b), t) for a, b, t in spans]


def main() -> None:
    faker = PresidioSentenceFaker(locale="en_US", lower_case_ratio=0.05, random_seed=SEED)
    samples = faker.generate_new_fake_sentences(num_samples=N)
    out = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).with_name("presidio_evaluator.jsonl"))
    seen: set[str] = set()
    with out.open("w", encoding="utf-8") as fh:
        for s in samples:
            text, spans = _newlines(s.full_text, [(sp.start_position, sp.end_position, sp.entity_type) for sp in s.spans])
            if text in seen:
                continue
            seen.add(text)
            spans = sorted((a, b, RENAME.get(t, t)) for a, b, t in spans)
            fh.write(json.dumps({"text": text, "spans": [list(x) for x in spans],
                                 "source": f"presidio-evaluator-0.3.2:template-{s.template_id}"},
                                ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
