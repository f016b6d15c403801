"""Shared pieces for the executor tests: a tiny audit on the embedded model, and bundle readers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

# Small on purpose: 2 CPU cores shared with the rest of the suite. threads: 1 in every process that
# runs the model (the driver and each of the 2 Ray actors), so float sums run in one order everywhere. block_size 2 gives 6 blocks,
# enough for both Ray workers to take several and for a worker to die mid-job. PII and toxicity
# run as row stages on the executor (too few texts here to leave the driver: see test_ray_scanners).
MINI = """\
name: mini-ray
period: 2026-Q4
bootstrap: 200
model: {{path: smollm2, batch_size: 4, max_new_tokens: 4, device: cpu, threads: 1}}
executor: {{kind: {kind}, num_workers: 2, num_cpus: 2, block_size: 2}}
tasks:
  - name: qa
    type: generate
    dataset: {{builtin: reference-qa}}
    prompt: "Policy: {{context}}\\nQuestion: {{question}}\\nAnswer briefly."
    metrics: [token_f1]
    limit: 4
  - name: de
    type: choice
    dataset: {{builtin: discrim-eval}}
    prompt: "{{filled_template}}\\n\\nAnswer yes or no."
    choices: ["yes", "no"]
    positive: "yes"
    metrics: [selection_rate]
    limit: 8
scanners:
  pii: {{fields: [input, prediction]}}
  toxicity: {{fields: [input, prediction]}}
"""


def write_config(folder: Path, kind: str) -> Path:
    path = folder / f"mini-{kind}.yaml"
    path.write_text(MINI.format(kind=kind), encoding="utf-8")
    return path


def read_bundle(runs_dir: Path, run_id: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(samples, metrics, manifest) of a finished run."""
    folder = runs_dir / run_id
    samples = pd.read_parquet(folder / "samples.parquet").sort_values(["task", "sample_id"]).reset_index(drop=True)
    metrics = pd.read_parquet(folder / "metrics.parquet").sort_values(["task", "metric"]).reset_index(drop=True)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    findings = folder / "findings.parquet"
    if findings.exists():  # the PII findings, carried in the manifest dict for the comparison
        manifest["_findings"] = pd.read_parquet(findings).sort_values(
            ["task", "sample_id", "field", "start", "end", "entity_type"]).reset_index(drop=True)
    return samples, metrics, manifest


def assert_same_results(a: tuple, b: tuple) -> None:
    """Identical predictions and metrics (with intervals), and choice log-likelihoods to the bit: every
    process runs the model on the same thread count (model.threads), so no tolerance is needed."""
    import numpy as np

    (sa, ma, _), (sb, mb, _) = a, b
    assert sa["sample_id"].tolist() == sb["sample_id"].tolist()
    assert sa["prediction"].tolist() == sb["prediction"].tolist()
    for x, y in zip(sa["choice_logprobs"], sb["choice_logprobs"]):
        assert (x is None) == (y is None)
        if x is not None:
            np.testing.assert_array_equal(np.asarray(x, float), np.asarray(y, float))
    cols = ["task", "metric", "value", "ci_low", "ci_high", "n"]
    pd.testing.assert_frame_equal(ma[cols], mb[cols], check_exact=True)
    if "toxicity_score" in sa.columns:  # the scanners' row stages: the same scores and findings
        np.testing.assert_array_equal(sa["toxicity_score"].to_numpy(float), sb["toxicity_score"].to_numpy(float))
        # built-in public benchmarks: the PII stage finds nothing to count here (test_ray_scanners holds
        # a user's dataset with hundreds of findings); whatever one run found, the other found the same
        assert ("_findings" in a[2]) == ("_findings" in b[2])
        if "_findings" in a[2]:
            pd.testing.assert_frame_equal(a[2]["_findings"], b[2]["_findings"])
