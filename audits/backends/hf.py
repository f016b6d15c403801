"""The ``hf`` backend: a transformers causal or seq2seq model, run locally.

After lm-evaluation-harness ``lm_eval/models/huggingface.py``: requests are tokenised once,
sorted by length (longest first) inside the backend, batched and answered in the caller's order.
Generation left-pads (new tokens follow every row) with position ids from the attention mask, so
a prompt gets the same answer at batch size 1 and 32. Log-likelihood scoring (right padding, shared
passes, a cached shared prefix, per-row logits) is the mixin in ``_hf_scoring.py``; loading,
prompts, generation and identity are here. torch and transformers are imported when a backend is
built, never at module import.
"""

from __future__ import annotations

import gc
import inspect
from typing import Any

from audits.backends._hf_scoring import (MAX_SCORED_SPREAD, MIN_SHARED_PREFIX, LoglikelihoodScoring, _chunks,
                                         _length_batches, _slices_per_row)
from audits.backends._hf_source import ModelSource, resolve_source
from audits.backends.base import BACKENDS, Backend, Request, system_prompt_for
from audits.errors import AssayError
from audits.jsontypes import JsonObject

__all__ = ["HFBackend", "MAX_SCORED_SPREAD", "MIN_SHARED_PREFIX", "cpu_has_bf16", "pin_threads", "_length_batches"]


