"""executor: ray gives the local executor's results, survives a killed worker, and resumes blocks.

Each Ray run starts its own local 2-CPU cluster through `assay run --executor ray` (as a user
would) and stops it at the end; the embedded model answers 12 samples in 6 blocks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, run_cli
from tests.executors.conftest import assert_same_results, read_bundle, write_config

pytestmark = pytest.mark.slow
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_result(tmp_path_factory):
    """The reference: the same audit with executor: local, in this process. The config's
    model.threads (1) is what this process and each Ray actor run the model with: float32 sums then
    run in the same order, so log-likelihoods match to the bit; with different thread counts they
    differ by ~1e-6 relative (benchmarks/README.md). This process's own setting is put back after."""
    import torch

    from audits.config import load_config
    from audits.runner import run_audit
    from audits.store.catalog import Catalog

    folder = tmp_path_factory.mktemp("local")
    catalog = Catalog(folder / "c.duckdb")
    threads = torch.get_num_threads()
    try:
        run_id = run_audit(load_config(write_config(folder, "local")), catalog)
    finally:
        torch.set_num_threads(threads)
    return read_bundle(catalog.runs_dir, run_id)


def _runs_dir(catalog: Path) -> Path:
    from audits.store.catalog import Catalog

    return Catalog(catalog).runs_dir


def test_ray_with_two_workers_matches_local(tmp_path, local_result):
    config = write_config(tmp_path, "local")  # the same file; the executor comes from the command line
    proc = run_cli("run", str(config), "--executor", "ray", "--workers", "2", catalog=tmp_path / "c.duckdb",
                   timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = read_bundle(_runs_dir(tmp_path / "c.duckdb"), proc.stdout.strip().splitlines()[-1])
    assert_same_results(local_result, result)
    execution = result[2]["execution"]
    assert execution["kind"] == "ray" and execution["workers"] == 2
    inference = execution["stages"][0]
    assert inference["name"] == "inference" and inference["rows"] == 12 and inference["blocks"] == 6
    assert inference["rows_per_s"] > 0 and execution["wall_s"] > 0
    assert sum(w["rows"] for w in execution["worker_list"]) == 12
    scans = {s["name"]: s for s in execution["stages"] if s["name"].startswith("scan:")}
    # a few dozen texts are under the stages' remote_min_rows: on the driver (tests/executors/test_ray_scanners.py
    # puts them on the cluster)
    assert set(scans) == {"scan:pii", "scan:toxicity"} and all(s["workers"] is None for s in scans.values())
    assert local_result[2]["execution"]["kind"] == "local"
    assert "MapBatches(_BlockWorker)" in proc.stderr  # Ray Data's own progress, per operator


def _descendants(root: int) -> list[int]:
    """Every process below ``root`` (Linux /proc), so the test kills only its own job's actors."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as fh:
                    ppid = int(fh.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="finds the Ray actor through /proc")
def test_killed_worker_job_finishes_with_same_results(tmp_path, local_result):
    config = write_config(tmp_path, "ray")
    catalog = tmp_path / "c.duckdb"
    job = subprocess.Popen([sys.executable, "-m", "audits.cli", "--catalog", str(catalog), "run", str(config)],
                           cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    runs_dir = _runs_dir(catalog)
    killed = None
    deadline = time.monotonic() + 600
    while job.poll() is None and killed is None and time.monotonic() < deadline:
        done = list(runs_dir.glob(".partial-*/*.parquet")) if runs_dir.exists() else []
        if done:  # one block is checkpointed: the workers are loaded and busy with the next ones
            actors = [p for p in _descendants(job.pid) if "_BlockWorker" in _cmdline(p)]
            if actors:
                os.kill(actors[0], signal.SIGKILL)
                killed = actors[0]
        time.sleep(0.1)
    out, err = job.communicate(timeout=900)
    assert killed is not None, "the job finished before a worker could be killed"
    assert job.returncode == 0, err[-3000:]
    result = read_bundle(runs_dir, out.strip().splitlines()[-1])
    assert_same_results(local_result, result)
    assert not [p for p in _descendants(os.getpid()) if "raylet" in _cmdline(p)]  # the job stopped its cluster


def test_resume_reuses_checkpointed_blocks(tmp_path, local_result):
    """A killed driver's finished blocks are read back, not recomputed: only the missing block runs."""
    from audits.config import load_config
    from audits.datasets import load_task_data
    from audits.executors import open_executor
    from audits.inference import sign_block

    config = load_config(write_config(tmp_path, "ray"))
    config.executor.num_workers = 1
    partial = tmp_path / "partial"
    partial.mkdir()
    samples = local_result[0]
    frames = {t.name: load_task_data(t, None).frame for t in config.tasks}
    for task in config.tasks:  # every block checkpointed except de's last, with a marker prediction
        ids = frames[task.name]["sample_id"].tolist()
        for index in range(0, len(ids), 2):
            if task.name == "de" and index + 2 >= len(ids):
                continue
            block = samples.set_index("sample_id").loc[ids[index:index + 2], ["prediction", "choice_logprobs"]]
            block = block.reset_index()
            block["prediction"] = "from-checkpoint"
            path = partial / f"{task.name}.{index // 2:05d}.parquet"
            block.to_parquet(path, index=False)
            sign_block(path, path.read_bytes())  # as this installation signs the blocks it writes
    executor = open_executor(config)
    try:
        preds = executor.infer([(t, frames[t.name]) for t in config.tasks], partial)
    finally:
        executor.close()
    de = preds["de"]
    assert (de["prediction"].iloc[:-2] == "from-checkpoint").all()
    assert (preds["qa"]["prediction"] == "from-checkpoint").all()
    fresh = samples[samples["sample_id"].isin(de["sample_id"].iloc[-2:])].set_index("sample_id")
    assert de["prediction"].iloc[-2:].tolist() == fresh.loc[de["sample_id"].iloc[-2:], "prediction"].tolist()
    stage = executor.execution.stages[0]
    assert (stage.blocks, stage.blocks_resumed, stage.rows) == (1, 5, 2)
    assert len(list(partial.glob("de.*.parquet"))) == 4  # the new block was checkpointed too
    assert not ray.is_initialized()
