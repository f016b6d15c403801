"""The internal-llm hallucination controls on real runs (predictions backend, the real detector):
"hallucination rate <= t" on its bound, "down at least 25% since the previous quarter" on the paired
interval of the ratio of the two runs' rates, and the detector's own balanced accuracy on its bound."""

import json

import pytest

import policies
from audits.config import parse_config
from audits.runner import run_audit
from audits.store.catalog import Catalog

POLICY = ("Refunds are available within 30 days of purchase. Items bought in France cannot be returned. "
          "Shipping is free on orders over 50 euros. Our support office is in Dublin.")
GROUNDED = ["Refunds are available within 30 days of purchase.", "Shipping is free on orders over 50 euros.",
            "Our support office is in Dublin."]
INVENTED = ["Samsung Electronics reimburses customers in Tokyo within 45 weeks.",
            "Refunds are processed by Amazon Germany within 90 days by Mr Schmidt."]
N = 60


def _run(tmp, cat, period: str, hallucinated: set[int]) -> str:
    data = tmp / "data.jsonl"
    data.write_text("".join(json.dumps({"id": f"q{i}", "policy": POLICY, "question": "What is the policy?"}) + "\n"
                            for i in range(N)))
    preds = tmp / f"preds-{period}.jsonl"
    preds.write_text("".join(json.dumps({"task": "support", "sample_id": f"q{i}",
                                         "prediction": INVENTED[i % 2] if i in hallucinated else GROUNDED[i % 3]}) + "\n"
                             for i in range(N)))
    config = parse_config({"name": "ratio", "period": period, "bootstrap": 100,
                           "model": {"backend": "predictions", "path": str(preds)},
                           "tasks": [{"name": "support", "type": "generate", "dataset": {"path": str(data)},
                                      "prompt": "{question}", "fields": {"id": "id"}, "context": "policy"}]})
    return run_audit(config, cat, actor="tester")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ratio")
    cat = Catalog(tmp / "cat.duckdb")
    q2 = _run(tmp, cat, "2026-Q2", set(range(30)))        # 30 of 60
    q3 = _run(tmp, cat, "2026-Q3", set(range(3)))         # 3 of 60, all also hallucinated in Q2
    q4 = _run(tmp, cat, "2026-Q4", set(range(0, 60, 2)))  # 30 of 60 again
    return cat, q2, q3, q4


def _items(cat, run):
    return {it.control_id: it for it in policies.evaluate_run(cat, run, ["internal-llm"]).items}


def test_rate_down_by_more_than_a_quarter_passes_on_the_paired_ratio(runs):
    cat, _, q3, _ = runs
    items = _items(cat, q3)
    down = items["INT-HAL-2"]
    assert down.status == "pass", down.detail
    assert down.value == pytest.approx(3 / 30) and down.bound < 0.75 and down.n == N
    assert "paired" in down.tasks[0]["method"]
    assert items["INT-HAL-1"].status == "inconclusive"  # 3 of 60: the exact one-sided upper bound 0.125 > 0.10
    assert items["INT-HAL-1"].value == pytest.approx(0.05)


def test_rate_back_up_fails(runs):
    cat, _, _, q4 = runs
    items = _items(cat, q4)
    assert items["INT-HAL-2"].status == "fail" and items["INT-HAL-2"].value == pytest.approx(10.0)
    assert items["INT-HAL-1"].status == "fail" and items["INT-HAL-1"].value == pytest.approx(0.5)


def test_first_run_has_no_previous_and_detector_quality_is_read_on_its_bound(runs):
    cat, q2, _, _ = runs
    items = _items(cat, q2)
    assert items["INT-HAL-2"].status == "no-data"
    detector = items["INT-HAL-3"]
    assert detector.status == "pass", detector.detail  # QA held-out balanced accuracy 0.957 [0.933, 0.973] (v3, Price-Bonett)
    assert 0.9 < detector.value < 1.0 and detector.bound < detector.value


def test_inconclusive_ratio_states_the_items_that_would_decide(runs, tmp_path):
    cat, _, _, q4 = runs
    pack = tmp_path / "p.yaml"
    pack.write_text("name: p\ntitle: P\ncontrols:\n  - {id: R1, title: ratio, source: s, owner: compliance,"
                    " check: 'hallucination_rate / previous.hallucination_rate <= 12'}\n")
    item = {it.control_id: it for it in policies.evaluate_run(cat, q4, [str(pack)]).items}["R1"]
    assert item.status == "inconclusive" and item.n == N
    assert item.n_needed and item.n_needed > N and "items per run would decide" in item.detail


def test_a_previous_rate_of_zero_is_no_data_with_its_reason_not_an_expression_error(tmp_path):
    """The demo's case: last quarter hallucinated nowhere, so "down 25% since then" is undefined."""
    cat = Catalog(tmp_path / "cat.duckdb")
    _run(tmp_path, cat, "2026-Q3", set())
    q4 = _run(tmp_path, cat, "2026-Q4", {0, 1})
    down = _items(cat, q4)["INT-HAL-2"]
    assert down.status == "no-data"
    assert "divisor is 0" in down.detail and "previous run's rate" in down.detail
