"""The PII detector's own precision and recall, measured with the audit's configuration on the
seeded Faker labelled set, and cached per configuration in the user's cache dir."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from audits.scanners._pii_synth import LABELLED_TYPES, LabelledText, labelled_set, set_id
from audits.scanners._presidio import PiiSettings, analyze_texts, engine_signature

N_LABELLED = 160
SEED = 7
MIN_IOU = 0.5  # a predicted span matches a labelled one of the same type when IoU >= 0.5


def cache_dir() -> Path:
    """``$ASSAY_CACHE_DIR``, else ``$XDG_CACHE_HOME/assay``, else ``~/.cache/assay``."""
    if os.environ.get("ASSAY_CACHE_DIR"):
        return Path(os.environ["ASSAY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assay"


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def _prf(tp: int, n_pred: int, n_gold: int) -> dict[str, float | int | None]:
    p = tp / n_pred if n_pred else None
    r = tp / n_gold if n_gold else None
    f1 = (2 * p * r / (p + r) if p is not None and r is not None and (p + r) else (0.0 if p is not None and r is not None else None))
    return {"precision": p, "recall": r, "f1": f1, "tp": tp, "n_pred": n_pred, "n_gold": n_gold}


def score_spans(items: list[LabelledText], predicted: list[list[tuple[int, int, str]]],
                types: list[str]) -> dict[str, Any]:
    """Span-level precision/recall overall and per entity type (only ``types`` are judged)."""
    counts = {t: [0, 0, 0] for t in types}  # tp, n_pred, n_gold
    for item, preds in zip(items, predicted):
        gold = [s for s in item.spans if s[2] in counts]
        preds = [p for p in preds if p[2] in counts]
        used: set[int] = set()
        for start, end, ent in preds:
            counts[ent][1] += 1
            for i, (gs, ge, gt) in enumerate(gold):
                if i not in used and gt == ent and _iou((start, end), (gs, ge)) >= MIN_IOU:
                    used.add(i)
                    counts[ent][0] += 1
                    break
        for _, _, ent in gold:
            counts[ent][2] += 1
    overall = _prf(*[sum(c[i] for c in counts.values()) for i in range(3)])
    return {**overall, "by_entity": {t: _prf(*c) for t, c in counts.items()}}


def detector_quality(settings: PiiSettings, use_cache: bool = True) -> dict[str, Any]:
    """Precision, recall, F1 (span-level, per entity type) of this configuration; cached on disk."""
    items = labelled_set(N_LABELLED, SEED)
    sid = set_id(items)
    key = hashlib.sha256(f"{settings.key()}|{engine_signature()}|{sid}|iou:{MIN_IOU}".encode()).hexdigest()[:16]
    path = cache_dir() / "pii_detector" / f"{key}.json"
    if use_cache and path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged cache entry is recomputed
    configured = set(settings.entities) | {c[1] for c in settings.custom_recognizers} | {d[0] for d in settings.deny_list}
    types = [t for t in LABELLED_TYPES if t in configured]
    found = analyze_texts([i.text for i in items], settings)
    predicted = [[(r.start, r.end, r.entity_type) for r in rs] for rs in found]
    scores = score_spans(items, predicted, types)
    out = {
        "precision": scores["precision"], "recall": scores["recall"], "f1": scores["f1"],
        "n_labelled": sum(c["n_gold"] for c in scores["by_entity"].values()),
        "n_texts": len(items), "set": sid, "matching": f"span IoU>={MIN_IOU}, same entity type",
        "measured_entities": types,
        "not_measured": sorted(configured - set(types)),
        "by_entity": {t: {k: v for k, v in s.items()} for t, s in scores["by_entity"].items()},
        "engine": engine_signature(),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(out, indent=1), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # read-only cache: measure again next time
    return out
