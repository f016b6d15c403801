"""Every name a shipped pack uses is produced by some metric or scanner; a pack naming
something nothing produces fails when it is loaded, with the names that exist."""

from __future__ import annotations

import pytest

from audits.errors import AssayError
from policies.schema import list_packs, load_pack, parse_pack
from policies.vocabulary import metric_names, name_problem


def _pack(check: str) -> dict:
    return {"name": "mine", "title": "Mine", "version": "1",
            "controls": [{"id": "C1", "title": "c", "source": "internal", "owner": "compliance", "check": check}]}


@pytest.mark.parametrize("pack", list_packs())
def test_every_shipped_name_is_produced(pack: str):
    loaded = load_pack(pack)
    for control in loaded.controls:
        if control.check:
            for path in loaded.expression(control.id).names:
                assert name_problem(path) is None, (pack, control.id, path)


def test_scanner_metrics_are_in_the_vocabulary():
    assert {"pii_leak_rate", "pii_rate_input", "toxicity_rate", "accuracy", "bleu"} <= metric_names()


@pytest.mark.parametrize("check, names", [
    ("refusal_rate <= 0.1", "refusal_rate"),
    ("counterfactual_flip_rate <= 0.1", "counterfactual_flip_rate"),
    ("fairness.four_fifths_ratio >= 0.8", "fairness.four_fifths_ratio"),
    ("accuracy.p_value < 0.05", "accuracy.p_value"),
    ("pii.colour == 1", "pii.colour"),
])
def test_a_name_nothing_produces_fails_at_load(check: str, names: str):
    with pytest.raises(AssayError) as err:
        parse_pack(_pack(check), source="mine.yaml")
    assert f"'{names}' can never be evaluated" in err.value.problem and "mine.yaml: control C1" in err.value.problem
    assert "pii_leak_rate" in err.value.fix and "accuracy" in err.value.fix


@pytest.mark.parametrize("check", ["accuracy.ci_low >= 0.8", "fairness.gender.demographic_parity_ratio >= 0.8",
                                   "counterfactual.flip_rate <= 0.1", "previous.accuracy <= accuracy",
                                   "tasks.qa.token_f1 >= 0.5", "n >= 100", "pii.detector.recall >= 0.8"])
def test_names_runs_can_have_load(check: str):
    assert parse_pack(_pack(check), source="mine.yaml").controls[0].check == check
