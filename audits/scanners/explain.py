"""SHAP token attributions: which words of the prompt moved the model's answer.

For a bounded sample per task (``max_samples``, default 20) — flagged samples first
(``cf_flip``, ``pii_leak``, ``toxic``, wrong answers ...), the rest drawn at random (seeded) —
it explains one number with ``shap.PartitionExplainer`` over a word-level
``shap.maskers.Text`` (a word with the spaces/punctuation after it is one token, so the
tokens concatenate back to the exact prompt; masked runs become ``...``):

* choice tasks: the log-probability of the positive choice (``task.positive``), or of the
  predicted choice when the task has no positive;
* generate tasks: the log-likelihood of the output the model produced.

The value function is ``backend.loglikelihood`` on the masked prompts with that continuation,
so it needs a backend with the ``loglikelihood`` capability. Each sample costs at most
``max_evals`` (default 96) model evaluations, batched by the backend. Attributions sum (with
``base_value``, the fully masked prompt's value) to the full prompt's value.

The table holds the raw prompt's words; before it is written to a bundle, ``rawstore.protect``
redacts each sample's tokens on their joined text with the samples' detector (names and addresses
included) and maps the placeholders back onto the tokens, so the stored tokens never join back into
a value. Attributions and positions are unchanged.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, TypedDict

import numpy as np
import pandas as pd
from pydantic import Field

from audits.backends.base import Backend, Request
from audits.config import AuditConfig
from audits.results import ExplainBlock
from audits.scanners.base import SCANNERS, ScanOutput, Scanner, ScannerOptions, TaskContext, parse_scanner_options

TABLE_COLUMNS = ["task", "sample_id", "token", "position", "attribution", "base_value", "target", "reason"]


class ExplanationRow(TypedDict):
    """A row of the bundle's ``explanations`` table (TABLE_COLUMNS): one word's SHAP attribution."""

    task: str
    sample_id: str
    token: str
    position: int
    attribution: float
    base_value: float
    target: str
    reason: str           # the flags that chose the sample, or random
WORD_PATTERN = r"\w+\W*|\W+"  # a word and the punctuation/space after it; leading symbols alone
SKIPPED = "backend cannot score log-likelihoods"


class WordTokenizer:
    """Word-level tokenizer in the minimal HF shape shap's Text masker accepts."""

    def __init__(self, pattern: str = WORD_PATTERN):
        self.pattern = re.compile(pattern)

    def __call__(self, text: str, return_offsets_mapping: bool = True) -> dict[str, list]:
        spans = [m.span() for m in self.pattern.finditer(text)]
        out: dict[str, list] = {"input_ids": [text[a:b] for a, b in spans]}
        if return_offsets_mapping:
            out["offset_mapping"] = spans
        return out


class ExplainOptions(ScannerOptions):
    """``scanners.explain``: how many samples, SHAP evaluations per sample, and which flags go first."""

    max_samples: int = Field(20, ge=1)
    max_evals: int = Field(96, ge=8)
    flags: list[str] | None = None


def parse_options(options: ScannerOptions | Mapping[str, object] | None) -> ExplainOptions:
    """``scanners.explain`` typed, defaults filled in (typed options pass through)."""
    return parse_scanner_options("explain", ExplainOptions, options)


def select_samples(samples: pd.DataFrame, flags: dict[str, np.ndarray], k: int, seed: int,
                   only: list[str] | None = None) -> list[tuple[int, str]]:
    """Up to ``k`` (row, reason) pairs: flagged rows first, then random rows; both seeded, in row order
    within each tier. ``reason`` names the flags (``wrong_answer`` for ``correct == False``) or ``random``."""
    n = len(samples)
    marks = {name: np.asarray(mask, dtype=bool) for name, mask in flags.items()
             if (only is None or name in only) and len(mask) == n}
    if "correct" in samples and "wrong_answer" not in marks and (only is None or "wrong_answer" in only):
        marks["wrong_answer"] = (samples["correct"] == False).to_numpy(dtype=bool)  # noqa: E712
    flagged = np.zeros(n, dtype=bool)
    for mask in marks.values():
        flagged |= mask
    rng = np.random.default_rng(seed)
    first = rng.permutation(np.flatnonzero(flagged))[:k]
    rest = rng.permutation(np.flatnonzero(~flagged))[: max(0, k - len(first))]
    chosen = []
    for i in sorted(first.tolist()):
        chosen.append((i, ",".join(sorted(name for name, m in marks.items() if m[i]))))
    chosen += [(i, "random") for i in sorted(rest.tolist())]
    return chosen


