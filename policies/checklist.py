"""What evaluating policy packs gives (re-exported by :mod:`policies.engine`): one :class:`ChecklistItem`
per control, the :class:`Checklist` of a run, and their plain-dict forms for ``assay check --json``.

Statuses (:data:`STATUSES`): ``pass`` / ``fail`` / ``inconclusive`` (an automatic check decided on
confidence bounds), ``no-data`` (an input the check needs is absent: never a silent pass),
``needs-attestation`` / ``attested`` / ``fail`` (a manual control whose latest attestation rejected it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TypedDict, cast

import pandas as pd

from audits.store.records import AttestationRecord, SignoffRecord

STATUSES = ("pass", "fail", "inconclusive", "no-data", "needs-attestation", "attested")


class TaskCheck(TypedDict):
    """A check's verdict on one task (``None``: a run-level check), as ``assay check --json`` lists it."""

    task: str | None
    passed: bool
    verdict: str                    # pass | fail | inconclusive
    value: float | None             # the measured side of the comparison
    threshold: str | None           # e.g. '>= 0.85'
    bound: float | None             # the confidence bound the verdict turned on
    bound_side: str | None          # lower | upper
    n: int | None
    n_needed: int | None
    method: str | None              # how the bound was made
    reason: str                     # why it is inconclusive / decided on a point value
    inputs: dict[str, float]        # the scalar names it read and their values


@dataclass
class ChecklistItem:
    pack: str
    control_id: str
    title: str
    source: str
    owner: str
    severity: str
    kind: str                       # check | attestation
    status: str                     # one of STATUSES
    expression: str | None = None
    area: str | None = None         # the question it answers (accuracy/fairness/privacy/safety/process; schema.Area)
    value: float | None = None      # measured value (worst task for per-task checks)
    threshold: str | None = None    # e.g. '>= 0.85'
    detail: str = ""                # why no-data / which tasks failed / who attested
    bound: float | None = None      # the confidence bound the verdict turned on (worst task)
    bound_side: str | None = None   # lower | upper
    n: int | None = None            # samples behind the measured value
    n_needed: int | None = None     # samples that would decide an inconclusive check (80% power)
    task: str | None = None         # the task whose value, bound, n and n_needed these are (None: run-level)
    method: str | None = None       # how that task's bound was made
    confidence: float | None = None
    tasks: list[TaskCheck] = field(default_factory=list)
    attestation: AttestationRecord | None = None
    required_role: str | None = None
    evidence: str | None = None


class ChecklistItemDict(TypedDict):
    """A :class:`ChecklistItem` as a plain dict (``dataclasses.asdict``): the same fields, in its order."""

    pack: str
    control_id: str
    title: str
    source: str
    owner: str
    severity: str
    kind: str
    status: str
    expression: str | None
    area: str | None
    value: float | None
    threshold: str | None
    detail: str
    bound: float | None
    bound_side: str | None
    n: int | None
    n_needed: int | None
    task: str | None
    method: str | None
    confidence: float | None
    tasks: list[TaskCheck]
    attestation: AttestationRecord | None
    required_role: str | None
    evidence: str | None


class ChecklistDict(TypedDict):
    """:meth:`Checklist.to_dict`: the run, its packs, the counts per status, the gates and every item."""

    run_id: str
    packs: list[str]
    counts: dict[str, int]          # status -> controls (every one of STATUSES)
    failed: bool
    inconclusive: bool
    nothing_decided: bool
    items: list[ChecklistItemDict]
    signoffs: list[SignoffRecord]


@dataclass
class Checklist:
    run_id: str
    packs: list[str]
    items: list[ChecklistItem]
    signoffs: list[SignoffRecord] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {s: 0 for s in STATUSES}
        for it in self.items:
            out[it.status] = out.get(it.status, 0) + 1
        return out

    @property
    def failed(self) -> bool:
        """True when an automatic control failed (the CI gate)."""
        return any(it.kind == "check" and it.status == "fail" for it in self.items)

    @property
    def inconclusive(self) -> bool:
        """True when an automatic control could not be decided at this sample size."""
        return any(it.kind == "check" and it.status == "inconclusive" for it in self.items)

    @property
    def nothing_decided(self) -> bool:
        """True when no control was decided: every one is no-data, inconclusive or awaits
        attestation (a pack of only manual controls before anyone attests, or a run without the
        data a pack reads). Such a checklist is not an OK."""
        return not any(it.status in ("pass", "fail", "attested") for it in self.items)

    def to_dict(self) -> ChecklistDict:
        """The checklist as ``assay check --json`` prints it (items as plain dicts)."""
        return {"run_id": self.run_id, "packs": self.packs, "counts": self.counts, "failed": self.failed,
                "inconclusive": self.inconclusive, "nothing_decided": self.nothing_decided,
                "items": [cast(ChecklistItemDict, asdict(it)) for it in self.items], "signoffs": self.signoffs}

    def to_frame(self) -> pd.DataFrame:
        cols = ["pack", "control_id", "title", "source", "owner", "severity", "kind", "status",
                "value", "bound", "threshold", "n", "n_needed", "expression", "detail"]
        return pd.DataFrame([{c: getattr(it, c) for c in cols} for it in self.items], columns=cols)
