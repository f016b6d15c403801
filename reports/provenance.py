"""The report's provenance tables: what reproduces the run (manifest, data, code, packages, files),
where and how fast it ran (execution stages), and this run's audit-log entries."""

from __future__ import annotations

import json

import pandas as pd

from audits.store.catalog import Catalog
from audits.store.manifest import Manifest
from audits.store.records import RunRecord


def reproducibility_table(run: RunRecord, manifest: Manifest) -> pd.DataFrame:
    rows: list[tuple[str, str, Any]] = [
        ("run", "run_id", run.get("run_id")), ("run", "manifest_sha256", run.get("manifest_sha256")),
        ("run", "bundle_path", run.get("bundle_path")), ("run", "device", run.get("device")),
        ("config", "config_sha256", manifest.config_sha256 or run.get("config_sha256")),
        ("config", "seed", manifest.seed), ("config", "bootstrap_resamples", manifest.bootstrap_resamples),
        ("config", "limit", manifest.limit),
    ]
    for k, v in manifest.model.model_dump(exclude_none=True).items():
        rows.append(("model", str(k), v))
    for name, d in sorted(manifest.datasets.items()):
        rows.append(("data", f"{name}.sha256", d.sha256))
        rows.append(("data", f"{name}.source", d.source))
        rows.append(("data", f"{name}.rows_used", d.rows_used))
        rows.append(("data", f"{name}.rows_left_out", d.skipped_line()))  # "not recorded" before manifest v3
        if getattr(d, "sample", None):  # a stratified sample of the log (audits/sampling.py)
            rows.append(("data", f"{name}.sample", d.sample))
    for k, v in manifest.code.model_dump().items():
        rows.append(("code", str(k), v))
    for name, ver in sorted(manifest.packages.items()):
        rows.append(("package", str(name), ver))
    for name, digest in sorted(manifest.files.items()):
        rows.append(("file", name, digest))
    return pd.DataFrame([{"kind": k, "item": i, "value": "" if v is None else
                          (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v))}
                         for k, i, v in rows])


EXECUTION_COLUMNS = ["stage", "rows", "rows_per_s", "workers", "blocks", "resumed", "wall_s"]


def execution_table(manifest: Manifest) -> pd.DataFrame:
    """The manifest's ``execution`` stages, one row each: rows answered, rows/s, the processes that did
    the work (Ray actors; empty for the driver), blocks, blocks resumed from checkpoints, seconds."""
    rows = []
    for stage in manifest.execution.stages if manifest.execution else []:
        resumed = stage.blocks_resumed
        rows.append({"stage": stage.name, "rows": stage.rows, "rows_per_s": stage.rows_per_s,
                     "workers": stage.workers, "blocks": stage.blocks,
                     "resumed": f"{resumed} blocks ({stage.rows_resumed} rows)" if resumed else None,
                     "wall_s": stage.wall_s})
    return pd.DataFrame(rows, columns=EXECUTION_COLUMNS)


def execution_summary(manifest: Manifest) -> str | None:
    """One sentence on where the run ran (executor, workers, GPU type, cluster, wall time), or None
    for a run recorded before the manifest had an ``execution`` section."""
    ex = manifest.execution
    if ex is None or not ex.kind:
        return None
    parts = [f"executor {ex.kind}"]
    if ex.kind != "local" or ex.workers not in (None, 1):
        parts.append(f"{ex.workers} inference worker(s)")
    parts.append(f"GPU {ex.gpu_type}" if ex.gpu_type else f"no GPU (device {ex.device or 'cpu'})")
    if ex.cluster is not None:
        parts.append(f"Ray cluster {ex.address or ''} with {ex.cluster.nodes} node(s), "
                     f"{ex.cluster.cpus or 0:g} CPUs, {ex.cluster.gpus or 0:g} GPUs".replace("  ", " "))
    if ex.ray:
        parts.append(f"Ray {ex.ray}")
    if ex.wall_s is not None:
        parts.append(f"wall time {ex.wall_s:.1f} s")
    return "; ".join(parts) + "."



def run_log_table(cat: Catalog, run_id: str) -> pd.DataFrame:
    """This run's audit-log entries as readable (when, who, act, on what) rows, oldest first; how
    many older ones were left out is in ``.attrs['left_out']``."""
    from audits.store.queries import audit_log as log_q
    from reports.audit_trail import run_log

    with cat.connect() as con:
        entries = log_q.entries(con)
    frame, left_out = run_log(entries, run_id)
    frame.attrs["left_out"] = left_out
    return frame

