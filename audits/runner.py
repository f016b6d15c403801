"""The audit job: config -> data -> inference -> metrics -> scanners -> review queue -> bundle.

Everything that can be checked without the model (config, data, metrics, scanner options,
policy packs) is checked first (``prepare``, in ``_runner_prepare``). Inference is checkpointed per chunk under
``<runs>/.partial-<run_id>/`` so ``--resume`` continues a killed run (whether it may: ``_runner_resume``); the
bundle appears only when complete. This module is the one import path for both.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
import shutil
import sys
import time
from datetime import datetime, timezone

import numpy as np
import pandas as pd

from audits import identity
from audits._runner_prepare import PreparedAudit, prepare
from audits._runner_resume import check_resumed_inputs, check_signatures, data_hashes, load_resume
from audits.backends.base import Backend
from audits.backends.choices import scoring_block
from audits.config import AuditConfig, config_to_dict
from audits.datasets import TaskData
from audits.datasets.feedback import feedback_counts
from audits.datasets.raw_log import raw_log_of
from audits.errors import AssayError
from audits.executors import Executor, open_executor
from audits.inference import sign_block, write_checkpoint_json
from audits.jsontypes import JsonObject
from audits.metrics import get_metric
from audits.metrics.base import Metric, MetricInputs, MetricResult
from audits.metrics.bootstrap import summarise
from audits.metrics.decision import SampleInputs
from audits.period_form import check_period_form
from audits.results import RunResults, ScannerBlocks, TaskResult, build_task_result, jsonable
from audits.review.queue import build_queue
from audits.sampling import draw_task_samples
from audits.scanners.base import SCANNERS, ScanOutput, TaskContext
from audits.store import lease as run_lease
from audits.store.bundle import write_bundle
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from audits.trust import rawstore

__all__ = ["PreparedAudit", "current_actor", "evaluate_task", "new_run_id", "prepare", "run_audit"]

def current_actor() -> str:
    """Who starts a run: the OS account of the process's real uid (never $ASSAY_USER/$LOGNAME/$USER,
    which anyone can set); it becomes runs.created_by and the actor of the run's log entries."""
    from audits.access import os_login

    return os_login()


def _log(message: str) -> None:
    print(f"[assay] {message}", file=sys.stderr, flush=True)


def _metric_inputs(task_frame: pd.DataFrame, positive: str | None) -> MetricInputs:
    choices = sorted({c for cs in task_frame["choices"] if cs is not None for c in cs}) or None
    return SampleInputs(predictions=[p if p is not None else "" for p in task_frame["prediction"]],
                        references=task_frame["reference"].tolist(), labels=task_frame["label"].tolist(),
                        choices=choices, positive=positive, columns=task_frame)


def _result_dict(r: MetricResult, metric: Metric | None) -> JsonObject:
    """A MetricResult as the fields of a results.MetricSummary."""
    fields = {k: v for k, v in dataclasses.asdict(r).items() if k not in ("name", "per_sample")}
    return jsonable({**fields, "n": int(r.n),
                     "higher_is_better": None if metric is None else bool(metric.higher_is_better)})


