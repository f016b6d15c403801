"""Executors: where a job's inference runs.

* ``local`` (default): in the driver process, one backend, block after block.
* ``ray``: a Ray Data pipeline, ``map_batches`` over an actor pool in which each actor holds one
  backend built by ``load_backend(config.model)``; needs ``pip install 'assay[ray]'``.

Both answer the same checkpoint blocks with ``audits.inference.infer_block``, so a config gives
the same predictions and metrics wherever it runs. CPU-heavy scanners hand their per-row work to
``Executor.map_rows`` as a ``RowStage`` (``ray``: a second Ray Data stage on the cluster's CPUs).
"""

from audits.executors.base import (EXECUTORS, Execution, Executor, RowStage, StageStats, open_executor,
                                   run_in_process)
from audits.executors import local as _local  # noqa: F401  (registers "local")
from audits.executors import ray_data as _ray_data  # noqa: F401  (registers "ray"; imports ray lazily)

__all__ = ["EXECUTORS", "Execution", "Executor", "RowStage", "StageStats", "open_executor", "run_in_process"]
