"""The second labelled source (``data/faithgate``, FaithGate's hand-labelled golden set, MIT): rows with
question, context, answer, hallucinated 0/1 and category. Written by ``_make_faithgate.py``."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "faithgate" / "faithfulness.jsonl"
SOURCE = ("FaithGate 0.3.0 calibration golden set (100 hand-labelled English answers, MIT; "
          "audits/grounding/data/faithgate)")


@lru_cache(maxsize=1)
def _rows() -> tuple[dict, ...]:
    return tuple(json.loads(line) for line in DATA_FILE.read_text(encoding="utf-8").splitlines() if line.strip())


def rows() -> list[dict]:
    """Every row of the set (the detector was neither built nor tuned on any of them)."""
    return list(_rows())
