"""The jailbreak compliance detector's accuracy on PyRIT's human-labelled objective-scorer data.

    .venv/bin/python benchmarks/bench_redteam.py [--no-record]

Data: ``audits/datasets/data/redteam/scorer_evals_objective.jsonl`` (PyRIT 1.1.0
``scorer_evals/objective/*.csv``: an objective, a model response, and a person's verdict whether the
response achieved the objective; 395 rows). The detector (``audits.redteam.compliance``: refusal
patterns + the toxicity scanner's probability) was written before this data was read and is not tuned
on it. Reports balanced accuracy (percentile bootstrap, ``audits.stats.bootstrap_ci``), precision and
recall (exact Clopper-Pearson, ``audits.stats.clopper_pearson``), overall and per harm category, and
stores the figures in ``audits/redteam/quality.json`` so each run shows them beside the jailbreak rate.

Second source: ``benchmarks/data/pyrit_refusal/refusal.jsonl`` (PyRIT 1.1.0 ``scorer_evals/refusal_scorer/``,
169 human-labelled responses; a person's verdict whether the response refuses or does not address the
objective). Compliance is "not refused"; figures on all rows and on the rows whose response is not also in
the objective-scorer set. The detector was not tuned on it either.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audits.redteam import compliance, quality  # noqa: E402
from audits.scanners.toxicity import model_version, score_toxicity  # noqa: E402
from audits.stats import bootstrap_ci, clopper_pearson  # noqa: E402

DATA = ROOT / "audits" / "datasets" / "data" / "redteam" / "scorer_evals_objective.jsonl"
REFUSAL = ROOT / "benchmarks" / "data" / "pyrit_refusal" / "refusal.jsonl"
RESAMPLES, SEED = 2000, 20261205


class BalancedAccuracy:
    """Balanced accuracy from summed one-hot confusion rows [tp, fn, tn, fp]."""

    @staticmethod
    def aggregate(summed: np.ndarray) -> np.ndarray:
        s = np.asarray(summed, dtype=np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (s[..., 0] / (s[..., 0] + s[..., 1]) + s[..., 2] / (s[..., 2] + s[..., 3])) / 2


def figures(pred: np.ndarray, gold: np.ndarray) -> dict:
    """Confusion counts, balanced accuracy, precision and recall with their 95% intervals."""
    tp, fn = int(((pred == 1) & (gold == 1)).sum()), int(((pred == 0) & (gold == 1)).sum())
    tn, fp = int(((pred == 0) & (gold == 0)).sum()), int(((pred == 1) & (gold == 0)).sum())
    rows = np.stack([(pred == 1) & (gold == 1), (pred == 0) & (gold == 1), (pred == 0) & (gold == 0),
                     (pred == 1) & (gold == 0)], axis=1).astype(np.float64)
    bal = float(BalancedAccuracy.aggregate(rows.sum(axis=0)))
    bal_lo, bal_hi = bootstrap_ci(BalancedAccuracy, rows, n_resamples=RESAMPLES, seed=SEED)
    p_lo, p_hi = clopper_pearson(tp, tp + fp)
    r_lo, r_hi = clopper_pearson(tp, tp + fn)
    return {"n": int(len(gold)), "positives": int(gold.sum()), "tp": tp, "fp": fp, "tn": tn, "fn": fn,
            "balanced_accuracy": bal, "balanced_accuracy_ci": [float(bal_lo), float(bal_hi)],
            "precision": tp / (tp + fp) if tp + fp else None, "precision_ci": [float(p_lo), float(p_hi)],
            "recall": tp / (tp + fn) if tp + fn else None, "recall_ci": [float(r_lo), float(r_hi)]}


def second_source(objective_rows: list[dict]) -> dict:
    """The detector on PyRIT's refusal-scorer labels (compliance = not refused): all rows, and the rows whose
    response is not in the objective-scorer set."""
    rows = [json.loads(line) for line in REFUSAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [r["response"] for r in rows]
    pred, _ = compliance.complied(texts, score_toxicity(texts))
    gold = np.array([1 - r["refused"] for r in rows], dtype=np.int64)
    seen = {r["response"].strip()[:300] for r in objective_rows}
    new = np.array([r["response"].strip()[:300] not in seen for r in rows])
    return {"data": f"PyRIT 1.1.0 scorer_evals/refusal_scorer (human-labelled, {len(rows)} responses; "
                    "1 = not refused)", **figures(pred, gold),
            "not_in_objective_set": figures(pred[new], gold[new])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="do not write audits/redteam/quality.json")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = np.array([r["achieved"] for r in rows], dtype=np.int64)
    t0 = time.perf_counter()
    texts = [r["response"] for r in rows]
    tox = score_toxicity(texts)
    pred, why = compliance.complied(texts, tox)
    elapsed = time.perf_counter() - t0
    overall = figures(pred, gold)
    cats = sorted({r["category"] for r in rows})
    by_cat = {}
    for c in cats:
        m = np.array([r["category"] == c for r in rows])
        if m.sum() >= 20:
            by_cat[c] = figures(pred[m], gold[m])
    reasons = {w: int(sum(x == w for x in why)) for w in sorted(set(why))}
    second = second_source(rows)
    result = {"signature": compliance.SIGNATURE, "data": "PyRIT 1.1.0 scorer_evals/objective (human-labelled, "
              f"{len(rows)} responses; 1 = objective achieved)", "toxicity_model": model_version(),
              "interval": f"balanced accuracy: percentile bootstrap {RESAMPLES} resamples seed {SEED}; precision and "
              "recall: Clopper-Pearson 95%", **overall, "by_category": by_cat, "verdicts": reasons,
              "seconds": round(elapsed, 2), "second_source": second}
    print(json.dumps({k: v for k, v in result.items() if k not in ("by_category", "second_source")}, indent=1))
    fmt = lambda v, ci: f"{v:.3f} ({ci[0]:.3f}-{ci[1]:.3f})"  # noqa: E731
    print(f"\n| data | n | balanced accuracy | precision | recall |\n|---|---|---|---|---|\n"
          f"| all | {overall['n']} | {fmt(overall['balanced_accuracy'], overall['balanced_accuracy_ci'])} | "
          f"{fmt(overall['precision'], overall['precision_ci'])} | {fmt(overall['recall'], overall['recall_ci'])} |")
    for c, f in by_cat.items():
        print(f"| {c} | {f['n']} | {fmt(f['balanced_accuracy'], f['balanced_accuracy_ci'])} | "
              f"{fmt(f['precision'], f['precision_ci'])} | {fmt(f['recall'], f['recall_ci'])} |")
    for name, f in (("refusal labels, all", second), ("refusal labels, not in the objective set",
                                                       second["not_in_objective_set"])):
        print(f"| {name} | {f['n']} | {fmt(f['balanced_accuracy'], f['balanced_accuracy_ci'])} | "
              f"{fmt(f['precision'], f['precision_ci'])} | {fmt(f['recall'], f['recall_ci'])} |")
    if not args.no_record:
        quality.record("compliance", result)
        print(f"\nrecorded in {quality.QUALITY_FILE}")


if __name__ == "__main__":
    main()
