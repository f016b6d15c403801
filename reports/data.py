"""Everything a report shows, gathered once from the query layer as plain tables.

``tables(cat, run_id, compare)`` is the export surface: every table in the PDF/HTML report is
one DataFrame here, so CSV/Parquet exports and the rendered report never disagree. The tables
themselves are built in ``metric_tables`` (metrics, changes, fairness gaps), ``safety_tables``
(privacy, safety, review) and ``provenance`` (reproducibility, execution, audit log).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from audits.errors import AssayError
from audits.results import RunResults
from audits.store.catalog import Catalog
from audits.store.manifest import Manifest
from audits.store.records import ReviewSummaryRecord, RunRecord
from audits.store.queries import policies as policies_q
from audits.store.queries import runs as runs_q
from audits.trust import checkpoint
from reports.metric_tables import changes_table, gaps_table, metrics_table
from reports.provenance import (EXECUTION_COLUMNS, execution_summary, execution_table, reproducibility_table,
                                run_log_table)
from reports.safety_tables import detector_sets_words, privacy_safety_tables, review_table
from reports.verdicts import checklist_frame

DEFAULT_PACK = "internal-llm"
NO_COMPARE = ("none", "")


@dataclass
class ReportData:
    run: RunRecord
    manifest: Manifest
    results: RunResults
    compare_id: str | None
    compare_run: RunRecord | None
    packs: list[str]
    checklist: Any | None                 # policies.Checklist
    checklist_error: str | None
    review: ReviewSummaryRecord | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    generated_at: str = ""
    verdicts: list[Any] = field(default_factory=list)  # reports.verdicts.AreaVerdict: the answers, computed once
    signoff_warning: str | None = None    # a pack the latest sign-off rested on changed since (audits.trust.packs)

    @property
    def model_name(self) -> str:
        from audits.identity import model_label  # the model backends write, with its short weights hash

        return (self.manifest.model.label or model_label(self.results.model)
                or str(self.run.get("model") or "unknown"))


def _packs_for(results: RunResults, packs: list[str] | None) -> list[str]:
    if packs:
        return list(packs)
    return list(results.policy) or [DEFAULT_PACK]


def _review_summary(cat: Catalog, run_id: str) -> ReviewSummaryRecord | None:
    try:
        from audits.store.queries.reviews import review_summary
    except ImportError:
        return None
    try:
        return review_summary(cat, run_id)
    except AssayError:
        return None


def collect(cat: Catalog, run_id: str, compare: str | None = None, packs: list[str] | None = None) -> ReportData:
    """Gather the run, the compared run (default: the previous run of the same audit), tables."""
    run = runs_q.get_run(cat, run_id)
    results = runs_q.get_results(cat, run_id)
    manifest = runs_q.get_manifest(cat, run_id)
    if compare is None:
        compare_id = runs_q.previous_run(cat, run_id)
    elif str(compare).lower() in NO_COMPARE:
        compare_id = None
    else:
        compare_id = compare
        if compare_id == run_id:
            raise AssayError(f"--compare {compare} is the run itself", "compare with an earlier run, or pass --compare none")
    compare_run = runs_q.get_run(cat, compare_id) if compare_id else None
    compare_results = runs_q.get_results(cat, compare_id) if compare_id else None

    from policies import evaluate_run

    pack_names = _packs_for(results, packs)
    if not packs:  # a pack someone attested on this run belongs in its checklist too
        attested = policies_q.list_attestations(cat, run_id, latest=True)
        pack_names += [p for p in dict.fromkeys(attested["pack"].astype(str)) if p not in pack_names] if len(attested) else []
    checklist, checklist_error = None, None
    try:
        checklist = evaluate_run(cat, run_id, pack_names)
    except AssayError as err:  # the report still renders; the error is shown in the checklist section
        checklist_error = str(err)
    review = _review_summary(cat, run_id)
    from audits.store.queries import dashboard as dq  # the query layer's paired per-sample scores

    metrics = metrics_table(results, compare_results,
                            (lambda task, metric: dq.paired_scores(cat, run_id, compare_id, task, metric))
                            if compare_id else None)
    privacy, safety = privacy_safety_tables(results)
    fairness = runs_q.read_table(cat, run_id, "fairness")
    data = ReportData(run=run, manifest=manifest, results=results, compare_id=compare_id, compare_run=compare_run,
                      packs=pack_names, checklist=checklist, checklist_error=checklist_error, review=review,
                      generated_at=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    data.tables = {
        "metrics": metrics,
        "changes": changes_table(metrics),
        "fairness": fairness,
        "fairness_gaps": gaps_table(results),
        "privacy": privacy,
        "safety": safety,
        "review": review_table(review, results),
        "checklist": checklist_frame(checklist),
        "attestations": policies_q.list_attestations(cat, run_id),
        "signoffs": policies_q.list_signoffs(cat, run_id),
        "reproducibility": reproducibility_table(run, manifest),
        "execution": execution_table(manifest),
        "checkpoint": checkpoint.report_table(cat),  # the signed log head, kept outside the catalog
        "audit_log": run_log_table(cat, run_id),
    }
    from reports.trend import trend_tables
    from reports.verdicts import area_verdicts

    measured = {(t.name, m) for t in results.tasks for m in t.metrics}
    data.verdicts = area_verdicts(checklist, results, metrics)  # page one's answers and the trend's headline
    headline = [(v.task, v.metric) for v in data.verdicts if (v.task, v.metric) in measured]
    data.tables.update(trend_tables(cat, run, headline))  # the headline metrics over the audit's runs
    from audits.trust.packs import signoff_warning

    data.signoff_warning = signoff_warning(cat, run_id)
    return data


def tables(cat: Catalog, run_id: str, compare: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the report, by name (metrics, changes, fairness, fairness_gaps, privacy,
    safety, review, checklist, attestations, signoffs, reproducibility, execution, checkpoint, audit_log,
    trend, trend_points)."""
    return collect(cat, run_id, compare).tables


__all__ = ["DEFAULT_PACK", "EXECUTION_COLUMNS", "NO_COMPARE", "ReportData", "changes_table", "collect",
           "detector_sets_words", "execution_summary", "execution_table", "gaps_table", "metrics_table",
           "privacy_safety_tables", "reproducibility_table", "review_table", "run_log_table", "tables"]
