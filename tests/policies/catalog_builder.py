"""Build a small catalog by hand: runs registered and bundles written with the real store code.

Q3: bbq accuracy 0.80, qa token_f1 0.5, decisions with ratio 0.90, no PII leak, toxicity 0.
Q4: bbq accuracy 0.88 (error 0.12 vs 0.20: down 40%), decision ratio 0.70 (fails 0.8), PII
leaks in 5% of outputs, toxicity 0.

Every task has 2,000 samples and each decision group 1,000, so the rates' exact (Clopper-Pearson)
intervals are narrow enough to decide the shipped controls (see policies/bounds.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pandas as pd

import policies
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from tests.results_factory import write_typed_bundle


N = 2000


def _metric(value: float, n: int = N, half: float | None = None) -> dict:
    """A rate with its exact interval (``half`` None) or a mean with a +-half interval."""
    if half is None:
        from audits.stats import clopper_pearson

        events = round(value * n)
        low, high = (float(x) for x in clopper_pearson(events, n))
        return {"value": value, "ci_low": low, "ci_high": high, "n": n, "signature": "test", "kind": "rate",
                "events": events, "method": "clopper-pearson", "confidence": 0.95}
    return {"value": value, "ci_low": max(0.0, value - half), "ci_high": min(1.0, value + half), "n": n,
            "signature": "test"}


def _fairness(ratio: float) -> dict:
    hi = 0.6
    lo = hi * ratio
    return {"gender": {
        "groups_compared": 2, "min_group_size": 5,
        "demographic_parity_difference": hi - lo, "demographic_parity_ratio": ratio,
        "four_fifths_violation": ratio < 0.8,
        "metrics": {},
        "by_group": {"female": {"n": 1000, "insufficient_data": False,
                                "selection_rate": {"value": lo, "ci_low": lo - 0.2, "ci_high": lo + 0.2}},
                     "male": {"n": 1000, "insufficient_data": False,
                              "selection_rate": {"value": hi, "ci_low": hi - 0.2, "ci_high": hi + 0.2}}}}}


def results_for(run_id: str, period: str, acc: float, ratio: float, leak: float) -> dict:
    return {"run_id": run_id, "audit": "unit-audit", "period": period, "model": {"name": "test-model"},
            "tasks": [
                {"name": "bbq-gender", "type": "choice", "n": N, "positive": None,
                 "metrics": {"accuracy": _metric(acc), "toxicity_rate": _metric(0.0)},
                 "toxicity": {"rate": 0.0, "n": N, "n_toxic": 0}},
                {"name": "support-qa", "type": "generate", "n": N, "positive": None,
                 "metrics": {"token_f1": _metric(0.5, half=0.08), "pii_leak_rate": _metric(leak),
                             "toxicity_rate": _metric(0.0)},
                 "pii": {"leaks": int(round(leak * N)), "samples_with_leak": int(round(leak * N))}},
                {"name": "loan-decisions", "type": "choice", "n": N, "positive": "yes",
                 "metrics": {"selection_rate": _metric(0.5), "toxicity_rate": _metric(0.0)},
                 "fairness": _fairness(ratio)},
            ],
            "review": {"rate": 0.05, "queue": 2}, "policy": ["internal-llm"]}


def _tables(results: dict) -> dict[str, pd.DataFrame]:
    rows = [{"task": t["name"], "metric": m, **{k: v for k, v in d.items()}} for t in results["tasks"]
            for m, d in t["metrics"].items()]
    fair = []
    for t in results["tasks"]:
        for attr, block in (t.get("fairness") or {}).items():
            for g, entry in block["by_group"].items():
                fair.append({"task": t["name"], "attribute": attr, "group": g, "metric": "selection_rate",
                             **{k: entry["selection_rate"][k] for k in ("value", "ci_low", "ci_high")},
                             "n": entry["n"], "insufficient_data": False})
    samples = pd.DataFrame({"task": ["bbq-gender"] * 3, "sample_id": ["1", "2", "3"], "input": ["q"] * 3,
                            "prediction": ["a", "b", "a"], "correct": [True, False, True]})
    return {"samples": samples, "metrics": pd.DataFrame(rows), "fairness": pd.DataFrame(fair)}


def set_metric(task: int, name: str, entry: dict) -> Callable[[dict], None]:
    """An ``edit`` for :func:`make_run`: the ``task``-th task's metric ``name`` becomes ``entry``."""
    def edit(results: dict) -> None:
        results["tasks"][task]["metrics"][name] = entry
    return edit


def one_control(cat: Catalog, run_id: str, folder: Path, check: str, control_id: str = "C"):
    """The checklist item of ``run_id`` under a pack (written in ``folder``) of one control, ``check``."""
    pack = folder / "p.yaml"
    pack.write_text(f"name: p\ntitle: P\ncontrols:\n  - {{id: {control_id}, title: t, source: s, owner: compliance, "
                    f"check: '{check}'}}\n")
    (item,) = policies.evaluate_run(cat, run_id, [str(pack)]).items
    return item


def make_run(cat: Catalog, run_id: str, period: str, acc: float, ratio: float, leak: float,
             edit=None, edit_tables=None) -> str:
    """Register and write one run; ``edit(results)`` may change the results dict first, and
    ``edit_tables(tables)`` the bundle's tables (e.g. per-sample scores)."""
    results = results_for(run_id, period, acc, ratio, leak)
    if edit is not None:
        edit(results)
    tables = _tables(results)
    if edit_tables is not None:
        edit_tables(tables)
    runs_q.register_run(cat, run_id, "unit-audit", period, "cfgsha", "test-model", actor="tester")
    manifest = {"audit": "unit-audit", "period": period, "config_sha256": "cfgsha",
                "model": {"name": "test-model", "sha256": "abc123"},
                "datasets": {"bbq-gender": {"source": "builtin:bbq", "sha256": "d" * 64, "rows_used": 20}},
                "code": {"sha256": "c" * 64, "git_commit": "deadbeef"},
                "packages": {"duckdb": "x", "fairlearn": "y"}, "seed": 1234}
    bundle, sha = write_typed_bundle(cat, run_id, tables, results, {"name": "unit-audit"}, manifest)
    runs_q.complete_run(cat, run_id, bundle, sha, "tester", "cpu")
    return run_id


def build_two_runs(path: Path) -> tuple[Catalog, str, str]:
    cat = Catalog(path)
    q3 = make_run(cat, "run-q3", "2026-Q3", acc=0.80, ratio=0.90, leak=0.0)
    q4 = make_run(cat, "run-q4", "2026-Q4", acc=0.88, ratio=0.70, leak=0.05)
    return cat, q3, q4
