"""The ``ray`` executor: inference as a Ray Data pipeline over an actor pool.

The pipeline, read top to bottom::

    from_items(one row per unfinished block, one Ray block each)
      -> map_batches(_BlockWorker, batch_size=1, ActorPoolStrategy(size=num_workers),
                     num_gpus=gpus_per_worker)    # each actor: one backend from load_backend(config.model)
      -> iter_rows() on the driver, which writes each block's checkpoint as it arrives

and, for each CPU-heavy scanner and task (``Executor.map_rows`` with a ``RowStage`` of at least its
``remote_min_rows`` rows; fewer run on the driver), a pipeline on the cluster's CPUs while the
driver waits for its rows::

    from_items(one row per batch of texts)
      -> map_batches(Scan<Name>, batch_size=1, ActorPoolStrategy(size=min(batches, cluster CPUs),
                     max_tasks_in_flight_per_actor=1), num_cpus=1)   # each actor: stage.setup() once
      -> iter_rows() on the driver, which puts the results back in row order

Each stage actor reports the SHA-256 of the detector files it loaded from its own node's disk (and
the versions of the packages that read them; ``audits.executors.stage_files``); the driver refuses
the first batch from an actor whose files differ from its own, naming the worker and the file, and
records its own digests in the manifest (``execution.stage_files``).

A block is answered by ``audits.inference.infer_block``, exactly as the local executor does, so
results match it. Ray Data restarts a lost actor and retries its block (its actor pools default
to ``max_restarts=-1``, ``max_task_retries=-1``); blocks already written survive a killed driver
(``assay run --resume``). Progress is Ray Data's own per-operator bar; the backend's tqdm bars are
switched off inside the actors. Ray is imported only when this executor is used.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from audits.backends.base import BACKENDS, load_backend
from audits.config import ModelConfig, TaskConfig
from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.executors.base import EXECUTORS, Executor, RowStage, StageStats, Timer, answer_rows
from audits.executors import stage_files
from audits.executors.ray_support import (LazyBackend, _actor_errors_as_assay_errors, _check_reachable, _first_line,
                                          _gpu_name)
from audits.inference import FINGERPRINT_FILE, BlockPlan, FingerprintPin, fingerprint, infer_block, plan_blocks

_EXTRA = "pip install 'assay[ray]'"
_FORWARD_ENV = ("ASSAY_", "HF_", "TRANSFORMERS_", "TLDEXTRACT_")  # driver settings the actors need


def import_ray():
    """``ray`` and ``ray.data``, or a one-line AssayError naming the extra to install."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise AssayError("executor 'ray' needs Ray (with Ray Data), which is not installed",
                         f"{_EXTRA}, or set executor.kind to 'local'") from None
    return ray


class WorkerRecord(TypedDict, total=False):
    """One Ray actor that answered inference blocks (the manifest's ``execution.worker_list``)."""

    node: str
    pid: int
    gpu: str | None
    load_s: float
    blocks: int
    rows: int
    busy_s: float


class BlockRow(TypedDict):
    """One answered block as it comes back from a ``_BlockWorker`` (one row of its output batch)."""

    task: str
    block: int
    result: bytes        # the block's predictions, pickled
    seconds: float
    identity: str        # the actor's fingerprint, JSON
    worker: str          # the actor's facts (node, pid, gpu, load_s, has_chat_template), JSON


class _BlockWorker:
    """A Ray Data actor: one backend, answering one block per call."""

    def __init__(self, model: JsonObject, tasks: dict[str, JsonObject]):  # ModelConfig / TaskConfig as JSON
        import ray

        with Timer() as t:
            self.backend = load_backend(ModelConfig.model_validate(model))
        self.tasks = {name: TaskConfig.model_validate(task) for name, task in tasks.items()}
        self.identity = json.dumps(fingerprint(self.backend, self.tasks.values()), sort_keys=True)
        self.worker = json.dumps({"node": ray.get_runtime_context().get_node_id(), "pid": os.getpid(),
                                  "gpu": _gpu_name(), "load_s": round(t.seconds, 3),
                                  "has_chat_template": bool(getattr(self.backend, "has_chat_template", False))})

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        out: dict[str, list] = {"task": [], "block": [], "result": [], "seconds": [], "identity": [], "worker": []}
        for payload in batch["payload"]:
            task, index, chunk = pickle.loads(payload)
            with Timer() as t:
                result = infer_block(self.backend, self.tasks[task], chunk)
            out["task"].append(task)
            out["block"].append(int(index))
            out["result"].append(pickle.dumps(result))
            out["seconds"].append(t.seconds)
            out["identity"].append(self.identity)
            out["worker"].append(self.worker)
        return out


