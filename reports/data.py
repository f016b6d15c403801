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
from audits.store.catalog import Catalog
from audits.store.queries import policies as policies_q
from audits.store.queries import runs as runs_q

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
    run: dict[str, Any]
    manifest: dict[str, Any]
    results: dict[str, Any]
    compare_id: str | None
    compare_run: dict[str, Any] | None
    packs: list[str]
    checklist: Any | None                 # policies.Checklist
    checklist_error: str | None
    review: dict[str, Any] | None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    generated_at: str = ""

    @property
    def model_name(self) -> str:
        model = self.manifest.get("model") or self.results.get("model") or {}
        if isinstance(model, dict):
            return str(model.get("name") or model.get("path") or model.get("id") or self.run.get("model") or "unknown")
        return str(model)


def _metric_rows(results: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for t in results.get("tasks") or []:
        for name, m in (t.get("metrics") or {}).items():
            m = m if isinstance(m, dict) else {"value": m}
            rows.append({"task": t.get("name"), "metric": name, "value": _f(m.get("value")),
                         "ci_low": _f(m.get("ci_low")), "ci_high": _f(m.get("ci_high")), "n": m.get("n"),
                         "signature": m.get("signature")})
    return pd.DataFrame(rows, columns=["task", "metric", "value", "ci_low", "ci_high", "n", "signature"])


def metrics_table(results: dict[str, Any], compare: dict[str, Any] | None) -> pd.DataFrame:
    """Metrics with CIs, and against the compared run: change and whether the CIs overlap."""
    cur = _metric_rows(results)
    cols = ["task", "metric", "value", "ci_low", "ci_high", "n", "compare_value", "compare_ci_low",
            "compare_ci_high", "change", "cis_overlap", "signature"]
    if compare is None:
        for c in ("compare_value", "compare_ci_low", "compare_ci_high", "change", "cis_overlap"):
            cur[c] = None
        return cur[cols]
    prev = _metric_rows(compare).rename(columns={"value": "compare_value", "ci_low": "compare_ci_low",
                                                 "ci_high": "compare_ci_high"})
    merged = cur.merge(prev[["task", "metric", "compare_value", "compare_ci_low", "compare_ci_high"]],
                       on=["task", "metric"], how="left")
    merged["change"] = merged["value"] - merged["compare_value"]
    overlap = []
    for r in merged.itertuples():
        bounds = [r.ci_low, r.ci_high, r.compare_ci_low, r.compare_ci_high]
        if any(b is None or (isinstance(b, float) and math.isnan(b)) for b in bounds):
            overlap.append(None)
        else:
            overlap.append(bool(r.ci_low <= r.compare_ci_high and r.compare_ci_low <= r.ci_high))
    merged["cis_overlap"] = pd.Series(overlap, dtype=object)
    return merged[cols]


LOWER_IS_BETTER = ("pii_leak_rate", "toxicity_rate", "toxicity_mean", "counterfactual_flip_rate", "refusal_rate")


def changes_table(metrics: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """The largest changes against the compared run, largest first; ``real`` = CIs do not overlap.

    Changes are ranked on a common scale (the change over the larger of |value|, |compared| and 1, so
    BLEU's 0-100 points do not drown rates), non-overlapping CIs first; unchanged metrics are left out.
    """
    cols = ["task", "metric", "compare_value", "value", "change", "direction", "real_change"]
    have = metrics.dropna(subset=["change"]).copy()
    have = have[have["change"] != 0]
    if have.empty:
        return pd.DataFrame(columns=cols)
    scale = pd.concat([have["value"].abs(), have["compare_value"].abs(), pd.Series(1.0, index=have.index)],
                      axis=1).max(axis=1)
    have["rank"] = have["change"].abs() / scale
    have["real_change"] = have["cis_overlap"].map(lambda o: None if o is None else not o)
    have["real_first"] = (have["real_change"] != True).astype(int)  # noqa: E712
    have = have.sort_values(["real_first", "rank", "task", "metric"], ascending=[True, False, True, True]).head(top)
    have["direction"] = [("worse" if c > 0 else "better") if m in LOWER_IS_BETTER else ""
                         for m, c in zip(have["metric"], have["change"])]
    return have[cols].reset_index(drop=True)


def gaps_table(results: dict[str, Any]) -> pd.DataFrame:
    rows = []
    for t in results.get("tasks") or []:
        for attr, block in (t.get("fairness") or {}).items():
            if not isinstance(block, dict):
                continue
            groups = block.get("by_group") if isinstance(block.get("by_group"), dict) else {}
            ok = block.get("groups_compared")
            note = "" if (ok or 0) >= 2 else (f"{ok or 0} of {len(groups)} groups have at least "
                                             f"{block.get('min_group_size')} samples: no gap measured")
            gaps = {m: g.get("ratio") for m, g in (block.get("metrics") or {}).items() if isinstance(g, dict)}
            rows.append({"task": t.get("name"), "attribute": attr, "groups": len(groups), "groups_compared": ok,
                         "demographic_parity_ratio": _f(block.get("demographic_parity_ratio")),
                         "demographic_parity_difference": _f(block.get("demographic_parity_difference")),
                         "equalized_odds_difference": _f(block.get("equalized_odds_difference")),
                         "four_fifths_violation": block.get("four_fifths_violation"),
                         "metric_ratios": ", ".join(f"{m} {v:.3g}" for m, v in gaps.items() if _f(v) is not None),
                         "note": note})
    return pd.DataFrame(rows, columns=["task", "attribute", "groups", "groups_compared", "demographic_parity_ratio",
                                       "demographic_parity_difference", "equalized_odds_difference",
                                       "four_fifths_violation", "metric_ratios", "note"])


def privacy_safety_tables(results: dict[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    priv, safe = [], []
    for t in results.get("tasks") or []:
        metrics = t.get("metrics") or {}
        pii = t.get("pii") or {}
        if pii or "pii_leak_rate" in metrics:
            m = metrics.get("pii_leak_rate") or {}
            quality = pii.get("detector") or {}
            priv.append({"task": t.get("name"), "findings": pii.get("findings"), "leaks": pii.get("leaks"),
                         "samples_with_leak": pii.get("samples_with_leak"), "pii_leak_rate": _f(m.get("value")),
                         "ci_low": _f(m.get("ci_low")), "ci_high": _f(m.get("ci_high")),
                         "by_entity": ", ".join(f"{k} {v}" for k, v in sorted((pii.get("by_entity") or {}).items(),
                                                                              key=lambda kv: (-kv[1], kv[0]))) or "none",
                         "detector_precision": _f(quality.get("precision")) if isinstance(quality, dict) else None,
                         "detector_recall": _f(quality.get("recall")) if isinstance(quality, dict) else None})
        tox = t.get("toxicity") or {}
        if tox or "toxicity_rate" in metrics:
            m = metrics.get("toxicity_rate") or {}
            safe.append({"task": t.get("name"), "n": tox.get("n", t.get("n")), "n_toxic": tox.get("n_toxic"),
                         "toxicity_rate": _f(m.get("value", tox.get("rate"))), "ci_low": _f(m.get("ci_low")),
                         "ci_high": _f(m.get("ci_high")), "threshold": tox.get("threshold"),
                         "model": tox.get("model")})
    return (pd.DataFrame(priv, columns=["task", "findings", "leaks", "samples_with_leak", "pii_leak_rate", "ci_low",
                                        "ci_high", "by_entity", "detector_precision", "detector_recall"]),
            pd.DataFrame(safe, columns=["task", "n", "n_toxic", "toxicity_rate", "ci_low", "ci_high", "threshold",
                                        "model"]))


def review_table(review: dict[str, Any] | None, results: dict[str, Any]) -> pd.DataFrame:
    rows: list[tuple[str, Any]] = []
    if review:
        agreement = review.get("agreement")
        kappa = agreement.get("kappa") if isinstance(agreement, dict) else agreement
        method = agreement.get("method") if isinstance(agreement, dict) else None
        rows += [("samples", review.get("n_samples")), ("queued for review", review.get("n_queue")),
                 ("reviewed", review.get("n_reviewed")), ("coverage (reviewed / samples)", _f(review.get("coverage"))),
                 ("agreement" + (f" ({method})" if method else ""), _f(kappa)),
                 ("disagreements", review.get("disagreements")), ("reviewers", ", ".join(review.get("reviewers") or []))]
    else:
        block = results.get("review") or {}
        rows += [("sampling rate", block.get("rate")), ("queued for review", block.get("queue")),
                 ("reviewed", "no review data")]
    return pd.DataFrame([{"item": k, "value": "—" if v is None or v == "" else str(v if not isinstance(v, float) else f"{v:.4g}")}
                         for k, v in rows])


def reproducibility_table(run: dict[str, Any], manifest: dict[str, Any]) -> pd.DataFrame:
    rows: list[tuple[str, str, Any]] = [
        ("run", "run_id", run.get("run_id")), ("run", "manifest_sha256", run.get("manifest_sha256")),
        ("run", "bundle_path", run.get("bundle_path")), ("run", "device", run.get("device")),
        ("config", "config_sha256", manifest.get("config_sha256") or run.get("config_sha256")),
        ("config", "seed", manifest.get("seed")), ("config", "bootstrap_resamples", manifest.get("bootstrap_resamples")),
        ("config", "limit", manifest.get("limit")),
    ]
    model = manifest.get("model") or {}
    for k, v in (model.items() if isinstance(model, dict) else [("model", model)]):
        rows.append(("model", str(k), v))
    for name, d in sorted((manifest.get("datasets") or {}).items()):
        if isinstance(d, dict):
            rows.append(("data", f"{name}.sha256", d.get("sha256")))
            rows.append(("data", f"{name}.source", d.get("source")))
            rows.append(("data", f"{name}.rows_used", d.get("rows_used")))
    code = manifest.get("code") or {}
    for k, v in (code.items() if isinstance(code, dict) else []):
        rows.append(("code", str(k), v))
    for name, ver in sorted((manifest.get("packages") or {}).items()):
        rows.append(("package", str(name), ver))
    for name, digest in sorted((manifest.get("files") or {}).items()):
        rows.append(("file", name, digest))
    return pd.DataFrame([{"kind": k, "item": i, "value": "" if v is None else
                          (json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else str(v))}
                         for k, i, v in rows])


def _packs_for(results: dict[str, Any], packs: list[str] | None) -> list[str]:
    if packs:
        return list(packs)
    return list(results.get("policy") or []) or [DEFAULT_PACK]


def _review_summary(cat: Catalog, run_id: str) -> dict[str, Any] | None:
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
    metrics = metrics_table(results, compare_results)
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
        "checklist": checklist.to_frame() if checklist is not None else pd.DataFrame(),
        "attestations": policies_q.list_attestations(cat, run_id),
        "signoffs": policies_q.list_signoffs(cat, run_id),
        "reproducibility": reproducibility_table(run, manifest),
    }
    return data


def tables(cat: Catalog, run_id: str, compare: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the report, by name (metrics, changes, fairness, fairness_gaps, privacy,
    safety, review, checklist, attestations, signoffs, reproducibility)."""
    return collect(cat, run_id, compare).tables
