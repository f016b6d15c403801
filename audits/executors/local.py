"""The ``local`` executor: the driver process answers every block with one backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from audits.backends.base import Backend, load_backend
from audits.config import TaskConfig
from audits.jsontypes import JsonObject
from audits.executors.base import EXECUTORS, Executor, StageStats, Timer
from audits.inference import FingerprintPin, fingerprint, infer_block, plan_blocks


@EXECUTORS.register("local")
class LocalExecutor(Executor):
    """One backend in this process; it also serves the scanners."""

    name = "local"

    def __init__(self, config):
        super().__init__(config)
        self._backend: Backend | None = None

    def backend(self) -> Backend:
        if self._backend is None:
            with Timer() as t:
                self._backend = load_backend(self.config.model)
            self.execution.details["model_load_s"] = round(t.seconds, 3)
            self.execution.details["device"] = self._backend.identity().get("device")
            self.execution.gpu_type = _local_gpu_name(self.execution.details["device"])
        return self._backend

    def infer(self, tasks: list[tuple[TaskConfig, pd.DataFrame]],
              checkpoint_dir: Path | None = None) -> dict[str, pd.DataFrame]:
        backend = self.backend()
        # a resumed run's blocks must come from the same model, device, dtype, threads and scoring
        FingerprintPin(checkpoint_dir).check(fingerprint(backend, [task for task, _ in tasks]))
        stage = StageStats("inference")
        out: dict[str, pd.DataFrame] = {}
        with Timer() as total:
            for task, frame in tasks:
                plan = plan_blocks(task, frame, checkpoint_dir, self.config.executor.block_size)
                stage.blocks_resumed += len(plan.done)
                stage.rows_resumed += sum(len(f) for f in plan.done.values())
                for index, chunk in sorted(plan.todo.items()):
                    plan.save(index, infer_block(backend, task, chunk))
                    stage.blocks += 1
                    stage.rows += len(chunk)
                out[task.name] = plan.result() if plan.n_blocks else _empty()
        stage.wall_s = total.seconds
        self.execution.stages.append(stage)
        return out

    def identity(self) -> JsonObject:
        return self.backend().identity()

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def _empty() -> pd.DataFrame:
    return pd.DataFrame({"sample_id": [], "prediction": [], "choice_logprobs": []})


def _local_gpu_name(device: str | None) -> str | None:
    if not device or not str(device).startswith("cuda"):
        return None
    try:
        import torch

        return torch.cuda.get_device_name()
    except Exception:  # noqa: BLE001  (a name for the manifest, never a reason to fail)
        return None
