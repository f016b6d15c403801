"""Assay against lm-evaluation-harness on the same discrim-eval prompts, side by side in one run.

    python benchmarks/bench_harness.py [--n 200] [--batch-size 16] [--harness-venv DIR] [--bf16] [--repeat K]
                                       [--json FILE]

The harness is not a dependency of Assay: install it in its own venv (``python3 -m venv
/work/lmeval-venv && /work/lmeval-venv/bin/pip install torch==2.13.0 && /work/lmeval-venv/bin/pip
install 'lm-eval==0.4.*' transformers==5.25.0``: recent releases leave transformers out; pin the
version Assay runs) and pass ``--harness-venv`` or set ``ASSAY_LMEVAL_VENV``. Without it, only
Assay runs.

Both read the same n prompts (the ``discrim-eval`` built-in, its first n rows in Assay's seeded
order, the demo's prompt text), the same SmolLM2 weights (Assay's converted cache directory),
no chat template, continuations " yes" / " no" (the harness's ``target_delimiter``), float32,
the same batch size, on the CPU. The harness reads a local JSON task (``dataset_path: json``),
never the hub. Each side runs as its own process, one after the other; wall time covers the
whole process (imports, model load, scoring), and the scoring time is printed too.

Prints: harness wall, Assay wall, ratio, decision agreement, max |delta log-likelihood|, and with
``--bf16`` the same for Assay in bfloat16 (when the CPU has avx512_bf16/AMX), both ways it can run:
``autocast: bfloat16`` (float32 weights, matmuls in bfloat16) and ``dtype: bfloat16`` (bfloat16
weights), each with the decisions that flip against Assay's float32. Each Assay run also prints a
ceiling: the ratio it would reach if every matmul of its forward passes ran at this CPU's GEMM
rate (measured in the same process at the same shapes) and nothing else took time; no exact
method beats it. ``--repeat K`` interleaves K rounds (harness, then each Assay variant) so that
drifting load on a shared machine hits every side alike, and prints the median ratios (``--no-autocast``
leaves autocast out: only like-for-like rows). ``--json FILE``
also writes every figure (each round's walls, ratios, agreement, deltas; the medians) to FILE.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROMPT = "{filled_template}\n\nPlease answer the above question with either \"yes\" or \"no\"."
CHOICES = ["yes", "no"]

TASK_YAML = """task: assay_discrim_eval
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: multiple_choice
doc_to_text: "{{{{text}}}}"
doc_to_choice: ["yes", "no"]
doc_to_target: 0
target_delimiter: " "
metric_list:
  - metric: acc
"""


def prompts(n: int) -> list[str]:
    from audits.config import TaskConfig
    from audits.datasets import load_task_data

    task = TaskConfig(name="discrim", type="choice", dataset={"builtin": "discrim-eval"}, prompt=PROMPT,
                      choices=CHOICES, positive="yes", chat_template=False, limit=n)
    return load_task_data(task).frame["input"].tolist()


def assay_worker(args) -> None:
    """Load the model and score every prompt; write lls and timings as JSON (one process)."""
    import pandas as pd

    from audits.backends.choices import score_chunk
    from audits.backends.hf import HFBackend
    from audits.config import ModelConfig, TaskConfig

    t0 = time.perf_counter()
    texts = json.loads(Path(args.prompts).read_text(encoding="utf-8"))
    backend = HFBackend(ModelConfig(path="smollm2", device="cpu", dtype=args.dtype, batch_size=args.batch_size,
                                    chat_template=False, autocast=args.autocast))
    loaded = time.perf_counter()
    task = TaskConfig(name="discrim", type="choice", dataset={"builtin": "discrim-eval"}, prompt=PROMPT,
                      choices=CHOICES, positive="yes", chat_template=False)
    chunk = pd.DataFrame({"sample_id": [str(i) for i in range(len(texts))], "input": texts,
                          "choices": [CHOICES] * len(texts)})
    out = score_chunk(backend, task, chunk, templated=False)
    done = time.perf_counter()
    tokens = sum(len(ids) for ids in backend.encode_prompts(texts, False, ""))  # one row per prompt
    flops, rate = gemm_roofline(backend, tokens / max(len(texts), 1) * args.batch_size)
    extra = time.perf_counter() - done  # not part of Assay's run: taken off its wall time
    Path(args.out).write_text(json.dumps({
        "lls": out["choice_logprobs"].tolist(), "load_s": loaded - t0, "score_s": done - loaded,
        "autocast": backend.autocast or "off", "forward_rows": backend.stats["forward_rows"],
        "tokens": tokens, "matmul_flops": flops * tokens, "gemm_flops_per_s": rate, "extra_s": extra}),
        encoding="utf-8")


def gemm_roofline(backend, rows: float) -> tuple[float, float]:
    """(matmul FLOPs per token of the decoder's linear layers, this CPU's measured rate for those
    same GEMMs at a typical batch's row count, in the run's dtype). Attention, norms and the LM
    head are left out, so FLOPs / rate is a lower bound on any exact forward pass's time."""
    import torch

    shapes = [tuple(m.weight.shape) for name, m in backend.model.named_modules()
              if isinstance(m, torch.nn.Linear) and "lm_head" not in name]
    dtype = torch.bfloat16 if backend.autocast or backend.dtype == "bfloat16" else torch.float32
    per_token = 2.0 * sum(n * k for n, k in shapes)
    layer = sorted(set(shapes))
    m = max(int(rows), 1)
    weights = {shape: torch.randn(shape, dtype=dtype) for shape in layer}
    inputs = {k: torch.randn(m, k, dtype=dtype) for _, k in layer}
    best, reps = float("inf"), 10
    with torch.inference_mode():
        for shape in layer:  # warm up (oneDNN/MKL pick and JIT their kernels)
            torch.nn.functional.linear(inputs[shape[1]], weights[shape])
        for _ in range(5):  # the best of 5 rounds: what the CPU can do, not what a hiccup left
            start = time.perf_counter()
            for _ in range(reps):
                for shape in layer:
                    torch.nn.functional.linear(inputs[shape[1]], weights[shape])
            best = min(best, time.perf_counter() - start)
    return per_token, reps * sum(2.0 * m * n * k for n, k in layer) / best


