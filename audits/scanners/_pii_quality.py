"""The PII detector's own precision and recall, measured with the audit's configuration on two
labelled sets, each named by its source: the held-out split of the independent labelled set
(``_pii_eval``: presidio-evaluator's generator and hand-written support-chat texts, never Assay's
Faker templates), and beside it, under ``second_set``, a second independent set from another
generator that nothing was tuned on (``data/pii_eval_faker``: Faker with Assay-written templates and
unlabelled hard negatives). Per entity, with exact (Clopper-Pearson) 95% intervals; cached per
configuration in the user's cache dir.

An entity whose measured recall is below the profile's ``recall_targets`` is flagged
(``below_target``), so a "0 leaks" beside it is read for what it is."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Required, TypedDict

from audits.atomic_files import write_atomic
from audits.jsontypes import JsonObject
from audits.scanners._pii_eval import JUDGED_TYPES, SECOND_SET, SET_FILES, labelled, second_set, set_id
from audits.scanners._presidio import PiiSettings, analyze_texts, engine_signature
from audits.stats import clopper_pearson

SPLIT = "heldout"
SECOND_SOURCE = ("second independent set: Faker sentences from Assay-written templates with unlabelled hard "
                 "negatives, never tuned on (audits/scanners/data/pii_eval_faker)")
CONFIDENCE = 0.95
MIN_IOU = 0.5  # a predicted span matches a labelled one of the same type when IoU >= 0.5


def cache_dir() -> Path:
    """``$ASSAY_CACHE_DIR``, else ``$XDG_CACHE_HOME/assay``, else ``~/.cache/assay``."""
    if os.environ.get("ASSAY_CACHE_DIR"):
        return Path(os.environ["ASSAY_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assay"


# the modules whose code decides what the detector finds: a change to any of them is another detector
DETECTOR_CODE = ("_presidio.py", "_pii_recognizers.py", "_pii_patterns.py", "_pii_profile.py", "_pii_eval.py",
                 "_pii_quality.py")


def detector_code_sha256(folder: Path | None = None) -> str:
    """SHA-256 over the detector's own source files (:data:`DETECTOR_CODE` in ``folder``, default this package):
    part of the quality cache's key, so figures measured by an earlier recognizer (an upgrade, a fix) are never
    shown beside this one's findings."""
    h = hashlib.sha256()
    for name in DETECTOR_CODE:
        h.update(name.encode() + b"\0" + ((folder or Path(__file__).parent) / name).read_bytes())
    return h.hexdigest()


def _iou(a: tuple[int, int], b: tuple[int, int]) -> float:
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def f_beta(p: float | None, r: float | None, beta: float) -> float | None:
    if p is None or r is None:
        return None
    return (1 + beta ** 2) * p * r / (beta ** 2 * p + r) if (p + r) else 0.0


class SpanCounts(TypedDict, total=False):
    """Span-level figures of one entity type (or all of them): precision, recall, F1, F2 (None with nothing
    to divide by) and the counts; :func:`with_intervals` adds the intervals, :func:`detector_quality` the
    recall target."""

    precision: Required[float | None]
    recall: Required[float | None]
    f1: Required[float | None]
    f2: Required[float | None]
    tp: Required[int]
    n_pred: Required[int]
    n_gold: Required[int]
    precision_ci: list[float] | None
    recall_ci: list[float] | None
    recall_target: float | None
    below_target: bool


class SpanScores(SpanCounts, total=False):
    """:func:`score_spans`: the overall figures and each judged entity type's."""

    by_entity: Required[dict[str, SpanCounts]]


class SetQuality(TypedDict):
    """One labelled set's block in the detector's quality: overall figures with intervals, per entity, and
    the set's name (with its content hash) and source."""

    precision: float | None
    recall: float | None
    f1: float | None
    f2: float | None
    precision_ci: list[float] | None
    recall_ci: list[float] | None
    n_labelled: int
    n_texts: int
    set: str
    set_sources: str
    by_entity: dict[str, SpanCounts]


def _prf(tp: int, n_pred: int, n_gold: int) -> SpanCounts:
    p = tp / n_pred if n_pred else None
    r = tp / n_gold if n_gold else None
    return SpanCounts(precision=p, recall=r, f1=f_beta(p, r, 1.0), f2=f_beta(p, r, 2.0), tp=tp, n_pred=n_pred,
                      n_gold=n_gold)


def with_intervals(stats: SpanCounts) -> SpanCounts:
    """Adds exact Clopper-Pearson intervals for precision (tp of n_pred) and recall (tp of n_gold)."""
    out = stats.copy()
    for name, n in (("precision", stats["n_pred"]), ("recall", stats["n_gold"])):
        low, high = clopper_pearson(stats["tp"], n, CONFIDENCE) if n else (float("nan"), float("nan"))
        out[f"{name}_ci"] = [round(float(low), 4), round(float(high), 4)] if n else None
    return out


