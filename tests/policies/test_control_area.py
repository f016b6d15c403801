"""A control declares its area (accuracy / fairness / privacy / safety / process) in the pack; a check
that leaves it out gets it once, at load, from the names its expression reads. The four answers
(reports.verdicts.area_verdicts) group checks by control.area."""

from __future__ import annotations

import pytest
import yaml

from audits.errors import AssayError
from policies.engine import evaluate_run
from policies.schema import derive_area, load_pack, parse_pack
from policies.expr import parse
from reports.verdicts import area_verdicts


def _area(expression: str) -> str:
    return derive_area(parse(expression, where="t").names)


@pytest.mark.parametrize("expression,area", [
    ("accuracy >= 0.85", "accuracy"),
    ("(1 - accuracy) <= 0.75 * (1 - previous.accuracy)", "accuracy"),
    ("fairness.min_selection_rate_ratio >= 0.8", "fairness"),
    ("counterfactual.flip_rate.value <= 0.1", "fairness"),
    ("pii_leak_rate <= 0.01", "privacy"),
    ("pii.detector.recall >= 0.8", "privacy"),
    ("toxicity_rate <= 0.01", "safety"),
    ("attack_success_rate_jailbreak <= 0.05", "safety"),
    ("review.coverage >= 0.05", "process"),
    ("quarters_since_previous_bias_audit <= 1", "process"),
])
def test_an_undeclared_area_is_derived_from_the_names_the_check_reads(expression, area):
    assert _area(expression) == area


def test_shipped_packs_carry_an_area_on_every_check():
    pack = load_pack("internal-llm")
    areas = {c.id: c.area for c in pack.controls if c.check is not None}
    assert areas["INT-ACC-1"] == "accuracy" and areas["INT-FAIR-1"] == "fairness"
    assert areas["INT-PII-1"] == "privacy" and all(a is not None for a in areas.values())


def _pack(area: str | None) -> dict:
    control = {"id": "C1", "title": "t", "source": "s", "owner": "compliance", "check": "toxicity_rate <= 0.01"}
    return {"name": "p", "title": "P", "controls": [{**control, **({"area": area} if area else {})}]}


def test_a_declared_area_wins_over_the_derived_one():
    assert parse_pack(_pack(None)).controls[0].area == "safety"
    assert parse_pack(_pack("privacy")).controls[0].area == "privacy"


def test_an_unknown_area_is_one_line_naming_the_control_and_the_key():
    with pytest.raises(AssayError) as err:
        parse_pack(_pack("ethics"), source="p.yaml")
    assert str(err.value).startswith("p.yaml: control C1, invalid value at 'area': Input should be 'accuracy', "
                                     "'fairness', 'privacy', 'safety', 'groundedness' or 'process'")
    assert "\n" not in str(err.value)


def test_the_four_answers_group_checks_by_the_declared_area(two_runs, tmp_path):
    """Declaring toxicity's check a privacy control moves it under Privacy on the first page."""
    cat, _, q4 = two_runs
    path = tmp_path / "pack.yaml"
    path.write_text(yaml.safe_dump(_pack("privacy")))
    checklist = evaluate_run(cat, q4, [str(path)])
    assert [(it.control_id, it.area) for it in checklist.items] == [("C1", "privacy")]
    assert checklist.to_dict()["items"][0]["area"] == "privacy"
    verdicts = {v.area: v for v in area_verdicts(checklist, __import__("reports").collect(cat, q4).results)}
    assert verdicts["privacy"].controls == [("p", "C1", checklist.items[0].status)]
    assert verdicts["safety"].controls == []
