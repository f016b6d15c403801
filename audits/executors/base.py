"""The executor interface: where a job's inference and its scanners' per-row work run.

An executor answers every task's blocks (``audits.inference.plan_blocks``) and hands the
predictions back to the driver, which computes metrics, runs scanners and writes the bundle as
always. CPU-heavy scanners (PII, toxicity) hand their per-row detection to ``map_rows`` as a
:class:`RowStage`: in process with ``local``, a Ray Data stage with ``ray``; the results come
back to the driver, which aggregates them (rates, intervals) as before. ``open()`` does every
check that can fail (a missing extra, an unreachable cluster, too few GPUs) before the runner
registers anything in the catalog.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from audits.backends.base import Backend
from audits.config import AuditConfig, TaskConfig
from audits.jsontypes import JsonObject
from audits.registry import Registry


@dataclass
class StageStats:
    """Throughput of one pipeline stage, for the run manifest."""

    name: str
    rows: int = 0  # samples answered in this run (blocks resumed from checkpoints not counted)
    rows_resumed: int = 0
    blocks: int = 0
    blocks_resumed: int = 0
    wall_s: float = 0.0
    workers: int | None = None  # processes (Ray actors) that did the stage's work; None: the driver's

    @property
    def rows_per_s(self) -> float | None:
        return round(self.rows / self.wall_s, 3) if self.wall_s > 0 and self.rows else None

    def as_dict(self) -> JsonObject:
        """As the manifest records it (audits.store.manifest.StageRecord)."""
        return {**asdict(self), "wall_s": round(self.wall_s, 3), "rows_per_s": self.rows_per_s}


@dataclass
class Execution:
    """What an executor reports about how the numbers were made (the manifest's ``execution``)."""

    kind: str
    workers: int = 1
    gpu_type: str | None = None
    stages: list[StageStats] = field(default_factory=list)
    details: JsonObject = field(default_factory=dict)  # executor-specific facts (device, cluster, worker_list)

    def as_dict(self) -> JsonObject:
        """As the manifest records it (audits.store.manifest.ExecutionRecord)."""
        return {"kind": self.kind, "workers": self.workers, "gpu_type": self.gpu_type,
                "stages": [s.as_dict() for s in self.stages], **self.details}


class RowStage(ABC):
    """A scanner's per-row work, run wherever the executor puts it.

    ``setup()`` builds the stage's engine (a spaCy pipeline, a classifier) and runs once per
    process that answers rows: the driver with ``local``, each Ray actor with ``ray``.
    ``__call__(rows)`` answers a batch: one picklable result per row, in order. A row's result
    must not depend on the other rows in its batch, so every executor (and any batching) gives the
    same results. The object itself is pickled to the actors: keep its state small (settings).
    """

    name: ClassVar[str] = ""
    batch_size: ClassVar[int] = 256  # most rows per Ray task
    # Fewer rows than this run in the driver's process even with ``ray``: starting actors (imports,
    # engine load: seconds each) would cost more than the work. Same results either way.
    remote_min_rows: ClassVar[int] = 0

    def setup(self) -> None:
        """Build the engine (once per process)."""

    @abstractmethod
    def __call__(self, rows: list[Any]) -> list[Any]:
        """One result per row, in order."""


def answer_rows(stage: RowStage, rows: list[Any]) -> list[Any]:
    """One batch through a set-up stage, checked to give one result per row."""
    out = list(stage(list(rows)))
    if len(out) != len(rows):
        raise RuntimeError(f"stage {stage.name!r} returned {len(out)} results for {len(rows)} rows")
    return out


def run_in_process(stage: RowStage, rows: list[Any]) -> list[Any]:
    """A stage over all rows in this process, as one batch (what ``local`` and scanners without an
    executor do)."""
    if not rows:
        return []
    stage.setup()
    return answer_rows(stage, rows)


class Executor(ABC):
    """Runs inference for a job. Subclasses register with ``@EXECUTORS.register(name)``."""

    name: ClassVar[str] = ""

    def __init__(self, config: AuditConfig):
        self.config = config
        self.execution = Execution(kind=self.name)

    def open(self) -> None:
        """Connect and check resources; raise AssayError before any work starts."""

    @abstractmethod
    def backend(self) -> Backend:
        """A backend on the driver for scanners that query the model (counterfactual, explain)."""

    @abstractmethod
    def infer(self, tasks: list[tuple[TaskConfig, pd.DataFrame]],
              checkpoint_dir: Path | None = None) -> dict[str, pd.DataFrame]:
        """Predictions per task name (rows in the frame's order), reusing checkpointed blocks."""

    @abstractmethod
    def identity(self) -> JsonObject:
        """The model identity of whatever answered (the manifest's ``model``)."""

    def map_rows(self, stage: RowStage, rows: list[Any]) -> list[Any]:
        """``stage`` over ``rows``; one result per row, in order. Counted in the manifest as the
        stage ``scan:<name>`` (summed over tasks). This default runs in the driver's process."""
        with Timer() as t:
            out = run_in_process(stage, rows)
        self.add_stage(f"scan:{stage.name}", rows=len(rows), blocks=1 if rows else 0, seconds=t.seconds)
        return out

    def add_stage(self, name: str, rows: int, blocks: int, seconds: float, workers: int | None = None) -> None:
        """Add to the stage ``name`` of the manifest's throughput table (created on first use)."""
        stage = next((s for s in self.execution.stages if s.name == name), None)
        if stage is None:
            stage = StageStats(name, workers=workers)
            self.execution.stages.append(stage)
        stage.rows += int(rows)
        stage.blocks += int(blocks)
        stage.wall_s += float(seconds)
        if workers is not None:
            stage.workers = max(stage.workers or 0, int(workers))

    def record_stage(self, name: str, rows: int, seconds: float) -> None:
        """Add a driver-side stage (metrics and scanners) to the manifest's throughput table."""
        self.execution.stages.append(StageStats(name, rows=int(rows), blocks=0, wall_s=float(seconds)))

    def close(self) -> None:
        """Free the model and any cluster started for the job."""


EXECUTORS: Registry[type[Executor]] = Registry("executor")


def open_executor(config: AuditConfig) -> Executor:
    """Build and open the configured executor (imports the built-ins on first use)."""
    from audits.registry import import_submodules

    import_submodules("audits.executors")  # registers the built-ins (plugin discovery, as for backends)

    executor = EXECUTORS.get(config.executor.kind)(config)
    executor.open()
    return executor


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> "Timer":
        self._t0 = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self._t0
