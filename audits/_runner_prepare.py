"""Every check of an audit that needs no model (data, metrics, scanner options, policy packs), run before the
model loads; ``audits.runner`` re-exports ``prepare`` and ``PreparedAudit``."""

from __future__ import annotations

from dataclasses import dataclass, field

from audits.config import AuditConfig
from audits.datasets import TaskData, load_task_data
from audits.errors import AssayError
from audits.metrics import check_metrics, default_metrics
from audits.redteam.plan import with_probes
from audits.scanners.base import SCANNERS, scan_order
from policies.schema import load_pack  # the pack as data (checked at load), not the engine


@dataclass
class PreparedAudit:
    """What ``prepare`` checked: the config (typed scanner options, red-team probe tasks), each task's data, its
    metrics, and the scanners in dependency order."""

    config: AuditConfig
    data: dict[str, TaskData]
    metrics: dict[str, list[str]]
    scanners: list[str] = field(default_factory=list)


def prepare(config: AuditConfig, limit: int | None = None) -> PreparedAudit:
    """Every check that needs no model: data, metrics, scanner options, policy packs.

    Works on a copy: the caller's config is never changed (the prepared copy is returned).
    """
    config = config.model_copy(deep=True)
    config = with_probes(config)  # red-team probe tasks (redteam:) join the job; the leak canary is planted
    if limit is not None and limit < 1:
        raise AssayError(f"--limit must be at least 1, got {limit}", "pass a positive number of samples per task")
    outputs = config.model.path if config.model.backend == "predictions" else None  # a raw log as data and outputs
    data = {t.name: load_task_data(t, limit, outputs) for t in config.tasks}
    metrics: dict[str, list[str]] = {}
    for task in config.tasks:
        available = data[task.name].available
        names = task.metrics or default_metrics(task.type, available)
        if task.feedback is not None and "feedback_positive_rate" not in names:  # declared feedback is measured
            names = [*names, "feedback_positive_rate"]
        check_metrics(task.name, task.type, names, available)
        metrics[task.name] = names
    frames = {name: td.frame for name, td in data.items()}
    if any(t.counterfactual for t in config.tasks) and "counterfactual" not in config.scanners:
        config.scanners["counterfactual"] = {}  # a declared probe runs without a separate scanners entry
    if any(t.context for t in config.tasks) and "groundedness" not in config.scanners:
        config.scanners["groundedness"] = {}  # a task that names its context is checked against it
    for name, options in config.scanners.items():
        scanner = SCANNERS.get(name)()
        config.scanners[name] = scanner.parse(options)  # typed options, defaults filled in
        scanner.validate(config.scanners[name], config, frames)
    scanners = scan_order(list(config.scanners))
    for pack in config.policy:
        load_pack(pack)  # an unknown or malformed pack fails here, before the model loads
    return PreparedAudit(config, data, metrics, scanners)
