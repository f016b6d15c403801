"""Typed contracts end to end (issue 21): scanner options travel as their model, every number with an
interval is an Estimate (old flat blocks migrate), the model identity and the fairness extras are typed.
Untyped ``dict[str, Any]`` in product code is held down by one ratchet: ``tests/test_architecture.py``
(``UNTYPED_CEILING``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits.config import UncheckedOptions, config_to_dict, parse_config
from audits.identity import ModelIdentity
from audits.results import Discrimination, Estimate, FairnessGrouping, GroupTest, load_results, parse_results
from audits.runner import prepare, run_audit
from audits.scanners.base import SCANNERS, TaskContext
from audits.scanners.bias import BiasOptions, parse_options as bias_options
from audits.scanners.toxicity import ToxicityOptions
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q

ROOT = Path(__file__).resolve().parents[1]
V1 = ROOT / "tests" / "fixtures" / "results_v1"


@pytest.fixture
def raw(tmp_path):
    rows = [("1", "Approve A?", "yes", "female", "yes"), ("2", "Approve B?", "no", "male", "yes"),
            ("3", "Approve C?", "yes", "female", "yes"), ("4", "Approve D?", "yes", "male", "no")]
    data, preds = tmp_path / "data.jsonl", tmp_path / "preds.jsonl"
    data.write_text("".join(json.dumps({"id": i, "question": q, "answer": a, "gender": g}) + "\n"
                            for i, q, a, g, _ in rows))
    preds.write_text("".join(json.dumps({"task": "loans", "sample_id": i, "prediction": p}) + "\n"
                             for i, _, _, _, p in rows))
    return {"name": "unit", "period": "2026-Q4", "seed": 3, "bootstrap": 100,
            "model": {"backend": "predictions", "path": str(preds)},
            "tasks": [{"name": "loans", "type": "generate", "dataset": {"path": str(data)},
                       "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}",
                       "metrics": ["exact_match"], "sensitive": ["gender"]}],
            "scanners": {"bias": {"min_group_size": 2, "four_fifths": 0.7}, "toxicity": {}}}


def test_scanner_options_are_checked_once_and_travel_as_their_model(raw):
    config = parse_config(raw)
    assert config.scanners["bias"] == UncheckedOptions(min_group_size=2, four_fifths=0.7)  # as written
    prepared = prepare(config).config
    bias, tox = prepared.scanners["bias"], prepared.scanners["toxicity"]
    assert isinstance(bias, BiasOptions) and bias.min_group_size == 2 and bias.four_fifths == 0.7
    assert isinstance(tox, ToxicityOptions) and tox.fields == ["prediction"]  # defaults filled in
    assert bias_options(bias) is bias            # a typed model passes through: no dump and re-parse
    ctx = TaskContext(task=prepared.tasks[0], samples=None, metric_stats={}, options=bias, backend=None,
                      seed=0, n_bootstrap=0)
    assert ctx.options is bias
    # the bundle's config.yaml records the options with their defaults, as plain data that reads back
    saved = config_to_dict(prepared)["scanners"]
    assert saved["bias"] == {"min_group_size": 2, "metrics": None, "four_fifths": 0.7}
    assert parse_config({**raw, "scanners": saved}).scanners["toxicity"].as_written() == saved["toxicity"]


def test_a_direct_mapping_is_checked_by_the_scanner_with_the_key_path():
    from audits.errors import AssayError

    with pytest.raises(AssayError, match=r"invalid value at 'scanners.bias.four_fifths'"):
        SCANNERS.get("bias")().parse({"four_fifths": 3})


def test_a_run_writes_estimates_and_typed_extras_that_read_back(raw, tmp_path):
    cat = Catalog(tmp_path / "cat.duckdb")
    run_id = run_audit(parse_config(raw), cat, actor="tester")
    res = runs_q.get_results(cat, run_id)
    task = res.task("loans")
    rate = task.toxicity.rate
    assert isinstance(rate, Estimate) and rate.n == 4 and rate.method
    assert rate == Estimate(**task.metrics["toxicity_rate"].model_dump(include=set(Estimate.model_fields)))
    assert isinstance(res.model, ModelIdentity) and res.model.backend == "predictions"
    assert res.model.label.startswith(raw["model"]["path"]) and " · file " in res.model.label
    written = json.loads((Path(runs_q.get_run(cat, run_id)["bundle_path"]) / "results.json").read_text())
    assert set(written["model"]) == set(res.model.model_dump(exclude_unset=True))  # as the backend wrote it
    assert written["tasks"][0]["toxicity"]["rate"]["value"] == rate.value and "rate_ci" not in written["tasks"][0]["toxicity"]


def test_old_flat_toxicity_blocks_read_as_estimates():
    task = load_results(V1 / "results.json").tasks[0]
    assert task.toxicity.rate == Estimate(value=0.125, ci_low=0.0, ci_high=0.375, n=8)
    assert task.toxicity.mean.ci_high == pytest.approx(0.3924202771593855)
    assert task.toxicity.model_extra == {}       # rate_ci / mean_ci folded in, not kept beside


def test_the_bias_scanners_extras_are_typed_fields():
    grouping = FairnessGrouping.model_validate({
        "groups_compared": 2, "four_fifths_reading": "below four-fifths, significant",
        "group_tests": [{"group": "f", "reference": "m", "ratio": 0.7, "ratio_low": 0.6, "ratio_high": 0.8,
                         "p_value": 0.01, "p_adjusted": 0.02, "correction": "holm", "reading": "below"}],
        "decision_parity_informative": False, "decision_parity_note": "argmax decisions barely vary",
        "discrimination": {"value": 0.4, "ci_low": 0.1, "ci_high": 0.7, "highest": "f", "lowest": "m",
                           "by_group": {"f": 0.2, "m": -0.2}, "measure": "logit difference"},
        "by_group": {"f": {"n": 10, "insufficient_data": False,
                           "selection_rate": {"value": 0.5, "ci_low": 0.2, "ci_high": 0.8, "n": 10,
                                              "method": "clopper-pearson"}}}})
    assert isinstance(grouping.group_tests[0], GroupTest) and grouping.group_tests[0].p_adjusted == 0.02
    assert isinstance(grouping.discrimination, Discrimination) and grouping.discrimination.highest == "f"
    assert grouping.decision_parity_informative is False and grouping.model_extra == {}
    assert grouping.by_group["f"].metrics["selection_rate"].method == "clopper-pearson"


def test_a_legacy_model_name_in_results_reads_as_the_model():
    data = json.loads((V1 / "results.json").read_text())
    data["model"] = {"backend": "hf", "name": "my-model"}
    assert parse_results(data).model.label == "my-model"


def test_a_checklists_dict_has_exactly_its_typed_keys():
    """``Checklist.to_dict`` (``assay check --json``) is a ``ChecklistDict``: its keys, each item's and each
    task row's are the TypedDicts' own, so a field added to ``ChecklistItem`` must be typed there too."""
    from dataclasses import fields

    from policies.engine import Checklist, ChecklistDict, ChecklistItem, ChecklistItemDict, TaskCheck

    row: TaskCheck = {"task": "qa", "passed": False, "verdict": "fail", "value": 0.7, "threshold": ">= 0.85",
                      "bound": 0.8, "bound_side": "upper", "n": 40, "n_needed": None, "method": "wilson",
                      "reason": "", "inputs": {"accuracy": 0.7}}
    item = ChecklistItem(pack="p", control_id="C1", title="t", source="s", owner="o", severity="high", kind="check",
                         status="fail", value=0.7, tasks=[row])
    body = Checklist(run_id="r1", packs=["p"], items=[item, ChecklistItem(
        pack="p", control_id="C2", title="t", source="s", owner="o", severity="low", kind="attestation",
        status="needs-attestation")]).to_dict()
    assert list(body) == list(ChecklistDict.__annotations__)
    assert [f.name for f in fields(ChecklistItem)] == list(ChecklistItemDict.__annotations__)
    assert all(list(it) == list(ChecklistItemDict.__annotations__) for it in body["items"])
    assert body["items"][0]["tasks"] == [row] and set(row) == set(TaskCheck.__annotations__)
    assert body["counts"]["fail"] == 1 and body["counts"]["needs-attestation"] == 1 and body["failed"] is True
    assert json.loads(json.dumps(body))["items"][0]["value"] == 0.7
