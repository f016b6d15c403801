"""Run one task's samples through a backend, in checkpointed blocks (so ``--resume`` works).

Choice tasks are scored by log-likelihood when the backend can (one batched call over every
sample x choice); otherwise the backend generates and the text is matched to a choice.

A task's rows are cut into blocks of ``block_size`` samples. Each finished block is written to
``<checkpoint_dir>/<task>.<index>.parquet`` (atomically), so a killed run resumes without
recomputing it. Every executor (``audits/executors/``) answers the same blocks with
:func:`infer_block`, which is why a local run and a Ray run give the same results.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, TypedDict

import pandas as pd

from audits.backends.base import Backend, Request
from audits.backends.choices import resolve_chat_template, score_chunk, scoring_block
from audits.config import TaskConfig
from audits.errors import AssayError
from audits.atomic_files import write_atomic
from audits.jsontypes import JsonObject

CHUNK = 256  # samples per checkpoint block (the default of executor.block_size)
FINGERPRINT_FILE = "model-identity.json"  # in the checkpoint folder: what answered the run's blocks


def _private_file(path: Path) -> int:
    """Open ``path`` for writing, readable by its owner only, in a folder only its owner can enter: a
    checkpoint folder holds raw model outputs in clear (a bundle keeps them only encrypted, raw.enc)."""
    if path.parent.stat().st_mode & 0o777 != 0o700:
        path.parent.chmod(0o700)  # also a folder an older version left 0755
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # a leftover .tmp from an older version kept its mode
    return fd


def write_checkpoint_json(path: Path, value: Any) -> None:
    """Write a checkpoint file atomically (a kill mid-write leaves the old file or none, never half),
    mode 0600 in a 0700 folder."""
    if path.parent.stat().st_mode & 0o777 != 0o700:
        path.parent.chmod(0o700)
    write_atomic(path, json.dumps(value, sort_keys=True))  # mkstemp: mode 0600


def _block_message(path: Path, data: bytes) -> bytes:
    return f"assay-block|{path.parent.name}|{path.name}|{hashlib.sha256(data).hexdigest()}".encode()


def sign_block(path: Path, data: bytes) -> None:
    """Sign a checkpoint block (its folder, name and SHA-256) with the installation key, kept outside
    the catalog and the runs folder, into ``<block>.sig``: a block edited before a resume is caught."""
    from audits.trust import keys

    private = keys.signing_key()
    write_checkpoint_json(path.with_name(path.name + ".sig"), {
        "key_id": keys.key_id(private.public_key()), "signature": private.sign(_block_message(path, data)).hex()})


def check_block(path: Path) -> None:
    """A checkpoint file (a block, the saved config, the pinned fingerprint) is used only with a valid
    signature of a key this installation trusts."""
    from cryptography.exceptions import InvalidSignature

    from audits.trust import keys

    sig_path = path.with_name(path.name + ".sig")
    try:
        sig = json.loads(sig_path.read_text(encoding="utf-8"))
        keys.trusted_keys()[sig["key_id"]].verify(bytes.fromhex(sig["signature"]),
                                                  _block_message(path, path.read_bytes()))
    except (OSError, ValueError, KeyError, TypeError, InvalidSignature):
        run_id = path.parent.name.removeprefix(".partial-")
        raise AssayError(f"run '{run_id}': checkpoint file {path.name} has no valid signature of this "
                         "installation's key (changed after it was answered, or written elsewhere)",
                         "start a new run without --resume") from None


def read_checkpoint_json(path: Path) -> JsonObject:
    """A JSON object from a run's checkpoint folder; one that is cut short, binary or not an object is
    one line naming the file (the run's id is the folder's name after ``.partial-``)."""
    run_id = path.parent.name.removeprefix(".partial-")
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
        why = "not a JSON object"
    except (OSError, UnicodeDecodeError, ValueError) as err:
        value, why = None, type(err).__name__
    if not isinstance(value, dict):
        raise AssayError(f"run '{run_id}': its checkpoint file {path} cannot be read ({why})",
                         "start a new run without --resume")
    return value


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


def infer_block(backend: Backend, task: TaskConfig, chunk: pd.DataFrame) -> pd.DataFrame:
    """Predictions for one block: columns sample_id, prediction, choice_logprobs (and raw_output
    when a choice task had to be generated and matched)."""
    out = pd.DataFrame({"sample_id": chunk["sample_id"].values})
    if task.type == "generate":
        reqs = [Request(sample_id=s, prompt=p, task=task.name, chat_template=task.chat_template,
                        system_prompt=task.system_prompt) for s, p in zip(chunk["sample_id"], chunk["input"])]
        out["prediction"] = backend.generate(reqs, desc=f"{task.name}: generate")
        out["choice_logprobs"] = None
        return out
    if "loglikelihood" in backend.capabilities:  # delimiter, letters, normalisation: audits/backends/choices.py
        return score_chunk(backend, task, chunk, resolve_chat_template(backend, task))
    reqs = [Request(sample_id=s, prompt=p, task=task.name, system_prompt=task.system_prompt)
            for s, p in zip(chunk["sample_id"], chunk["input"])]
    texts = backend.generate(reqs, desc=f"{task.name}: generate")
    out["prediction"] = [match_choice(t, list(cs)) for t, cs in zip(texts, chunk["choices"])]
    out["raw_output"] = texts
    out["choice_logprobs"] = None
    return out



@dataclass
class BlockPlan:
    """One task's blocks: those already checkpointed (``done``) and those still to answer (``todo``)."""

    task: TaskConfig
    n_blocks: int
    done: dict[int, pd.DataFrame]
    todo: dict[int, pd.DataFrame]  # block index -> the frame rows of that block
    checkpoint_dir: Path | None

    @property
    def n_rows_todo(self) -> int:
        return sum(len(f) for f in self.todo.values())

    def path(self, index: int) -> Path | None:
        return self.checkpoint_dir / f"{self.task.name}.{index:05d}.parquet" if self.checkpoint_dir else None

    def save(self, index: int, result: pd.DataFrame) -> None:
        """Record a finished block (and write its checkpoint atomically)."""
        path = self.path(index)
        if path is not None:
            tmp = path.with_suffix(".tmp")
            with os.fdopen(_private_file(tmp), "wb") as fh:
                result.to_parquet(fh, index=False)
            sign_block(path, tmp.read_bytes())  # the signature first: a block on disk is always signed
            tmp.rename(path)
        self.done[index] = result
        self.todo.pop(index, None)

    def result(self) -> pd.DataFrame:
        """Every block's predictions in the frame's order (all blocks must be done)."""
        missing = sorted(set(range(self.n_blocks)) - set(self.done))
        if missing:
            raise RuntimeError(f"task {self.task.name}: blocks {missing} have no result")
        result = pd.concat([self.done[i] for i in range(self.n_blocks)], ignore_index=True)
        if "choice_logprobs" in result:
            result["choice_logprobs"] = [None if v is None else list(v) for v in result["choice_logprobs"]]
        return result


