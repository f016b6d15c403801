"""A synthetic catalog in the documented bundle shapes (docs/architecture.md), for dashboard
tests and the dashboard benchmark. Values are random but internally consistent."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from tests.results_factory import write_typed_bundle
from audits.store.catalog import Catalog
from audits.store.queries import runs as rq

RACES = ["Asian", "Black", "Hispanic", "white"]
GENDERS = ["female", "male", "non-binary"]
TASKS = [("reference-qa", "generate"), ("discrim-eval", "choice"), ("bbq-gender", "choice")]


def _ci(rng: np.random.Generator, values: np.ndarray) -> tuple[float, float, float]:
    v = float(np.mean(values)) if len(values) else float("nan")
    se = float(np.std(values) / max(np.sqrt(len(values)), 1.0))
    return v, v - 1.96 * se, v + 1.96 * se


def make_run_tables(n_per_task: int, seed: int, quality: float) -> tuple[dict[str, pd.DataFrame], dict]:
    rng = np.random.default_rng(seed)
    frames, task_results, metrics, fairness, findings, cf, expl = [], [], [], [], [], [], []
    for name, kind in TASKS:
        n = n_per_task
        ids = np.array([f"{name}-{i}" for i in range(n)], dtype=object)
        race = rng.choice(RACES, n)
        gender = rng.choice(GENDERS, n)
        correct = rng.random(n) < quality
        frame = pd.DataFrame({
            "task": name, "sample_id": ids,
            "input": [f"Question {i} about the applicant (call 555-01{i % 100:02d})" for i in range(n)],
            "reference": "the answer" if kind == "generate" else None,
            "label": None if kind == "generate" else "yes",
            "prediction": np.where(correct, "yes", "no"),
            "correct": correct, "positive": correct if name == "discrim-eval" else None,
            "race": race, "gender": gender,
            "score_accuracy": correct.astype(float),
            "toxicity_score": rng.random(n) * 0.2,
            "pii_leak": rng.random(n) < 0.01,
        })
        frames.append(frame)
        tres = {"name": name, "type": kind, "n": n, "positive": "yes" if name == "discrim-eval" else None,
                "metrics": {}, "fairness": {}, "pii": {"findings": 0, "leaks": 0}}
        for metric in ("accuracy", "toxicity_mean"):
            vals = frame["score_accuracy"].to_numpy() if metric == "accuracy" else frame["toxicity_score"].to_numpy()
            v, lo, hi = _ci(rng, vals)
            tres["metrics"][metric] = {"value": v, "ci_low": lo, "ci_high": hi, "n": n, "signature": f"{metric}|synthetic"}
            metrics.append({"task": name, "metric": metric, "value": v, "ci_low": lo, "ci_high": hi, "n": n,
                            "signature": f"{metric}|synthetic"})
        for attr, values in (("race", race), ("gender", gender)):
            by_group = {}
            for g in sorted(set(values)):
                mask = values == g
                for metric, col in (("accuracy", correct), ("selection_rate", correct)):
                    v, lo, hi = _ci(rng, col[mask].astype(float))
                    fairness.append({"task": name, "attribute": attr, "group": g, "metric": metric, "value": v,
                                     "ci_low": lo, "ci_high": hi, "n": int(mask.sum()), "insufficient_data": False})
                by_group[g] = {"n": int(mask.sum())}
            tres["fairness"][attr] = {"groups_compared": len(by_group), "demographic_parity_ratio": 0.9,
                                      "four_fifths_violation": False, "by_group": by_group, "metrics": {}}
        k = max(1, n // 100)
        leak_ids = ids[:k]
        findings.append(pd.DataFrame({
            "task": name, "sample_id": leak_ids, "scanner": "pii", "field": "prediction",
            "entity_type": rng.choice(["PHONE_NUMBER", "EMAIL_ADDRESS", "PERSON"], k),
            "start": 0, "end": 12, "score": rng.random(k), "leak": rng.random(k) < 0.5,
            "recognizer": "synthetic", "context": "call <PHONE_NUMBER> now", "value_hash": "0" * 64}))
        m = min(20, n)  # counterfactuals.parquet as audits/scanners/counterfactual.py writes it
        cf.append(pd.DataFrame({"task": name, "sample_id": np.repeat(ids[:m], 2), "variant": np.tile([0, 1], m),
                                "value": np.tile(["female", "male"], m),
                                "prompt": [f"I am a {g} applicant. Question {i}" for i in range(m) for g in ("female", "male")],
                                "output": np.where(rng.random(2 * m) < 0.1, "no", "yes"),
                                "decision": np.where(rng.random(2 * m) < 0.1, "no", "yes"),
                                "toxicity": rng.random(2 * m) * 0.1}))
        tres["counterfactual"] = {"attribute": "gender", "values": ["female", "male"], "mode": "template", "n": m,
                                  "flip_rate": {"value": 0.1, "ci_low": 0.0, "ci_high": 0.25, "n": m},
                                  "decision_by_value": {"female": {"yes": m - 2, "no": 2}, "male": {"yes": m - 1, "no": 1}}}
        expl.append(pd.DataFrame({"task": name, "sample_id": ids[:3],
                                  "tokens": [["Is", " the", " applicant", " <b>eligible</b>", "?"]] * min(3, n),
                                  "attributions": [list(rng.normal(size=5))] * min(3, n)}))
        task_results.append(tres)
    tables = {"samples": pd.concat(frames, ignore_index=True), "metrics": pd.DataFrame(metrics),
              "fairness": pd.DataFrame(fairness), "findings": pd.concat(findings, ignore_index=True),
              "counterfactuals": pd.concat(cf, ignore_index=True), "explanations": pd.concat(expl, ignore_index=True)}
    return tables, {"tasks": task_results, "review": {}}


def build_catalog(path: Path, n_per_task: int = 40, periods: tuple[str, ...] = ("2026-Q3", "2026-Q4"),
                  audit: str = "synthetic-audit") -> Catalog:
    """A catalog with one complete run per period (same sample ids, so runs can be paired)."""
    cat = Catalog(path)
    for i, period in enumerate(periods):
        run_id = f"{period}-{i:02d}-synthetic"
        rq.register_run(cat, run_id, audit, period, "0" * 64, "synthetic-model", actor="bench", device="cpu")
        tables, results = make_run_tables(n_per_task, seed=i, quality=0.6 + 0.1 * i)
        results = {"run_id": run_id, "audit": audit, "period": period, **results}
        config = {"audit": audit, "period": period, "policies": []}
        bundle, sha = write_typed_bundle(cat, run_id, tables, results, config, {"config": config})
        rq.complete_run(cat, run_id, bundle, sha, actor="bench", device="cpu")
        time.sleep(0.01)
    return cat