def evaluate_task(td: TaskData, predictions: pd.DataFrame, metric_names: list[str], scanners: list[str],
                  config: AuditConfig, backend: Backend | None,
                  executor: Executor | None = None) -> tuple[pd.DataFrame, TaskResult, dict]:
    """Metrics with CIs and every scanner for one task; returns (samples, task result, extra tables).

    ``config`` is the prepared config (scanner options validated); ``scanners`` in dependency order.
    Scanners' per-row stages run on ``executor`` (in this process without one).
    """
    task = td.task
    frame = td.frame.merge(predictions, on="sample_id", how="left", validate="one_to_one")
    has_label = frame["label"].notna()
    frame["correct"] = (frame["prediction"] == frame["label"]).where(has_label, None) if task.type == "choice" else None
    frame["positive"] = (frame["prediction"] == task.positive) if task.positive is not None else None
    seed = task.seed if task.seed is not None else config.seed
    inputs = _metric_inputs(frame, task.positive)
    clusters = frame["cluster"].tolist() if "cluster" in frame.columns else None  # see TaskConfig.cluster
    cluster_name = (task.cluster or "cluster") if clusters is not None else None
    metric_stats: dict[str, tuple[Metric, np.ndarray]] = {}
    results: dict[str, MetricResult] = {}
    for i, name in enumerate(metric_names):
        metric = get_metric(name)
        stats = np.asarray(metric.stats(inputs), dtype=np.float64)
        results[name] = summarise(metric, stats, config.bootstrap, seed + i, clusters=clusters,
                                  cluster_name=cluster_name)
        metric_stats[name] = (metric, stats)
        frame[f"score_{name}"] = results[name].per_sample
    task_fields: JsonObject = {"name": task.name, "type": task.type, "n": int(len(frame)),
                                   "positive": task.positive, "source": td.source, "dataset_sha256": td.sha256,
                                   "attributes": task.attribute_names}
    blocks: ScannerBlocks = {"scoring": scoring_block(task, backend)}  # prompt/scoring options (signature)
    if task.on_missing == "skip":  # rows left out for a missing prompt field (audits/datasets/loader.py)
        blocks["data"] = {"on_missing": "skip", "rows_skipped": int(td.n_skipped)}
    if td.log_skipped or td.out_of_order:  # a raw log read by `logs import`'s rules (audits/datasets/loader.py)
        blocks.setdefault("data", {}).update({"skipped": dict(td.log_skipped), "out_of_order": int(td.out_of_order)})
    if (counts := feedback_counts(frame, rawstore.pii_options(config.scanners))) is not None:  # unknown feedback values: counted, never dropped silently
        blocks["feedback"] = counts
    tables: dict[str, list[pd.DataFrame]] = {}
    findings: list[pd.DataFrame] = []
    flags: dict[str, np.ndarray] = {}
    if task.type == "choice" and has_label.any():
        flags["wrong_answer"] = (frame["correct"] == False).to_numpy(dtype=bool)  # noqa: E712
    for name in scanners:
        ctx = TaskContext(task=task, samples=frame, metric_stats=metric_stats,
                          options=config.scanners.get(name, {}), backend=backend, seed=seed,
                          n_bootstrap=config.bootstrap, flags=flags, executor=executor)
        out: ScanOutput = SCANNERS.get(name)().scan(ctx)
        for col, values in out.sample_columns.items():
            frame[col] = values
        for reason, mask in out.flags.items():
            flags[reason] = np.asarray(mask, dtype=bool)
        metric_stats.update(out.metric_stats)
        results.update(out.metrics)
        blocks.update(out.results)
        if out.findings is not None and len(out.findings):
            findings.append(out.findings)
        for tname, tframe in out.tables.items():
            tables.setdefault(tname, []).append(tframe)
    for reason, mask in flags.items():
        frame[f"flag_{reason}"] = mask
    task_result = build_task_result(task_fields, blocks, {
        name: _result_dict(r, metric_stats[name][0] if name in metric_stats else None) for name, r in results.items()})
    if findings:
        tables.setdefault("findings", []).extend(findings)
    return frame, task_result, tables


def _review_queue(samples: pd.DataFrame, config: AuditConfig) -> pd.DataFrame:
    """The run's review queue in review order; build_queue reads the flag columns itself."""
    queues = [build_queue(samples[samples["task"] == task.name].reset_index(drop=True), config.review,
                          task.attribute_names) for task in config.tasks]
    # one queue for the run, most urgent first across tasks (build_queue orders within a task)
    return pd.concat(queues, ignore_index=True).sort_values(["priority", "task"], kind="mergesort") \
        .reset_index(drop=True)


def new_run_id() -> str:
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def _config_sha(cfg: JsonObject) -> str:
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()


