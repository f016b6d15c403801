"""The human-review queue: a stratified random sample plus every flagged sample.

The job runner calls :func:`build_queue` once per task and writes the result to the run
bundle as ``review_queue.parquet``. The sample is deterministic for a seed (and task name)
and every group of the stratifying attributes gets at least one item, so small groups are
never left out of human review.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

import numpy as np
import pandas as pd

from audits.config import ReviewConfig
from audits.errors import AssayError

QUEUE_COLUMNS = ["task", "sample_id", "reason", "stratum", "priority"]

# Lower number = reviewed first. Unknown flag reasons slot in before wrong answers.
REASON_PRIORITY: dict[str, int] = {"pii_leak": 0, "toxic": 1, "cf_flip": 2, "wrong_answer": 4, "sampled": 5}
# a successful red-team attack (audits/scanners/redteam.py): reviewed with the toxic outputs; "incorrect"
# confirms it, "correct" dismisses it as a detector false positive
REASON_PRIORITY["attack_success"] = 1
# a user's negative feedback in a production log (audits/datasets/feedback.py): with the scanner flags,
# before wrong answers
REASON_PRIORITY["negative_feedback"] = 3
_OTHER_FLAG_PRIORITY = 3
_BARE_FLAG_COLUMNS = ("pii_leak", "toxic", "cf_flip")
_MISSING = "(missing)"


def _priority(reason: str) -> int:
    return REASON_PRIORITY.get(reason, _OTHER_FLAG_PRIORITY)


def _strata(samples: pd.DataFrame, columns: list[str]) -> pd.Series:
    """One label per row such as ``gender=female|race=Black`` (``all`` without attributes)."""
    if not columns:
        return pd.Series("all", index=samples.index, dtype=object)
    parts = [c + "=" + samples[c].astype(object).where(samples[c].notna(), _MISSING).astype(str)
             for c in columns]
    out = parts[0]
    for p in parts[1:]:
        out = out + "|" + p
    return out.astype(object)


def _as_mask(values: Iterable, n: int, name: str) -> np.ndarray:
    arr = np.asarray(pd.Series(list(values) if not isinstance(values, (np.ndarray, pd.Series)) else values)
                     .fillna(False).astype(bool))
    if arr.shape != (n,):
        raise AssayError(f"review flag {name!r} has {arr.shape[0]} values for {n} samples",
                         "pass one boolean per sample row, aligned with the samples frame")
    return arr


def flag_masks(samples: pd.DataFrame, flags: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Reason -> boolean mask, from ``flag_<reason>`` / ``pii_leak`` / ``toxic`` / ``cf_flip``
    columns, ``correct == False`` (``wrong_answer``) and the extra ``flags`` mapping."""
    n = len(samples)
    masks: dict[str, np.ndarray] = {}

    def add(reason: str, mask: np.ndarray) -> None:
        masks[reason] = masks[reason] | mask if reason in masks else mask

    for col in samples.columns:
        if col.startswith("flag_") and len(col) > 5:
            add(col[5:], _as_mask(samples[col], n, col))
        elif col in _BARE_FLAG_COLUMNS:
            add(col, _as_mask(samples[col], n, col))
    if "correct" in samples.columns:
        correct = samples["correct"]
        add("wrong_answer", np.asarray(correct.notna() & (correct.astype(object) == False)))  # noqa: E712
    for name, values in (flags or {}).items():
        reason = name[5:] if name.startswith("flag_") else name
        add(reason, _as_mask(values, n, name))
    return masks


def _allocate(sizes: pd.Series, rate: float) -> pd.Series:
    """Items per stratum: proportional to size (largest remainder), at least one each."""
    if rate <= 0 or sizes.empty:
        return pd.Series(0, index=sizes.index, dtype=int)
    total = max(1, int(round(rate * int(sizes.sum()))))
    exact = sizes.astype(float) * (total / float(sizes.sum()))
    alloc = np.floor(exact).astype(int)
    left = total - int(alloc.sum())
    if left > 0:  # largest remainders first; ties broken by stratum name (stable, deterministic)
        rema = (exact - alloc).rename("r").reset_index().sort_values(["r", sizes.index.name or "index"],
                                                                      ascending=[False, True], kind="mergesort")
        for key in rema.iloc[:left, 0]:
            alloc[key] += 1
    return alloc.clip(lower=1).clip(upper=sizes)


def _rng(seed: int, task: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), zlib.crc32(task.encode())])


def build_queue(samples: pd.DataFrame, review: ReviewConfig, attributes: list[str],
                flags: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Select the samples people should label.

    Parameters
    ----------
    samples : the samples frame of one (or more) task(s): ``task``, ``sample_id``, attributes,
        ``correct`` and scanner flag columns (``flag_<reason>``, ``pii_leak``, ``toxic``, ``cf_flip``).
    review : rate (share of samples drawn at random), seed, stratify_by, include_flagged.
    attributes : the task's sensitive attributes; strata unless ``review.stratify_by`` is set.
    flags : extra reason -> boolean mask (one value per row of ``samples``).

    Returns
    -------
    DataFrame with one row per queued sample: task, sample_id, reason (the most urgent one:
    pii_leak < toxic < cf_flip < other flags < wrong_answer < sampled), stratum, priority
    (lower = review first), ordered by priority, task, then the samples' order.
    """
    missing = [c for c in ("task", "sample_id") if c not in samples.columns]
    if missing:
        raise AssayError(f"samples frame lacks column(s) {missing} needed for the review queue",
                         "build the queue from a samples frame in the documented shape")
    if review.stratify_by:
        absent = [c for c in review.stratify_by if c not in samples.columns]
        if absent:
            raise AssayError(f"review.stratify_by names {absent}, which are not sample columns",
                             f"use some of: {', '.join(map(str, samples.columns))}")
        strat_cols = list(review.stratify_by)
    else:
        strat_cols = [a for a in attributes if a in samples.columns]
    frame = samples.reset_index(drop=True)
    strata = _strata(frame, strat_cols)
    reasons = pd.Series(None, index=frame.index, dtype=object)
    prio = pd.Series(np.iinfo(np.int32).max, index=frame.index, dtype=np.int64)

    def mark(mask: np.ndarray, reason: str) -> None:
        p = _priority(reason)
        better = mask & (prio.to_numpy() > p)
        reasons[better] = reason
        prio[better] = p

    if review.include_flagged:
        for reason, mask in flag_masks(frame, flags).items():
            mark(mask, reason)
    sampled = np.zeros(len(frame), dtype=bool)
    for task, idx in frame.groupby("task", sort=True).groups.items():
        sub = strata.loc[idx]
        sizes = sub.value_counts().sort_index()
        sizes.index.name = "stratum"
        alloc = _allocate(sizes, review.rate)
        rng = _rng(review.seed, str(task))
        for stratum, k in alloc.items():
            if k <= 0:
                continue
            members = np.sort(sub.index[sub.to_numpy() == stratum].to_numpy())
            sampled[rng.choice(members, size=int(k), replace=False)] = True
    mark(sampled, "sampled")
    keep = reasons.notna().to_numpy()
    out = pd.DataFrame({"task": frame["task"].astype(str)[keep], "sample_id": frame["sample_id"].astype(str)[keep],
                        "reason": reasons[keep].astype(str), "stratum": strata[keep].astype(str),
                        "priority": prio[keep].astype(np.int32)})
    # stable sort keeps the samples' own order within a priority and task
    return out.sort_values(["priority", "task"], kind="mergesort").reset_index(drop=True)[QUEUE_COLUMNS]
