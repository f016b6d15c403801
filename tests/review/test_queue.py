"""Stratified review sampling: every group represented, the rate respected, deterministic."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import ReviewConfig
from audits.errors import AssayError
from audits.review.queue import QUEUE_COLUMNS, build_queue


def _samples(n: int = 2000, seed: int = 0, task: str = "t") -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "task": task, "sample_id": [f"s{i}" for i in range(n)],
        "race": rng.choice(["white", "black", "asian", "native"], n, p=[0.6, 0.25, 0.145, 0.005]),
        "gender": rng.choice(["female", "male"], n),
    })


def test_every_group_represented_and_rate_respected():
    samples = _samples()
    q = build_queue(samples, ReviewConfig(rate=0.05, seed=7), ["race", "gender"])
    assert list(q.columns) == QUEUE_COLUMNS
    assert set(q["reason"]) == {"sampled"}
    strata = set("race=" + samples["race"] + "|gender=" + samples["gender"])
    assert set(q["stratum"]) == strata  # including the ~10-member native groups
    assert len(q) == pytest.approx(0.05 * len(samples), abs=len(strata))
    big = samples[(samples["race"] == "white") & (samples["gender"] == "male")]
    n_big = (q["stratum"] == "race=white|gender=male").sum()
    assert n_big == pytest.approx(0.05 * len(big), abs=1.5)
    assert q["sample_id"].is_unique
    assert set(q["sample_id"]) <= set(samples["sample_id"])


def test_deterministic_for_a_seed_and_varies_with_it():
    samples = _samples()
    a = build_queue(samples, ReviewConfig(rate=0.05, seed=1), ["race"])
    b = build_queue(samples.copy(), ReviewConfig(rate=0.05, seed=1), ["race"])
    c = build_queue(samples, ReviewConfig(rate=0.05, seed=2), ["race"])
    pd.testing.assert_frame_equal(a, b)
    assert set(a["sample_id"]) != set(c["sample_id"])


def test_flagged_samples_all_queued_with_priority():
    samples = _samples(200)
    samples["correct"] = [None if i % 50 == 0 else bool(i % 7) for i in range(200)]
    samples["pii_leak"] = [i == 3 for i in range(200)]
    samples["flag_toxic"] = [i in (3, 14) for i in range(200)]
    extra = {"cf_flip": np.array([i == 21 for i in range(200)])}
    q = build_queue(samples, ReviewConfig(rate=0.0), ["race"], flags=extra)
    reason = dict(zip(q["sample_id"], q["reason"]))
    assert reason["s3"] == "pii_leak" and reason["s14"] == "toxic" and reason["s21"] == "cf_flip"
    wrong = {f"s{i}" for i in range(200) if i % 7 == 0 and i % 50 != 0} - {"s14", "s21"}
    assert {s for s, r in reason.items() if r == "wrong_answer"} == wrong  # null `correct` is not wrong
    assert q["priority"].is_monotonic_increasing
    assert q.iloc[0]["sample_id"] == "s3"
    off = build_queue(samples, ReviewConfig(rate=0.0, include_flagged=False), ["race"], flags=extra)
    assert off.empty


def test_stratify_by_overrides_attributes_and_is_checked():
    samples = _samples(300)
    q = build_queue(samples, ReviewConfig(rate=0.1, stratify_by=["gender"]), ["race"])
    assert set(q["stratum"]) == {"gender=female", "gender=male"}
    with pytest.raises(AssayError, match="stratify_by"):
        build_queue(samples, ReviewConfig(rate=0.1, stratify_by=["age"]), ["race"])


def test_without_attributes_one_stratum_and_per_task_draws():
    samples = pd.concat([_samples(100, task="a"), _samples(100, task="b")], ignore_index=True)
    q = build_queue(samples, ReviewConfig(rate=0.1), [])
    assert set(q["stratum"]) == {"all"}
    assert q.groupby("task").size().to_dict() == {"a": 10, "b": 10}
