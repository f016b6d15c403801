"""The hf backend on the real embedded model: determinism, batch-size invariance, scoring."""

from __future__ import annotations

import pytest

from audits.backends.base import Request
from audits.backends.hf import HFBackend
from audits.config import ModelConfig
from audits.errors import AssayError

PROMPTS = [
    "What is the capital of France? Answer with one word.",
    "hi",
    "A customer asks how to reset their password. Reply in one short sentence, politely and clearly.",
    "Is 7 a prime number? Answer yes or no.",
    "Name a colour.",
]


def _with_batch(backend: HFBackend, size: int) -> HFBackend:
    backend.config.batch_size = size
    return backend


@pytest.mark.slow
def test_greedy_generation_is_deterministic(smollm2):
    requests = [Request(str(i), p) for i, p in enumerate(PROMPTS[:2])]
    first = smollm2.generate(requests)
    assert first == smollm2.generate(requests)
    assert "Paris" in first[0]


@pytest.mark.slow
def test_generate_does_not_depend_on_batch_size(smollm2):
    requests = [Request(str(i), p) for i, p in enumerate(PROMPTS)]
    batched = _with_batch(smollm2, 8).generate(requests)
    single = _with_batch(smollm2, 1).generate(requests)
    smollm2.config.batch_size = 8
    assert batched == single
    assert all(isinstance(text, str) and text for text in batched)


@pytest.mark.slow
def test_loglikelihood_does_not_depend_on_batch_size(smollm2):
    requests = [Request("q", PROMPTS[0], continuation=c) for c in ("Paris", "Berlin", "The capital is Paris.")]
    requests += [Request("p", PROMPTS[3], continuation=c) for c in ("yes", "no", "Yes", "No")]
    requests += [Request("h", PROMPTS[1], continuation="Hello! How can I help you today?")]
    batched = _with_batch(smollm2, 8).loglikelihood(requests)
    single = _with_batch(smollm2, 1).loglikelihood(requests)
    smollm2.config.batch_size = 8
    assert len(batched) == len(requests)
    for a, b in zip(batched, single):
        assert a < 0
        assert abs(a - b) < 1e-4


@pytest.mark.slow
def test_loglikelihood_prefers_the_right_answer(smollm2):
    prompt = "What is the capital of France? Answer with one word."
    paris, berlin = smollm2.loglikelihood([Request("0", prompt, continuation="Paris"),
                                           Request("0", prompt, continuation="Berlin")])
    assert paris > berlin + 2.0


@pytest.mark.slow
def test_loglikelihood_equals_a_manual_forward_pass(smollm2):
    """The score is the sum of exactly the continuation's token log-probs after the chat prompt, the
    template's final newline scored with the continuation (lm-evaluation-harness's _encode_pair)."""
    import torch

    prompt, continuation = PROMPTS[3], "Yes, 7 is prime."
    (score,) = smollm2.loglikelihood([Request("0", prompt, continuation=continuation)])
    text = smollm2.format_prompt(prompt)
    assert text.endswith("\n")
    ctx = smollm2.tokenizer(text[:-1], add_special_tokens=False)["input_ids"]
    whole = smollm2.tokenizer(text[:-1] + "\n" + continuation, add_special_tokens=False)["input_ids"]
    assert whole[:len(ctx)] == ctx
    cont = whole[len(ctx):]
    with torch.inference_mode():
        logits = smollm2.model(torch.tensor([ctx + cont])).logits[0].float()
    logprobs = torch.log_softmax(logits, -1)
    expected = sum(float(logprobs[len(ctx) - 1 + j, tok]) for j, tok in enumerate(cont))
    assert abs(score - expected) < 1e-4
    assert smollm2.loglikelihood([Request("0", prompt, continuation="")]) == [0.0]


@pytest.mark.slow
def test_trailing_whitespace_is_scored_with_the_continuation_as_the_harness_does(smollm2):
    """A prompt ending in a newline scores the newline with the answer: the same number as the prompt
    without it and the answer with it (what lm-evaluation-harness computes; before, the newline was
    context and the two differed by log P(newline))."""
    moved, joined = smollm2.loglikelihood([
        Request("0", "Question: is 7 prime?\nAnswer:\n", continuation="yes", chat_template=False),
        Request("1", "Question: is 7 prime?\nAnswer:", continuation="\nyes", chat_template=False)])
    assert moved == pytest.approx(joined, abs=1e-5)


@pytest.mark.slow
def test_identity_and_chat_template(smollm2):
    ident = smollm2.identity()
    assert ident["backend"] == "hf" and ident["model"] == "smollm2"
    assert len(ident["weights_sha256"]) == 64 and ident["device"] == "cpu" and ident["dtype"] == "float32"
    assert ident["torch"] and ident["transformers"]
    text = smollm2.format_prompt("Hello")
    assert text.endswith("<|im_start|>assistant\n") and "<|im_start|>user\nHello<|im_end|>" in text
    assert smollm2.count_tokens(["hello world", ""]) == [2, 0]


def test_missing_local_path_names_the_path(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(AssayError, match="no-such-model.*does not exist") as err:
        HFBackend(ModelConfig(path=str(missing)))
    assert "smollm2" in str(err.value)


def test_offline_hub_id_fails_in_one_line(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty hub cache
    with pytest.raises(AssayError) as err:
        HFBackend(ModelConfig(path="some-org/some-model-that-is-not-cached"))
    message = str(err.value)
    assert "\n" not in message
    assert message == ("model path 'some-org/some-model-that-is-not-cached' does not exist locally and the hub is "
                       "offline — pass a local model directory or the alias 'smollm2'")


def test_directory_without_config_is_refused(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"x")
    with pytest.raises(AssayError, match="has no config.json"):
        HFBackend(ModelConfig(path=str(tmp_path)))
    with pytest.raises(AssayError, match="is a file"):
        HFBackend(ModelConfig(path=str(tmp_path / "weights.bin")))


@pytest.mark.slow
def test_right_padded_scoring_matches_single_rows_and_the_trailing_logits_path(smollm2):
    """Batches are right-padded with no attention mask; each row's scored logits are taken at its
    own last positions (per-row ``logits_to_keep``), or from trailing columns on models without
    that. A prompt far longer than the rest closes its batch (bounded padding and logits kept).
    All three ways give the scores of one row at a time."""
    long_prompt = " ".join(["The committee reviews every quarterly audit before release."] * 12)
    requests = [Request(str(i), p, continuation=c, chat_template=False)
                for i, p in enumerate(PROMPTS + [long_prompt]) for c in (" yes", " no", " maybe not")]
    batched = _with_batch(smollm2, 8).loglikelihood(requests)
    single = _with_batch(smollm2, 1).loglikelihood(requests)
    assert smollm2._keeps_rows  # transformers 5.x models take per-row positions
    smollm2._keeps_rows = False
    try:
        trailing = _with_batch(smollm2, 8).loglikelihood(requests)
    finally:
        smollm2._keeps_rows = True
    for a, b, c in zip(batched, single, trailing):
        assert a < 0 and abs(a - b) < 1e-4 and abs(a - c) < 1e-4
    from audits.backends.hf import MAX_SCORED_SPREAD, _length_batches

    lengths = [len(smollm2.encode_prompts([p], False)[0]) for p in (PROMPTS + [long_prompt])]
    assert max(lengths) - min(lengths) > MAX_SCORED_SPREAD
    fake = {tuple(range(n)): 1 for n in lengths}
    batches = list(_length_batches(sorted(fake, key=lambda k: -len(k)), 8, fake))
    assert len(batches) == 2 and len(batches[0]) == 1  # the long prompt is a batch of its own
