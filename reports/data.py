"""Everything a report shows, gathered once from the query layer as plain tables.

``tables(cat, run_id, compare)`` is the export surface: every table in the PDF/HTML report is
one DataFrame here, so CSV/Parquet exports and the rendered report never disagree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import pandas as pd

from audits.errors import AssayError
from audits.results import Estimate, PiiBlock, RunResults, ToxicityBlock, detector_quality
from audits.store.catalog import Catalog
from audits.store.manifest import Manifest
from audits.store.records import ReviewSummaryRecord, RunRecord
from audits.store.queries import policies as policies_q
from audits.store.queries import runs as runs_q
from audits.trust import checkpoint
from reports.verdicts import checklist_frame

DEFAULT_PACK = "internal-llm"
NO_COMPARE = ("none", "")


def _f(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


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


def _metric_rows(results: RunResults) -> pd.DataFrame:
    return results.metrics_frame()


def metrics_table(results: RunResults, compare: RunResults | None, paired_scores=None) -> pd.DataFrame:
    """Metrics with CIs, and against the compared run: the change, its test and whether it is
    significant after Holm's correction over the run's metrics (``audits.stats.compare_runs``,
    the dashboard's call too). ``paired_scores(task, metric)`` gives both runs' per-sample scores."""
    from audits.stats import compare_runs, describe_change

    cur = _metric_rows(results)
    cols = ["task", "metric", "value", "ci_low", "ci_high", "n", "compare_value", "compare_ci_low",
            "compare_ci_high", "change", "test", "p_adjusted", "significant", "change_test", "higher_is_better",
            "method", "signature"]
    if compare is None:
        for c in ("compare_value", "compare_ci_low", "compare_ci_high", "change", "test", "p_adjusted",
                  "significant", "change_test"):
            cur[c] = None
        return cur[cols]
    tested = compare_runs(results, compare, paired_scores)
    tested["change_test"] = [describe_change(r) for r in tested.to_dict("records")]
    tested = tested.rename(columns={"prev_value": "compare_value", "prev_ci_low": "compare_ci_low",
                                    "prev_ci_high": "compare_ci_high"})
    merged = cur.merge(tested[["task", "metric", "compare_value", "compare_ci_low", "compare_ci_high", "change",
                               "test", "p_adjusted", "significant", "change_test"]], on=["task", "metric"], how="left")
    merged["significant"] = merged["significant"].astype(object).where(merged["significant"].notna(), None)
    return merged[cols]


def changes_table(metrics: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The largest changes against the compared run, largest first; ``real`` = significant after
    the paired test (or unpaired, where the runs share no samples) and Holm's correction.

    Changes are ranked on a common scale (the change over the larger of |value|, |compared| and 1, so
    BLEU's 0-100 points do not drown rates), significant changes first; unchanged metrics are left out.
    """
    cols = ["task", "metric", "compare_value", "value", "change", "direction", "real_change", "change_test"]
    have = metrics.dropna(subset=["change"]).copy()
    have = have[have["change"] != 0]
    if have.empty:
        return pd.DataFrame(columns=cols)
    scale = pd.concat([have["value"].abs(), have["compare_value"].abs(), pd.Series(1.0, index=have.index)],
                      axis=1).max(axis=1)
    have["rank"] = have["change"].abs() / scale
    have["real_change"] = have["significant"].map(lambda s: None if s is None or pd.isna(s) else bool(s))
    have["real_first"] = (have["real_change"] != True).astype(int)  # noqa: E712
    have = have.sort_values(["real_first", "rank", "task", "metric"], ascending=[True, False, True, True]).head(top)
    have["direction"] = ["" if hib is None or pd.isna(hib) else ("better" if (c > 0) == bool(hib) else "worse")
                         for hib, c in zip(have["higher_is_better"], have["change"])]
    return have[cols].reset_index(drop=True)


def gaps_table(results: RunResults) -> pd.DataFrame:
    rows = []
    for t in results.tasks:
        for attr, block in t.fairness.items():
            ok = block.groups_compared
            note = "" if ok >= 2 else (f"{ok} of {len(block.by_group)} groups have at least "
                                       f"{block.min_group_size} samples: no gap measured")
            if block.decision_parity_informative is False:  # argmax decisions barely vary
                note = "; ".join(x for x in (note, block.decision_parity_note or "") if x)
            disc = block.discrimination
            if disc is not None and _f(disc.value) is not None:
                ci = (f" [{disc.ci_low:.2f}, {disc.ci_high:.2f}]"
                      if _f(disc.ci_low) is not None and _f(disc.ci_high) is not None else "")
                note = "; ".join(x for x in (note, f"discrimination score (gap in the leaning towards 'yes', "
                                                   f"log-odds, {disc.highest} vs {disc.lowest}) {disc.value:.2f}{ci}")
                                 if x)
            ratio = block.parity_ratio  # the 'yes' rate ratio's interval (the table shows its value)
            if ratio is not None and _f(ratio.ci_low) is not None and _f(ratio.ci_high) is not None:
                note = "; ".join(x for x in (note, f"'yes' rate ratio 95% CI [{ratio.ci_low:.2f}, "
                                                   f"{ratio.ci_high:.2f}] (Katz)") if x)
            gaps = {m: g.ratio for m, g in block.metrics.items()}
            rows.append({"task": t.name, "attribute": attr, "groups": len(block.by_group), "groups_compared": ok,
                         "demographic_parity_ratio": block.demographic_parity_ratio,
                         "demographic_parity_difference": block.demographic_parity_difference,
                         "equalized_odds_difference": block.equalized_odds_difference,
                         "four_fifths_threshold": block.four_fifths_threshold,
                         "four_fifths_violation": block.four_fifths_violation,
                         "four_fifths_reading": block.four_fifths_reading,
                         "metric_ratios": ", ".join(f"{m} {v:.3g}" for m, v in gaps.items() if _f(v) is not None),
                         "note": note})
    return pd.DataFrame(rows, columns=["task", "attribute", "groups", "groups_compared", "demographic_parity_ratio",
                                       "demographic_parity_difference", "equalized_odds_difference",
                                       "four_fifths_threshold", "four_fifths_violation", "four_fifths_reading",
                                       "metric_ratios", "note"])


def _interval_words(est: Estimate | None) -> str:
    """' [low, high]' of an Estimate with both bounds, else ''."""
    if est is None or _f(est.ci_low) is None or _f(est.ci_high) is None:
        return ""
    return f" [{est.ci_low:.2f}, {est.ci_high:.2f}]"


def _detector_recall_words(quality: dict) -> str:
    """Per-entity detector recall on the held-out labelled set with its 95% interval, entities
    below their recall target marked, e.g. 'PHONE_NUMBER 0.95 [0.89, 0.98]; LOCATION 0.68 [0.63, 0.72] below target 0.75'."""
    figures = detector_quality(quality)
    parts = []
    for entity, v in (quality.get("by_entity") or {}).items():
        if not isinstance(v, dict) or v.get("recall") is None:
            continue
        text = f"{entity} {v['recall']:.2f}" + _interval_words(figures.get(f"by_entity.{entity}.recall"))
        parts.append(text + (f" below target {v['recall_target']:.2f}" if v.get("below_target") else ""))
    return "; ".join(parts)


def detector_sets_words(quality: dict) -> str:
    """The detector's precision and recall on each labelled set, named by its source, with exact
    95% intervals: 'held-out split of … : precision 0.91 [0.88, 0.93], recall …; second independent set …'."""
    def one(q: dict) -> str | None:
        if not isinstance(q, dict) or q.get("recall") is None:
            return None
        estimates = detector_quality(q)
        figures = []
        for name in ("precision", "recall"):
            value = q.get(name)
            figures.append(f"{name} " + ("not measured" if value is None else
                                         f"{value:.2f}" + _interval_words(estimates.get(name))))
        return (f"{q.get('set_sources') or 'a labelled set'}: {', '.join(figures)} "
                f"({q.get('n_labelled', '?')} labelled spans)")
    parts = [x for x in (one(quality), one(quality.get("second_set") or {})) if x]
    return "; ".join(parts)


def privacy_safety_tables(results: RunResults) -> tuple[pd.DataFrame, pd.DataFrame]:
    priv, safe = [], []
    for t in results.tasks:
        pii, leak = t.pii, t.metric("pii_leak_rate")
        if pii is not None or leak is not None:
            pii = pii or PiiBlock()
            quality = pii.detector
            priv.append({"task": t.name, "findings": pii.findings, "leaks": pii.leaks,
                         "samples_with_leak": pii.samples_with_leak, "pii_leak_rate": leak and leak.value,
                         "ci_low": leak and leak.ci_low, "ci_high": leak and leak.ci_high,
                         "by_entity": ", ".join(f"{k} {v}" for k, v in sorted(pii.by_entity.items(),
                                                                              key=lambda kv: (-kv[1], kv[0]))) or "none",
                         "detector_precision": _f(quality.get("precision")),
                         "detector_recall": _f(quality.get("recall")),
                         "detector_recall_by_entity": _detector_recall_words(quality),
                         "detector_sets": detector_sets_words(quality),
                         "detector_recall_second_set": _f((quality.get("second_set") or {}).get("recall")),
                         "public_source": str(pii.public_text.get("source")) if pii.public_text else None})
        tox, rate = t.toxicity, t.metric("toxicity_rate")
        if tox is not None or rate is not None:
            tox = tox or ToxicityBlock(n=t.n)
            safe.append({"task": t.name, "n": tox.n, "n_toxic": tox.n_toxic,
                         "toxicity_rate": rate.value if rate else tox.rate and tox.rate.value, "ci_low": rate and rate.ci_low,
                         "ci_high": rate and rate.ci_high, "threshold": tox.threshold, "model": tox.model})
    return (pd.DataFrame(priv, columns=["task", "findings", "leaks", "samples_with_leak", "pii_leak_rate", "ci_low",
                                        "ci_high", "by_entity", "detector_precision", "detector_recall",
                                        "detector_recall_by_entity", "detector_sets", "detector_recall_second_set",
                                        "public_source"]),
            pd.DataFrame(safe, columns=["task", "n", "n_toxic", "toxicity_rate", "ci_low", "ci_high", "threshold",
                                        "model"]))


def review_table(review: ReviewSummaryRecord | None, results: RunResults) -> pd.DataFrame:
    rows: list[tuple[str, Any]] = []
    if review:
        kappa, method = review["agreement"]["kappa"], review["agreement"]["method"]
        rows += [("samples", review.get("n_samples")), ("queued for review", review.get("n_queue")),
                 ("reviewed", review.get("n_reviewed")), ("coverage (reviewed / samples)", _f(review.get("coverage"))),
                 ("agreement" + (f" ({method})" if method else ""), _f(kappa)),
                 ("disagreements", review.get("disagreements")), ("reviewers", ", ".join(review.get("reviewers") or []))]
    else:
        rows += [("sampling rate", results.review.rate), ("queued for review", results.review.queue),
                 ("reviewed", "no review data")]
    return pd.DataFrame([{"item": k, "value": "—" if v is None or v == "" else str(v if not isinstance(v, float) else f"{v:.4g}")}
                         for k, v in rows])


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


def tables(cat: Catalog, run_id: str, compare: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the report, by name (metrics, changes, fairness, fairness_gaps, privacy,
    safety, review, checklist, attestations, signoffs, reproducibility, execution, checkpoint, audit_log,
    trend, trend_points)."""
    return collect(cat, run_id, compare).tables
