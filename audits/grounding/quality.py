"""The groundedness detector's own measured quality, carried beside every groundedness result.

Measured by ``benchmarks/bench_groundedness.py`` on the *held-out* half of the committed,
length-matched HaluEval sample (the detector was trained on the tune half only) and stored in
``data/quality.json`` with the SHA-256 of the detector it measured. Per subset (QA, dialogue,
summarisation): balanced accuracy, AUROC, precision and recall for "unsupported", each with its
interval (``audits.stats.detection_quality``), and ``below_target`` where balanced accuracy is under
its target. The top-level figures are the *lowest* subset's (a policy reading
``groundedness.detector.balanced_accuracy`` gets the weakest case, with its interval). When the
shipped detector's hash differs from the one measured, the block says ``stale``. ``second_set``
holds the same figures on a second, independent labelled set (FaithGate's hand-labelled golden set,
``audits/grounding/data/faithgate``), outside the per-subset targets.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from audits.grounding.classifier import load_detector
from audits.jsontypes import JsonObject

QUALITY_FILE = Path(__file__).with_name("data") / "quality.json"
EMBEDDING_QUALITY_FILE = Path(__file__).with_name("data") / "quality-embedding.json"


def quality_file(embedding: bool = False) -> Path:
    """Where the measured quality of the default (or the embedding) detector is stored."""
    return EMBEDDING_QUALITY_FILE if embedding else QUALITY_FILE
TARGETS = {"qa": 0.85, "dialogue": 0.70, "summarization": 0.70}


def summarise_subsets(by_subset: dict[str, JsonObject]) -> JsonObject:
    """The block: per subset with targets, and the lowest subset's figures at the top level."""
    marked: dict[str, JsonObject] = {}
    for subset, q in by_subset.items():
        target = TARGETS.get(subset)
        marked[subset] = {**q, "target": target,
                          "below_target": bool(target is not None and (q["balanced_accuracy"] or 0) < target)}
    worst = min(by_subset, key=lambda s: by_subset[s]["balanced_accuracy"] or 0.0)
    w = by_subset[worst]
    return {"by_subset": marked, "subset": worst,
            **{k: w[k] for k in ("balanced_accuracy", "balanced_accuracy_ci", "auroc", "auroc_ci",
                                 "precision", "precision_ci", "recall", "recall_ci", "n")},
            "below_target": sorted(s for s, q in marked.items() if q["below_target"])}


@lru_cache(maxsize=2)
def detector_quality(embedding: bool = False) -> JsonObject:
    """The stored held-out quality of the shipped detector (``stale`` when it measured another one)."""
    detector = load_detector(embedding=embedding)
    path = quality_file(embedding)
    if not path.exists():
        return {"measured": False, "note": "run benchmarks/bench_groundedness.py --write to measure the detector"}
    stored = json.loads(path.read_text(encoding="utf-8"))
    stored["measured"] = True
    stored["stale"] = (stored.get("detector_sha256") != detector.sha256
                       or stored.get("detector_signature", detector.signature()) != detector.signature())
    return stored
