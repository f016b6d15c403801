"""Assay against lm-evaluation-harness on the same discrim-eval prompts, side by side in one run.

    python benchmarks/bench_harness.py [--n 200] [--batch-size 16] [--harness-venv DIR] [--bf16]

The harness is not a dependency of Assay: install it in its own venv (``python3 -m venv
/work/lmeval-venv && /work/lmeval-venv/bin/pip install torch==2.13.0 && /work/lmeval-venv/bin/pip
install 'lm-eval==0.4.*'``) and pass ``--harness-venv`` or set ``ASSAY_LMEVAL_VENV``. Without it,
only Assay runs.

Both read the same n prompts (the ``discrim-eval`` built-in, its first n rows in Assay's seeded
order, the demo's prompt text), the same SmolLM2 weights (Assay's converted cache directory),
no chat template, continuations " yes" / " no" (the harness's ``target_delimiter``), float32,
the same batch size, on the CPU. The harness reads a local JSON task (``dataset_path: json``),
never the hub. Each side runs as its own process, one after the other; wall time covers the
whole process (imports, model load, scoring), and the scoring time is printed too.

Prints: harness wall, Assay wall, ratio, decision agreement, max |delta log-likelihood|, and with
``--bf16`` the same for Assay in bfloat16 (when the CPU has avx512_bf16/AMX), both ways it can run:
``autocast: bfloat16`` (float32 weights, matmuls in bfloat16) and ``dtype: bfloat16`` (bfloat16
weights), each with the decisions that flip against Assay's float32.
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
    Path(args.out).write_text(json.dumps({
        "lls": out["choice_logprobs"].tolist(), "load_s": loaded - t0, "score_s": done - loaded,
        "autocast": backend.autocast or "off", "forward_rows": backend.stats["forward_rows"]}), encoding="utf-8")


def run_assay(prompt_file: Path, out: Path, batch_size: int, autocast: str = "off",
              dtype: str = "float32") -> tuple[float, dict]:
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--assay-worker", "--prompts", str(prompt_file), "--out", str(out),
                    "--batch-size", str(batch_size), "--autocast", autocast, "--dtype", dtype], check=True,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start, json.loads(out.read_text(encoding="utf-8"))


def run_harness(venv: Path, model_dir: Path, texts: list[str], work: Path, batch_size: int) -> tuple[float, list]:
    data = work / "discrim.jsonl"
    data.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    (work / "tasks").mkdir(exist_ok=True)
    (work / "tasks" / "assay_discrim_eval.yaml").write_text(TASK_YAML.format(data=data), encoding="utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
           "HF_DATASETS_CACHE": str(work / "hf-datasets")}
    cmd = [str(venv / "bin" / "lm_eval"), "--model", "hf",
           "--model_args", f"pretrained={model_dir},dtype=float32", "--tasks", "assay_discrim_eval",
           "--include_path", str(work / "tasks"), "--batch_size", str(batch_size), "--device", "cpu",
           "--log_samples", "--output_path", str(work / "out")]
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"lm_eval failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    files = sorted((work / "out").rglob("samples_assay_discrim_eval_*.jsonl"))
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
    parser.add_argument("--bf16", action="store_true", help="also run Assay with bfloat16 autocast")
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
    with tempfile.TemporaryDirectory(prefix="assay-bench-") as tmp:
        work = Path(tmp)
        prompt_file = work / "prompts.json"
        prompt_file.write_text(json.dumps(texts), encoding="utf-8")
        print(f"{len(texts)} discrim-eval prompts, no chat template, continuations ' yes'/' no', "
              f"float32, batch {args.batch_size}, {os.cpu_count()} CPUs")
        harness = None
        if (venv / "bin" / "lm_eval").exists():
            h_wall, h_lls = run_harness(venv, model_dir, texts, work, args.batch_size)
            harness = (h_wall, h_lls)
            print(f"harness wall        {h_wall:8.1f} s   (lm-evaluation-harness, {venv})")
        else:
            print(f"harness: not installed at {venv} (pass --harness-venv); Assay only")
        a_wall, a = run_assay(prompt_file, work / "assay.json", args.batch_size, "off")
        print(f"assay wall          {a_wall:8.1f} s   (load {a['load_s']:.1f} s, score {a['score_s']:.1f} s, "
              f"{a['forward_rows']} forward rows)")
        if harness:
            agree, delta, differ = compare(a["lls"], harness[1])
            print(f"ratio               {harness[0] / a_wall:8.2f} x  (target >= 2x)")
            print(f"decision agreement  {agree:8.1%}   ({differ} differ; target >= 99%)")
            print(f"max |delta ll|      {delta:8.2e}   (target <= 1e-3)")
        if args.bf16:
            if not cpu_has_bf16():
                print("bf16: this CPU has neither avx512_bf16 nor AMX; skipped")
            else:
                for label, autocast, dtype in (("autocast", "bfloat16", "float32"), ("weights", "off", "bfloat16")):
                    b_wall, b = run_assay(prompt_file, work / f"assay-bf16-{label}.json", args.batch_size,
                                          autocast, dtype)
                    agree, delta, flips = compare(b["lls"], a["lls"])
                    print(f"assay bf16 {label:9}{b_wall:8.1f} s   (load {b['load_s']:.1f} s, score {b['score_s']:.1f} s; "
                          f"{flips} decisions flip vs float32, max |delta ll| {delta:.3f})")
                    if harness:
                        agree, delta, differ = compare(b["lls"], harness[1])
                        print(f"  ratio             {harness[0] / b_wall:8.2f} x  (target >= 3x; agreement with "
                              f"the harness {agree:.1%})")


if __name__ == "__main__":
    main()
