"""Pack loading/validation and the safe expression evaluator (no catalog needed)."""

from __future__ import annotations

import pytest

import policies
from audits.errors import AssayError
from policies.expr import MissingInput, parse


class Dict:
    def __init__(self, data):
        self.data = data

    def resolve(self, path):
        value = self.data
        for p in path:
            if not isinstance(value, dict) or p not in value:
                raise MissingInput(".".join(path))
            value = value[p]
        return value


def test_shipped_packs_load_with_both_kinds_of_control():
    assert policies.list_packs() == ["eu-ai-act", "gdpr-ccpa", "internal-llm", "nist-ai-rmf", "owasp-llm-top10"]
    for name in policies.list_packs():
        pack = policies.load_pack(name)
        kinds = {c.kind for c in pack.controls}
        assert kinds == {"check", "attestation"}, name
    eu = {c.source.split("(")[0].split(".")[1].strip() for c in policies.load_pack("eu-ai-act").controls}
    assert {"9", "10", "12", "13", "14", "15"} <= {s.split()[0] for s in eu}
    assert any(c.id == "MEASURE-2.11" for c in policies.load_pack("nist-ai-rmf").controls)


@pytest.mark.parametrize("body, message", [
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: compliance}\n",
     r"p\.yaml: control C1, invalid value at '\(control\)'.*exactly one of 'check'"),
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: boss, check: 'accuracy > 0'}\n",
     r"control C1, invalid value at 'owner'"),
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: admin, chek: 'accuracy > 0'}\n",
     r"control C1, unknown key 'chek'"),
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, owner: admin, check: 'accuracy > 0'}\n",
     r"control C1, missing required key 'source'"),
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: admin, attestation: {role: ceo}}\n",
     r"control C1, invalid value at 'attestation.role'"),
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: admin, check: '__import__(\"os\")'}\n",
     r"control C1, key 'check'.*calls __import__\(\), which is not allowed"),
    ("name: p\ntitle: T\ncontrols:\n  - {id: C1, title: t, source: s, owner: admin, check: 'accuracy >='}\n",
     r"control C1, key 'check'.*not a valid expression"),
    ("name: p\ntitle: T\ncontrols: [\n", r"malformed YAML at line"),
    ("- just a list\n", r"a policy pack must be a YAML mapping"),
])
def test_malformed_packs_give_one_line_errors(tmp_path, body, message):
    path = tmp_path / "p.yaml"
    path.write_text(body)
    with pytest.raises(AssayError, match=message) as info:
        policies.load_pack(str(path))
    assert "\n" not in str(info.value)


def test_unknown_pack_and_missing_file():
    with pytest.raises(AssayError, match="unknown policy pack 'nope' — use one of: eu-ai-act"):
        policies.load_pack("nope")
    with pytest.raises(AssayError, match="does not exist"):
        policies.load_pack("./missing.yaml")


@pytest.mark.parametrize("source", [
    "__import__('os').system('true')", "accuracy.__class__", "(lambda: 1)()", "[x for x in y]",
    "open('f')", "accuracy if True else 0", "a[0]", "getattr(a, 'b')", "f'{a}'", "a := 1",
])
def test_evaluator_refuses_unsafe_syntax(source):
    with pytest.raises(AssayError):
        parse(source)


def test_evaluator_values():
    data = Dict({"accuracy": 0.9, "previous": {"accuracy": 0.8},
                 "fairness": {"race*gender": {"ratio": 0.7}, "gender": {"rates": {"f": 0.4, "m": 0.5}}}})
    assert parse("accuracy >= 0.85 and not accuracy > 1").evaluate(data) is True
    assert parse("(1 - accuracy) <= 0.75 * (1 - previous.accuracy)").evaluate(data) is True
    assert parse('fairness["race*gender"].ratio < 0.8').evaluate(data) is True
    assert parse("min(fairness.gender.rates) / max(fairness.gender.rates) >= 0.8").evaluate(data) is True
    assert parse("abs(accuracy - 1) < 0.2 and any([accuracy > 2, True])").evaluate(data) is True
    assert parse("accuracy >= 0.85").comparison(data) == (0.9, ">= 0.85")
    with pytest.raises(MissingInput, match="toxicity_rate"):
        parse("toxicity_rate < 0.01").evaluate(data)
    assert parse("previous.accuracy + fairness.gender.rates.f > 1").names == (
        ("previous", "accuracy"), ("fairness", "gender", "rates", "f"))
