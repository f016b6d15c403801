"""How a choice task is put to a model and scored, with the field's conventions
(lm-evaluation-harness ``multiple_choice`` output type).

* ``choice_format: text`` scores each choice's text as a continuation of the prompt;
  ``letters`` lists the options as ``(A) ...`` lines in the prompt and scores the letter.
* Each scored continuation is ``target_delimiter + target``. The delimiter defaults to
  ``" "`` (the harness's default) without a chat template and to ``""`` with one (the
  assistant turn starts the answer; the harness drops the delimiter under a chat template).
* ``normalize``: ``none`` picks the largest summed log-likelihood (the harness's ``acc``),
  ``tokens`` divides by the continuation's token count, ``bytes`` by the UTF-8 byte length of
  the target (``acc_bytes``; the harness's ``acc_norm`` uses characters).
* For decision tasks (a ``positive`` choice), ``p_positive`` is the probability of the
  positive choice normalised over the choices: ``exp(ll_pos) / sum_i exp(ll_i)`` of the
  summed log-likelihoods (Tamkin et al. 2023 normalise p("yes") over yes/no the same way).

* ``system_prompt`` (task) overrides the model's system prompt; ``""`` or ``null`` reads the
  prompt with none, as the benchmarks and lm-evaluation-harness (no chat template) do.

Everything here is recorded in the task's scoring signature (``signature``).
"""

from __future__ import annotations

import string
from typing import Any, Sequence

import numpy as np
import pandas as pd

from audits.backends.base import Backend, Request
from audits.errors import AssayError
from audits.jsontypes import JsonObject

LETTERS = string.ascii_uppercase
OPTIONS_FIELD = "options"  # a '{options}' placeholder in the prompt places the option list


def letters_for(n: int, task: str = "") -> list[str]:
    """The letters A, B, C, ... for n choices; AssayError above 26."""
    if n > len(LETTERS):
        raise AssayError(f"task '{task}': choice_format 'letters' supports at most 26 choices, got {n}",
                         "use choice_format: text, or reduce the number of choices")
    return list(LETTERS[:n])


def options_block(choices: Sequence[str]) -> str:
    """``(A) first\\n(B) second ...`` as listed in the prompt for ``choice_format: letters``."""
    return "\n".join(f"({letter}) {choice}" for letter, choice in zip(letters_for(len(choices)), choices))


def render_prompt(template: str, row: dict[str, Any], choices: Sequence[str] | None, choice_format: str) -> str:
    """The task's prompt for one row. With letters, the option list goes where the template has
    ``{options}``, else after the prompt followed by ``Answer:`` (the MMLU/BBQ layout)."""
    if choice_format != "letters" or choices is None:
        return template.format_map(row)
    block = options_block(choices)
    if "{" + OPTIONS_FIELD + "}" in template:
        return template.format_map({**row, OPTIONS_FIELD: block})
    return f"{template.format_map(row)}\n{block}\nAnswer:"


def targets(choices: Sequence[str], choice_format: str) -> list[str]:
    """What is scored for each choice, before the delimiter: its text, or its letter."""
    return letters_for(len(choices)) if choice_format == "letters" else [str(c) for c in choices]


def resolve_chat_template(backend: Backend, task) -> bool:
    """Whether this task's prompts go through the chat template (task setting, then model
    setting, then: yes when the backend has one). AssayError when asked for one it lacks."""
    wanted = task.chat_template if task.chat_template is not None else backend.config.chat_template
    has = bool(getattr(backend, "has_chat_template", False))
    if wanted and not has:
        raise AssayError(f"task '{task.name}': chat_template is true but model '{backend.config.path}' has none",
                         "set chat_template: false (the prompt is then read as plain text)")
    return has if wanted is None else bool(wanted)


def delimiter(task, templated: bool) -> str:
    """The text between prompt and scored target (see module doc)."""
    if task.target_delimiter is not None:
        return task.target_delimiter
    return "" if templated else " "


def task_system_prompt(task) -> str | None:
    """The task's system prompt override: None (the model's applies), "" (none) or its text."""
    return getattr(task, "system_prompt", None)


