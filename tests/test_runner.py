"""The audit job in-process on the predictions backend: typed results, no mutation of the
caller's config, scanners ordered by what they provide and require, option errors by key path."""

from __future__ import annotations

import json

import pytest

from audits.cli import main as cli
from audits.config import parse_config
from audits.errors import AssayError
from audits.results import SCHEMA_VERSION
from audits.runner import prepare, run_audit
from audits.scanners.base import scan_order
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q

ROWS = [("1", "Approve A?", "yes", "female", "yes"), ("2", "Approve B?", "no", "male", "yes"),
        ("3", "Approve C?", "yes", "female", "yes"), ("4", "Approve D?", "yes", "male", "no"),
        ("5", "Approve E?", "no", "female", "no"), ("6", "Approve F?", "no", "male", "no, idiot")]


@pytest.fixture
def audit(tmp_path):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": i, "question": q, "answer": a, "gender": g}) + "\n"
                            for i, q, a, g, _ in ROWS))
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "loans", "sample_id": i, "prediction": p}) + "\n"
                             for i, _, _, _, p in ROWS))
    raw = {"name": "unit", "period": "2026-Q4", "seed": 3, "bootstrap": 200,
           "model": {"backend": "predictions", "path": str(preds)},
           "tasks": [{"name": "loans", "type": "generate", "dataset": {"path": str(data)},
                      "fields": {"id": "id", "reference": "answer"}, "prompt": "{question}",
                      "metrics": ["exact_match", "token_f1"], "sensitive": ["gender"]}],
           "scanners": {"bias": {"min_group_size": 2, "four_fifths": 0.7}, "toxicity": {}}}
    return raw, Catalog(tmp_path / "cat.duckdb")


def test_run_writes_typed_results_and_leaves_the_config_alone(audit, capsys):
    raw, cat = audit
    config = parse_config(raw)
    before = config.model_dump()
    run_id = run_audit(config, cat, actor="tester")
    assert config.model_dump() == before  # the runner worked on a copy
    res = runs_q.get_results(cat, run_id)
    task = res.task("loans")
    assert res.schema_version == SCHEMA_VERSION
    # 3 of 6 exact matches (rows 2, 4 and 6 differ from the reference)
    em = task.metrics["exact_match"]
    assert em.value == pytest.approx(3 / 6) and em.n == 6 and em.ci_low < em.value < em.ci_high
    assert em.method and em.higher_is_better is True
    assert task.metrics["toxicity_rate"].higher_is_better is False
    assert task.fairness["gender"].four_fifths_threshold == 0.7  # the configured threshold is recorded
    # toxicity ran before bias, so bias disaggregated the toxicity rate by group
    assert "toxicity_rate" in task.fairness["gender"].by_group["female"].metrics
    assert cli(["--catalog", str(cat.path), "results", run_id, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["schema_version"] == SCHEMA_VERSION and out["tasks"][0]["metrics"]["exact_match"]["method"]


def test_scanners_run_after_what_they_require():
    order = scan_order(["explain", "bias", "counterfactual", "pii", "toxicity"])
    assert sorted(order) == ["bias", "counterfactual", "explain", "pii", "toxicity"]
    assert order.index("bias") > max(order.index("pii"), order.index("toxicity"))  # bias needs their metrics
    # explain needs every flag (pii, toxicity, counterfactual)
    assert order.index("explain") > max(order.index(n) for n in ("pii", "toxicity", "counterfactual"))
    assert scan_order(["toxicity", "pii"]) == ["toxicity", "pii"]  # independent: the config's order


@pytest.mark.parametrize("options, key", [
    ({"toxicity": {"threshold": "high"}}, "scanners.toxicity.threshold"),
    ({"bias": {"min_group_size": True}}, "scanners.bias.min_group_size"),
    ({"bias": {"four_fifths": 1.5}}, "scanners.bias.four_fifths"),
    ({"explain": {"colour": 1}}, "scanners.explain.colour"),
])
def test_scanner_options_fail_by_key_path_before_inference(audit, options, key):
    raw, cat = audit
    with pytest.raises(AssayError) as err:
        prepare(parse_config({**raw, "scanners": options}))
    assert f"'{key}'" in err.value.problem and err.value.fix
    assert runs_q.list_runs(cat).empty  # nothing registered


def test_a_run_is_created_by_the_real_uid_never_a_name_from_the_environment(audit, monkeypatch):
    import os
    import pwd

    raw, cat = audit
    for name in ("ASSAY_USER", "LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, "mallory")
    run_id = run_audit(parse_config(raw), cat)
    with cat.connect() as con:
        created_by = con.execute("SELECT created_by FROM runs WHERE run_id = ?", [run_id]).fetchone()[0]
        actors = {a for (a,) in con.execute("SELECT actor FROM audit_log WHERE target = ?", [run_id]).fetchall()}
    assert created_by == pwd.getpwuid(os.getuid()).pw_name != "mallory"
    assert actors == {created_by}
