"""The ``hf`` backend: a transformers causal or seq2seq model, run locally.

After lm-evaluation-harness ``lm_eval/models/huggingface.py``: requests are tokenised once,
sorted by length (longest first) inside the backend, batched and answered in the caller's order.
Generation left-pads (new tokens follow every row) with position ids from the attention mask, so
a prompt gets the same answer at batch size 1 and 32. ``loglikelihood`` right-pads, as the harness
does: under the causal mask no real token sees a pad, so no attention mask is passed (sdpa's causal
path) and positions are plain. Requests whose inputs coincide up to their last token (the usual
case for one-token choices such as "yes"/"no") share one pass, and only each row's scored logits
are computed (per-row ``logits_to_keep``).

torch and transformers are imported when a backend is built, never at module import.
"""

from __future__ import annotations

import gc
import inspect
from typing import Any

from audits.backends._hf_source import ModelSource, resolve_source
from audits.backends.base import BACKENDS, Backend, Request, system_prompt_for
from audits.errors import AssayError
from audits.jsontypes import JsonObject


@BACKENDS.register("hf")
class HFBackend(Backend):
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

    # ------------------------------------------------------------------ loglikelihood
    def loglikelihood(self, requests: list[Request], *, desc: str = "score") -> list[float]:
        """Summed log-probability of each ``request.continuation`` after the formatted prompt."""
        if any(r.continuation is None for r in requests):
            raise AssayError("a loglikelihood request has no continuation", "set Request.continuation to the text to score")
        pairs = self._tokenize_pairs(requests)
        if self.is_seq2seq:
            return self._score_seq2seq(pairs, desc)
        return self._score_causal(pairs, desc)

    def _tokenize_pairs(self, requests: list[Request]) -> list[tuple[list[int], list[int]]]:
        """(context ids, continuation ids) per request, as lm-evaluation-harness does: trailing
        spaces of the formatted context move to the continuation, the whole text is tokenised
        once and the continuation's ids are what follows the context's own ids. (Seq2seq
        models read the continuation on the decoder side, so it is tokenised on its own.)"""
        contexts: dict[tuple[str, bool | None, str | None], tuple[str, list[int], bool]] = {}
        pairs = []
        for req in requests:
            key = (req.prompt, req.chat_template, req.system_prompt)
            if key not in contexts:
                templated = self._use_template(req.chat_template)
                text = self.format_prompt(req.prompt, templated, req.system_prompt)
                contexts[key] = (text, self.tokenizer(text, add_special_tokens=not templated)["input_ids"], templated)
            text, ctx, templated = contexts[key]
            continuation = req.continuation or ""
            n_spaces = len(text) - len(text.rstrip(" "))
            if n_spaces and continuation:
                text, continuation = text[:-n_spaces], text[-n_spaces:] + continuation
                ctx = self.tokenizer(text, add_special_tokens=not templated)["input_ids"]
            if not continuation:
                cont: list[int] = []
            elif self.is_seq2seq:
                cont = self.tokenizer(continuation, add_special_tokens=False)["input_ids"]
            else:
                whole = self.tokenizer(text + continuation, add_special_tokens=not templated)["input_ids"]
                cont = whole[len(ctx):]
            if not ctx and not self.is_seq2seq:  # nothing to condition on: start from BOS/EOS
                ctx = [self.tokenizer.bos_token_id if self.tokenizer.bos_token_id is not None else self.pad_id]
            pairs.append((ctx, cont))
        return pairs

    def _score_causal(self, pairs: list[tuple[list[int], list[int]]], desc: str) -> list[float]:
        import torch
        from tqdm.auto import tqdm

        # Requests whose input (context + continuation minus its last token) coincides share a row.
        rows: dict[tuple[int, ...], int] = {}  # key -> number of trailing logits needed
        for ctx, cont in pairs:
            if cont:
                key = tuple(ctx + cont[:-1])
                rows[key] = max(rows.get(key, 0), len(cont))
        keys = sorted(rows, key=lambda k: -len(k))
        row_logprobs: dict[tuple[int, ...], Any] = {}
        with torch.inference_mode(), tqdm(total=len(pairs), desc=desc, unit="sample") as bar:
            per_row = len(pairs) / max(len(keys), 1)
            prefix, prefix_cache = self._shared_prefix(keys, rows)
            for batch in _length_batches(keys, self.config.batch_size, rows):
                suffixes = [k[prefix:] for k in batch]
                ids, _ = self._pad(suffixes, side="right")
                # Right padding: every real token sits at its own position and, under the causal
                # mask, never sees a pad, so no attention mask is needed (sdpa's causal fast path).
                keep = max(rows[k] for k in batch)
                kwargs: dict[str, Any] = {"input_ids": ids, "use_cache": False}
                if prefix:  # [shared prefix (cached) | suffix | right padding]
                    if self._takes_positions:
                        kwargs["position_ids"] = prefix + torch.arange(ids.shape[1], device=self.device)[None, :]
                    kwargs[self._cache_kwarg] = _expand_cache(prefix_cache, len(batch))
                    kwargs["use_cache"] = True
                ends = [len(s) for s in suffixes]  # per row: logits[:, ends[row] - 1] predicts its last token
                if self._keeps_rows:  # each row's own last `keep` columns: (batch, keep) positions
                    columns = torch.arange(-keep, 0)[None, :] + torch.tensor(ends)[:, None]
                    kwargs["logits_to_keep"] = columns.clamp(min=0).to(self.device)
                    ends = [keep] * len(batch)
                elif self._takes_logits_to_keep:  # the trailing columns that cover every row's scored ones
                    first = min(end - rows[k] for end, k in zip(ends, batch))
                    kwargs["logits_to_keep"] = ids.shape[1] - first
                    ends = [end - first for end in ends]
                with self._autocast():
                    logits = self.model(**kwargs).logits
                for row, (end, key) in enumerate(zip(ends, batch)):
                    row_logprobs[key] = torch.log_softmax(logits[row, end - rows[key]:end].float(), dim=-1).cpu()
                self.stats["forward_rows"] += len(batch)
                bar.update(round(per_row * len(batch)))
            bar.n = len(pairs)
            bar.refresh()
        scores = []
        for ctx, cont in pairs:
            if not cont:
                scores.append(0.0)
                continue
            table = row_logprobs[tuple(ctx + cont[:-1])]  # (keep, vocab): last position predicts cont[-1]
            positions = torch.arange(table.shape[0] - len(cont), table.shape[0])
            scores.append(float(table[positions, torch.tensor(cont)].sum()))
            self.stats["scored_tokens"] += len(cont)
        return scores

    def _shared_prefix(self, keys: list[tuple[int, ...]], rows: dict[tuple[int, ...], int]):
        """(length, KV cache) of the token prefix every row shares (system prompt, template head),
        computed once; (0, None) when it is too short to be worth it. The prefix stops short of
        every row's scored positions, so each row still computes its own logits."""
        import torch

        if len(keys) < 2 or not self._takes_positions:
            return 0, None
        first = keys[0]
        length = min(len(k) - rows[k] for k in keys)
        for k in keys[1:]:
            length = min(length, len(k))
            for pos in range(length):
                if k[pos] != first[pos]:
                    length = pos
                    break
        if length < MIN_SHARED_PREFIX:
            return 0, None
        ids = torch.tensor([list(first[:length])], dtype=torch.long, device=self.device)
        with self._autocast():
            out = self.model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True)
        self.stats["prefix_tokens_reused"] = self.stats.get("prefix_tokens_reused", 0) + length * (len(keys) - 1)
        cache = out.get("cache") if "cache" in out else out.get("past_key_values")  # renamed in transformers 5.x
        return length, cache

    def _score_seq2seq(self, pairs: list[tuple[list[int], list[int]]], desc: str) -> list[float]:
        import torch
        from tqdm.auto import tqdm

        start = self.model.generation_config.decoder_start_token_id
        start = self.pad_id if start is None else start
        order = sorted(range(len(pairs)), key=lambda i: -(len(pairs[i][0]) + len(pairs[i][1])))
        scores = [0.0] * len(pairs)
        with torch.inference_mode(), tqdm(total=len(pairs), desc=desc, unit="sample") as bar:
            for batch in _chunks(order, self.config.batch_size):
                todo = [i for i in batch if pairs[i][1]]
                if todo:
                    ids, mask = self._pad([pairs[i][0] for i in todo])
                    width = max(len(pairs[i][1]) for i in todo)
                    dec = torch.full((len(todo), width), self.pad_id, dtype=torch.long)
                    dec_mask = torch.zeros((len(todo), width), dtype=torch.long)
                    for row, i in enumerate(todo):
                        cont = pairs[i][1]
                        dec[row, :len(cont)] = torch.tensor([start] + cont[:-1])
                        dec_mask[row, :len(cont)] = 1
                    logits = self.model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec.to(self.device),
                                        decoder_attention_mask=dec_mask.to(self.device), use_cache=False).logits
                    logprobs = torch.log_softmax(logits.float(), dim=-1).cpu()
                    for row, i in enumerate(todo):
                        cont = pairs[i][1]
                        scores[i] = float(logprobs[row, torch.arange(len(cont)), torch.tensor(cont)].sum())
                        self.stats["scored_tokens"] += len(cont)
                bar.update(len(batch))
        return scores

    # ------------------------------------------------------------------ identity
    def identity(self) -> JsonObject:
        import torch
        import transformers

        return {"backend": "hf", "model": self.source.model, "weights_sha256": self.source.weights_sha256,
                "revision": self.source.revision, "device": self.device, "dtype": self.dtype,
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


MIN_SHARED_PREFIX = 8  # tokens; below this a prefix cache saves less than it costs


def _expand_cache(cache, batch: int):
    """A fresh DynamicCache holding the one-row prefix ``cache`` repeated for ``batch`` rows."""
    from transformers import DynamicCache

    out = DynamicCache()
    for idx, layer in enumerate(cache.layers):
        out.update(layer.keys.expand(batch, -1, -1, -1), layer.values.expand(batch, -1, -1, -1), idx)
    return out


def _slices_per_row(model) -> bool:
    """Whether the model's ``logits_to_keep`` accepts (batch, k) per-row positions
    (transformers' ``slice_logits_to_keep``, 5.x); older models only take a trailing count."""
    module = inspect.getmodule(type(model))
    try:
        return module is not None and "slice_logits_to_keep(" in inspect.getsource(module)
    except (OSError, TypeError):
        return False


MAX_SCORED_SPREAD = 64  # tokens between a batch's shortest and longest row (bounds padding and logits kept)


def _length_batches(keys: list[tuple[int, ...]], size: int, rows: dict[tuple[int, ...], int]):
    """Batches of at most ``size`` length-sorted rows, closed early when the rows' scored
    columns would spread over more than ``MAX_SCORED_SPREAD`` tokens (right padding keeps
    logits from the first scored column of the batch to its end)."""
    batch: list[tuple[int, ...]] = []
    for key in keys:
        if batch and (len(batch) == size or len(batch[0]) - (len(key) - rows[key]) > MAX_SCORED_SPREAD):
            yield batch
            batch = []
        batch.append(key)
    if batch:
        yield batch


def _chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start:start + size]
