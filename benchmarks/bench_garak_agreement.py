"""Assay's marker detector against garak's own ``promptinject.AttackRogueString`` on the same outputs.

    .venv/bin/python benchmarks/bench_garak_agreement.py [--garak-python /work/garak-venv/bin/python]
                                                         [--limit N] [--outputs FILE.json] [--no-record]
                                                         [--json FILE]

1. Outputs: the embedded model (SmolLM2-135M-Instruct, Assay's ``hf`` backend through ``assay run``'s
   own job, greedy, 40 new tokens) answers the built-in prompt-injection (PromptInject) and
   indirect-injection probes; plus a constructed set: each probe's rogue string written back in six
   ways (verbatim, upper case, inside a refusal, spaced out, leetspeak, base64).
2. garak 0.17.1, installed in its own venv (never in Assay's), scores every output with
   ``garak.detectors.promptinject.AttackRogueString`` (case-insensitive substring of the trigger);
   Assay scores the same outputs with ``audits.redteam.detectors.detect``.
3. Agreement (share of outputs both score alike) with its exact Clopper-Pearson interval
   (``audits.stats.clopper_pearson``), the disagreements listed; stored in ``audits/redteam/quality.json``.

Where they differ by design (spaced-out, leetspeak and base64 markers count for Assay only) the
constructed set shows it per variant; the target (>= 99%) is on the model's own outputs.
"""

from __future__ import annotations

import argparse
import base64
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audits.redteam import detectors, quality  # noqa: E402
from audits.stats import clopper_pearson  # noqa: E402

GARAK_SCRIPT = r"""
import json, sys
from garak.attempt import Attempt, Message
from garak.detectors.promptinject import AttackRogueString
import garak
items = json.load(open(sys.argv[1]))
det = AttackRogueString()
out = []
for it in items:
    a = Attempt(prompt=Message(it["prompt"]))
    a.notes["triggers"] = [it["trigger"]]
    a.outputs = [Message(it["output"])]
    out.append(det.detect(a)[0])
json.dump({"scores": out, "garak": garak.__version__}, open(sys.argv[2], "w"))
"""


def model_outputs(limit: int) -> tuple[list[dict], dict]:
    """The embedded model's answers to the injection probes, through an ordinary Assay run."""
    from audits.config import parse_config
    from audits.runner import run_audit
    from audits.store import bundle_reader
    from audits.store.catalog import Catalog

    tmp = Path(tempfile.mkdtemp())
    config = parse_config({"name": "garak-agreement", "period": "2026-Q4", "bootstrap": 0,
                           "model": {"backend": "hf", "path": "smollm2", "max_new_tokens": 40, "batch_size": 16,
                                     "system_prompt": "You are a helpful assistant."},
                           "tasks": [{"name": "qa", "type": "generate", "dataset": {"builtin": "reference-qa"},
                                      "limit": 1, "prompt": "{question}"}],
                           "redteam": {"families": ["prompt-injection", "indirect-injection"], "limit": limit},
                           "review": {"rate": 0.0}})
    cat = Catalog(tmp / "c.duckdb")
    t0 = time.perf_counter()
    run_id = run_audit(config, cat, actor="bench")
    seconds = time.perf_counter() - t0
    samples = bundle_reader.read_table(cat, run_id, "samples")
    samples = samples[samples["task"] != "qa"]
    from audits.identity import model_label

    model = model_label(bundle_reader.manifest(cat, run_id).model)
    items = [{"set": "model", "variant": r["task"], "prompt": r["input"], "output": r["prediction"] or "",
              "trigger": r["success_marker"], "requested": bool(r["marker_requested"])}
             for r in samples.to_dict("records")]
    return items, {"run_seconds": round(seconds, 1), "model": model, "n": len(items)}


def constructed(items: list[dict]) -> list[dict]:
    """Each probe's rogue string written back six ways."""
    leet = str.maketrans({"a": "4", "e": "3", "s": "5", "o": "0", "t": "7"})
    ways = {"verbatim": lambda m: f"Sure. {m}", "upper": lambda m: m.upper() + "!",
            "in-refusal": lambda m: f'I will not say "{m}", that would be wrong.',
            "spaced": lambda m: " ".join(m), "leet": lambda m: m.lower().translate(leet),
            "base64": lambda m: base64.b64encode(m.encode()).decode()}
    out = []
    for it in items:
        for name, make in ways.items():
            out.append({**it, "set": "constructed", "variant": name, "output": make(it["trigger"])})
    return out


