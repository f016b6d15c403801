"""10 reviewer processes store 100 labels each while an audit job writes runs into the same
catalog: every label persists, the audit-log chain verifies, no lock error reaches anyone.

Prints the wall time and the p95 latency of ``record_review`` under that load (run with -s).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

N_REVIEWERS = 10
LABELS_EACH = 100
LABELS = ("correct", "incorrect", "needs_rephrasing")


def _reviewer(catalog: str, run_id: str, name: str, items: list[tuple[str, str]], barrier, out) -> None:
    from audits.store.catalog import Catalog
    from audits.store.queries import reviews as rv

    latencies, errors = [], []
    try:
        cat = Catalog(catalog)
        rv.review_queue(cat, run_id)  # warm the (immutable) queue cache, as a dashboard session would
        barrier.wait(timeout=300)
        for i, (task, sample_id) in enumerate(items):
            label = LABELS[(i + len(name)) % 3]
            t0 = time.perf_counter()
            try:
                rv.record_review(cat, run_id, task, sample_id, name, "reviewer", label,
                                 correction=None if label == "correct" else f"fix {i} by {name}")
            except Exception as err:  # noqa: BLE001  (any error reaching a reviewer fails the test)
                errors.append(f"{type(err).__name__}: {err}")
            latencies.append(time.perf_counter() - t0)
    except Exception as err:  # noqa: BLE001
        errors.append(f"{type(err).__name__}: {err}")
    out.put({"name": name, "latencies": latencies, "errors": errors})


def _job(config_path: str, catalog: str, barrier, stop, out) -> None:
    from audits.config import load_config
    from audits.runner import run_audit
    from audits.store.catalog import Catalog

    run_ids, errors = [], []
    try:
        config, cat = load_config(config_path), Catalog(catalog)
        barrier.wait(timeout=300)
        while not stop.is_set() or not run_ids:
            run_ids.append(run_audit(config, cat, actor="ci-job"))
    except Exception as err:  # noqa: BLE001
        errors.append(f"{type(err).__name__}: {err}")
    out.put({"name": "job", "run_ids": run_ids, "errors": errors})


def _job_config(tmp: Path) -> Path:
    rows = [{"id": f"s{i}", "question": f"What is {i} + 1?", "answer": str(i + 1), "group": "ab"[i % 2]}
            for i in range(20)]
    (tmp / "data.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (tmp / "preds.jsonl").write_text("".join(json.dumps({"sample_id": f"s{i}", "prediction": str(i + (i % 3 > 0))})
                                             + "\n" for i in range(20)))
    config = {"name": "concurrency-job", "period": "2026-Q4", "bootstrap": 50,
              "model": {"backend": "predictions", "path": str(tmp / "preds.jsonl")},
              "tasks": [{"name": "arith", "type": "generate", "dataset": {"path": str(tmp / "data.jsonl")},
                         "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}",
                         "sensitive": ["group"]}],
              "review": {"rate": 0.2}}
    path = tmp / "job.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_ten_reviewers_and_a_job_share_the_catalog(tmp_path):
    from audits.review.synthetic import make_review_run
    from audits.store.catalog import Catalog
    from audits.store.queries import audit_log
    from audits.store.queries import reviews as rv
    from audits.store.queries import runs as runs_q

    cat = Catalog(tmp_path / "shared.duckdb")
    run_id = make_review_run(cat, "run-shared", n=400, rate=0.25, reviewers_per_item=N_REVIEWERS)
    queue = rv.review_queue(cat, run_id)
    assert len(queue) >= LABELS_EACH
    items = list(zip(queue["task"], queue["sample_id"]))[:LABELS_EACH]
    config = _job_config(tmp_path)

    ctx = mp.get_context("spawn")
    barrier, stop, out = ctx.Barrier(N_REVIEWERS + 1), ctx.Event(), ctx.Queue()
    names = [f"reviewer{i:02d}" for i in range(N_REVIEWERS)]
    reviewers = [ctx.Process(target=_reviewer, args=(str(cat.path), run_id, n, items, barrier, out)) for n in names]
    job = ctx.Process(target=_job, args=(str(config), str(cat.path), barrier, stop, out))
    for p in [job, *reviewers]:
        p.start()
    started = time.perf_counter()
    reports = {}
    while len(reports) < N_REVIEWERS:
        report = out.get(timeout=900)
        reports[report["name"]] = report
    wall = time.perf_counter() - started
    stop.set()
    job_report = out.get(timeout=300)
    for p in [job, *reviewers]:
        p.join(timeout=60)

    errors = [e for r in reports.values() for e in r["errors"]] + job_report["errors"]
    assert errors == []
    latencies = np.concatenate([r["latencies"] for r in reports.values()])
    print(f"\n{N_REVIEWERS} reviewers x {LABELS_EACH} labels + {len(job_report['run_ids'])} audit runs: "
          f"wall {wall:.1f}s; record_review p50 {np.percentile(latencies, 50) * 1000:.0f} ms, "
          f"p95 {np.percentile(latencies, 95) * 1000:.0f} ms, max {latencies.max() * 1000:.0f} ms")

    stored = rv.history(cat, run_id)
    assert len(stored) == N_REVIEWERS * LABELS_EACH
    assert stored.groupby("reviewer").size().to_dict() == {n: LABELS_EACH for n in names}
    assert len(stored.drop_duplicates(["reviewer", "sample_id"])) == N_REVIEWERS * LABELS_EACH
    with cat.connect() as con:
        assert audit_log.verify_chain(con) == []
        n_logged = con.execute("SELECT count(*) FROM audit_log WHERE action = 'review.label'").fetchone()[0]
    assert n_logged == N_REVIEWERS * LABELS_EACH
    runs = runs_q.list_runs(cat)
    job_runs = runs[runs["run_id"].isin(job_report["run_ids"])]
    assert len(job_runs) == len(job_report["run_ids"]) >= 1
    assert set(job_runs["status"]) == {"complete"}
    from audits.trust.verify import verify

    assert verify(cat).problems == []
    summary = rv.review_summary(cat, run_id)
    assert summary["n_reviewed"] == LABELS_EACH and summary["agreement"]["method"] == "fleiss"
