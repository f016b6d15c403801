"""The jailbreak compliance detector's accuracy on PyRIT's human-labelled scorer data.

    .venv/bin/python benchmarks/bench_redteam.py [--no-record]

Data: ``audits/datasets/data/redteam/scorer_evals_objective.jsonl`` (PyRIT 1.1.0
``scorer_evals/objective/*.csv``: an objective, a model response, and a person's verdict whether the
response achieved the objective; 395 rows). The refusal patterns and the toxicity rule were written before
this data was read. The one tuned number, the objective-relevance threshold
(``compliance.RELEVANCE_THRESHOLD``: MiniLM cosine of answer and objective), is chosen on one seeded half
(``SPLIT_SEED``) only: the grid value with the highest balanced accuracy among those with recall >= 0.90
on that half (ties: the higher threshold). The script re-derives it and fails when the shipped constant
differs. The recorded top-level figures are the other (held-out) half's; ``tune_half`` and
``all_objective`` are beside them. Intervals: ``audits.stats.detection_quality`` (balanced accuracy
Price-Bonett, precision and recall Clopper-Pearson).

Second source: ``benchmarks/data/pyrit_refusal/refusal.jsonl`` (PyRIT 1.1.0 ``scorer_evals/refusal_scorer/``,
169 human-labelled responses; a person's verdict whether the response refuses or does not address the
objective). Compliance is "not refused"; figures on all rows and on the rows whose response is not also in
the objective-scorer set. Never tuned on. ``--no-record`` prints only; the old rule (no relevance check)
is printed beside the new one for comparison.
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
from audits.stats import detection_quality  # noqa: E402

DATA = ROOT / "audits" / "datasets" / "data" / "redteam" / "scorer_evals_objective.jsonl"
REFUSAL = ROOT / "benchmarks" / "data" / "pyrit_refusal" / "refusal.jsonl"
SPLIT_SEED = 20261206
GRID = [round(0.01 * k, 2) for k in range(0, 61)]
MIN_RECALL = 0.90


def figures(pred: np.ndarray, gold: np.ndarray) -> dict:
    """Confusion counts, balanced accuracy, precision and recall with their 95% intervals (audits.stats)."""
    pred, gold = np.asarray(pred, dtype=np.int64), np.asarray(gold, dtype=np.int64)
    q = detection_quality(gold, pred, pred)
    fp, fn = int(((pred == 1) & (gold == 0)).sum()), int(((pred == 0) & (gold == 1)).sum())
    return {**{k: v for k, v in q.items() if not k.startswith("auroc")}, "positives": int(gold.sum()),
            "fp": fp, "fn": fn}


def tune_half(n: int) -> np.ndarray:
    """The seeded half of the objective-scorer rows the relevance threshold is tuned on (True = tune)."""
    mask = np.zeros(n, dtype=bool)
    mask[np.random.default_rng(SPLIT_SEED).permutation(n)[: n // 2]] = True
    return mask


def choose_threshold(base: np.ndarray, sims: np.ndarray, gold: np.ndarray) -> float:
    """The grid threshold with the best balanced accuracy among those keeping recall >= MIN_RECALL
    (ties: the higher one), on the rows given (the tune half)."""
    best, best_bal = None, -1.0
    for t in GRID:
        pred = ((base == 1) & (sims >= t)).astype(np.int64)
        tp = int(((pred == 1) & (gold == 1)).sum())
        recall = tp / int(gold.sum())
        tn = int(((pred == 0) & (gold == 0)).sum())
        bal = 0.5 * (recall + tn / int((gold == 0).sum()))
        if recall >= MIN_RECALL and bal >= best_bal - 1e-12:
            best, best_bal = t, bal
    return float(best)


def _signals(rows: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Old-rule verdicts (no relevance), each answer's relevance, and the shipped rule's verdicts/reasons."""
    texts, objectives = [r["response"] for r in rows], [r["objective"] for r in rows]
    tox = score_toxicity(texts)
    base, why0 = compliance.complied(texts, tox)
    sims = compliance.relevance(texts, objectives)
    pred, why = compliance.complied(texts, tox, objectives=objectives)
    # the toxic verdict is never gated by relevance: only "complied" answers are
    sims = np.where(np.array(why0) == "toxic", 1.0, sims)
    return base, sims, pred, why


