"""Bias scanner: every metric by group (fairlearn MetricFrame) with bootstrap CIs.

For each sensitive attribute and each configured intersection (``race*gender``) it reports,
per group, n, an ``insufficient_data`` flag (n < ``min_group_size``) and each metric with a
95% percentile-bootstrap CI; across groups, difference (max - min) and ratio (min / max).
Decision tasks (``task.positive``) add the selection rate, demographic parity difference and
ratio, the four-fifths rule (ratio < 0.8) and, with ground truth, equalized odds difference.

Point values and gaps are fairlearn's own numbers. Groups below ``min_group_size`` keep
their values in ``by_group`` but are left out of every difference and ratio (the gaps are
computed by fairlearn on the samples of the sufficient groups only).
"""

from __future__ import annotations

from typing import Any, Mapping, TypedDict

import numpy as np
import pandas as pd
from pydantic import Field, field_validator

from audits.config import AuditConfig, TaskConfig
from audits.errors import AssayError
from audits.jsontypes import JsonObject
from audits.metrics.base import Metric
from audits.scanners import _fairness as fx
from audits.scanners._scanmetric import ScanMean, mean_stats
from audits.stats import (GroupEffects, cluster_sums, correct_group_tests, group_effects, group_interval, group_tests,
                          pooled_rates, resample_blocks, studentized_rows, unbounded_mean)
from audits.scanners.base import SCANNERS, ScanOutput, Scanner, ScannerOptions, TaskContext, parse_scanner_options

TABLE_COLUMNS = ["task", "attribute", "group", "metric", "value", "ci_low", "ci_high", "n", "insufficient_data",
                 "method"]  # method: the interval's (clopper-pearson, bca-bootstrap, percentile-bootstrap)
ALPHA = 0.05


class FairnessRow(TypedDict):
    """A row of the bundle's ``fairness`` table: one metric of one group."""

    task: str
    attribute: str
    group: str
    metric: str
    value: float
    ci_low: float
    ci_high: float
    n: int
    insufficient_data: bool
    method: str


