"""Log-likelihood scoring for the ``hf`` backend (mixed into :class:`audits.backends.hf.HFBackend`).

``loglikelihood`` right-pads, as lm-evaluation-harness does: under the causal mask no real token sees
a pad, so no attention mask is passed (sdpa's causal path) and positions are plain. Requests whose
inputs coincide up to their last token (the usual case for one-token choices such as "yes"/"no")
share one pass, a prefix every row shares is run once and its KV cache reused, and only each row's
scored logits are computed (per-row ``logits_to_keep``). Seq2seq models score on the decoder side.
"""

from __future__ import annotations

import inspect
from typing import Any

from audits.backends.base import Request
from audits.errors import AssayError


class LoglikelihoodScoring:
    """The scoring verbs of :class:`~audits.backends.hf.HFBackend`; the backend's constructor sets the
    model, tokenizer and the forward-signature flags these read."""

    is_seq2seq: bool
    pad_id: int
    device: str
    stats: dict[str, int]
    _takes_positions: bool          # the model's forward takes position_ids
    _takes_logits_to_keep: bool     # ... and logits_to_keep
    _keeps_rows: bool               # ... as (batch, k) per-row positions
    _cache_kwarg: str               # "cache" (transformers 5.x) or "past_key_values"

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
        whitespace of the formatted context (a chat template's final newline too) moves to the continuation, the whole text is tokenised
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
            # the prompt's trailing whitespace (spaces, and the newline a chat template ends with) is
            # scored as part of the continuation, as lm-evaluation-harness's _encode_pair does
            n_ws = len(text) - len(text.rstrip())
            if n_ws and continuation:
                text, continuation = text[:-n_ws], text[-n_ws:] + continuation
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
                kwargs: dict[str, object] = {"input_ids": ids, "use_cache": False}
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
