"""A small synthetic run with a review queue, for tests and for trying the Review page
without a model: ``make_review_run(Catalog(path))``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audits.config import ReviewConfig
from audits.jsontypes import JsonObject
from audits.results import RunResults, jsonable
from audits.review.queue import build_queue
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import runs as rq

SYSTEM_PROMPT = "You are a careful support assistant."
_NAMES = ["Maria Garcia", "John Smith", "Wei Chen", "Amara Okafor"]


def synthetic_samples(n: int = 40, task: str = "support-qa", seed: int = 0) -> pd.DataFrame:
    """A generate task: questions, references and predictions (some wrong, some leaking an e-mail)."""
    rng = np.random.default_rng(seed)
    groups = np.array(["female", "male", "nonbinary"])[rng.choice(3, size=n, p=[0.48, 0.48, 0.04])]
    groups[n - 1] = "nonbinary"  # at least one member of the small group
    rows = []
    for i in range(n):
        answer = f"Answer number {i}."
        wrong = i % 5 == 1
        leak = i % 9 == 4
        name = _NAMES[i % len(_NAMES)]
        prediction = (f"Contact {name} at {name.split()[0].lower()}@example.com. {answer}" if leak
                      else ("I do not know." if wrong else answer))
        rows.append({"task": task, "sample_id": f"q{i:03d}", "input": f"Question {i}: what is the answer?",
                     "reference": answer, "choices": None, "label": None, "prediction": prediction,
                     "choice_logprobs": None, "correct": not wrong, "positive": None, "gender": groups[i],
                     "pii_leak": leak})
    return pd.DataFrame(rows)


def make_review_run(cat: Catalog, run_id: str = "run-review", n: int = 40, reviewers_per_item: int = 1,
                    rate: float = 0.25, seed: int = 0, audit: str = "review-demo",
                    period: str = "2026-Q4") -> str:
    """Write a complete run (bundle + runs row) whose queue holds flagged and sampled items."""
    samples = synthetic_samples(n, seed=seed)
    review = ReviewConfig(rate=rate, seed=seed, reviewers_per_item=reviewers_per_item)
    queue = build_queue(samples, review, ["gender"])
    config: JsonObject = {"name": audit, "period": period,
                              "model": {"backend": "predictions", "path": "synthetic", "system_prompt": SYSTEM_PROMPT},
                              "tasks": [{"name": "support-qa", "type": "generate", "sensitive": ["gender"]}],
                              "review": review.model_dump(), "scanners": {"pii": {}}}
    results = {"run_id": run_id, "audit": audit, "period": period,
               "tasks": [{"name": "support-qa", "type": "generate", "n": n, "positive": None, "metrics": {}}],
               "review": {"rate": rate, "queue": len(queue)}}
    results = jsonable(RunResults.model_validate(results).model_dump())  # the typed contract, like the runner
    rq.register_run(cat, run_id, audit, period, "0" * 64, "synthetic", actor="synthetic")
    path, digest = write_bundle(cat.runs_dir, run_id, {"samples": samples, "review_queue": queue}, results,
                                config, {"config": config})
    rq.complete_run(cat, run_id, path, digest, actor="synthetic", device="cpu")
    return run_id