def explain_prompt(value_fn: Callable[[list[str]], np.ndarray], prompt: str, max_evals: int
                   ) -> tuple[list[str], np.ndarray, float]:
    """(words, attributions, base value) for one prompt; ``value_fn`` maps texts -> values (m,)."""
    import shap

    masker = shap.maskers.Text(WordTokenizer())
    explainer = shap.Explainer(lambda texts: np.asarray(value_fn([str(t) for t in texts]), dtype=np.float64),
                               masker, silent=True)
    result = explainer([prompt], max_evals=max_evals, batch_size=max_evals, silent=True)
    return [str(t) for t in result.data[0]], np.asarray(result.values[0], dtype=np.float64), \
        float(np.ravel(result.base_values)[0])


def target_description(task_type: str, positive: str | None) -> str:
    """What is explained, for the results block."""
    if task_type == "choice":
        return f"logp({positive!r})" if positive is not None else "logp(predicted choice)"
    return "loglik(output)"


def _target(ctx: TaskContext, row: pd.Series) -> tuple[str | None, str]:
    """(continuation to score, its description) for one sample."""
    task = ctx.task
    if task.type == "choice":
        choice = task.positive if task.positive is not None else row.get("prediction")
        if choice is None or pd.isna(choice):
            return None, ""
        return str(choice), f"logp({str(choice)!r})"
    output = row.get("prediction")
    if output is None or pd.isna(output) or not str(output):
        return None, ""
    return str(output), "loglik(output)"


def _value_fn(backend: Backend, task: str, sample_id: str, continuation: str) -> Callable[[list[str]], np.ndarray]:
    def fn(texts: list[str]) -> np.ndarray:
        reqs = [Request(sample_id=f"{sample_id}#shap", prompt=t, task=task, continuation=continuation) for t in texts]
        return np.asarray(backend.loglikelihood(reqs, desc=f"{task}: shap"), dtype=np.float64)
    return fn


@SCANNERS.register("explain")
class ExplainScanner(Scanner):
    """SHAP word attributions on a flagged-first sample of each task."""

    name = "explain"
    Options = ExplainOptions
    requires = frozenset({"flags"})
    provides = frozenset({"block:explain", "table:explanations"})

    def validate(self, options: ScannerOptions, config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        parse_options(options)

    def scan(self, ctx: TaskContext) -> ScanOutput:
        from tqdm.auto import tqdm

        opts = parse_options(ctx.options)
        target_name = target_description(ctx.task.type, ctx.task.positive)
        block = ExplainBlock(n_explained=0, target=target_name, max_evals=opts.max_evals,
                             method=f"shap {_shap_version()} PartitionExplainer, word-level Text masker")
        backend = ctx.backend
        if backend is None or "loglikelihood" not in backend.capabilities:
            return ScanOutput(results={"explain": block.model_copy(update={"skipped": SKIPPED})})
        chosen = select_samples(ctx.samples, ctx.flags, opts.max_samples, ctx.seed, opts.flags)
        rows: list[ExplanationRow] = []
        explained: list[str] = []
        for i, reason in tqdm(chosen, desc=f"{ctx.task.name}: explain", unit="sample", leave=False):
            row = ctx.samples.iloc[i]
            continuation, target = _target(ctx, row)
            prompt = row.get("input")
            if continuation is None or prompt is None or pd.isna(prompt) or not str(prompt).strip():
                continue
            sid = str(row["sample_id"])
            words, values, base = explain_prompt(_value_fn(backend, ctx.task.name, sid, continuation),
                                                 str(prompt), opts.max_evals)
            explained.append(sid)
            rows += [{"task": ctx.task.name, "sample_id": sid, "token": w, "position": p, "attribution": float(v),
                      "base_value": base, "target": target, "reason": reason}
                     for p, (w, v) in enumerate(zip(words, values))]
        block = block.model_copy(update={"n_explained": len(explained), "samples": explained})
        return ScanOutput(results={"explain": block}, tables={"explanations": pd.DataFrame(rows, columns=TABLE_COLUMNS)})


def _shap_version() -> str:
    from importlib.metadata import version

    return version("shap")