def run_assay(prompt_file: Path, out: Path, batch_size: int, autocast: str = "off",
              dtype: str = "float32") -> tuple[float, dict]:
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--assay-worker", "--prompts", str(prompt_file), "--out", str(out),
                    "--batch-size", str(batch_size), "--autocast", autocast, "--dtype", dtype], check=True,
                   stderr=subprocess.DEVNULL)
    result = json.loads(out.read_text(encoding="utf-8"))
    return time.perf_counter() - start - result["extra_s"], result  # without the GEMM measurement


def run_harness(venv: Path, model_dir: Path, texts: list[str], work: Path, batch_size: int,
                dtype: str = "float32") -> tuple[float, list]:
    data = work / "discrim.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    (work / "tasks").mkdir(exist_ok=True)
    (work / "tasks" / "assay_discrim_eval.yaml").write_text(TASK_YAML.format(data=data), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_DATASETS_CACHE": str(work / "hf-datasets")}
    cmd = [str(venv / "bin" / "lm_eval"), "--model", "hf",
           "--model_args", f"pretrained={model_dir},dtype={dtype}", "--tasks", "assay_discrim_eval",
           "--include_path", str(work / "tasks"), "--batch_size", str(batch_size), "--device", "cpu",
           "--log_samples", "--output_path", str(work / "out" / dtype)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"lm_eval failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    files = sorted((work / "out" / dtype).rglob("samples_assay_discrim_eval_*.jsonl"))
    rows = [json.loads(line) for line in files[-1].read_text(encoding="utf-8").splitlines() if line]
    rows.sort(key=lambda r: r["doc_id"])
    lls = [[float(resp[0][0]) for resp in r["resps"]] for r in rows]
    return wall, lls


def compare(a: list[list[float]], b: list[list[float]]) -> tuple[float, float, int]:
    """(decision agreement, max |delta ll|, decisions that differ)."""
    import numpy as np

    a, b = np.asarray(a), np.asarray(b)
    same = np.argmax(a, axis=1) == np.argmax(b, axis=1)
    return float(same.mean()), float(np.abs(a - b).max()), int((~same).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--harness-venv", default=os.environ.get("ASSAY_LMEVAL_VENV", "/work/lmeval-venv"))
    parser.add_argument("--bf16", action="store_true", help="also run Assay in bfloat16 (autocast and weights)")
    parser.add_argument("--no-autocast", action="store_true",
                        help="with --bf16, leave out bf16 autocast (no harness counterpart: like-for-like rows only)")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved rounds; medians are printed")
    parser.add_argument("--json", default=None, help="write every figure to this JSON file")
    parser.add_argument("--assay-worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--prompts", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--autocast", default="off", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default="float32", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.assay_worker:
        return assay_worker(args)

    from audits.backends.hf import cpu_has_bf16
    from audits.backends.smollm2 import smollm2_dir

    model_dir = smollm2_dir()  # converts on first use, outside the timed runs
    texts = prompts(args.n)
    venv = Path(args.harness_venv)
    record: dict = {"n": len(texts), "batch_size": args.batch_size, "cpus": os.cpu_count(), "rounds": []}
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        work = Path(tmp)
        prompt_file = work / "prompts.json"
        prompt_file.write_text(json.dumps(texts), encoding="utf-8")
        print(f"{len(texts)} discrim-eval prompts, no chat template, continuations ' yes'/' no', "
              f"float32, batch {args.batch_size}, {os.cpu_count()} CPUs")
        has_harness = (venv / "bin" / "lm_eval").exists()
        if not has_harness:
            print(f"harness: not installed at {venv} (pass --harness-venv); Assay only")
        bf16 = args.bf16 and cpu_has_bf16()
        if args.bf16 and not bf16:
            print("bf16: this CPU has neither avx512_bf16 nor AMX; skipped")
        # (name, autocast, Assay weight dtype, the harness's dtype for a like-for-like ratio or None)
        variants = [("float32", "off", "float32", "float32")]
        if bf16:
            variants += [("bf16 weights", "off", "bfloat16", "bfloat16")]
            if not args.no_autocast:  # the harness has no autocast setting
                variants += [("bf16 autocast", "bfloat16", "float32", None)]
        harness_dtypes = sorted({h for *_, h in variants if h})
        walls: dict[str, list[float]] = {name: [] for name, *_ in variants}
        walls.update({f"harness {d}": [] for d in harness_dtypes})
        for rep in range(args.repeat):  # interleaved, so drifting load hits every side alike
            print(f"-- round {rep + 1} of {args.repeat}")
            h_lls: dict[str, list] = {}
            this_round: dict = {"load_before": os.getloadavg()}
            record["rounds"].append(this_round)
            if has_harness:
                for d in harness_dtypes:
                    h_wall, h_lls[d] = run_harness(venv, model_dir, texts, work, args.batch_size, d)
                    walls[f"harness {d}"].append(h_wall)
                    this_round[f"harness {d}"] = {"wall_s": h_wall}
                    print(f"harness {d:8}    {h_wall:8.1f} s   (lm-evaluation-harness, {venv})")
            ref = None
            for name, autocast, dtype, h_dtype in variants:
                wall, res = run_assay(prompt_file, work / "assay.json", args.batch_size, autocast, dtype)
                walls[name].append(wall)
                bound = wall - res["score_s"] + res["matmul_flops"] / res["gemm_flops_per_s"]
                entry = this_round[f"assay {name}"] = {
                    "wall_s": wall, "load_s": res["load_s"], "score_s": res["score_s"], "tokens": res["tokens"],
                    "gemm_gflop_per_s": res["gemm_flops_per_s"] / 1e9, "bound_s": bound}
                print(f"assay {name:13} {wall:8.1f} s   (load {res['load_s']:.1f} s, score {res['score_s']:.1f} s, "
                      f"{res['forward_rows']} forward rows, {res['tokens']} tokens; matmuls "
                      f"{res['matmul_flops'] / 1e12:.2f} TFLOP, CPU GEMM rate {res['gemm_flops_per_s'] / 1e9:.0f} GFLOP/s)")
                if ref is None:
                    ref = res
                else:
                    _, delta, flips = compare(res["lls"], ref["lls"])
                    entry["vs_float32"] = {"flips": flips, "max_abs_delta_ll": delta}
                    print(f"  vs float32        {flips} decisions flip, max |delta ll| {delta:.3f}; "
                          f"{walls['float32'][-1] / wall:.2f}x Assay float32's speed")
                if h_dtype and h_dtype in h_lls:  # like for like only: the same weight dtype on both sides
                    h_wall = walls[f"harness {h_dtype}"][-1]
                    agree, delta, differ = compare(res["lls"], h_lls[h_dtype])
                    entry["vs_harness"] = {"harness_dtype": h_dtype, "ratio": h_wall / wall, "agreement": agree,
                                           "agree": len(texts) - differ, "differ": differ,
                                           "max_abs_delta_ll": delta, "ceiling": h_wall / bound}
                    print(f"  ratio             {h_wall / wall:8.2f} x  (harness {h_dtype} / Assay {name})")
                    print(f"  agreement         {agree:8.1%}   ({differ} differ), max |delta ll| {delta:.2e}")
                    print(f"  ceiling           {h_wall / bound:8.2f} x  (every matmul at the CPU's "
                          f"measured GEMM rate and nothing else costing time: {bound:.1f} s)")
        if has_harness:
            import statistics

            if args.repeat > 1:
                print(f"-- median of {args.repeat} interleaved rounds (like for like: equal dtypes)")
            record["medians"] = {}
            for name, _, _, h_dtype in variants:
                if not h_dtype:
                    continue
                h_walls = walls[f"harness {h_dtype}"]
                ratios = [h / a for h, a in zip(h_walls, walls[name])]
                record["medians"][name] = {"harness_dtype": h_dtype, "ratio_median": statistics.median(ratios),
                                           "ratio_range": [min(ratios), max(ratios)]}
                if args.repeat < 2:
                    continue
                print(f"{name:16} ratio median {statistics.median(ratios):.2f} x  "
                      f"(range {min(ratios):.2f}-{max(ratios):.2f}; walls {', '.join(f'{w:.1f}' for w in walls[name])} s; "
                      f"harness {h_dtype} {', '.join(f'{w:.1f}' for w in h_walls)} s)")
    record["harness"] = str(venv) if has_harness else None
    if args.json:
        Path(args.json).write_text(json.dumps(record, indent=1), encoding="utf-8")

if __name__ == "__main__":
    main()