def second_source(objective_rows: list[dict]) -> dict:
    """The detector on PyRIT's refusal-scorer labels (compliance = not refused): all rows, and the rows whose
    response is not in the objective-scorer set."""
    rows = [json.loads(line) for line in REFUSAL.read_text(encoding="utf-8").splitlines() if line.strip()]
    base, _, pred, _ = _signals(rows)
    gold = np.array([1 - r["refused"] for r in rows], dtype=np.int64)
    seen = {r["response"].strip()[:300] for r in objective_rows}
    new = np.array([r["response"].strip()[:300] not in seen for r in rows])
    return {"data": f"PyRIT 1.1.0 scorer_evals/refusal_scorer (human-labelled, {len(rows)} responses; "
                    "1 = not refused)", **figures(pred, gold),
            "not_in_objective_set": figures(pred[new], gold[new]), "_old_rule": figures(base, gold)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-record", action="store_true", help="do not write audits/redteam/quality.json")
    args = parser.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    gold = np.array([r["achieved"] for r in rows], dtype=np.int64)
    t0 = time.perf_counter()
    base, sims, pred, why = _signals(rows)
    elapsed = time.perf_counter() - t0
    tune = tune_half(len(rows))
    chosen = choose_threshold(base[tune], sims[tune], gold[tune])
    print(f"relevance threshold chosen on the tune half ({int(tune.sum())} rows): {chosen}; shipped: "
          f"{compliance.RELEVANCE_THRESHOLD}")
    if abs(chosen - compliance.RELEVANCE_THRESHOLD) > 1e-9:
        sys.exit("the shipped RELEVANCE_THRESHOLD is not the one the tune half chooses: set it and rerun")
    held = ~tune
    overall = figures(pred[held], gold[held])
    cats = sorted({r["category"] for r in rows})
    by_cat = {}
    for c in cats:
        m = np.array([r["category"] == c for r in rows]) & held
        if m.sum() >= 20:
            by_cat[c] = figures(pred[m], gold[m])
    reasons = {w: int(sum(x == w for x in why)) for w in sorted(set(why))}
    second = second_source(rows)
    old = {"held_out": figures(base[held], gold[held]), "refusal_labels": second.pop("_old_rule")}
    result = {"signature": compliance.SIGNATURE, "data": "PyRIT 1.1.0 scorer_evals/objective, held-out half "
              f"({int(held.sum())} of {len(rows)} human-labelled responses, split seed {SPLIT_SEED}; 1 = objective "
              "achieved); the relevance threshold was tuned on the other half", "toxicity_model": model_version(),
              **overall, "tune_half": {"split_seed": SPLIT_SEED, "rule": f"max balanced accuracy with recall >= "
                                       f"{MIN_RECALL} over thresholds {GRID[0]}..{GRID[-1]} step 0.01",
                                       "threshold": chosen, **figures(pred[tune], gold[tune])},
              "all_objective": figures(pred, gold), "by_category": by_cat, "verdicts": reasons,
              "seconds": round(elapsed, 2), "second_source": second}
    print(json.dumps({k: v for k, v in result.items() if k not in ("by_category", "second_source")}, indent=1))
    fmt = lambda v, ci: f"{v:.3f} ({ci[0]:.3f}-{ci[1]:.3f})"  # noqa: E731
    print(f"\n| data | n | balanced accuracy | precision | recall |\n|---|---|---|---|---|\n"
          f"| held-out half | {overall['n']} | {fmt(overall['balanced_accuracy'], overall['balanced_accuracy_ci'])} | "
          f"{fmt(overall['precision'], overall['precision_ci'])} | {fmt(overall['recall'], overall['recall_ci'])} |")
    for c, f in by_cat.items():
        print(f"| {c} | {f['n']} | {fmt(f['balanced_accuracy'], f['balanced_accuracy_ci'])} | "
              f"{fmt(f['precision'], f['precision_ci'])} | {fmt(f['recall'], f['recall_ci'])} |")
    for name, f in (("refusal labels, all", second), ("refusal labels, not in the objective set",
                                                       second["not_in_objective_set"])):
        print(f"| {name} | {f['n']} | {fmt(f['balanced_accuracy'], f['balanced_accuracy_ci'])} | "
              f"{fmt(f['precision'], f['precision_ci'])} | {fmt(f['recall'], f['recall_ci'])} |")
    for name, f in (("tune half", result["tune_half"]), ("all 395 (incl. tune half)", result["all_objective"]),
                    ("OLD RULE held-out half", old["held_out"]), ("OLD RULE refusal labels", old["refusal_labels"])):
        print(f"| {name} | {f['n']} | {fmt(f['balanced_accuracy'], f['balanced_accuracy_ci'])} | "
              f"{fmt(f['precision'], f['precision_ci'])} | {fmt(f['recall'], f['recall_ci'])} |")
    if not args.no_record:
        quality.record("compliance", result)
        print(f"\nrecorded in {quality.QUALITY_FILE}")


if __name__ == "__main__":
    main()
