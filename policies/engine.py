"""Evaluate policy packs against a run: automatic checks and manual attestations.

This module is the one import path; the code lives by responsibility:

- :mod:`policies.schema`: a pack loaded and validated (:func:`load_pack`);
- :mod:`policies.checks`: an automatic control evaluated on the run's figures (:func:`evaluate_check`,
  :func:`deciding_row`);
- :mod:`policies.attestation`: manual controls, attestations and the committee's sign-off (:func:`attest`,
  :func:`signoff`, :func:`file_sha256`);
- :mod:`policies.checklist`: the result types (:class:`Checklist`, :class:`ChecklistItem`, :class:`TaskCheck`,
  the typed :meth:`Checklist.to_dict`);
- here: every control of a run's packs evaluated into its checklist (:func:`evaluate_run`).
"""

from __future__ import annotations

from audits.errors import AssayError
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from policies.attestation import apply_attestation, attest, file_sha256, signoff
from policies.checklist import (STATUSES, Checklist, ChecklistDict, ChecklistItem, ChecklistItemDict,
                                TaskCheck)
from policies.checks import deciding_row, evaluate_check
from policies.context import RunContext, build_context, prefetch_monitoring
from policies.schema import load_pack

__all__ = ["STATUSES", "Checklist", "ChecklistDict", "ChecklistItem", "ChecklistItemDict", "TaskCheck", "attest",
           "deciding_row", "evaluate_check", "evaluate_run", "file_sha256", "run_packs", "signoff"]


def run_packs(ctx: RunContext) -> list[str]:
    """The packs the run's config named (``policy:``), as recorded in its results."""
    return [str(p) for p in (ctx.results.policy or [])]


def evaluate_run(cat: Catalog, run_id: str, packs: list[str] | None = None) -> Checklist:
    """Evaluate every control of ``packs`` (names or paths; default: the packs the run's config
    named) against one run."""
    ctx = build_context(cat, run_id)
    if not packs:
        packs = run_packs(ctx)
    if not packs:
        raise AssayError(f"run '{run_id}' names no policy pack and none was given",
                         "pass --policy NAME (e.g. internal-llm) or a pack YAML path, or list packs in the "
                         "config's 'policy:'")
    loaded = [load_pack(p) for p in packs]
    prefetch_monitoring(ctx, loaded)  # trend.* / drift.* computed once, outside the per-check time limit
    att = policies_q.list_attestations(cat, run_id, latest=True)
    latest = {(r["pack"], r["control_id"]): r for r in att.to_dict("records")}
    items: list[ChecklistItem] = []
    for pack in loaded:
        for c in pack.controls:
            item = ChecklistItem(pack=pack.name, control_id=c.id, title=c.title, source=c.source, owner=c.owner,
                                 severity=c.severity, kind=c.kind, status="no-data", expression=c.check,
                                 area=c.area)
            if c.check is not None:
                evaluate_check(ctx, pack, c, item)
            else:
                apply_attestation(item, c, latest.get((pack.name, c.id)))
            items.append(item)
    signoffs = policies_q.list_signoffs(cat, run_id).to_dict("records")
    return Checklist(run_id=run_id, packs=[p.name for p in loaded], items=items, signoffs=signoffs)
