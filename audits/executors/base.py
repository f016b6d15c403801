"""The executor interface: where a job's inference runs.

An executor answers every task's blocks (``audits.inference.plan_blocks``) and hands the
predictions back to the driver, which computes metrics, runs scanners and writes the bundle as
always. ``open()`` does every check that can fail (a missing extra, an unreachable cluster, too
few GPUs) before the runner registers anything in the catalog.
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

    @property
    def rows_per_s(self) -> float | None:
        return round(self.rows / self.wall_s, 3) if self.wall_s > 0 and self.rows else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "wall_s": round(self.wall_s, 3), "rows_per_s": self.rows_per_s}


@dataclass
class Execution:
    """What an executor reports about how the numbers were made (the manifest's ``execution``)."""

    kind: str
    workers: int = 1
    gpu_type: str | None = None
    stages: list[StageStats] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "workers": self.workers, "gpu_type": self.gpu_type,
                "stages": [s.as_dict() for s in self.stages], **self.details}


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
    def identity(self) -> dict[str, Any]:
        """The model identity of whatever answered (the manifest's ``model``)."""

    def record_stage(self, name: str, rows: int, seconds: float) -> None:
        """Add a driver-side stage (metrics and scanners) to the manifest's throughput table."""
        self.execution.stages.append(StageStats(name, rows=int(rows), blocks=0, wall_s=float(seconds)))

    def close(self) -> None:
        """Free the model and any cluster started for the job."""


EXECUTORS: Registry[type[Executor]] = Registry("executor")


def open_executor(config: AuditConfig) -> Executor:
    """Build and open the configured executor (imports the built-ins on first use)."""
    import audits.executors  # noqa: F401  (registers the built-ins)

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
