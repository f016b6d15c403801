"""A Ray worker that loaded other detector files than the driver is refused, by name.

A real two-node Ray cluster on this machine (``ray.cluster_utils.Cluster``): the head holds the
driver only (no CPUs), so the scan runs on the one worker node. A node with the same files answers
(the scores equal the driver's, the manifest records the files' digests); a node whose raylet puts a
re-saved copy of the toxicity classifier first on its PYTHONPATH (the same model, other bytes, as
an other build on another machine would be) is refused with one line naming the node and the file.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from audits.config import load_config
from audits.errors import AssayError
from audits.executors import open_executor, stage_files

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")

TEXTS = [f"ticket {i}: you are a stupid idiot" if i % 7 == 0 else f"ticket {i}: thanks, all sorted" for i in range(400)]
CONFIG = """\
name: ray-files
period: 2026-Q4
model: {{backend: predictions, path: {log}}}
executor: {{kind: ray, address: "{address}", num_workers: 1}}
tasks:
  - name: t
    type: generate
    dataset: {{path: {log}}}
    prompt: "{{input}}"
"""


def _diverged_classifier(folder: Path) -> Path:
    """A copy of the installed profanity_check with its vectoriser re-saved (same object, other bytes)."""
    import joblib

    source = stage_files._package_dir("profanity_check")
    copy = folder / "site" / "profanity_check"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("__pycache__"))
    vec = copy / "data" / "vectorizer.joblib"
    joblib.dump(joblib.load(vec), vec, compress=3)
    assert stage_files.digest(copy) != stage_files.digest(source)
    return folder / "site"


def _executor(tmp_path: Path, address: str):
    log = tmp_path / "log.jsonl"
    log.write_text('{"id": "a", "input": "hi", "output": "hello"}\n', encoding="utf-8")
    cfg = tmp_path / "ray.yaml"
    cfg.write_text(CONFIG.format(log=log, address=address), encoding="utf-8")
    return open_executor(load_config(cfg))


def test_a_worker_with_other_detector_files_is_refused(tmp_path, monkeypatch):
    from ray.cluster_utils import Cluster

    from audits.scanners.toxicity import ToxicityScore, score_toxicity

    monkeypatch.setattr(ToxicityScore, "remote_min_rows", 0)
    monkeypatch.setattr(ToxicityScore, "batch_size", 100)
    site = _diverged_classifier(tmp_path)
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})
    try:
        same = cluster.add_node(num_cpus=1)
        executor = _executor(tmp_path, cluster.address)
        try:
            scores = executor.map_rows(ToxicityScore(), TEXTS)
            np.testing.assert_array_equal(np.asarray(scores), score_toxicity(TEXTS))  # ran on the node, same files
            recorded = executor.execution.details["stage_files"]["toxicity"]
            assert recorded["toxicity classifier profanity_check"].startswith("sha256:")
            assert recorded["package scikit-learn"].startswith("version ")

            cluster.remove_node(same)
            other = cluster.add_node(num_cpus=1, env_vars={"PYTHONPATH": str(site)})
            with pytest.raises(AssayError) as err:
                executor.map_rows(ToxicityScore(), TEXTS)
        finally:
            executor.close()
    finally:
        cluster.shutdown()
    message = f"{err.value.problem} — {err.value.fix}"
    assert "\n" not in message
    assert f"(node {other.node_id[:12]}, pid " in message
    assert "toxicity classifier profanity_check is sha256:" in message and str(site) in message
    assert "on the driver" in message and "install the same Assay and detector packages on every node" in message
