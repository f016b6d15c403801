"""End to end through the predictions backend (no model): a task that names its context gets
hallucination_rate, groundedness and abstention_rate with intervals, per group, per sample, claims
as redacted findings, the detector's measured quality, and a documented verdict for every bad row."""

import json

import pandas as pd
import pytest

from audits.config import parse_config
from audits.errors import AssayError
from audits.runner import prepare, run_audit
from audits.scanners.groundedness import GroundednessScanner
from audits.store import bundle_reader
from audits.store.catalog import Catalog
from audits.store.queries.dashboard import findings_summary
from audits.store.queries import runs as runs_q

POLICY = ("Refunds are available within 30 days of purchase. Items bought in France cannot be returned. "
          "Shipping is free on orders over 50 euros. Our support office is in Dublin.")
# id, segment, context, prediction, expected verdict
ROWS = [
    ("g1", "new", POLICY, "Refunds are available within 30 days of purchase.", "grounded"),
    ("g2", "new", POLICY, "Shipping is free on orders over 50 euros.", "grounded"),
    ("g3", "loyal", POLICY, "Our support office is in Dublin.", "grounded"),
    ("h1", "new", POLICY, "Refunds are processed by Amazon Germany within 90 days by Mr Schmidt.", "hallucinated"),
    ("h2", "loyal", POLICY, "Samsung Electronics reimburses customers in Tokyo within 45 weeks.", "hallucinated"),
    ("a1", "loyal", POLICY, "I don't know.", "abstained"),
    ("e1", "new", POLICY, "", "not scorable"),
    ("f1", "loyal", POLICY, "Les remboursements sont possibles pendant trente jours après l'achat.", "not scorable"),
    ("c0", "new", "", "Refunds are available within 30 days.", "not scorable"),
    ("big", "loyal", "Refunds are available within 30 days. " * 6000, "Refunds are available within 30 days.",
     "not scorable"),
]


def _config(tmp_path, **task_extra):
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps({"id": i, "segment": s, "policy": c, "question": "What is the refund policy?",
                                        "answer": "Within 30 days."}) + "\n" for i, s, c, _, _ in ROWS))
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"task": "support", "sample_id": i, "prediction": p}) + "\n"
                             for i, _, _, p, _ in ROWS))
    task = {"name": "support", "type": "generate", "dataset": {"path": str(data)}, "prompt": "{question}",
            "fields": {"id": "id", "reference": "answer"}, "metrics": ["token_f1"], "sensitive": ["segment"],
            "context": "policy", **task_extra}
    return parse_config({"name": "ground", "period": "2026-Q4", "seed": 5, "bootstrap": 200,
                         "model": {"backend": "predictions", "path": str(preds)}, "tasks": [task],
                         "scanners": {"bias": {"min_group_size": 2}}})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ground")
    cat = Catalog(tmp / "cat.duckdb")
    run_id = run_audit(_config(tmp), cat, actor="tester")
    return cat, run_id


def test_metrics_with_intervals_and_counts(run):
    cat, run_id = run
    task = runs_q.get_results(cat, run_id).task("support")
    hal, grd, abst = (task.metrics[m] for m in ("hallucination_rate", "groundedness", "abstention_rate"))
    assert hal.n == 5 and hal.value == pytest.approx(2 / 5) and hal.kind == "rate"
    assert hal.ci_low < hal.value < hal.ci_high and "clopper" in hal.method.lower()
    assert grd.n == 5 and 0 < grd.value < 1 and grd.ci_low <= grd.value <= grd.ci_high and grd.higher_is_better
    assert abst.n == 6 and abst.value == pytest.approx(1 / 6)  # 5 scored + 1 declined; not-scorable rows out
    assert "detector:groundedness-lr-3|coef:" in hal.signature and "context:policy" in hal.signature
    block = task.groundedness
    assert block.n_scorable == 5 and block.n_hallucinated == 2 and block.n_abstained == 1 and block.n_not_scorable == 4
    assert block.not_scorable_reasons == {"empty answer": 1, "a claim is not in English": 1, "empty context": 1,
                                          "context over 50000 characters": 1}
    q = block.detector
    assert q["measured"] and not q["stale"] and set(q["by_subset"]) == {"qa", "dialogue", "summarization"}
    assert q["by_subset"]["qa"]["balanced_accuracy_ci"][0] <= q["by_subset"]["qa"]["balanced_accuracy"]


