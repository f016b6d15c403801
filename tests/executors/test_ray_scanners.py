"""CPU-heavy scanners as Ray Data stages: PII findings and toxicity scores are identical with
executor local (in process) and ray (a local 2-CPU cluster, the stages on 2 actors).

The Ray cluster is started the way a job starts it (``open_executor`` on the mini config with
``executor.kind: ray``); no model is loaded: only the scanners' row stages run.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from audits.config import TaskConfig, load_config
from audits.executors import open_executor
from audits.scanners._pii_synth import labelled_set
from audits.scanners.base import SCANNERS, TaskContext
from tests.executors.conftest import write_config

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")

TASK = TaskConfig(name="support", type="generate", dataset={"path": "x.jsonl"})
TOXIC = ["You are a fucking idiot.", "Shut up, you stupid bitch.", "This is shit, you moron."]


def _samples(n: int = 240) -> pd.DataFrame:
    """Support tickets with known PII; answers repeat, leak or insult; some empty and missing cells."""
    texts = [item.text for item in labelled_set(n, seed=11)]
    predictions = []
    for i, text in enumerate(texts):
        kind = i % 5
        predictions.append(text if kind == 0 else TOXIC[i % 3] if kind == 1 else
                           texts[(i + 1) % n] if kind == 2 else "" if kind == 3 else None)
    return pd.DataFrame({"task": TASK.name, "sample_id": [f"s{i:04d}" for i in range(n)], "input": texts,
                         "prediction": predictions, "reference": ["Thanks, we will look into it."] * n})


def _same_aggregates(a, b) -> None:
    """The same metrics (value, interval, n, per-sample values) and results blocks."""
    assert a.metrics.keys() == b.metrics.keys()
    for name, m in a.metrics.items():
        n = b.metrics[name]
        assert (m.value, m.ci_low, m.ci_high, m.n) == (n.value, n.ci_low, n.ci_high, n.n)
        np.testing.assert_array_equal(np.asarray(m.per_sample, float), np.asarray(n.per_sample, float))
    assert json.dumps(a.results, sort_keys=True, default=str) == json.dumps(b.results, sort_keys=True, default=str)


def _scan(name: str, samples: pd.DataFrame, executor, options: dict):
    scanner = SCANNERS.get(name)()
    ctx = TaskContext(task=TASK, samples=samples, metric_stats={}, options=scanner.parse(options), backend=None,
                      seed=5, n_bootstrap=300, executor=executor)
    return scanner.scan(ctx)


@pytest.fixture(scope="module")
def executors(tmp_path_factory):
    from audits.scanners.pii import PiiDetect
    from audits.scanners.toxicity import ToxicityScore

    folder = tmp_path_factory.mktemp("scan")
    mp = pytest.MonkeyPatch()
    mp.setattr(PiiDetect, "remote_min_rows", 0)  # a few hundred texts: on the cluster all the same
    mp.setattr(ToxicityScore, "remote_min_rows", 0)
    mp.setenv("ASSAY_CACHE_DIR", str(folder / "cache"))  # one detector-quality measurement for the module
    mp.setenv("ASSAY_PII_SALT", "test-salt")
    local = open_executor(load_config(write_config(folder, "local")))
    remote = open_executor(load_config(write_config(folder, "ray")))
    try:
        yield local, remote
    finally:
        remote.close()
        local.close()
        mp.undo()


def test_pii_findings_identical_local_and_ray(executors):
    local, remote = executors
    samples = _samples()
    options = {"fields": ["input", "prediction", "reference"]}
    from audits.scanners import _pii_spans

    a = _scan("pii", samples, local, options)
    _pii_spans.clear()
    b = _scan("pii", samples, remote, options)
    # the workers' spans came back to the driver, where redaction at rest takes them instead of presidio
    assert _pii_spans.size() == len({t for t in samples["input"].tolist() + samples["prediction"].tolist()
                                     + samples["reference"].tolist() if isinstance(t, str) and t.strip()})
    _pii_spans.clear()
    assert len(a.findings) > 200 and a.findings["leak"].any()
    pd.testing.assert_frame_equal(a.findings, b.findings)
    for col in a.sample_columns:
        np.testing.assert_array_equal(a.sample_columns[col], b.sample_columns[col])
    _same_aggregates(a, b)
    stage = next(s for s in remote.execution.stages if s.name == "scan:pii")
    # 2 actors in the pool; under load the first one up may answer every batch before the second starts
    assert 1 <= stage.workers <= 2 and stage.blocks >= 4
    assert stage.rows == len({t for t in samples["input"].tolist() + samples["prediction"].tolist()
                              + samples["reference"].tolist() if isinstance(t, str) and t.strip()})
    assert next(s for s in local.execution.stages if s.name == "scan:pii").workers is None  # the driver did it


def test_toxicity_scores_identical_local_and_ray(executors):
    local, remote = executors
    samples = _samples()
    options = {"fields": ["input", "prediction"], "threshold": 0.5}
    a, b = _scan("toxicity", samples, local, options), _scan("toxicity", samples, remote, options)
    assert a.flags["toxic"].sum() >= 40
    np.testing.assert_array_equal(a.sample_columns["toxicity_score"], b.sample_columns["toxicity_score"])
    np.testing.assert_array_equal(a.flags["toxic"], b.flags["toxic"])
    _same_aggregates(a, b)
    stage = next(s for s in remote.execution.stages if s.name == "scan:toxicity")
    assert stage.workers >= 1 and stage.rows_per_s > 0


def test_small_stages_stay_on_the_driver_with_ray(executors, monkeypatch):
    from audits.scanners.toxicity import ToxicityScore

    _, remote = executors
    monkeypatch.setattr(ToxicityScore, "remote_min_rows", 1000)
    before = next((s.rows for s in remote.execution.stages if s.name == "scan:toxicity"), 0)
    out = _scan("toxicity", _samples(30), remote, {})
    assert out.sample_columns["toxicity_score"].shape == (30,)
    stage = next(s for s in remote.execution.stages if s.name == "scan:toxicity")
    assert stage.rows > before  # counted, done in this process (no actor pool for 30 rows)


def test_without_an_executor_the_stage_runs_in_process():
    samples = _samples(20)
    a = _scan("toxicity", samples, None, {})
    assert a.sample_columns["toxicity_score"].shape == (20,)
