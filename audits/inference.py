"""Run one task's samples through a backend, in checkpointed chunks (so ``--resume`` works).

Choice tasks are scored by log-likelihood when the backend can (one batched call over every
sample x choice); otherwise the backend generates and the text is matched to a choice.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from audits.backends.base import Backend, Request
from audits.config import TaskConfig

CHUNK = 256  # samples per checkpoint


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]+", "", text.lower()).strip()


def match_choice(output: str, choices: list[str]) -> str | None:
    """Map generated text to a choice: exact, then the only choice it starts with or contains."""
    out = _norm(output)
    normed = [_norm(c) for c in choices]
    for choice, n in zip(choices, normed):
        if out == n:
            return choice
    starts = [c for c, n in zip(choices, normed) if n and out.startswith(n)]
    if len(starts) == 1:
        return starts[0]
    contained = [c for c, n in zip(choices, normed) if n and re.search(rf"\b{re.escape(n)}\b", out)]
    return contained[0] if len(contained) == 1 else None


def _infer_chunk(backend: Backend, task: TaskConfig, chunk: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({"sample_id": chunk["sample_id"].values})
    if task.type == "generate":
        reqs = [Request(sample_id=s, prompt=p, task=task.name) for s, p in zip(chunk["sample_id"], chunk["input"])]
        out["prediction"] = backend.generate(reqs, desc=f"{task.name}: generate")
        out["choice_logprobs"] = None
        return out
    if "loglikelihood" in backend.capabilities:
        reqs, spans = [], []
        for sid, prompt, choices in zip(chunk["sample_id"], chunk["input"], chunk["choices"]):
            spans.append((len(reqs), len(choices)))
            reqs += [Request(sample_id=sid, prompt=prompt, task=task.name, continuation=c) for c in choices]
        scores = np.asarray(backend.loglikelihood(reqs, desc=f"{task.name}: score choices"), dtype=float)
        logprobs = [scores[s:s + k].tolist() for s, k in spans]
        out["prediction"] = [cs[int(np.argmax(lp))] for cs, lp in zip(chunk["choices"], logprobs)]
        out["choice_logprobs"] = logprobs
        return out
    reqs = [Request(sample_id=s, prompt=p, task=task.name) for s, p in zip(chunk["sample_id"], chunk["input"])]
    texts = backend.generate(reqs, desc=f"{task.name}: generate")
    out["prediction"] = [match_choice(t, list(cs)) for t, cs in zip(texts, chunk["choices"])]
    out["raw_output"] = texts
    out["choice_logprobs"] = None
    return out


def run_task_inference(backend: Backend, task: TaskConfig, frame: pd.DataFrame,
                       checkpoint_dir: Path | None = None) -> pd.DataFrame:
    """Predictions for every row of ``frame`` (same order), reusing finished checkpoint chunks."""
    parts = []
    for start in range(0, len(frame), CHUNK):
        chunk = frame.iloc[start:start + CHUNK]
        path = checkpoint_dir / f"{task.name}.{start // CHUNK:05d}.parquet" if checkpoint_dir else None
        if path is not None and path.exists():
            done = pd.read_parquet(path)
            if done["sample_id"].tolist() == chunk["sample_id"].tolist():
                parts.append(done)
                continue
        result = _infer_chunk(backend, task, chunk)
        if path is not None:
            tmp = path.with_suffix(".tmp")
            result.to_parquet(tmp, index=False)
            tmp.rename(path)
        parts.append(result)
    result = pd.concat(parts, ignore_index=True)
    if "choice_logprobs" in result:
        result["choice_logprobs"] = [None if v is None else list(v) for v in result["choice_logprobs"]]
    return result