class _StageWorker:
    """A Ray Data actor for a scanner's ``RowStage``: ``setup()`` once, then one batch per call.

    ``map_rows`` subclasses it as ``Scan<Name>`` so Ray Data's progress names the scanner."""

    def __init__(self, stage: bytes):
        import ray

        self.stage: RowStage = pickle.loads(stage)
        with Timer() as t:
            self.stage.setup()
        # what this actor loaded from its own disk: the driver refuses a node whose files differ
        self.worker = json.dumps({"pid": os.getpid(), "setup_s": round(t.seconds, 3),
                                  "node": ray.get_runtime_context().get_node_id(), "ip": _node_ip(ray),
                                  "files": stage_files.signature(self.stage)})

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, list]:
        out: dict[str, list] = {"batch": [], "result": [], "seconds": [], "worker": []}
        for payload in batch["payload"]:
            index, rows = pickle.loads(payload)
            with Timer() as t:
                result = answer_rows(self.stage, rows)
            out["batch"].append(int(index))
            out["result"].append(pickle.dumps(result))
            out["seconds"].append(t.seconds)
            out["worker"].append(self.worker)
        return out


@EXECUTORS.register("ray")
class RayExecutor(Executor):
    """Blocks answered by a pool of Ray actors; the driver keeps metrics, scanners and the bundle."""

    name = "ray"

    def __init__(self, config):
        super().__init__(config)
        self._owns_cluster = False
        self._identity: JsonObject | None = None
        self._driver_backend: LazyBackend | None = None
        self._pin = FingerprintPin(None)

    # ------------------------------------------------------------------ connect and check
    def open(self) -> None:
        ray = import_ray()
        cfg = self.config.executor
        if cfg.gpus_per_worker == 0 and self.config.model.device == "cuda":
            raise AssayError("model.device is 'cuda' but executor.gpus_per_worker is 0, so the Ray actors get no GPU",
                             "set executor.gpus_per_worker (e.g. 1) or model.device to 'auto'")
        if not ray.is_initialized():
            env = {k: v for k, v in os.environ.items() if k.startswith(_FORWARD_ENV)}
            env["TQDM_DISABLE"] = "1"  # Ray Data's progress bar is the one progress bar
            kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "logging_level": logging.WARNING,
                                      "configure_logging": True}
            if cfg.address:
                _check_reachable(cfg.address)
                try:
                    ray.init(address=cfg.address, **kwargs)
                except Exception as err:  # noqa: BLE001  (ConnectionError, RuntimeError, grpc errors...)
                    raise AssayError(f"cannot connect to the Ray cluster at {cfg.address!r}: {_first_line(err)}",
                                     "start it (`ray start --head`) or correct executor.address") from None
            else:
                need = int(-(-cfg.num_workers * cfg.cpus_per_worker // 1))
                ray.init(num_cpus=cfg.num_cpus or max(need, os.cpu_count() or 1), include_dashboard=False, **kwargs)
            self._owns_cluster = True
        try:
            self._check_resources(ray)
        except AssayError:
            self.close()
            raise

    def _check_resources(self, ray) -> None:
        cfg = self.config.executor
        nodes = [n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")]
        gpus = [float(r.get("GPU", 0)) for r in nodes] or [0.0]
        cpus = [float(r.get("CPU", 0)) for r in nodes] or [0.0]
        if cfg.gpus_per_worker > max(gpus):
            raise AssayError(f"executor.gpus_per_worker is {cfg.gpus_per_worker:g} but the largest node of the Ray "
                             f"cluster has {max(gpus):g} GPU(s)",
                             "lower executor.gpus_per_worker, or add nodes with more GPUs to the cluster")
        if cfg.gpus_per_worker * cfg.num_workers > sum(gpus):
            raise AssayError(f"{cfg.num_workers} workers x {cfg.gpus_per_worker:g} GPU(s) need "
                             f"{cfg.gpus_per_worker * cfg.num_workers:g} GPUs; the Ray cluster has {sum(gpus):g}",
                             "lower executor.num_workers or executor.gpus_per_worker")
        if cfg.cpus_per_worker > max(cpus) or cfg.cpus_per_worker * cfg.num_workers > sum(cpus):
            raise AssayError(f"{cfg.num_workers} workers x {cfg.cpus_per_worker:g} CPU(s) do not fit the Ray "
                             f"cluster's {sum(cpus):g} CPUs", "lower executor.num_workers or executor.cpus_per_worker")
        resources = ray.cluster_resources()
        self.execution.details.update({"address": cfg.address or "local (started for the job)",
                                       "cluster": {"nodes": len(nodes), "cpus": resources.get("CPU", 0),
                                                   "gpus": resources.get("GPU", 0)},
                                       "gpus_per_worker": cfg.gpus_per_worker, "cpus_per_worker": cfg.cpus_per_worker,
                                       "block_size": cfg.block_size, "ray": ray.__version__})

    # ------------------------------------------------------------------ the pipeline
    def infer(self, tasks: list[tuple[TaskConfig, pd.DataFrame]],
              checkpoint_dir: Path | None = None) -> dict[str, pd.DataFrame]:
        ray = import_ray()
        cfg = self.config.executor
        plans = {task.name: plan_blocks(task, frame, checkpoint_dir, cfg.block_size) for task, frame in tasks}
        self.remember_identity(checkpoint_dir)
        self._pin = FingerprintPin(checkpoint_dir)  # every block (and a resumed run's old ones): one fingerprint
        stage = StageStats("inference", blocks_resumed=sum(len(p.done) for p in plans.values()),
                           rows_resumed=sum(len(f) for p in plans.values() for f in p.done.values()))
        items = [{"payload": pickle.dumps((name, index, _wire(chunk)))}
                 for name, plan in plans.items() for index, chunk in sorted(plan.todo.items())]
        workers: dict[str, WorkerRecord] = {}
        self.execution.workers = min(cfg.num_workers, len(items)) if items else 0
        with Timer() as total:
            if items:
                ds = ray.data.from_items(items, override_num_blocks=len(items))
                ds = ds.map_batches(_BlockWorker, batch_size=1, batch_format="numpy",
                                    compute=ray.data.ActorPoolStrategy(size=self.execution.workers),
                                    num_gpus=cfg.gpus_per_worker or None, num_cpus=cfg.cpus_per_worker,
                                    fn_constructor_kwargs={"model": self._worker_model().model_dump(mode="json"),
                                                           "tasks": {t.name: t.model_dump(mode="json")
                                                                     for t, _ in tasks}})
                with _actor_errors_as_assay_errors():
                    for row in ds.iter_rows():
                        self._collect(row, plans, stage, workers, checkpoint_dir)
        stage.wall_s = total.seconds
        stage.workers = len(workers)
        self.execution.stages.append(stage)
        self.execution.details["worker_list"] = sorted(workers.values(), key=lambda w: (w["node"], w["pid"]))
        gpu_types = sorted({w["gpu"] for w in workers.values() if w.get("gpu")})
        self.execution.gpu_type = ", ".join(gpu_types) or None
        return {name: plan.result() if plan.n_blocks else _empty() for name, plan in plans.items()}

    def map_rows(self, stage: RowStage, rows: list[Any]) -> list[Any]:
        """``stage`` as a Ray Data stage: batches of rows over a pool of CPU actors, results back on
        the driver in row order (the actors of the inference stage have finished by now). Fewer
        than ``stage.remote_min_rows`` rows run on the driver, as with ``local``."""
        if not rows:
            return []
        if len(rows) < stage.remote_min_rows:  # less work than starting the actors: on the driver
            return super().map_rows(stage, rows)
        ray = import_ray()
        slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        per_batch = max(1, min(stage.batch_size, -(-len(rows) // (4 * slots))))  # ~4 batches per actor
        batches = [rows[i:i + per_batch] for i in range(0, len(rows), per_batch)]
        size = min(slots, len(batches))
        worker = type(f"Scan{stage.name.title().replace('_', '').replace('-', '')}", (_StageWorker,), {})
        out: list[list[Any] | None] = [None] * len(batches)
        pids: set[int] = set()
        mine = stage_files.signature(stage)  # the driver's own files, which every actor's must match
        self.execution.details.setdefault("stage_files", {})[stage.name] = (
            {label: x["digest"] for label, x in mine.items()} if stage_files.is_declared(stage) else "not declared")
        with Timer() as t:
            ds = ray.data.from_items([{"payload": pickle.dumps((i, b))} for i, b in enumerate(batches)],
                                     override_num_blocks=len(batches))
            ds = ds.map_batches(worker, batch_size=1, batch_format="numpy", num_cpus=1,
                                # one batch at a time per actor: the first actor up does not queue them all
                                compute=ray.data.ActorPoolStrategy(size=size, max_tasks_in_flight_per_actor=1),
                                fn_constructor_kwargs={"stage": pickle.dumps(stage)})
            with _actor_errors_as_assay_errors():
                for row in ds.iter_rows():
                    info = json.loads(row["worker"])
                    stage_files.check(stage.name, mine, info["files"],
                                      f"{info['ip']} (node {info['node'][:12]}, pid {info['pid']})")
                    out[int(row["batch"])] = pickle.loads(row["result"])
                    pids.add(info["pid"])
        missing = [i for i, b in enumerate(out) if b is None]
        if missing:
            raise RuntimeError(f"stage {stage.name!r}: batches {missing} came back empty")
        self.add_stage(f"scan:{stage.name}", rows=len(rows), blocks=len(batches), seconds=t.seconds,
                       workers=len(pids))
        return [r for b in out for r in b]  # type: ignore[union-attr]

    def _collect(self, row: BlockRow, plans: dict[str, BlockPlan], stage: StageStats,
                 workers: dict[str, WorkerRecord], checkpoint_dir: Path | None) -> None:
        """One finished block arrives at the driver: checkpoint it and count it."""
        fp = json.loads(row["identity"])
        self._pin.check(fp)  # before the block is kept: an actor that computes differently is refused
        result = pickle.loads(row["result"])
        plans[row["task"]].save(int(row["block"]), result)
        stage.blocks += 1
        stage.rows += len(result)
        if self._identity is None:
            self._identity = fp["model"]
        info = json.loads(row["worker"])
        self.backend().facts["has_chat_template"] = info.pop("has_chat_template", False)
        key = f"{info['node']}:{info['pid']}"
        worker = workers.setdefault(key, {**info, "blocks": 0, "rows": 0, "busy_s": 0.0})
        worker["blocks"] += 1
        worker["rows"] += len(result)
        worker["busy_s"] = round(worker["busy_s"] + float(row["seconds"]), 3)

    # ------------------------------------------------------------------ driver side
    def backend(self) -> "LazyBackend":
        if self._driver_backend is None:
            self._driver_backend = LazyBackend(self._worker_model())
        return self._driver_backend

    def _worker_model(self) -> ModelConfig:
        """The model config every actor (and the driver's backend) loads: the driver's own settings
        filled in (e.g. its torch thread count), so they all compute alike."""
        return BACKENDS.get(self.config.model.backend).worker_config(self.config.model)

    def identity(self) -> JsonObject:
        if self._identity is None:
            self._identity = self.backend().identity()
        return self._identity

    def remember_identity(self, checkpoint_dir: Path | None) -> None:
        """Read the identity a previous attempt of this run saved (a resumed run with no work left)."""
        path = checkpoint_dir / FINGERPRINT_FILE if checkpoint_dir else None
        if self._identity is None and path is not None and path.exists():
            self._identity = json.loads(path.read_text(encoding="utf-8")).get("model")

    def close(self) -> None:
        if self._driver_backend is not None:
            self._driver_backend.close()
            self._driver_backend = None
        if self._owns_cluster:
            import ray

            ray.shutdown()
            self._owns_cluster = False


def _wire(chunk: pd.DataFrame) -> pd.DataFrame:
    """Only the columns ``infer_block`` reads travel to the actors."""
    return chunk[[c for c in ("sample_id", "input", "choices") if c in chunk.columns]].reset_index(drop=True)


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"sample_id": [], "prediction": [], "choice_logprobs": []})


def _node_ip(ray: Any) -> str:
    try:
        return str(ray.util.get_node_ip_address())
    except Exception:  # noqa: BLE001  (a name for the message, never a reason to fail)
        return "unknown host"