def test_per_sample_verdicts_scores_and_groups(run):
    cat, run_id = run
    samples = bundle_reader.read_table(cat, run_id, "samples").set_index("sample_id")
    for sid, _, _, _, verdict in ROWS:
        assert samples.loc[sid, "groundedness_verdict"] == verdict, sid
    assert samples.loc["h1", "score_hallucination_rate"] == 1.0 and samples.loc["g1", "score_hallucination_rate"] == 0.0
    assert pd.isna(samples.loc["a1", "score_hallucination_rate"]) and pd.isna(samples.loc["e1", "score_groundedness"])
    assert samples.loc["g1", "score_groundedness"] == 1.0 and samples.loc["h2", "score_groundedness"] < 1.0
    assert bool(samples.loc["h1", "flag_hallucination"]) and not bool(samples.loc["g1", "flag_hallucination"])
    fairness = runs_q.get_results(cat, run_id).task("support").fairness["segment"]
    assert {"hallucination_rate", "groundedness"} <= set(fairness.metrics)


def test_claims_are_findings_with_their_nearest_span(run):
    cat, run_id = run
    findings = bundle_reader.read_table(cat, run_id, "findings")
    mine = findings[findings["scanner"] == "groundedness"]
    g1 = mine[mine["sample_id"] == "g1"].iloc[0]
    assert g1["entity_type"] == "supported" and POLICY[int(g1["span_start"]):int(g1["span_end"])].startswith("Refunds")
    h1 = mine[mine["sample_id"] == "h1"]
    assert set(h1["entity_type"]) & {"unsupported", "contradicted"} and not h1["leak"].any()
    assert "Mr Schmidt" not in " ".join(mine["context"].dropna())  # claims are redacted at rest like every finding
    assert set(mine[mine["sample_id"] == "f1"]["reason"]) == {"a claim is not in English"}
    assert findings_summary(cat, run_id).empty  # the Privacy page counts PII findings, not claims


def test_context_naming_a_missing_column_fails_before_inference(tmp_path):
    config = _config(tmp_path, context="knowledge")
    with pytest.raises(AssayError) as err:
        prepare(config)
    assert "context names column 'knowledge'" in str(err.value) and "\n" not in str(err.value)


def test_context_on_a_choice_task_and_scanner_without_context_fail(tmp_path):
    config = _config(tmp_path)
    config.tasks[0].type = "choice"
    config.tasks[0].choices = ["yes", "no"]
    with pytest.raises(AssayError, match="'context' is for generate tasks"):
        GroundednessScanner().validate({}, config, {})
    config = _config(tmp_path)
    config.tasks[0].context = None
    config.scanners["groundedness"] = {}
    with pytest.raises(AssayError, match="no task names a 'context' column"):
        prepare(config)


def test_the_overview_gives_the_groundedness_answer(run, monkeypatch):
    from tests.dashboard.conftest import page_app

    cat, _ = run
    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    at = page_app("overview").run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "**Groundedness:**" in text and "**support**: hallucination rate 0.4 (95% CI" in text
    assert "n=5" in text and "abstention rate 0.167" in text and "4 not scorable" in text
    assert "on held-out HaluEval QA; below target on dialogue" in text


def test_the_review_card_marks_unsupported_claims_and_reviewers_can_flag_hallucination(run):
    from audits.grounding.evidence import unsupported_claims
    from audits.review.retraining import DEFAULT_EXCLUDE
    from audits.store.queries.reviews import check_flags
    from dashboard.views.review import FLAG_KEYS, card_html

    cat, run_id = run
    assert unsupported_claims(cat, run_id, "support", "g1") == []
    claims = unsupported_claims(cat, run_id, "support", "h2")
    assert claims and {c["verdict"] for c in claims} <= {"unsupported", "contradicted"}
    sample = bundle_reader.read_table(cat, run_id, "samples", filters={"sample_id": "h2"}).iloc[0].to_dict()
    assert bool(sample["flag_hallucination"])
    html = card_html({**sample, "reason": "hallucination"}, None, None, claims)
    assert 'class="assay-claim"' in html and "Claims not supported by the context" in html
    assert "a claim not supported by the context" in html  # the queue reason in words
    assert check_flags(["hallucination"]) == ["hallucination"] and FLAG_KEYS["hallucination"] == "h"
    assert "hallucination" not in DEFAULT_EXCLUDE  # its corrected answer is retraining data as usual