def score_spans(items: list, predicted: list[list[tuple[int, int, str]]], types: list[str] | tuple[str, ...]
                ) -> SpanScores:
    """Span-level precision/recall overall and per entity type (only ``types`` are judged).

    A prediction matches an unused labelled span of the same type with IoU >= ``MIN_IOU``. A labelled
    span of a type outside ``types`` (e.g. STREET_ADDRESS) is a "don't care" region: a prediction
    overlapping one is neither a hit nor a false positive. Counts are (tp, n_pred, n_gold)."""
    counts = {t: [0, 0, 0] for t in types}  # tp, n_pred, n_gold
    for item, preds in zip(items, predicted):
        gold = [s for s in item.spans if s[2] in counts]
        ignore = [s for s in item.spans if s[2] not in counts]
        preds = [p for p in preds if p[2] in counts]
        used: set[int] = set()
        for start, end, ent in preds:
            hit = next((i for i, (gs, ge, gt) in enumerate(gold)
                        if i not in used and gt == ent and _iou((start, end), (gs, ge)) >= MIN_IOU), None)
            if hit is not None:
                used.add(hit)
                counts[ent][0] += 1
                counts[ent][1] += 1
            elif not any(start < ie and is_ < end for is_, ie, _ in ignore):
                counts[ent][1] += 1
        for _, _, ent in gold:
            counts[ent][2] += 1
    overall = _prf(*[sum(c[i] for c in counts.values()) for i in range(3)])
    return SpanScores(**overall, by_entity={t: _prf(*c) for t, c in counts.items()})


def _set_block(items: list, predicted: list[list[tuple[int, int, str]]], types: list[str], sid: str,
               sources: str) -> SetQuality:
    """One labelled set's precision/recall overall and per entity, with intervals, named by its source."""
    scores = score_spans(items, predicted, types)
    overall = with_intervals(scores)
    return SetQuality(precision=scores["precision"], recall=scores["recall"], f1=scores["f1"], f2=scores["f2"],
                      precision_ci=overall["precision_ci"], recall_ci=overall["recall_ci"],
                      n_labelled=sum(c["n_gold"] for c in scores["by_entity"].values()), n_texts=len(items),
                      set=sid, set_sources=sources,
                      by_entity={t: with_intervals(s) for t, s in scores["by_entity"].items()})


def second_set_id(items: list) -> str:
    """'pii-eval-faker:all:<hash>': the second set's name and content hash."""
    return "pii-eval-faker:all:" + set_id(items, "all").rsplit(":", 1)[-1]


def cache_path(settings: PiiSettings, items: list | None = None, other: list | None = None,
               code_sha256: str | None = None) -> Path:
    """Where the figures of this configuration, engine, labelled sets and detector code are cached."""
    items = labelled(SPLIT) if items is None else items
    other = (second_set() if SECOND_SET.exists() else []) if other is None else other
    other_id = second_set_id(other) if other else "none"
    code = code_sha256 or detector_code_sha256()
    key = hashlib.sha256(f"{settings.key()}|{engine_signature(settings.detection_profile)}|{set_id(items, SPLIT)}|"
                         f"{other_id}|iou:{MIN_IOU}|code:{code}".encode()).hexdigest()[:16]
    return cache_dir() / "pii_detector" / f"{key}.json"


def detector_quality(settings: PiiSettings, use_cache: bool = True) -> JsonObject:
    """Precision, recall, F1/F2 (span-level, per entity type, with 95% intervals) of this
    configuration on the held-out independent set (top level; entities below their recall target
    are listed in ``below_target``) and on the second independent set (``second_set``, same
    shape). Cached on disk per configuration, engine, sets and the detector's code."""
    items = labelled(SPLIT)
    sid = set_id(items, SPLIT)
    other = second_set() if SECOND_SET.exists() else []
    other_id = second_set_id(other) if other else "none"
    profile = settings.detection_profile
    engine = engine_signature(profile)
    path = cache_path(settings, items, other)
    if use_cache and path.exists():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass  # a damaged cache entry is recomputed
    configured = set(settings.entities) | {c[1] for c in settings.custom_recognizers} | {d[0] for d in settings.deny_list}
    types = [t for t in JUDGED_TYPES if t in configured]
    found = analyze_texts([i.text for i in items] + [i.text for i in other], settings)   # one batched pass
    predicted = [[(r.start, r.end, r.entity_type) for r in rs] for rs in found]
    held = _set_block(items, predicted[:len(items)], types, sid,
                      f"held-out split of {' + '.join(SET_FILES)} (audits/scanners/data/pii_eval)")
    by_entity = held["by_entity"]
    targets = {t: profile.recall_targets[t] for t in types if t in profile.recall_targets}
    below = [t for t, target in targets.items() if by_entity[t]["recall"] is not None and by_entity[t]["recall"] < target]
    for t, stats in by_entity.items():
        stats["recall_target"] = targets.get(t)
        stats["below_target"] = t in below
    out = {
        **{k: held[k] for k in ("precision", "recall", "f1", "f2", "precision_ci", "recall_ci", "n_labelled",
                                "n_texts", "set", "set_sources")},
        "matching": f"span IoU>={MIN_IOU}, same entity type; labelled non-judged types are don't-care regions",
        "interval": f"Clopper-Pearson {CONFIDENCE:.0%}",
        "measured_entities": types,
        "not_measured": sorted(configured - set(types)),
        "by_entity": by_entity,
        "recall_by_entity": {t: s["recall"] for t, s in by_entity.items()},
        "recall_low_by_entity": {t: (s["recall_ci"] or [None])[0] for t, s in by_entity.items()},
        "below_target": below,
        "engine": engine,
    }
    if other:
        out["second_set"] = _set_block(other, predicted[len(items):], types, other_id, SECOND_SOURCE)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(out, indent=1))
    except OSError:
        pass  # read-only cache: measure again next time
    return out