def system_prompt_label(task) -> str:
    """How the signature names the task's system prompt: ``model``, ``none`` or ``task#<sha256[:8]>``."""
    import hashlib

    override = task_system_prompt(task)
    if override is None:
        return "model"
    return "none" if override == "" else "task#" + hashlib.sha256(override.encode("utf-8")).hexdigest()[:8]


def signature(task, templated: bool | None) -> str:
    """The task's scoring recipe, e.g. ``chat_template:0|delimiter:' '|trailing_ws:continuation|format:text|normalize:none``
    (``trailing_ws:continuation``: the prompt's trailing whitespace is scored with the choice, as the harness does);
    ``system_prompt:none`` (or ``task#<hash>``) follows the template flag when the task overrides
    the model's system prompt."""
    parts = [f"chat_template:{'n/a' if templated is None else int(templated)}"]
    if task_system_prompt(task) is not None:
        parts.append(f"system_prompt:{system_prompt_label(task)}")
    if task.type == "choice":
        parts += [f"delimiter:{delimiter(task, bool(templated))!r}", "trailing_ws:continuation",
                  f"format:{task.choice_format}",
                  f"normalize:{task.normalize}", "p_positive:softmax-over-choices" if task.positive else ""]
    return "|".join(p for p in parts if p)


def select(logprobs: np.ndarray, lengths: np.ndarray, normalize: str) -> int:
    """Index of the chosen continuation under the normalisation."""
    if normalize == "none":
        return int(np.argmax(logprobs))
    return int(np.argmax(logprobs / np.maximum(lengths, 1)))


def p_positive(logprobs: Sequence[float], choices: Sequence[str], positive: str) -> float:
    """P(positive) normalised over the choices (softmax of summed log-likelihoods)."""
    lp = np.asarray(logprobs, dtype=np.float64)
    if positive not in choices or not np.all(np.isfinite(lp)):
        return float("nan")
    probs = np.exp(lp - lp.max())
    probs /= probs.sum()
    return float(probs[list(choices).index(positive)])


def score_chunk(backend: Backend, task, chunk: pd.DataFrame, templated: bool) -> pd.DataFrame:
    """Score every choice of every sample in one call; prediction, log-likelihoods, p_positive."""
    delim = delimiter(task, templated)
    reqs, spans, lengths = [], [], []
    for sid, prompt, choices in zip(chunk["sample_id"], chunk["input"], chunk["choices"]):
        tgts = targets(choices, task.choice_format)
        spans.append((len(reqs), len(tgts)))
        reqs += [Request(sample_id=sid, prompt=prompt, task=task.name, continuation=delim + t,
                         chat_template=templated, system_prompt=task_system_prompt(task)) for t in tgts]
        if task.normalize == "bytes":
            lengths.append([len(t.encode("utf-8")) for t in tgts])
    scores = np.asarray(backend.loglikelihood(reqs, desc=f"{task.name}: score choices"), dtype=float)
    if task.normalize == "tokens":
        counts = np.asarray(backend.count_tokens([r.continuation or "" for r in reqs]), dtype=float)
        lengths = [counts[s:s + k].tolist() for s, k in spans]
    out = pd.DataFrame({"sample_id": chunk["sample_id"].values})
    logprobs = [scores[s:s + k].tolist() for s, k in spans]
    picks = [select(np.asarray(lp), np.asarray(lengths[i] if lengths else [1] * len(lp), dtype=float),
                    task.normalize) for i, lp in enumerate(logprobs)]
    out["prediction"] = [list(cs)[k] for cs, k in zip(chunk["choices"], picks)]
    out["choice_logprobs"] = logprobs
    if task.positive is not None:
        out["p_positive"] = [p_positive(lp, list(cs), task.positive) for lp, cs in zip(logprobs, chunk["choices"])]
    return out


def scoring_block(task, backend: Backend | None) -> JsonObject:
    """The task's prompt and scoring options as run, for the results (``scoring``) and its signature."""
    templated: bool | None = None
    if backend is not None and "loglikelihood" in backend.capabilities:
        try:
            templated = resolve_chat_template(backend, task)
        except AssayError:
            templated = None
    block: JsonObject = {"chat_template": templated, "system_prompt": system_prompt_label(task)}
    if task.type == "choice":
        block.update({"target_delimiter": delimiter(task, bool(templated)), "choice_format": task.choice_format,
                      "normalize": task.normalize})
    block["signature"] = signature(task, templated)
    return block
