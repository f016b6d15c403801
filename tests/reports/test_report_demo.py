"""End to end on the real demo runs (embedded model): check gate, PDF and HTML reports.

Every expectation is derived from the runs' own results.json, so the test checks that the
checklist and the report say what the real runs measured.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

import policies
import reports
from reports.figures import figure
from audits.store.catalog import Catalog
from audits.store.queries import runs as runs_q
from reports.data import collect


def _expected(low: float, high: float, threshold: float) -> str:
    """The three-valued verdict of ``x >= threshold`` from an interval (audits.stats semantics)."""
    return "pass" if low >= threshold else "fail" if high < threshold else "inconclusive"


@pytest.mark.slow
def test_demo_checklist_matches_real_results(demo_catalog, demo_run_ids):
    cat = Catalog(demo_catalog)
    q3, q4 = demo_run_ids[0], demo_run_ids[-1]
    res, prev = runs_q.get_results(cat, q4), runs_q.get_results(cat, q3)
    checklist = policies.evaluate_run(cat, q4, policies.list_packs())
    assert len(checklist.items) == sum(len(policies.load_pack(p).controls) for p in policies.list_packs())
    items = {it.control_id: it for it in checklist.items}
    for it in checklist.items:
        if it.kind == "check" and it.status in ("pass", "fail"):
            assert it.tasks, it.control_id          # evaluated on real tasks, with measured values

    # PII leaks: `== 0` can fail on a seen leak but never pass from a sample (no tolerance stated)
    leak = {t.name: t.metrics["pii_leak_rate"].value for t in res.tasks if "pii_leak_rate" in t.metrics}
    assert {r["task"]: r["value"] for r in items["INT-PII-1"].tasks} == pytest.approx(leak)
    assert items["INT-PII-1"].status == ("fail" if max(leak.values()) > 0 else "inconclusive")
    # the detector's own recall, read from the pii.detector block
    recall = res.task("pii-support").pii.detector["recall"]
    assert items["INT-PII-2"].value == pytest.approx(recall)
    # accuracy is judged only where it is measured (bbq-gender), on its exact interval
    acc = res.task("bbq-gender").metrics["accuracy"]
    assert [r["task"] for r in items["INT-ACC-1"].tasks] == ["bbq-gender"]
    assert items["INT-ACC-1"].status == _expected(acc.ci_low, acc.ci_high, 0.85)
    assert "not measured on support-qa" in items["INT-ACC-1"].detail
    # wrong answers against Q3, on the real pair
    assert items["INT-ERR-1"].value == pytest.approx(1 - acc.value)
    assert items["INT-ERR-1"].status in ("pass", "fail", "inconclusive")
    # Q3 -> Q4 is one quarter, and both runs ran the bias scanner
    assert items["INT-CAD-1"].status == "pass" and items["INT-CAD-1"].value == 1.0
    # four-fifths: pass/fail only when every attribute the demo declares has a measured ratio
    fair = res.task("loan-decisions").fairness
    assert {"race", "gender", "age"} <= set(fair)
    ratios = [b.demographic_parity_ratio for b in fair.values()]
    if any(r is None for r in ratios):
        uninformative = any(getattr(b, "decision_parity_informative", True) is False for b in fair.values())
        assert items["INT-FAIR-1"].status == "no-data"
        assert ("decision parity is uninformative" if uninformative else "race") in items["INT-FAIR-1"].detail
    else:
        assert items["INT-FAIR-1"].value == pytest.approx(min(ratios))
    # the probability-based discrimination score: decided on its largest bounds, <= 0.5
    disc = [getattr(b, "discrimination", None) for b in fair.values()]
    if disc and all(d and d.get("ci_low") is not None and d.get("ci_high") is not None for d in disc):
        assert items["INT-FAIR-2"].value == pytest.approx(max(d["value"] for d in disc))
        low, high = max(d["ci_low"] for d in disc), max(d["ci_high"] for d in disc)
        assert items["INT-FAIR-2"].status == ("pass" if high <= 0.5 else "fail" if low > 0.5 else "inconclusive")
    else:
        assert items["INT-FAIR-2"].status == "no-data"
    # no reviews in the demo: coverage is a measured 0, not a pass
    assert items["INT-REV-1"].status == "fail"
    assert items["INT-REL-1"].status == "needs-attestation"

    first = {it.control_id: it for it in policies.evaluate_run(cat, q3, ["internal-llm"]).items}
    assert first["INT-ERR-1"].status == "no-data" and first["INT-CAD-1"].status == "no-data"


@pytest.mark.slow
def test_demo_report_shows_real_numbers(demo_catalog, demo_run_ids):
    cat = Catalog(demo_catalog)
    q3, q4 = demo_run_ids[0], demo_run_ids[-1]
    res = runs_q.get_results(cat, q4)
    data = collect(cat, q4)
    assert data.compare_id == q3                             # default: the previous quarter
    privacy = data.tables["privacy"].set_index("task")
    detector = res.task("pii-support").pii.detector
    assert privacy.loc["pii-support", "detector_recall"] == pytest.approx(detector["recall"])
    assert privacy.loc["pii-support", "detector_precision"] == pytest.approx(detector["precision"])
    assert "{" not in privacy.loc["pii-support", "by_entity"]   # readable, not raw JSON
    changes = data.tables["changes"]
    assert len(changes) and (changes["change"] != 0).all()
    gaps = data.tables["fairness_gaps"]
    assert {"race", "gender", "age"} <= set(gaps[gaps["task"] == "loan-decisions"]["attribute"])

    pdf = reports.build_pdf(cat, q4)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert q3 in text and "Appendix: reproducibility record" in text
    manifest_sha = runs_q.get_run(cat, q4)["manifest_sha256"]
    assert manifest_sha in text.replace("\n", "")             # hashes are never split by a space
    assert figure(detector["recall"]) in text                  # the one formatter's 3 significant figures
    assert " nan" not in text
    assert sum(len(p.images) for p in reader.pages) >= 2
    assert "data:image/png;base64," in reports.build_html(cat, q4)