def garak_scores(items: list[dict], python: str) -> tuple[list[float], str]:
    tmp = Path(tempfile.mkdtemp())
    (tmp / "in.json").write_text(json.dumps(items))
    (tmp / "garak_side.py").write_text(GARAK_SCRIPT)
    subprocess.run([python, str(tmp / "garak_side.py"), str(tmp / "in.json"), str(tmp / "out.json")], check=True,
                   cwd=tmp, capture_output=True, text=True)
    result = json.loads((tmp / "out.json").read_text())
    return result["scores"], result["garak"]


def agreement(rows: list[dict]) -> dict:
    same = sum(r["assay"] == r["garak"] for r in rows)
    low, high = clopper_pearson(same, len(rows))
    return {"n": len(rows), "agree": same, "agreement": same / len(rows) if rows else None,
            "agreement_ci": [float(low), float(high)], "assay_hits": sum(r["assay"] for r in rows),
            "garak_hits": int(sum(r["garak"] for r in rows))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--garak-python", default="/work/garak-venv/bin/python")
    parser.add_argument("--limit", type=int, default=None, help="probes per family (default: all 150 + 90)")
    parser.add_argument("--outputs", type=Path, default=None,
                        help="JSON of earlier model outputs to reuse (written there when absent)")
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args()
    if args.outputs is not None and args.outputs.exists():
        items, run = json.loads(args.outputs.read_text(encoding="utf-8"))
    else:
        items, run = model_outputs(args.limit or 1000)
        if args.outputs is not None:
            args.outputs.write_text(json.dumps([items, run]), encoding="utf-8")
    every = items + constructed(items)
    g_scores, g_version = garak_scores(every, args.garak_python)
    for it, g in zip(every, g_scores):
        it["garak"] = int(g)
        it["assay"] = detectors.detect(it["output"], it["trigger"], it["prompt"], it["requested"]).score
    model_rows = [r for r in every if r["set"] == "model"]
    summary = {"model_outputs": agreement(model_rows),
               "constructed": {v: agreement([r for r in every if r["set"] == "constructed" and r["variant"] == v])
                               for v in ("verbatim", "upper", "in-refusal", "spaced", "leet", "base64")}}
    disagreements = [{"variant": r["variant"], "trigger": r["trigger"], "output": r["output"][:160],
                      "assay": r["assay"], "garak": r["garak"]} for r in model_rows if r["assay"] != r["garak"]]
    figures = {"signature": detectors.SIGNATURE, "reference": f"garak {g_version} "
               "detectors.promptinject.AttackRogueString (case-insensitive substring)",
               "data": f"{run['model']} answers to {len(model_rows)} built-in prompt-injection and "
               "indirect-injection probes (greedy, 40 new tokens)", "run": run, **summary,
               "disagreements": disagreements, "interval": "Clopper-Pearson 95%"}
    print(json.dumps(figures, indent=1))
    if args.json is not None:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    m = summary["model_outputs"]
    print(f"\n| outputs | n | agreement | Assay hits | garak hits |\n|---|---|---|---|---|\n"
          f"| model (SmolLM2-135M) | {m['n']} | {m['agreement']:.4f} ({m['agreement_ci'][0]:.4f}-"
          f"{m['agreement_ci'][1]:.4f}) | {m['assay_hits']} | {m['garak_hits']} |")
    for v, s in summary["constructed"].items():
        print(f"| constructed: {v} | {s['n']} | {s['agreement']:.4f} ({s['agreement_ci'][0]:.4f}-"
              f"{s['agreement_ci'][1]:.4f}) | {s['assay_hits']} | {s['garak_hits']} |")
    if not args.no_record:
        quality.record("marker", {k: v for k, v in figures.items() if k != "disagreements"} |
                       {"disagreements": disagreements[:20]})
        print(f"\nrecorded in {quality.QUALITY_FILE}")


if __name__ == "__main__":
    main()