@BACKENDS.register("hf")
class HFBackend(LoglikelihoodScoring, Backend):
    """A local transformers model. Exposes ``model`` and ``tokenizer`` (the SHAP scanner uses them)."""

    name = "hf"
    capabilities = frozenset({"generate", "loglikelihood"})

    def __init__(self, config, *, cache_dir=None):
        super().__init__(config)
        import torch
        from transformers import AutoConfig, AutoModelForCausalLM, AutoModelForSeq2SeqLM, AutoTokenizer

        self.source: ModelSource = resolve_source(config.path, config.revision, cache_dir)
        self.device = _pick_device(config.device)
        self.dtype = _pick_dtype(config.dtype, self.device)
        folder = self.source.local_dir
        hf_config = AutoConfig.from_pretrained(folder)
        self.is_seq2seq = bool(getattr(hf_config, "is_encoder_decoder", False))
        self.tokenizer = AutoTokenizer.from_pretrained(folder, padding_side="left")
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token or self.tokenizer.unk_token
        self.pad_id: int = self.tokenizer.pad_token_id
        self.has_chat_template = bool(getattr(self.tokenizer, "chat_template", None)) and not self.is_seq2seq
        if config.chat_template and not self.has_chat_template:  # before the weights load
            raise AssayError(f"model.chat_template is true but model '{config.path}' has no chat template",
                             "set model.chat_template: false (prompts are then read as plain text)")
        self.templated = self.has_chat_template if config.chat_template is None else bool(config.chat_template)
        self.autocast = _pick_autocast(config.autocast, self.device)
        self.threads = pin_threads(config.threads)
        model_cls = AutoModelForSeq2SeqLM if self.is_seq2seq else AutoModelForCausalLM
        self.model = model_cls.from_pretrained(folder, dtype=getattr(torch, self.dtype)).to(self.device).eval()
        self.eos_ids = _eos_ids(self.model.generation_config.eos_token_id, self.tokenizer.eos_token_id)
        params = inspect.signature(self.model.forward).parameters
        self._takes_positions = "position_ids" in params
        self._takes_logits_to_keep = "logits_to_keep" in params
        self._keeps_rows = self._takes_logits_to_keep and _slices_per_row(self.model)
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"  # renamed in transformers 5.x
        self.stats = {"prompt_tokens": 0, "generated_tokens": 0, "scored_tokens": 0, "forward_rows": 0,
                      "decode_steps": 0}

    @classmethod
    def worker_config(cls, config):
        """``threads`` filled in from this (the driver's) process when unset: each Ray actor then uses
        the driver's count, whatever OMP_NUM_THREADS Ray gave it (see ``pin_threads``)."""
        if config.threads is not None:
            return config
        import torch

        return config.model_copy(update={"threads": torch.get_num_threads()})

    # ------------------------------------------------------------------ prompts and tokens
    def _use_template(self, chat_template: bool | None) -> bool:
        if chat_template is None:
            return self.templated
        if chat_template and not self.has_chat_template:
            raise AssayError(f"chat_template is true but model '{self.config.path}' has no chat template",
                             "set chat_template: false (prompts are then read as plain text)")
        return bool(chat_template)

    def format_prompt(self, prompt: str, chat_template: bool | None = None, system_prompt: str | None = None) -> str:
        """The text the model reads: with the chat template (``chat_template``, default the
        model's setting), the system prompt if any, the user message and the assistant turn
        opened; without it, the system prompt and a blank line if any, then the prompt as is.
        ``system_prompt``: None for the model's, "" for none, else this text (a task's override)."""
        system = system_prompt_for(self.config, Request("", prompt, system_prompt=system_prompt))
        if not self._use_template(chat_template):
            return f"{system}\n\n{prompt}" if system else prompt
        messages = [{"role": "user", "content": prompt}]
        if system:
            messages.insert(0, {"role": "system", "content": system})
        return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)

    def encode_prompts(self, prompts: list[str], chat_template: bool | None = None,
                       system_prompt: str | None = None) -> list[list[int]]:
        """Token ids of each formatted prompt (special tokens come from the template when there is one)."""
        templated = self._use_template(chat_template)
        texts = [self.format_prompt(p, templated, system_prompt) for p in prompts]
        return self.tokenizer(texts, add_special_tokens=not templated)["input_ids"] if texts else []

    def count_tokens(self, texts: list[str]) -> list[int]:
        """Number of tokens in each raw text (no template, no special tokens)."""
        if not texts:
            return []
        return [len(ids) for ids in self.tokenizer(list(texts), add_special_tokens=False)["input_ids"]]

    def _pad(self, seqs: list, side: str = "left"):
        """(ids, attention mask) of ``seqs`` padded with the pad id to one width, on ``side``:
        ``left`` for generation (new tokens follow every row), ``right`` for scoring."""
        import torch

        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):
            if seq:
                cols = slice(width - len(seq), width) if side == "left" else slice(0, len(seq))
                ids[row, cols] = torch.tensor(seq, dtype=torch.long)
                mask[row, cols] = 1
        return ids.to(self.device), mask.to(self.device)

    def _autocast(self):
        """bfloat16 autocast around a forward pass when configured, else a no-op context."""
        import contextlib

        import torch

        if not self.autocast:
            return contextlib.nullcontext()
        return torch.autocast(device_type="cuda" if self.device.startswith("cuda") else "cpu", dtype=torch.bfloat16)

    # ------------------------------------------------------------------ generate
    def generate(self, requests: list[Request], *, desc: str = "generate") -> list[str]:
        """One completion per request, in the caller's order (greedy when temperature == 0)."""
        import torch
        from tqdm.auto import tqdm

        encoded: list[list[int]] = [[] for _ in requests]
        for flag, system in {(r.chat_template, r.system_prompt) for r in requests}:
            idx = [i for i, r in enumerate(requests) if (r.chat_template, r.system_prompt) == (flag, system)]
            for i, ids in zip(idx, self.encode_prompts([requests[i].prompt for i in idx], flag, system)):
                encoded[i] = ids
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        outputs: list[str] = [""] * len(encoded)
        gen_config = self._generation_config()
        if gen_config.do_sample:
            torch.manual_seed(self.config.seed)
        with torch.inference_mode(), tqdm(total=len(order), desc=desc, unit="sample") as bar:
            for batch in _chunks(order, self.config.batch_size):
                ids, mask = self._pad([encoded[i] for i in batch])
                with self._autocast():
                    out = self.model.generate(input_ids=ids, attention_mask=mask, generation_config=gen_config)
                new = out if self.is_seq2seq else out[:, ids.shape[1]:]
                self.stats["decode_steps"] += new.shape[1]
                for row, i in enumerate(batch):
                    tokens = self._until_eos(new[row].tolist())
                    self.stats["generated_tokens"] += len(tokens)
                    outputs[i] = self.tokenizer.decode(tokens, skip_special_tokens=True).strip()
                self.stats["prompt_tokens"] += int(mask.sum())
                bar.update(len(batch))
        return outputs

    def _generation_config(self):
        from transformers import GenerationConfig

        sample = self.config.temperature > 0
        extra: dict[str, float] = {"temperature": self.config.temperature, "top_p": self.config.top_p,
                                 "top_k": 0} if sample else {}
        start = getattr(self.model.generation_config, "decoder_start_token_id", None)
        return GenerationConfig(max_new_tokens=self.config.max_new_tokens, do_sample=sample,
                                pad_token_id=self.pad_id, eos_token_id=sorted(self.eos_ids),
                                decoder_start_token_id=start, **extra)

    def _until_eos(self, tokens: list[int]) -> list[int]:
        if self.is_seq2seq and tokens and tokens[0] == self.model.generation_config.decoder_start_token_id:
            tokens = tokens[1:]
        for pos, tok in enumerate(tokens):
            if tok in self.eos_ids:
                return tokens[:pos]
        return tokens

    # ------------------------------------------------------------------ identity
    def identity(self) -> JsonObject:
        import torch
        import transformers

        return {"backend": "hf", "model": self.source.model, "weights_sha256": self.source.weights_sha256,
                "tokenizer_sha256": self.source.tokenizer_sha256, "revision": self.source.revision, "device": self.device, "dtype": self.dtype,
                "autocast": self.autocast or "off", "chat_template": self.templated, "threads": self.threads,
                "torch": torch.__version__, "transformers": transformers.__version__}

    def close(self) -> None:
        import torch

        self.model = None
        gc.collect()
        if torch.cuda.is_available():
            torch.cuda.empty_cache()


def _pick_device(device: str) -> str:
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise AssayError("model.device is 'cuda' but no CUDA device is available",
                         "set model.device to 'auto' or 'cpu', or run on a machine with a GPU")
    return device


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (avx512_bf16 or AMX), from /proc/cpuinfo."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            flags = next((line for line in fh if line.startswith("flags")), "").split()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def _pick_autocast(autocast: str, device: str) -> str | None:
    if autocast == "off":
        return None
    if autocast == "auto":
        return "bfloat16" if device == "cuda" or (device == "cpu" and cpu_has_bf16()) else None
    return autocast


def pin_threads(threads: int | None) -> int:
    """Set torch's CPU threads to ``threads`` (None: leave this process's setting); returns the count in
    use. The split of a float sum over threads sets its rounding, so every process that runs the model
    (the driver, each Ray actor) uses one count: Ray starts actors with OMP_NUM_THREADS=num_cpus."""
    import torch

    if threads is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def _pick_dtype(dtype: str, device: str) -> str:
    if dtype == "auto":
        return "bfloat16" if device == "cuda" else "float32"
    return dtype


def _eos_ids(*values: Any) -> set[int]:
    ids: set[int] = set()
    for value in values:
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(v for v in value if isinstance(v, int))
    return ids
