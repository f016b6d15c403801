"""One config, one result (issue 19): the demo config `assay demo` runs gives identical predictions and
metrics whatever executes it: a local run, Ray with 1 worker, Ray with 2 workers, and a local run
killed (SIGKILL) after its first checkpointed block, then resumed.

Tolerance: none. Predictions, choice log-likelihoods, p_positive, every metric with its interval, the
scanners' scores and every scoring signature must be equal to the bit. What makes the kernels agree:
one torch thread count in every process that runs the model (``model.threads``, default the driver's,
handed to each Ray actor, which Ray would otherwise start with OMP_NUM_THREADS=1), the same dtype and
autocast resolution (checked: every block's model identity must match the run's pinned one), and the
same blocks (``executor.block_size``) whatever answers them. The demo config has tasks that inherit
the model's system prompt and tasks that set none, which a dump/load round trip used to confuse.

Each run is `assay run audits/demo/demo.yaml --limit 6`, as a user would type it (the embedded model;
a few minutes on 2 CPU cores in all).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT, run_cli

pytestmark = pytest.mark.slow
DEMO = ROOT / "audits" / "demo" / "demo.yaml"
LIMIT = "6"


def _runs_dir(catalog: Path) -> Path:
    from audits.store.catalog import Catalog

    return Catalog(catalog).runs_dir


def _run(catalog: Path, *extra: str) -> str:
    proc = run_cli("run", str(DEMO), "--limit", LIMIT, *extra, catalog=catalog, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def _bundle(catalog: Path, run_id: str) -> dict:
    folder = _runs_dir(catalog) / run_id
    samples = pd.read_parquet(folder / "samples.parquet").sort_values(["task", "sample_id"]).reset_index(drop=True)
    metrics = pd.read_parquet(folder / "metrics.parquet").sort_values(["task", "metric"]).reset_index(drop=True)
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return {"samples": samples, "metrics": metrics, "results": results, "manifest": manifest}


def _same(a: dict, b: dict, label: str) -> None:
    sa, sb = a["samples"], b["samples"]
    assert sa["sample_id"].tolist() == sb["sample_id"].tolist(), label
    assert sa["prediction"].tolist() == sb["prediction"].tolist(), label
    for x, y in zip(sa["choice_logprobs"], sb["choice_logprobs"]):
        assert (x is None) == (y is None), label
        if x is not None:
            np.testing.assert_array_equal(np.asarray(x, float), np.asarray(y, float), err_msg=label)
    for col in [c for c in sa.columns if c == "p_positive" or c.startswith(("score_", "toxicity_"))]:
        np.testing.assert_array_equal(sa[col].to_numpy(float), sb[col].to_numpy(float), err_msg=f"{label}: {col}")
    cols = ["task", "metric", "value", "ci_low", "ci_high", "n"]
    pd.testing.assert_frame_equal(a["metrics"][cols], b["metrics"][cols], check_exact=True, obj=label)
    sig = lambda r: {t["name"]: t["extra"]["scoring"] for t in r["tasks"]}  # noqa: E731
    assert sig(a["results"]) == sig(b["results"]), label
    keep = ("device", "dtype", "autocast", "threads", "chat_template", "weights_sha256", "tokenizer_sha256")
    assert {k: a["manifest"]["model"][k] for k in keep} == {k: b["manifest"]["model"][k] for k in keep}, label


def _killed_after_first_block(catalog: Path) -> str:
    """Start the demo run locally, SIGKILL it once its first block is checkpointed; the run's id."""
    job = subprocess.Popen([sys.executable, "-m", "audits.cli", "--catalog", str(catalog), "run", str(DEMO),
                            "--limit", LIMIT], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runs_dir = _runs_dir(catalog)
    deadline = time.monotonic() + 900
    blocks: list[Path] = []
    while job.poll() is None and not blocks and time.monotonic() < deadline:
        blocks = list(runs_dir.glob(".partial-*/*.parquet")) if runs_dir.exists() else []
        time.sleep(0.05)
    assert blocks and job.poll() is None, "the job ended before its first block was checkpointed"
    os.kill(job.pid, signal.SIGKILL)
    job.communicate(timeout=60)
    partial = blocks[0].parent
    assert len(list(partial.glob("*.parquet"))) < 4  # killed before the demo's 4 tasks (one block each) were done
    return partial.name.removeprefix(".partial-")


@pytest.fixture(scope="module")
def local(tmp_path_factory) -> dict:
    catalog = tmp_path_factory.mktemp("local") / "c.duckdb"
    return _bundle(catalog, _run(catalog))


def test_demo_config_keeps_its_system_prompts_apart(local):
    """support-qa and pii-support read the model's system prompt, the benchmarks none, as configured."""
    prompts = {t["name"]: t["extra"]["scoring"]["system_prompt"] for t in local["results"]["tasks"]}
    leak = prompts.pop("redteam-system-prompt-leak")  # the model's prompt with the run's canary planted in it
    assert leak.startswith("task#")
    assert prompts == {"support-qa": "model", "loan-decisions": "none", "bbq-gender": "none", "pii-support": "model",
                       "redteam-prompt-injection": "model"}
    assert local["manifest"]["model"]["threads"] >= 1
    # the tokenizer's digest is recorded (not None), so _same's comparison of it between executors has teeth
    assert len(local["manifest"]["model"]["tokenizer_sha256"]) == 64


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ray_gives_the_local_results(tmp_path, local, workers):
    pytest.importorskip("ray")
    catalog = tmp_path / "c.duckdb"
    result = _bundle(catalog, _run(catalog, "--executor", "ray", "--workers", workers))
    assert result["manifest"]["execution"]["kind"] == "ray"
    assert result["manifest"]["model"]["threads"] == local["manifest"]["model"]["threads"]
    _same(local, result, f"ray x{workers}")


def test_a_killed_and_resumed_run_gives_the_local_results(tmp_path, local):
    catalog = tmp_path / "c.duckdb"
    run_id = _killed_after_first_block(catalog)
    proc = run_cli("run", str(DEMO), "--limit", LIMIT, "--resume", run_id, catalog=catalog, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == run_id
    result = _bundle(catalog, run_id)
    assert result["manifest"]["execution"]["stages"][0]["blocks_resumed"] >= 1
    _same(local, result, "killed and resumed")
