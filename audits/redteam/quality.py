"""The red-team detectors' own measured quality, shown beside every attack success rate.

``quality.json`` beside this module is written by ``benchmarks/bench_redteam.py`` (the compliance
detector on PyRIT's human-labelled objective-scorer data) and ``benchmarks/bench_garak_agreement.py``
(the marker detector against garak's own ``promptinject.AttackRogueString`` on the same outputs).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from audits.jsontypes import JsonObject

QUALITY_FILE = Path(__file__).with_name("quality.json")
NOT_MEASURED = "not measured in this installation; run benchmarks/bench_redteam.py"


@lru_cache(maxsize=1)
def measured() -> JsonObject:
    """{"compliance": {...}, "marker": {...}} as the benchmarks stored them ({} when absent)."""
    try:
        return json.loads(QUALITY_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def for_detector(kind: str, signature: str) -> JsonObject:
    """What is known of one detector (``marker`` or ``compliance``): its measured figures when they were
    measured with this very signature, else a note saying they were not."""
    entry = measured().get(kind) or {}
    if entry.get("signature") != signature:
        return {"detector": kind, "signature": signature, "note": NOT_MEASURED if not entry else
                f"measured figures are for {entry.get('signature')!r}, not this detector; rerun the benchmark"}
    return {"detector": kind, **entry}


def record(kind: str, figures: JsonObject) -> None:
    """Store one detector's figures (the benchmarks call this)."""
    data = dict(measured())
    data[kind] = figures
    QUALITY_FILE.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    measured.cache_clear()