def plan_blocks(task: TaskConfig, frame: pd.DataFrame, checkpoint_dir: Path | None = None,
                block_size: int = CHUNK) -> BlockPlan:
    """Cut ``frame`` into blocks and pick up every block whose checkpoint matches its sample ids."""
    done: dict[int, pd.DataFrame] = {}
    todo: dict[int, pd.DataFrame] = {}
    n_blocks = (len(frame) + block_size - 1) // block_size
    plan = BlockPlan(task, n_blocks, done, todo, checkpoint_dir)
    for index in range(n_blocks):
        chunk = frame.iloc[index * block_size:(index + 1) * block_size]
        path = plan.path(index)
        if path is not None and path.exists():
            check_block(path)  # changed since it was answered: refused, never reused
            saved = pd.read_parquet(path)
            if saved["sample_id"].tolist() == chunk["sample_id"].tolist():
                done[index] = saved
                continue
        todo[index] = chunk
    return plan


def run_task_inference(backend: Backend, task: TaskConfig, frame: pd.DataFrame,
                       checkpoint_dir: Path | None = None, block_size: int = CHUNK) -> pd.DataFrame:
    """Predictions for every row of ``frame`` (same order), reusing finished checkpoint blocks."""
    plan = plan_blocks(task, frame, checkpoint_dir, block_size)
    for index, chunk in sorted(plan.todo.items()):
        plan.save(index, infer_block(backend, task, chunk))
    if not plan.n_blocks:
        return pd.DataFrame({"sample_id": [], "prediction": [], "choice_logprobs": []})
    return plan.result()


class Fingerprint(TypedDict):
    """What answered a run's blocks: the backend's identity and each task's scoring signature (JSON)."""

    model: JsonObject
    scoring: dict[str, str]


def fingerprint(backend: Backend, tasks: Iterable[TaskConfig]) -> Fingerprint:
    """What decides a block's answers besides the config: the model's identity (weights, device, dtype,
    autocast, threads, library versions) and each task's scoring signature. JSON data."""
    fp = {"model": backend.identity(), "scoring": {t.name: scoring_block(t, backend)["signature"] for t in tasks}}
    return json.loads(json.dumps(fp, sort_keys=True, default=str))


class FingerprintPin:
    """Every block of a run is answered by one fingerprint: the first one seen (or the one a killed
    attempt saved in the checkpoint folder) is pinned; any other is refused before its blocks are used
    (a resumed run on another model, device, dtype or thread count; Ray actors that disagree)."""

    def __init__(self, checkpoint_dir: Path | None):
        self.path = checkpoint_dir / FINGERPRINT_FILE if checkpoint_dir is not None else None
        self.pinned: Fingerprint | None = None
        if self.path is not None and self.path.exists():
            self.pinned = read_checkpoint_json(self.path)  # type: ignore[assignment]
            check_block(self.path)

    def check(self, fp: Fingerprint) -> None:
        if self.pinned is None:
            self.pinned = fp
            if self.path is not None:
                write_checkpoint_json(self.path, fp)
                sign_block(self.path, self.path.read_bytes())
            return
        if fp != self.pinned:
            where, was, now = first_difference(self.pinned, fp)
            raise AssayError(f"the run's blocks were answered with {where} = {was!r}, but this attempt's model "
                             f"has {now!r}; mixing them would change its results",
                             "start a new run (without --resume) on one kind of worker")


def first_difference(a: Any, b: Any, path: str = "") -> tuple[str, Any, Any]:
    """(dotted key path, value in a, value in b) of the first place two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            if a.get(key, _ABSENT) != b.get(key, _ABSENT):
                return first_difference(a.get(key, _ABSENT), b.get(key, _ABSENT), f"{path}.{key}" if path else str(key))
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return first_difference(x, y, f"{path}.{i}" if path else str(i))
    return path or "(top level)", _shown(a), _shown(b)


class _Absent:
    def __repr__(self) -> str:
        return "(not set)"


_ABSENT = _Absent()


def _shown(value: Any) -> Any:
    return value if not isinstance(value, (dict, list)) else json.dumps(value, sort_keys=True)[:80]
