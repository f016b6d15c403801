"""Auditing a large production log on this machine: docs/s per stage and the end-to-end time.

Generates N synthetic logged interactions (support questions, some with an email or phone number,
some answers echoing it, a few profane answers, thumbs up/down feedback with free text, a context
passage), then measures, each in this process:

- import: ``assay logs import`` (``read_log``: validation, ordering) and a stratified sample;
- pii: presidio (``analyze_texts``, Assay's default profile) on inputs and outputs of a slice;
- toxicity: the bundled alt-profanity-check classifier on every output;
- feedback: ``feedback_positive_rate`` with its exact interval, per segment;
- end to end: ``run_audit`` (predictions backend, scanners ``--scanners`` (default pii + toxicity),
  feedback, redaction at rest, bundle) on ``--e2e`` rows, and a groundedness run on ``--grounded`` rows;
  per stage the manifest's row-stage timings (``execution.stages``) and redaction + bundle (wall less
  the manifest's ``total_s``). ``--executor ray --workers N`` runs them on Ray.
- ``--compare-executor``: the end-to-end run locally, then with ``--executor ray --workers N``;
  the bundles' samples, findings and metrics tables must be equal.
- ``--compare-reuse``: the end-to-end run twice, redaction at rest first running presidio again
  (``_pii_spans.ENABLED = False``, the old path), then reusing the PII scan's spans; the bundles'
  redacted tables (samples, findings) must be equal.

    python benchmarks/bench_production_log.py [--n 100000] [--pii-slice 2000] [--e2e 10000] [--grounded 2000]
        [--scanners pii,toxicity,groundedness] [--executor ray --workers 2] [--compare-reuse | --compare-executor]
        [--skip-micro] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

import audits  # noqa: E402,F401  (offline env)

QUESTIONS = ["How do I update the card on my {} account?", "Why was I charged twice for {} this month?",
             "Can I get a refund for the {} subscription?", "Where do I find the invoice for {}?",
             "My {} order never arrived, what now?", "How do I cancel {} before renewal?"]
NOUNS = ["premium", "family plan", "basic plan", "business plan", "student plan", "pro plan", "gift card"]
PROFANE = "This is a damn stupid question, figure it out yourself."


def generate(path: Path, n: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            q = QUESTIONS[i % len(QUESTIONS)].format(NOUNS[rng.integers(len(NOUNS))])
            pii = rng.random()
            if pii < 0.1:
                q += f" You can reach me at user{i}@example.com."
            elif pii < 0.15:
                q += f" Call me on 555-01{i % 100:02d}."
            ok = rng.random() < 0.8
            out = (f"You can manage this under Settings > Billing; ticket {i} is updated." if ok
                   else PROFANE if rng.random() < 0.02 else "I am not sure, please contact support.")
            if pii < 0.03:
                out += f" I emailed user{i}@example.com."
            row = {"id": f"log-{i}", "input": q, "output": out, "answer": "settings billing",
                   "context": "Billing changes are made under Settings > Billing. Refunds take 5 days.",
                   "segment": ["web", "app", "email"][i % 3], "thumbs": "up" if ok else "down",
                   "comment": None if ok else "did not help",
                   "timestamp": f"2026-10-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}Z"}
            fh.write(json.dumps(row) + "\n")
    return path


def timed(fn, *args, **kw):
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def stage(name: str, docs: int, seconds: float, **extra) -> dict:
    row = {"stage": name, "docs": docs, "seconds": round(seconds, 3), "docs_per_s": round(docs / seconds, 1), **extra}
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--pii-slice", type=int, default=2000)
    ap.add_argument("--e2e", type=int, default=10_000)
    ap.add_argument("--grounded", type=int, default=2000, help="rows for the groundedness end-to-end run (0: skip)")
    ap.add_argument("--scanners", default="pii,toxicity", help="scanners of the end-to-end run")
    ap.add_argument("--executor", default="local")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--compare-reuse", action="store_true", help="run the end-to-end twice: without and with span reuse")
    ap.add_argument("--compare-executor", action="store_true", help="run the end-to-end locally, then on ray")
    ap.add_argument("--skip-micro", action="store_true", help="only the end-to-end runs")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()
    load_start = os.getloadavg()
    print(f"# load average at start: {load_start}", flush=True)
    from audits.config import TaskConfig
    from audits.datasets.production_log import read_log, write_log

    tmp = Path(tempfile.mkdtemp(prefix="bench-log-"))
    os.environ.setdefault("ASSAY_KEY_DIR", str(tmp / "keys"))
    rows: list[dict] = []
    log, t = timed(generate, tmp / "log.jsonl", args.n)
    print(f"# generated {args.n} interactions in {t:.1f}s ({log.stat().st_size / 1e6:.1f} MB)", flush=True)
    (frame, report), t = timed(read_log, log)
    rows.append(stage("import (read_log)", len(frame), t))
    outputs = frame["prediction"].tolist()
    if not args.skip_micro:
        rows += micro(args, frame, log, outputs)

    import yaml
    from audits.config import load_config
    from audits.runner import run_audit
    from audits.scanners import _pii_spans
    from audits.scanners.base import SCANNERS
    from audits.store.catalog import Catalog

    grounded = "groundedness" in SCANNERS and "context" in TaskConfig.model_fields
    wanted = [s for s in args.scanners.split(",") if s and (s != "groundedness" or grounded)]
    runs = [(f"e2e-{'-'.join(wanted)}", args.e2e, {s: {} for s in wanted})]
    if grounded and args.grounded > 0 and "groundedness" not in wanted:
        runs.append(("e2e-grounded", min(args.e2e, args.grounded), {"groundedness": {}}))
    modes = [(args.executor, True)]
    if args.compare_reuse:
        modes = [(args.executor, False), (args.executor, True)]
    elif args.compare_executor:
        modes = [("local", True), ("ray", True)]
    for label, n, scanners in runs:
        e2e = write_log(frame.head(n), tmp / f"{label}.parquet")
        task_cfg = {"name": "log", "type": "generate", "dataset": {"path": str(e2e)},
                    "fields": {"id": "sample_id", "reference": "answer"}, "prompt": "{input}", "metrics": ["exact_match"],
                    "sensitive": ["segment"], "feedback": {"field": "thumbs", "positive": "up", "negative": ["down"]}}
        if "groundedness" in scanners:
            task_cfg["context"] = "context"
        cfg = {"name": f"bench-{label}", "period": "2026-Q4", "bootstrap": 200,
               "model": {"backend": "predictions", "path": str(e2e)}, "tasks": [task_cfg], "scanners": scanners,
               "review": {"rate": 0.01}}
        bundles = []
        for executor, reuse in modes:
            if executor != "local":
                cfg["executor"] = {"kind": executor, "num_workers": args.workers}
            (tmp / f"{label}-{executor}.yaml").write_text(yaml.safe_dump(cfg))
            _pii_spans.ENABLED = reuse
            cat = Catalog(tmp / "c.duckdb")
            run_id, t = timed(run_audit, load_config(tmp / f"{label}-{executor}.yaml"), cat, actor="bench")
            manifest = json.loads((cat.runs_dir / run_id / "manifest.json").read_text())
            total = manifest["timings"]["total_s"]
            per_stage = {s["name"]: {"rows": s["rows"], "wall_s": s["wall_s"], "rows_per_s": s["rows_per_s"]}
                         for s in manifest.get("execution", {}).get("stages", [])}
            rows.append(stage(f"end to end (run_audit: {'+'.join(scanners)}, feedback, redaction at rest, bundle)", n, t,
                              reuse_spans=reuse, executor=executor, timings=manifest.get("timings"),
                              redaction_and_bundle_s=round(t - total, 3), stages=per_stage,
                              redactions=manifest.get("personal_data", {}).get("redactions"),
                              load=os.getloadavg()))
            bundles.append(cat.runs_dir / run_id)
        if len(bundles) == 2:
            import pandas as pd

            same = {name: pd.read_parquet(bundles[0] / f"{name}.parquet").equals(pd.read_parquet(bundles[1] / f"{name}.parquet"))
                    for name in ("samples", "findings", "metrics") if (bundles[0] / f"{name}.parquet").exists()}
            check = f"{modes[0][0]}{'' if modes[0][1] else ' without reuse'} vs {modes[1][0]}"
            print(json.dumps({"tables_equal": same, "check": check}), flush=True)
            rows.append({"stage": "same results", "check": check, "tables_equal": same})
    _pii_spans.ENABLED = True
    meta = {"n": args.n, "cpus": os.cpu_count(), "python": platform.python_version(), "machine": platform.machine(),
            "load_start": load_start, "load_end": os.getloadavg()}
    print(f"# load average at end: {meta['load_end']}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "stages": rows}, indent=2))


def micro(args: argparse.Namespace, frame, log: Path, outputs: list[str]) -> list[dict]:
    """The single-stage timings on all N rows (PII on a slice)."""
    from audits.config import FeedbackConfig, TaskConfig
    from audits.datasets.feedback import add_feedback
    from audits.datasets.production_log import stratified_sample
    from audits.metrics import get_metric, summarise
    from audits.metrics.decision import SampleInputs
    from audits.scanners._presidio import PiiSettings, analyze_texts
    from audits.scanners.toxicity import score_toxicity

    rows = []
    _, t = timed(stratified_sample, frame, max(1, args.n // 10), ["segment"], 1)
    rows.append(stage("stratified sample (10%)", len(frame), t))
    _, t = timed(score_toxicity, outputs)
    rows.append(stage("toxicity (outputs)", len(outputs), t))
    task = TaskConfig(name="log", type="generate", dataset={"path": str(log)},
                      feedback=FeedbackConfig(field="thumbs", positive=["up"], negative=["down"], text="comment"))
    fb = frame[["sample_id"]].copy()
    (_, t1) = timed(add_feedback, fb, frame, task, str(log))
    metric = get_metric("feedback_positive_rate")
    inputs = SampleInputs(predictions=outputs, columns=fb)
    (_, t2) = timed(lambda: summarise(metric, metric.stats(inputs), 1000, 0))
    rows.append(stage("feedback (rate + exact interval)", len(frame), t1 + t2))
    pii_texts = frame["input"].tolist()[:args.pii_slice] + outputs[:args.pii_slice]
    settings = PiiSettings()
    analyze_texts(pii_texts[:20], settings)  # load spaCy and the recognizers outside the timing
    _, t = timed(analyze_texts, pii_texts, settings)
    rows.append(stage("pii (presidio, inputs + outputs)", len(pii_texts), t, slice=args.pii_slice))
    return rows


if __name__ == "__main__":
    main()
