"""The groundedness detector's own quality on held-out, length-matched HaluEval, and its cost.

Held-out half of ``audits/datasets/data/halueval`` (the detector was trained on the tune half only;
items never straddle the halves). Per subset (QA, dialogue, summarisation): balanced accuracy,
AUROC, precision and recall for "unsupported" (hallucinated), each with its 95% interval
(``audits.stats.detection_quality``), and a *length-only* baseline (answer length, threshold chosen
on the tune half) to show that length matching removed HaluEval's giveaway. Rows the detector does
not score (abstained / not scorable) count as "supported" with score 0 (and are counted).

A second, independent source (``second_set`` in the block): FaithGate's hand-labelled golden set
(``audits/grounding/data/faithgate``, 100 English answers, MIT), the same four figures with intervals
and the accuracy of each of its categories.

Cost: ms per answer for the detector on the held-out QA answers (models warm), and an audit run
through the ``predictions`` backend on the same outputs with and without the scanner.

    python benchmarks/bench_groundedness.py [--embedding] [--write] [--timing] [--json out.json]
    python benchmarks/bench_groundedness.py --run-cost [--n 200] [--rounds 4] [--json out.json]

``--write`` stores the figures as the shipped detector's quality (audits/grounding/data/quality.json,
or quality-embedding.json with ``--embedding``),
which every groundedness result carries.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

import audits  # noqa: F401  (offline env)
from audits.grounding.classifier import load_detector
from audits.grounding.halueval import SUBSETS, rows
from audits.grounding.quality import quality_file, summarise_subsets
from audits.stats import detection_quality


def length_baseline(subset: str) -> dict:
    """Balanced accuracy and AUROC of answer length alone on held-out (threshold tuned on tune)."""
    tune, held = rows(subset, "tune"), rows(subset, "heldout")
    lt = np.array([len(r["answer"]) for r in tune])
    yt = np.array([r["hallucinated"] for r in tune])
    best = max(((t, s) for t in np.unique(lt) for s in (1, -1)),
               key=lambda ts: 0.5 * (np.mean((ts[1] * lt >= ts[1] * ts[0])[yt == 1]) +
                                     np.mean((ts[1] * lt < ts[1] * ts[0])[yt == 0])))
    lh = np.array([len(r["answer"]) for r in held])
    yh = np.array([r["hallucinated"] for r in held])
    pred = (best[1] * lh >= best[1] * best[0]).astype(int)
    q = detection_quality(yh, best[1] * lh, pred, seed=1)
    return {k: q[k] for k in ("balanced_accuracy", "balanced_accuracy_ci", "auroc", "auroc_ci", "n")} | {
        "mean_chars_right": round(float(lh[yh == 0].mean()), 1), "mean_chars_hallucinated": round(float(lh[yh == 1].mean()), 1)}


def verdict_quality(verdicts: list, labels: list[int]) -> dict:
    """Quality of verdicts against their labels (1 = hallucinated): ``detection_quality`` with rows not
    scored (abstained / not scorable) as "supported" with score 0, and counted in ``not_scored``."""
    y = np.array(labels)
    score = np.array([v.score if v.score is not None else 0.0 for v in verdicts])
    pred = np.array([1 if v.hallucination == 1.0 else 0 for v in verdicts])
    q = detection_quality(y, score, pred, seed=0)
    q["not_scored"] = int(sum(not v.scorable for v in verdicts))
    return q


def timed_quality(score: Callable[[list[dict]], list], held: list[dict]) -> tuple[dict, float]:
    """(``verdict_quality`` of ``score`` on the HaluEval rows ``held`` with ``ms_per_answer``, seconds):
    ``score`` turns rows into verdicts; one row is scored first, untimed, so models are loaded and warm.
    Shared with ``bench_groundedness_scorer.py``, so every scorer is measured the same way."""
    score(held[:1])
    t0 = time.perf_counter()
    verdicts = score(held)
    seconds = time.perf_counter() - t0
    q = verdict_quality(verdicts, [r["hallucinated"] for r in held])
    q["ms_per_answer"] = round(1000 * seconds / len(held), 2)
    return q, seconds


def measure(subset: str, embedding: bool) -> tuple[dict, float]:
    """(quality on the held-out half, detector seconds)."""
    detector = load_detector(embedding=embedding)
    return timed_quality(lambda rs: detector.score([r["answer"] for r in rs], [r["knowledge"] for r in rs],
                                                   [r["question"] for r in rs]), rows(subset, "heldout"))


def second_set(embedding: bool) -> dict:
    """Quality on the second, independent labelled set (FaithGate's hand-labelled golden set; the
    detector was neither built nor tuned on it), with the accuracy of each of its categories."""
    from audits.grounding import faithgate

    data = faithgate.rows()
    verdicts = load_detector(embedding=embedding).score([r["answer"] for r in data], [r["context"] for r in data],
                                                        [r["question"] for r in data])
    q = verdict_quality(verdicts, [r["hallucinated"] for r in data])
    y, pred = np.array([r["hallucinated"] for r in data]), np.array([v.hallucination == 1.0 for v in verdicts])
    cats = [r["category"] for r in data]
    q["by_category"] = {c: {"n": int(sum(k == c for k in cats)),
                            "accuracy": round(float(np.mean([p == t for p, t, k in zip(pred, y, cats) if k == c])), 4)}
                        for c in sorted(set(cats))}
    return {"set": faithgate.SOURCE, **q}


SCENARIOS = ("distinct", "in-prompt", "shared", "builtin")


@contextlib.contextmanager
def _redaction_before():
    """Redaction at rest as before this work: each call analyses its texts afresh (no per-run span cache),
    and a context that stands whole in the prompt is analysed again."""
    from audits.trust import _pseudonyms as redact  # Redactor (re-exported there) and the in-prompt floor

    cached, floor = redact.Redactor.spans, redact._INSIDE_MIN_CHARS

    def spans(self, texts):  # type: ignore[no-untyped-def]
        self._seen = {}
        return cached(self, texts)

    redact.Redactor.spans, redact._INSIDE_MIN_CHARS = spans, 10 ** 12  # type: ignore[method-assign]
    try:
        yield
    finally:
        redact.Redactor.spans, redact._INSIDE_MIN_CHARS = cached, floor  # type: ignore[method-assign]


def audit_timing(n: int = 200, rounds: int = 4, scenario: str = "distinct", compare_cache: bool = False) -> dict:
    """Seconds of a predictions-backend audit of HaluEval QA with and without the scanner (same outputs,
    half of them hallucinated), alternating, the first round untimed (it loads every model); medians.

    ``scenario``: ``distinct`` (a user dataset, one knowledge passage per question, the prompt is the
    question alone: every context is redacted at rest), ``in-prompt`` (the same, the passage in the
    prompt as a grounded model needs it: the context stands whole in the input, whose findings cover
    it), ``shared`` (a user dataset whose n questions share 10 passages, like a policy
    page: each distinct context is analysed once), ``builtin`` (the built-in ``halueval-qa``, declared
    without personal data: its contexts are kept as published). ``compare_cache``: also time the run
    with the scanner on redaction as before this work (``_redaction_before``), in the same alternation."""
    import yaml

    from audits.config import load_config
    from audits.runner import run_audit
    from audits.store.catalog import Catalog

    everything = rows("qa")
    held = [r for r in everything if r["hallucinated"] == 0][:n]
    hall = {r["item"]: r["answer"] for r in everything if r["hallucinated"] == 1}
    right = {r["item"]: r["answer"] for r in everything if r["hallucinated"] == 0}
    if scenario == "shared":
        passages = [r["knowledge"] for r in held[:10]]
        held = [dict(r, knowledge=passages[i % 10]) for i, r in enumerate(held)]
    out: dict = {"scenario": scenario}
    labels = ("without", "with") + (("with_before",) if compare_cache else ())
    prompt = "{knowledge}\n{question}" if scenario == "in-prompt" else "{question}"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        preds = tmp / "preds.jsonl"
        items = sorted(right) if scenario == "builtin" else [r["item"] for r in held]
        preds.write_text("".join(json.dumps({"id": item, "prediction": hall.get(item, right[item]) if i % 2
                                             else right[item]}) + "\n" for i, item in enumerate(items)),
                         encoding="utf-8")
        data = tmp / "qa.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in held), encoding="utf-8")
        for label in labels:
            dataset = {"builtin": "halueval-qa"} if scenario == "builtin" else {"path": str(data)}
            task = {"name": "qa", "type": "generate", "dataset": dataset, "prompt": prompt,
                    "fields": {"id": "item", "reference": "right_answer"}, "metrics": ["token_f1"]}
            if scenario == "builtin":
                task["limit"] = n
            if label != "without":
                task["context"] = "knowledge"
            cfg = {"name": f"bench-{label}", "period": "2026-Q4", "bootstrap": 200,
                   "model": {"backend": "predictions", "path": str(preds)}, "tasks": [task]}
            (tmp / f"{label}.yaml").write_text(yaml.safe_dump(cfg), encoding="utf-8")
        cat = Catalog(tmp / "bench.duckdb")
        for r in range(rounds):
            for label in labels:
                with _redaction_before() if label == "with_before" else contextlib.nullcontext():
                    t0 = time.perf_counter()
                    run_id = run_audit(load_config(tmp / f"{label}.yaml"), cat)
                    seconds = time.perf_counter() - t0
                manifest = json.loads((cat.runs_dir / run_id / "manifest.json").read_text(encoding="utf-8"))
                if r:
                    out.setdefault(f"{label}_s", []).append(round(seconds, 3))
                    out.setdefault(f"{label}_evaluate_s", []).append(manifest["timings"]["qa.evaluate_s"])
    out["n"] = n
    med = lambda k: float(np.median(out[k]))  # noqa: E731
    for label in labels[1:]:
        suffix = "" if label == "with" else "_before"
        out[f"added_ms_per_answer{suffix}"] = round(1000 * (med(f"{label}_s") - med("without_s")) / n, 2)
        out[f"added_evaluate_ms_per_answer{suffix}"] = round(
            1000 * (med(f"{label}_evaluate_s") - med("without_evaluate_s")) / n, 2)
    return out


def run_cost(n: int, rounds: int) -> dict:
    """``audit_timing`` for every scenario, with redaction as before in the same alternation."""
    return {scenario: audit_timing(n, rounds, scenario, compare_cache=True) for scenario in SCENARIOS}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--embedding", action="store_true", help="measure the detector with MiniLM alignment")
    ap.add_argument("--write", action="store_true", help="store as the shipped detector's quality")
    ap.add_argument("--timing", action="store_true", help="also time an audit with and without the scanner")
    ap.add_argument("--run-cost", action="store_true",
                    help="only the run cost: audits with / without the scanner (and with redaction as before) "
                         "on distinct, in-prompt, shared and built-in contexts, alternating rounds")
    ap.add_argument("--n", type=int, default=200, help="answers per run for --run-cost")
    ap.add_argument("--rounds", type=int, default=4, help="rounds for --run-cost (the first is untimed)")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if args.run_cost:
        figures = run_cost(args.n, args.rounds)
        for scenario, f in figures.items():
            print(f"{scenario:9s} n={f['n']}: scanner adds {f['added_ms_per_answer']} ms/answer "
                  f"(redaction as before: {f['added_ms_per_answer_before']}); evaluate stage "
                  f"{f['added_evaluate_ms_per_answer']} ms/answer; runs without {f['without_s']} s, "
                  f"with {f['with_s']} s, before {f['with_before_s']} s", flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
        return
    detector = load_detector(embedding=args.embedding)
    by_subset, cost = {}, {}
    for subset in SUBSETS:
        q, seconds = measure(subset, args.embedding)
        q["length_only_baseline"] = length_baseline(subset)
        by_subset[subset] = q
        cost[subset] = q["ms_per_answer"]
        print(f"{subset:14s} bal.acc {q['balanced_accuracy']:.3f} {q['balanced_accuracy_ci']}  "
              f"AUROC {q['auroc']:.3f} {q['auroc_ci']}  precision {q['precision']} {q['precision_ci']}  "
              f"recall {q['recall']} {q['recall_ci']}  n={q['n']}  {q['ms_per_answer']} ms/answer  | length only: "
              f"bal.acc {q['length_only_baseline']['balanced_accuracy']} AUROC {q['length_only_baseline']['auroc']}",
              flush=True)
    block = summarise_subsets(by_subset)
    block["second_set"] = second_set(args.embedding)
    q = block["second_set"]
    print(f"second source  bal.acc {q['balanced_accuracy']:.3f} {q['balanced_accuracy_ci']}  AUROC {q['auroc']:.3f} "
          f"{q['auroc_ci']}  precision {q['precision']} {q['precision_ci']}  recall {q['recall']} {q['recall_ci']}  "
          f"n={q['n']}  ({q['set']})", flush=True)
    block.update({"detector_version": detector.version, "detector_sha256": detector.sha256,
                  "detector_signature": detector.signature(),
                  "set": "held-out half of audits/datasets/data/halueval (length-matched HaluEval, MIT)",
                  "interval": by_subset["qa"]["interval"],
                  "measured_with": "python benchmarks/bench_groundedness.py" + (" --embedding" if args.embedding else ""),
                  "machine": f"{platform.machine()}, {os.cpu_count()} CPUs"})
    if args.write:
        quality_file(args.embedding).write_text(json.dumps(block, indent=1) + "\n", encoding="utf-8")
        print("wrote", quality_file(args.embedding))
    if args.timing:
        block["audit_timing"] = audit_timing()
        print("audit with / without the scanner:", block["audit_timing"])
    if args.json:
        Path(args.json).write_text(json.dumps(block, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
