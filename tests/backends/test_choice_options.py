"""Prompt and scoring options of choice tasks on the real embedded model: chat_template,
target_delimiter, choice_format (letters), normalize, and p(positive)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.backends import choices as ch
from audits.backends.base import Request
from audits.config import ModelConfig, TaskConfig, parse_config
from audits.errors import AssayError

PROMPT = "Is 7 a prime number? Answer yes or no."


def _task(**kw) -> TaskConfig:
    base = {"name": "t", "type": "choice", "dataset": {"path": "x.jsonl"}, "choices": ["yes", "no"]}
    return TaskConfig.model_validate({**base, **kw})


def _chunk(prompts, choices=("yes", "no")) -> pd.DataFrame:
    return pd.DataFrame({"sample_id": [str(i) for i in range(len(prompts))], "input": prompts,
                         "choices": [list(choices)] * len(prompts)})


# ------------------------------------------------------------------ rendering (no model)
def test_letters_list_the_options_in_the_prompt():
    row = {"q": "Who was late?"}
    text = ch.render_prompt("{q}", row, ["The man", "Unknown", "The woman"], "letters")
    assert text == "Who was late?\n(A) The man\n(B) Unknown\n(C) The woman\nAnswer:"
    placed = ch.render_prompt("Options:\n{options}\nQ: {q}", row, ["x", "y"], "letters")
    assert placed == "Options:\n(A) x\n(B) y\nQ: Who was late?"
    assert ch.render_prompt("{q}", row, ["x", "y"], "text") == "Who was late?"
    assert ch.targets(["x", "y", "z"], "letters") == ["A", "B", "C"]
    assert ch.targets(["x", "y"], "text") == ["x", "y"]


def test_delimiter_defaults_follow_the_harness():
    assert ch.delimiter(_task(), templated=False) == " "
    assert ch.delimiter(_task(), templated=True) == ""
    assert ch.delimiter(_task(target_delimiter="\n"), templated=True) == "\n"
    sig = ch.signature(_task(choice_format="letters", normalize="bytes", positive="yes"), False)
    assert sig == "chat_template:0|delimiter:' '|trailing_ws:continuation|format:letters|normalize:bytes|p_positive:softmax-over-choices"


@pytest.mark.parametrize("bad, needle", [
    ({"choice_format": "letters", "choices": [f"c{i}" for i in range(27)]}, "at most 26"),
    ({"normalize": "chars"}, "normalize"),
    ({"chat_template": "maybe"}, "chat_template"),
])
def test_bad_options_fail_in_one_line(bad, needle):
    data = {"name": "a", "period": "q", "tasks": [{"name": "t", "type": "choice", "dataset": {"path": "x.jsonl"},
                                                   "choices": ["yes", "no"], **bad}]}
    with pytest.raises(AssayError) as err:
        parse_config(data)
    assert needle in str(err.value) and "\n" not in str(err.value)


def test_letters_over_26_per_row_choices_fail_before_the_model(tmp_path):
    from audits.datasets import load_task_data

    cols = [f"a{i}" for i in range(27)]
    (tmp_path / "d.jsonl").write_text('{"q": "?", ' + ", ".join(f'"{c}": "{c}"' for c in cols) + "}\n")
    task = TaskConfig.model_validate({"name": "t", "type": "choice", "dataset": {"path": str(tmp_path / "d.jsonl")},
                                      "prompt": "{q}", "fields": {"choices": cols}, "choice_format": "letters"})
    with pytest.raises(AssayError, match="at most 26"):
        load_task_data(task)


def test_p_positive_and_its_complement_sum_to_one():
    for lp in ([-0.3, -2.1], [-40.0, -0.01], [-5.0, -5.0]):
        p_yes = ch.p_positive(lp, ["yes", "no"], "yes")
        p_no = ch.p_positive(lp, ["yes", "no"], "no")
        assert p_yes + p_no == pytest.approx(1.0, abs=1e-12)
    assert ch.p_positive([-1.0, -1.0], ["yes", "no"], "yes") == pytest.approx(0.5)


# ------------------------------------------------------------------ on the real model
@pytest.mark.slow
def test_chat_template_option_changes_the_rendered_prompt(smollm2):
    assert smollm2.has_chat_template
    plain = smollm2.format_prompt(PROMPT, chat_template=False)
    templated = smollm2.format_prompt(PROMPT, chat_template=True)
    assert plain == PROMPT
    assert "<|im_start|>user\n" + PROMPT in templated and templated.endswith("<|im_start|>assistant\n")
    assert ch.resolve_chat_template(smollm2, _task()) is True            # default: the model has one
    assert ch.resolve_chat_template(smollm2, _task(chat_template=False)) is False


@pytest.mark.slow
def test_scored_continuation_is_delimiter_plus_target(smollm2):
    """Without a template the harness's ' yes' is scored; with one, 'yes' right after the
    assistant turn; with letters, ' A'/' B' after the listed options."""
    for templated, delim in ((False, " "), (True, "")):
        out = ch.score_chunk(smollm2, _task(chat_template=templated), _chunk([PROMPT]), templated)
        expected = smollm2.loglikelihood([Request("0", PROMPT, continuation=delim + c, chat_template=templated)
                                          for c in ("yes", "no")])
        np.testing.assert_allclose(out["choice_logprobs"][0], expected, atol=1e-5)
    # ' yes' and 'yes' are different continuations: the delimiter matters
    spaced, bare = smollm2.loglikelihood([Request("0", PROMPT, continuation=" yes", chat_template=False),
                                          Request("0", PROMPT, continuation="yes", chat_template=False)])
    assert abs(spaced - bare) > 0.1
    task = _task(chat_template=False, choice_format="letters")
    prompt = ch.render_prompt("{q}", {"q": "Is 7 prime?"}, ["yes", "no"], "letters")
    out = ch.score_chunk(smollm2, task, _chunk([prompt]), False)
    expected = smollm2.loglikelihood([Request("0", prompt, continuation=c, chat_template=False) for c in (" A", " B")])
    np.testing.assert_allclose(out["choice_logprobs"][0], expected, atol=1e-5)
    assert out["prediction"][0] in ("yes", "no")


@pytest.mark.slow
def test_the_harness_splits_the_context_space_into_the_continuation(smollm2):
    """A context ending in a space scores the same as the space moved into the continuation."""
    a, = smollm2.loglikelihood([Request("0", PROMPT + " ", continuation="yes", chat_template=False)])
    b, = smollm2.loglikelihood([Request("0", PROMPT, continuation=" yes", chat_template=False)])
    assert a == pytest.approx(b, abs=1e-5)


@pytest.mark.slow
def test_normalize_divides_by_tokens_or_bytes(smollm2):
    choices = ["Paris", "the city of Berlin in Germany"]
    prompt = "What is the capital of France?"
    lls = smollm2.loglikelihood([Request("0", prompt, continuation=" " + c, chat_template=False) for c in choices])
    toks = smollm2.count_tokens([" " + c for c in choices])
    for norm, lengths in (("none", [1, 1]), ("tokens", toks), ("bytes", [len(c.encode()) for c in choices])):
        task = _task(chat_template=False, normalize=norm, choices=choices)
        out = ch.score_chunk(smollm2, task, _chunk([prompt], choices), False)
        assert out["prediction"][0] == choices[int(np.argmax(np.array(lls) / np.array(lengths)))]


@pytest.mark.slow
def test_p_positive_is_stored_for_decision_tasks(smollm2):
    out = ch.score_chunk(smollm2, _task(chat_template=False, positive="yes"), _chunk([PROMPT, "Is 8 prime?"]), False)
    for lp, p in zip(out["choice_logprobs"], out["p_positive"]):
        assert p == pytest.approx(1.0 / (1.0 + np.exp(lp[1] - lp[0])), abs=1e-9)


@pytest.mark.slow
def test_chat_template_true_for_a_model_without_one_fails(model_cache, tmp_path):
    from audits.backends.hf import HFBackend
    from audits.backends.smollm2 import smollm2_dir

    src = smollm2_dir(model_cache)
    for f in src.iterdir():
        if f.name != "chat_template.jinja":
            (tmp_path / f.name).symlink_to(f)
    cfg = (src / "tokenizer_config.json").read_text()
    (tmp_path / "tokenizer_config.json").unlink()
    import json

    data = json.loads(cfg)
    data.pop("chat_template", None)
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(data))
    with pytest.raises(AssayError, match="has no chat template"):
        HFBackend(ModelConfig(path=str(tmp_path), device="cpu", chat_template=True), cache_dir=model_cache)


@pytest.mark.slow
def test_shared_prefix_cache_gives_the_same_scores(smollm2, monkeypatch):
    """The prefix every prompt shares (system prompt, template head) is run once and its KV cache
    reused; scores equal a full forward pass per row."""
    import audits.backends._hf_scoring as scoring

    monkeypatch.setattr(smollm2.config, "system_prompt", "You are a careful assistant. Answer briefly.")
    reqs = [Request(str(i), p, continuation=c) for i, p in enumerate([PROMPT, "Is 9 prime?", "hi"])
            for c in ("yes", "no", "Hello there")]
    before = smollm2.stats.get("prefix_tokens_reused", 0)
    reused = smollm2.loglikelihood(reqs)
    assert smollm2.stats["prefix_tokens_reused"] > before
    monkeypatch.setattr(scoring, "MIN_SHARED_PREFIX", 10**9)  # where _shared_prefix reads it
    after = smollm2.stats["prefix_tokens_reused"]
    full = smollm2.loglikelihood(reqs)
    assert smollm2.stats["prefix_tokens_reused"] == after  # the second pass really ran without the cache
    np.testing.assert_allclose(reused, full, atol=1e-4)


# ------------------------------------------------------------------ the task's system prompt
def test_task_system_prompt_override_null_and_empty_mean_none():
    assert _task().system_prompt is None                                  # left out: the model's applies
    assert _task(system_prompt=None).system_prompt == ""                  # explicit null: none
    assert _task(system_prompt="").system_prompt == ""
    assert _task(system_prompt="Be fair.").system_prompt == "Be fair."
    assert ch.signature(_task(), False) == "chat_template:0|delimiter:' '|trailing_ws:continuation|format:text|normalize:none"
    assert ch.signature(_task(system_prompt=""), False).startswith("chat_template:0|system_prompt:none|")
    sig = ch.signature(_task(system_prompt="Be fair."), False)
    assert "|system_prompt:task#" in sig and sig != ch.signature(_task(system_prompt="Be kind."), False)


def test_demo_choice_tasks_read_the_benchmarks_format():
    """The demo's loan and BBQ tasks: no chat template and no system prompt, in both quarters."""
    from audits.commands.demo import demo_configs

    for cfg in demo_configs():
        assert cfg.model.system_prompt                                    # the quarters differ here
        tasks = {t.name: t for t in cfg.tasks}
        for name in ("loan-decisions", "bbq-gender"):
            assert tasks[name].chat_template is False and tasks[name].system_prompt == ""


