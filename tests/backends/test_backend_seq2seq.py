"""The hf backend on a tiny random seq2seq (T5) model built in tmp_path: results do not
depend on batch size, and the score is the decoder's log-probability of the continuation."""

from __future__ import annotations

import pytest

from audits.backends.base import Request
from audits.backends.hf import HFBackend
from audits.config import ModelConfig

WORDS = "the a is what capital of france paris berlin yes no answer one word hello reset password how do i".split()
PROMPTS = ["what is the capital of france", "hello", "how do i reset a password answer yes or no", "yes"]


@pytest.fixture(scope="module")
def tiny_t5(tmp_path_factory):
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    folder = tmp_path_factory.mktemp("tiny-t5")
    vocab = {tok: i for i, tok in enumerate(["<pad>", "</s>", "<unk>", *WORDS])}
    raw = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    config = T5Config(vocab_size=len(vocab), d_model=32, d_ff=64, d_kv=16, num_layers=2, num_heads=2,
                      pad_token_id=0, eos_token_id=1, decoder_start_token_id=0)
    torch.manual_seed(0)
    T5ForConditionalGeneration(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_seq2seq_generate_and_score_do_not_depend_on_batch_size(tiny_t5):
    backend = HFBackend(ModelConfig(path=str(tiny_t5), device="cpu", batch_size=4, max_new_tokens=6))
    assert backend.is_seq2seq and not backend.templated
    gen_requests = [Request(str(i), p) for i, p in enumerate(PROMPTS)]
    score_requests = [Request("0", PROMPTS[0], continuation=c) for c in ("paris", "berlin", "the capital is paris")]
    batched = (backend.generate(gen_requests), backend.loglikelihood(score_requests))
    backend.config.batch_size = 1
    single = (backend.generate(gen_requests), backend.loglikelihood(score_requests))
    assert batched[0] == single[0]
    for a, b in zip(batched[1], single[1]):
        assert a < 0 and abs(a - b) < 1e-4
    assert backend.identity()["weights_sha256"] and backend.identity()["model"] == str(tiny_t5)


def test_seq2seq_score_matches_the_labels_loss(tiny_t5):
    import torch

    backend = HFBackend(ModelConfig(path=str(tiny_t5), device="cpu"))
    (score,) = backend.loglikelihood([Request("0", PROMPTS[0], continuation="the capital is paris")])
    enc = backend.tokenizer(PROMPTS[0], return_tensors="pt")
    labels = backend.tokenizer("the capital is paris", add_special_tokens=False, return_tensors="pt")["input_ids"]
    with torch.inference_mode():
        loss = backend.model(**enc, labels=labels).loss  # mean negative log-likelihood per token
    assert abs(score - (-float(loss) * labels.shape[1])) < 1e-4
