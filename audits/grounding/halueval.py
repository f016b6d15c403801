"""The committed HaluEval sample (``audits/datasets/data/halueval``): rows of one subset and split."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

SUBSETS = ("qa", "dialogue", "summarization")
DATA_DIR = Path(__file__).resolve().parents[1] / "datasets" / "data" / "halueval"


@lru_cache(maxsize=8)
def _rows(subset: str) -> tuple[dict, ...]:
    path = DATA_DIR / f"{subset}.jsonl"
    return tuple(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())


def rows(subset: str, split: str | None = None) -> list[dict]:
    """Rows (one answer each: knowledge, question, answer, hallucinated 0/1) of a subset, one split or all."""
    if subset not in SUBSETS:
        raise ValueError(f"unknown HaluEval subset {subset!r}")
    return [r for r in _rows(subset) if split is None or r["split"] == split]