def test_openai_backend_applies_the_task_system_prompt():
    from audits.backends.openai_compat import OpenAIBackend

    backend = OpenAIBackend(ModelConfig(backend="openai", base_url="http://127.0.0.1:9/v1", model_name="m",
                                        system_prompt="Be brief."))
    try:
        assert backend.scored_prompt(Request("0", PROMPT)) == "Be brief.\n\n" + PROMPT
        assert backend.scored_prompt(Request("0", PROMPT, system_prompt="")) == PROMPT
        assert backend.scored_prompt(Request("0", PROMPT, system_prompt="Other.")) == "Other.\n\n" + PROMPT
        assert backend._payload(PROMPT)["messages"][0] == {"role": "system", "content": "Be brief."}
        assert backend._payload(PROMPT, "")["messages"] == [{"role": "user", "content": PROMPT}]
    finally:
        backend.close()


@pytest.mark.slow
def test_task_system_prompt_changes_the_rendered_and_scored_prompt(smollm2, monkeypatch):
    """With a model system prompt, a task's "" renders the bare prompt (and no system turn under
    the template) and scores exactly what a model without one scores."""
    monkeypatch.setattr(smollm2.config, "system_prompt", "You are a careful assistant.")
    assert smollm2.format_prompt(PROMPT, chat_template=False) == "You are a careful assistant.\n\n" + PROMPT
    assert smollm2.format_prompt(PROMPT, chat_template=False, system_prompt="") == PROMPT
    assert smollm2.format_prompt(PROMPT, chat_template=False, system_prompt="Be fair.") == "Be fair.\n\n" + PROMPT
    templated = smollm2.format_prompt(PROMPT, chat_template=True, system_prompt="Be fair.")
    assert "<|im_start|>system\nBe fair.<|im_end|>" in templated and "careful" not in templated
    assert "careful" not in smollm2.format_prompt(PROMPT, chat_template=True, system_prompt="")
    chunk = _chunk([PROMPT, "Is 8 prime?"])
    with_model = ch.score_chunk(smollm2, _task(chat_template=False), chunk, False)["choice_logprobs"].tolist()
    bare = ch.score_chunk(smollm2, _task(chat_template=False, system_prompt=""), chunk, False)["choice_logprobs"].tolist()
    monkeypatch.setattr(smollm2.config, "system_prompt", None)
    reference = ch.score_chunk(smollm2, _task(chat_template=False), chunk, False)["choice_logprobs"].tolist()
    np.testing.assert_allclose(bare, reference, atol=1e-5)
    assert np.max(np.abs(np.array(with_model) - np.array(reference))) > 1e-3
    out = smollm2.generate([Request("0", PROMPT, chat_template=False, system_prompt="")])
    assert isinstance(out[0], str)
