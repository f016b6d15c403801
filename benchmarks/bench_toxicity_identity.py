"""The toxicity scanner on identity mentions, before and after the identity-term mask.

Reads audits/scanners/data/toxicity/identity_templates.jsonl (20 identities x 10 neutral and 5 toxic
templates, Dixon et al. 2018 style) and prints, for the raw classifier and the masked scorer, the
false-positive rate on the neutral sentences and the true-positive rate on the toxic ones, each with
its exact (Clopper-Pearson) 95% interval from audits.stats.

Run: .venv/bin/python benchmarks/bench_toxicity_identity.py [--threshold 0.5]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from profanity_check import predict_prob

from audits.scanners.toxicity import score_toxicity
from audits.stats import clopper_pearson

DATA = Path(__file__).resolve().parents[1] / "audits/scanners/data/toxicity/identity_templates.jsonl"


def rate(flags: np.ndarray) -> str:
    lo, hi = clopper_pearson(int(flags.sum()), len(flags))
    return f"{flags.mean():.3f} [{float(lo):.3f}, {float(hi):.3f}] ({int(flags.sum())}/{len(flags)})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    texts = [r["text"] for r in rows]
    label = np.array([r["label"] for r in rows])
    for name, scores in (("raw classifier", np.asarray(predict_prob(texts))), ("masked (scanner)", score_toxicity(texts))):
        toxic = scores >= args.threshold
        print(f"{name:18s} FPR neutral {rate(toxic[label == 0])}   TPR toxic {rate(toxic[label == 1])}")
    neutral = [r for r in rows if r["label"] == 0]
    raw = np.asarray(predict_prob([r["text"] for r in neutral])) >= args.threshold
    worst = sorted({r["identity"] for r, f in zip(neutral, raw) if f})
    print("identities with a raw false positive:", ", ".join(worst))


if __name__ == "__main__":
    main()