class BiasOptions(ScannerOptions):
    """``scanners.bias``: the smallest group compared, which metrics, and the four-fifths threshold."""

    min_group_size: int = Field(30, ge=1)
    metrics: list[str] | None = Field(None, description="metrics to disaggregate; all when left out")
    four_fifths: float = Field(0.8, gt=0.0, le=1.0)

    @field_validator("metrics", mode="before")
    @classmethod
    def _one_metric(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


def parse_options(options: ScannerOptions | Mapping[str, object] | None) -> BiasOptions:
    """``scanners.bias`` typed, defaults filled in (typed options pass through); AssayError naming the key path."""
    return parse_scanner_options("bias", BiasOptions, options)


def _num(x: Any) -> float | None:
    """JSON-safe float: NaN/inf -> None."""
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def _validate_task(task: TaskConfig, frame: pd.DataFrame) -> None:
    for attr in task.sensitive:
        col = attr.column
        if col not in frame.columns:
            shown = ", ".join(map(str, list(frame.columns)[:12]))
            raise AssayError(f"task {task.name!r}: sensitive column {col!r} is not in the data (columns: {shown})",
                             f"fix tasks[{task.name}].sensitive or add a {col!r} column to the data")
        nulls = frame[col].isna()
        if nulls.any():
            first = int(np.flatnonzero(nulls.to_numpy())[0])
            raise AssayError(f"task {task.name!r}: sensitive column {col!r} has {int(nulls.sum())} empty value(s) "
                             f"(first at row {first})",
                             "fill them with an explicit group such as 'unknown', or drop those rows with dataset.filter")
        if attr.bins is not None and f"{col}_raw" not in frame.columns:  # the loader bins and keeps <col>_raw
            values = pd.to_numeric(frame[col], errors="coerce")
            if values.isna().any():
                bad = frame[col][values.isna()].iloc[0]
                raise AssayError(f"task {task.name!r}: sensitive column {col!r} has bins but a non-numeric value {bad!r}",
                                 f"remove 'bins' from {col!r} or make its values numbers")
            outside = (values < attr.bins[0]) | (values > attr.bins[-1])
            if outside.any():
                raise AssayError(f"task {task.name!r}: {col!r} value {values[outside].iloc[0]!r} lies outside the bins "
                                 f"{attr.bins}", f"widen tasks[{task.name}].sensitive bins to cover every value")
    if task.positive is None:
        return
    offered: set[str] = set(task.choices or [])
    for c in task.fields.choices or []:
        if c in frame.columns:
            offered |= set(frame[c].dropna().astype(str))
    if offered and task.positive not in offered:
        raise AssayError(f"task {task.name!r}: positive choice {task.positive!r} is not among the choices "
                         f"{sorted(offered)[:10]}", "set 'positive' to one of the choices exactly (case matters)")


@SCANNERS.register("bias")
class BiasScanner(Scanner):
    """Metrics by group, gaps between groups, and the four-fifths rule (fairlearn)."""

    name = "bias"
    Options = BiasOptions
    requires = frozenset({"metrics"})
    provides = frozenset({"block:fairness", "table:fairness"})

    def validate(self, options: ScannerOptions, config: AuditConfig, datasets: dict[str, pd.DataFrame]) -> None:
        parse_options(options)
        for task in config.tasks:
            if task.name in datasets and (task.sensitive or task.positive is not None):
                _validate_task(task, datasets[task.name])

    def scan(self, ctx: TaskContext) -> ScanOutput:
        task = ctx.task
        if not task.sensitive:
            return ScanOutput()
        opts = parse_options(ctx.options)
        return fairness_scan(task, ctx.samples, ctx.metric_stats, opts, ctx.seed, ctx.n_bootstrap)


def _decision_arrays(task: TaskConfig, samples: pd.DataFrame) -> tuple[np.ndarray | None, np.ndarray | None]:
    """y_pred (0/1) for decision tasks, and y_true (1/0, NaN unknown) when labels exist."""
    if task.positive is None:
        return None, None
    if "positive" in samples:
        y_pred = samples["positive"].fillna(False).astype(bool).to_numpy().astype(int)
    else:
        y_pred = (samples["prediction"].astype(str) == task.positive).to_numpy().astype(int)
    y_true = None
    if "label" in samples and samples["label"].notna().any():
        label = samples["label"]
        y_true = np.where(label.isna(), np.nan, (label.astype(str) == task.positive).astype(float))
    return y_pred, y_true


def fairness_scan(task: TaskConfig, samples: pd.DataFrame, metric_stats: dict[str, tuple[Metric, np.ndarray]],
                  opts: BiasOptions, seed: int, n_bootstrap: int) -> ScanOutput:
    """The whole bias scan of one task (see module docstring); pure function of its inputs."""
    n = len(samples)
    y_pred, y_true = _decision_arrays(task, samples)
    wanted = opts.metrics
    stats = {name: (m, np.asarray(s, dtype=np.float64)) for name, (m, s) in metric_stats.items()
             if (wanted is None or name in wanted) and len(s) == n}
    blocks: dict[str, tuple[Metric, np.ndarray]] = dict(stats)
    if y_pred is not None:
        blocks = {"selection_rate": (ScanMean("selection_rate", "selection_rate|fairlearn"), mean_stats(y_pred)), **stats}
    combos = [[a] for a in task.attribute_names] + [list(c) for c in task.intersections]
    groupings = [fx.make_grouping(samples, combo) for combo in combos]
    attributes = {g.key: g.labels for g in groupings[:len(task.attribute_names)]}  # for effects within questions
    clusters = _task_clusters(task, samples)
    fairness: dict[str, JsonObject] = {}  # attribute -> the FairnessGrouping block, as JSON
    rows_out: list[FairnessRow] = []
    for grouping in groupings:
        fairness[grouping.key] = _scan_grouping(task, grouping, y_pred, y_true, stats, blocks, opts, seed,
                                                n_bootstrap, rows_out, clusters, attributes)
    correct_group_tests([b.get("group_tests") or [] for b in fairness.values()], opts.four_fifths)
    for block in fairness.values():  # the worst pair's reading: "below four-fifths, (not) significant"
        tests = block.get("group_tests") or []
        if tests:
            worst = min(tests, key=lambda t: t["ratio"] if t["ratio"] == t["ratio"] else float("inf"))
            block["four_fifths_reading"] = worst["reading"]
            block["demographic_parity_ratio_ci"] = [_num(worst["ratio_low"]), _num(worst["ratio_high"])]
            block["group_tests"] = [{k: (_num(v) if isinstance(v, float) else v) for k, v in t.items()} for t in tests]
    table = pd.DataFrame(rows_out, columns=TABLE_COLUMNS)
    return ScanOutput(results={"fairness": fairness}, tables={"fairness": table})


def _question_effects(task: TaskConfig, grouping: fx.Grouping, logits: np.ndarray, clusters: np.ndarray,
                      compared: list[str], attributes: dict[str, np.ndarray], seed: int,
                      n_bootstrap: int) -> GroupEffects | None:
    """The compared groups' decision-logit effects within the task's clusters (discrim-eval: its
    questions), the task's other attributes held fixed, as Tamkin et al. fit them; None where the data
    do not identify them."""
    rows = np.isin(grouping.labels, compared) & (logits[:, 1] > 0)
    others = [labels[rows] for a, labels in attributes.items() if a not in grouping.columns]
    covariates = np.column_stack([(col == level).astype(np.float64) for col in others
                                  for level in np.unique(col.astype(str))[1:]]) if others else None
    return group_effects(logits[rows, 0], grouping.labels[rows], clusters[rows], n_bootstrap,
                         fx.group_seed(seed, task.name, grouping.key, "within-questions"), covariates)


def _task_clusters(task: TaskConfig, samples: pd.DataFrame) -> np.ndarray | None:
    """Each sample's cluster id when the task declares ``cluster:`` (the samples' ``cluster`` column)."""
    if "cluster" not in samples.columns:
        return None
    return samples["cluster"].astype(str).to_numpy(dtype=object)


def _scan_grouping(task: TaskConfig, grouping: fx.Grouping, y_pred: np.ndarray | None, y_true: np.ndarray | None,
                   stats: dict[str, tuple[Metric, np.ndarray]], blocks: dict[str, tuple[Metric, np.ndarray]],
                   opts: BiasOptions, seed: int, n_bootstrap: int, rows_out: list[FairnessRow],
                   clusters: np.ndarray | None = None,
                   attributes: dict[str, np.ndarray] | None = None) -> JsonObject:
    """One attribute or intersection. ``clusters`` (the task's ``cluster:`` ids, one per sample) makes
    every group's interval and every group test count clusters, not samples, as independent: whole
    clusters are resampled, rates are exact at the group's effective sample size, and the tests use
    a design effect pooled over the groups (``audits.stats.pooled_rates``)."""
    all_rows = np.arange(len(grouping.labels))
    scored = {name: np.asarray(m.scored(st), dtype=bool) for name, (m, st) in blocks.items()}
    min_size = opts.min_group_size
    by_group_frame = fx.by_group(grouping, y_pred, y_true, stats).copy()
    by_group_frame.index = [fx.group_label(i) for i in by_group_frame.index]
    groups, sizes = np.unique(grouping.labels, return_counts=True)
    size_of = dict(zip(groups.tolist(), sizes.tolist()))
    # MetricFrame lists every combination of an intersection; keep the groups that have samples
    by_group_frame = by_group_frame[by_group_frame.index.isin(list(size_of))]
    ok_groups = [g for g in by_group_frame.index if size_of[g] >= min_size]

    by_group: dict[str, JsonObject] = {}  # group -> a GroupEntry, as JSON
    logit_draws: dict[str, np.ndarray] = {}  # group -> decision_logit on its resamples (discrimination score)
    for g in by_group_frame.index:
        rows = all_rows[grouping.labels == g]
        gseed = fx.group_seed(seed, task.name, grouping.key, g)
        # rows a metric could not score (e.g. no reference) stay out of its n and its resamples
        parts = [blocks[name][1][rows][scored[name][rows]] for name in blocks]
        ids = [None if clusters is None else clusters[rows][scored[name][rows]] for name in blocks]
        # clustered: resample whole clusters (each cluster's summed statistics is one unit)
        units = [p if c is None else cluster_sums(p, c) for p, c in zip(parts, ids)]
        # a mean of unbounded scores takes the bootstrap-t on the same resamples: its rows' y, w, y*y, y*w, w*w
        tee = [i for i, ((m, _), p, c) in enumerate(zip(blocks.values(), parts, ids)) if unbounded_mean(m, p, c)]
        sums = resample_blocks(units + [studentized_rows(parts[i]) for i in tee], n_bootstrap, gseed)
        tee_sums = dict(zip(tee, sums[len(units):]))
        small = bool(size_of[g] < min_size)
        entry: JsonObject = {"n": int(size_of[g]), "insufficient_data": small}
        for i, ((name, (metric, _)), part, s, c) in enumerate(zip(blocks.items(), parts, sums, ids)):
            # exact for rates, BCa for means, percentile for corpus metrics (audits.stats)
            iv = group_interval(metric, part, np.asarray(metric.aggregate(s), dtype=np.float64), 1 - ALPHA, c,
                                studentized=tee_sums.get(i))
            low, high, method = iv.low, iv.high, iv.method
            value = float(by_group_frame.at[g, name])
            if name == "decision_logit" and not small:
                logit_draws[g] = np.asarray(metric.aggregate(s), dtype=np.float64)
            entry[name] = {"value": _num(value), "ci_low": _num(low), "ci_high": _num(high), "n": int(len(part)),
                           "method": method, **({"caveat": iv.caveat} if iv.caveat else {})}
            if c is not None:
                entry[name].update({"design_effect": _num(iv.design_effect), "n_clusters": iv.n_clusters,
                                    "design_effect_source": iv.design_effect_source})
            rows_out.append({"task": task.name, "attribute": grouping.key, "group": g, "metric": name,
                             "value": value, "ci_low": low, "ci_high": high, "n": int(len(part)),
                             "insufficient_data": small, "method": method})
        by_group[g] = entry

    out: JsonObject = {"groups_compared": len(ok_groups), "min_group_size": min_size,
                           "four_fifths_threshold": opts.four_fifths}
    comparable = len(ok_groups) >= 2
    diff, ratio = fx.gaps(by_group_frame.loc[ok_groups]) if comparable else (pd.Series(dtype=float),) * 2
    if y_pred is not None:
        dec = fx.decision_gaps(diff, ratio) if comparable else {}
        dpr = _num(dec.get("demographic_parity_ratio"))
        out["demographic_parity_difference"] = _num(dec.get("demographic_parity_difference"))
        out["demographic_parity_ratio"] = dpr
        out["four_fifths_violation"] = bool(dpr < opts.four_fifths) if dpr is not None else None
        # every pair of compared groups: two-proportion test and Katz ratio interval; Holm over all
        # pairs of the task's groupings and the four-fifths reading are added by fairness_scan
        tested = [g for g in ok_groups if by_group[g]["selection_rate"]["value"] is not None]
        if clusters is None:
            rates = {g: (by_group[g]["selection_rate"]["value"], by_group[g]["selection_rate"]["n"]) for g in tested}
        else:  # at each group's effective n, from one within-cluster correlation pooled over the groups
            rates = pooled_rates({g: (y_pred[grouping.labels == g], clusters[grouping.labels == g]) for g in tested})
        out["group_tests"] = group_tests(rates, 1 - ALPHA) if comparable else []
        if y_true is not None:
            out["equalized_odds_difference"] = _num(dec.get("equalized_odds_difference"))
        out.update(fx.decision_parity_note(y_pred))
    if comparable and len(logit_draws) >= 2 and n_bootstrap > 0:
        effects = None if clusters is None else _question_effects(task, grouping, blocks["decision_logit"][1], clusters,
                                                                  list(logit_draws), attributes or {}, seed, n_bootstrap)
        if effects is not None:  # samples share questions: each group's effect within its questions
            score = fx.adjusted_discrimination_score(effects, ALPHA)
        else:
            point = {g: float(by_group_frame.at[g, "decision_logit"]) for g in logit_draws}
            score = fx.discrimination_score(point, logit_draws, ALPHA)
        out["discrimination"] = {k: (_num(v) if isinstance(v, float) else v) for k, v in score.items()}
    out["metrics"] = {name: {"difference": _num(diff.get(name)), "ratio": _num(ratio.get(name))} for name in stats}
    out["by_group"] = by_group
    return out
