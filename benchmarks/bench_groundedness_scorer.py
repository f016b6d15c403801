"""Any groundedness scorer's own quality on held-out, length-matched HaluEval (``scanners.groundedness.scorer``).

The shipped quality (``audits/grounding/data/quality.json``) is the built-in detector's. With
``scorer: nli`` or ``scorer: judge`` a run says the scorer's quality is not measured; this measures
it on the same held-out half, the same way as ``bench_groundedness.py`` (per subset: balanced
accuracy, AUROC, precision and recall for "unsupported", each with its 95% interval from
``audits.stats.detection_quality``; rows the scorer does not score count as "supported" with score
0, and are counted), through the scorer interface a run uses.

    python benchmarks/bench_groundedness_scorer.py --scorer nli --nli-path DIR [--threshold 0.5]
    python benchmarks/bench_groundedness_scorer.py --scorer judge --judge-base-url URL --judge-model M
    python benchmarks/bench_groundedness_scorer.py --scorer builtin [--subset qa] [--limit 100] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import platform
from typing import Any

import audits  # noqa: F401  (offline env)
from audits.grounding.halueval import SUBSETS, rows
from audits.grounding.quality import summarise_subsets
from audits.grounding.scorers import build_scorer
from audits.scanners.groundedness import GroundednessOptions, GroundednessScanner
from bench_groundedness import timed_quality  # the same measurement as the built-in detector's


def options(args: argparse.Namespace) -> GroundednessOptions:
    """The ``scanners.groundedness`` options the command line describes (checked as a config is)."""
    raw: dict[str, Any] = {"scorer": args.scorer}
    if args.scorer == "nli":
        raw["nli"] = {"path": args.nli_path or "", "entailment_threshold": args.threshold,
                      "batch_size": args.batch_size}
    if args.scorer == "judge":
        raw["judge"] = {"base_url": args.judge_base_url, "model": args.judge_model}
    return GroundednessScanner().parse(raw, source="command line")  # type: ignore[return-value]


def measure(scorer, subset: str, limit: int | None) -> dict[str, Any]:
    """Quality of ``scorer`` on the held-out half of one subset (first ``limit`` rows when given)."""
    held = rows(subset, "heldout")[:limit] if limit else rows(subset, "heldout")
    return timed_quality(lambda rs: scorer.score([(r["answer"], r["knowledge"], r["question"]) for r in rs]), held)[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scorer", default="builtin", help="builtin, nli or judge")
    ap.add_argument("--nli-path", help="local NLI cross-encoder directory (scorer nli)")
    ap.add_argument("--threshold", type=float, default=0.5, help="entailment threshold (scorer nli)")
    ap.add_argument("--batch-size", type=int, default=16, help="pairs per forward pass (scorer nli)")
    ap.add_argument("--judge-base-url", help="OpenAI-compatible API root (scorer judge)")
    ap.add_argument("--judge-model", help="served model (scorer judge)")
    ap.add_argument("--subset", action="append", choices=SUBSETS, help="one subset (repeatable); default all")
    ap.add_argument("--limit", type=int, help="first N held-out rows per subset")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    opts = options(args)
    scorer = build_scorer(opts)
    scorer.check()
    by_subset = {s: measure(scorer, s, args.limit) for s in (args.subset or SUBSETS)}
    out = {"scorer": opts.scorer, "signature": scorer.signature(), "limit": args.limit,
           **summarise_subsets(by_subset), "machine": platform.machine(), "python": platform.python_version()}
    for subset, q in out["by_subset"].items():
        lo, hi = q["balanced_accuracy_ci"]
        print(f"{subset:14s} n={q['n']:4d} balanced accuracy {q['balanced_accuracy']:.3f} [{lo:.3f}, {hi:.3f}]"
              f"  AUROC {q['auroc']:.3f}  not scored {q['not_scored']}  {q['ms_per_answer']} ms/answer"
              f"{'  BELOW TARGET' if q['below_target'] else ''}")
    print(out["signature"])
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(out, fh, indent=2, default=float)
    scorer.close()


if __name__ == "__main__":
    import sys

    from audits.errors import AssayError

    try:
        main()
    except AssayError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(err.exit_code)
