"""What `assay verify` found (:class:`Report`), shared by its checks (:mod:`audits.trust.verify`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from audits.trust.checkpoint import Checkpoint


@dataclass
class Report:
    """Problems (evidence changed outside Assay: verify fails) and notes (findings to act on, not forgeries)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    runs: int = 0
    bundles: int = 0
    head: Checkpoint | None = None  # the newest valid checkpoint