def run_audit(config: AuditConfig, catalog: Catalog, *, limit: int | None = None, device: str | None = None,
              actor: str | None = None, resume: str | None = None) -> str:
    """Run (or resume) an audit; returns the run id once its bundle is in place."""
    actor = actor or current_actor()
    config = config.model_copy(deep=True)  # never change the caller's config
    if device:
        config.model.device = device  # type: ignore[assignment]
    partial_root = catalog.runs_dir
    if resume and run_lease.complete_renamed(catalog, resume, actor) is not None:
        _log(f"run {resume}: its bundle was already in place; run completed")
        return resume  # the crash came after the bundle's rename
    if resume:
        run_id, config, limit = load_resume(catalog, resume, config, limit)
    else:
        run_id = new_run_id()
        done = runs_q.list_runs(catalog, "complete")  # '2026-10' after '2026-Q3' would sort before it:
        check_period_form(config.name, config.period, done.loc[done["audit"] == config.name, "period"])
    prepared = prepare(config, limit)  # fails before any model loads
    if resume:
        check_resumed_inputs(catalog, run_id, prepared)
    sampled = draw_task_samples(prepared, catalog, resume)  # task.sample: a stratified sample of a large log
    executor = open_executor(config)  # a missing extra, unreachable cluster or too few GPUs fail here too
    cfg_dict = config_to_dict(config)  # as the user wrote it (options not yet filled with defaults)
    config_sha = _config_sha(cfg_dict)
    config.tasks = prepared.config.tasks  # with the red-team probe tasks (the config as written is cfg_dict)
    partial = partial_root / f".partial-{run_id}"
    if resume:
        runs_q.mark_resumed(catalog, run_id, actor)
    else:
        partial.mkdir(parents=True, exist_ok=True)
        write_checkpoint_json(partial / "config.json", {"config": cfg_dict, "limit": limit,
                                                        "datasets": data_hashes(prepared),
                                                        "code_sha256": identity.code_sha256()})
        sign_block(partial / "config.json", (partial / "config.json").read_bytes())  # checked by --resume
        runs_q.register_run(catalog, run_id, config.name, config.period, config_sha, config.model.path, actor)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    lease = run_lease.hold(catalog, run_id)  # host, pid, heartbeat: a killed job shows as interrupted
    try:
        t0 = time.perf_counter()
        _log(f"run {run_id}: inference with {config.model.path} ({config.model.backend}, executor {executor.name})")
        predictions = executor.infer([(t, prepared.data[t.name].frame) for t in config.tasks], partial)
        backend = executor.backend()  # the driver's model for scanners (ray: loaded only if a scanner asks)
        timings["inference_s"] = round(time.perf_counter() - t0, 3)
        samples, task_results, tables = [], [], {}
        for task in config.tasks:
            td = prepared.data[task.name]
            skipped = f"; {td.n_skipped} rows skipped for a missing prompt field" if td.n_skipped else ""
            skipped += "".join(f"; {n} rows skipped ({why})" for why, n in td.log_skipped.items())
            skipped += f"; {td.out_of_order} rows out of timestamp order" if td.out_of_order else ""
            _log(f"task {task.name}: {len(td.frame)} samples ({task.type}){skipped}")
            preds = predictions[task.name]
            t0 = time.perf_counter()
            frame, result, extra = evaluate_task(td, preds, prepared.metrics[task.name], prepared.scanners,
                                                 prepared.config, backend, executor)
            timings[f"{task.name}.evaluate_s"] = round(time.perf_counter() - t0, 3)
            samples.append(frame)
            task_results.append(result)
            for name, parts in extra.items():
                tables.setdefault(name, []).extend(parts)
        check_signatures(partial, task_results)
        model_identity = executor.identity()
        executor.record_stage("evaluate", sum(len(f) for f in samples),
                              sum(v for k, v in timings.items() if k.endswith(".evaluate_s")))
        executor.close()
        all_samples = pd.concat(samples, ignore_index=True)
        queue = _review_queue(all_samples, config)
        results = RunResults(run_id=run_id, audit=config.name, period=config.period, model=jsonable(model_identity),
                             tasks=task_results, review={"rate": config.review.rate, "queue": int(len(queue))},
                             policy=list(config.policy))
        bundle_tables = {"samples": all_samples, "metrics": results.metrics_frame(),
                         **{k: pd.concat(v, ignore_index=True) for k, v in tables.items()}}
        bundle_tables["review_queue"] = queue
        timings["total_s"] = round(time.perf_counter() - started, 3)
        manifest = {
            "audit": config.name, "period": config.period, "created_by": actor,
            "created_at": datetime.now(timezone.utc).isoformat(), "config_sha256": config_sha,
            "model": model_identity, "limit": limit,
            "datasets": {t: {"source": d.source, "sha256": d.sha256, "rows_used": len(d.frame),
                             "rows_in_source": d.n_source, "rows_skipped_missing": d.n_skipped,
                             "rows_read": d.n_read, "rows_filtered_out": d.n_filtered, "rows_skipped": d.skipped,
                             "out_of_order": d.out_of_order,
                             "raw_log": raw_log_of(d.source, d.sha256),  # an imported log's raw file
                             **({"sample": sampled[t]} if t in sampled else {})}
                         for t, d in prepared.data.items()},
            "code": {"sha256": identity.code_sha256(), "git_commit": identity.git_commit()},
            "packages": identity.package_versions(), "environment": identity.environment(),
            "seed": config.seed, "bootstrap_resamples": config.bootstrap, "timings": timings,
            "execution": {**executor.execution.as_dict(), "wall_s": timings["total_s"]},
        }
        # redaction at rest, after every metric; raw text only if kept, encrypted with a per-run key
        bundle_tables, raw_files, manifest["personal_data"] = rawstore.protect(run_id, bundle_tables, config.scanners,
                                                                                manifest["datasets"])
        bundle, manifest_sha = write_bundle(catalog.runs_dir, run_id, bundle_tables,
                                            jsonable(results.model_dump(mode="python")), cfg_dict, manifest,
                                            files_extra=raw_files)
        runs_q.complete_run(catalog, run_id, bundle, manifest_sha, actor, model_identity.get("device"))
    except BaseException as err:
        executor.close()
        message = str(err) if isinstance(err, AssayError) else f"{type(err).__name__}: {err}"
        runs_q.fail_run(catalog, run_id, message or type(err).__name__, actor, rawstore.pii_options(config.scanners))
        if isinstance(err, KeyboardInterrupt):
            _log(f"interrupted; continue with `assay run CONFIG --resume {run_id}`")
        raise
    finally:
        lease.release()
    shutil.rmtree(partial, ignore_errors=True)
    _log(f"run {run_id} complete in {timings['total_s']:.1f}s -> {bundle}")
    return run_id
