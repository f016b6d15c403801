"""Groundedness is the fifth answer, read from one place (``reports.verdicts.area_verdicts``) by the
report's first page and the dashboard's Overview, decided by the INT-HAL controls (their area is
groundedness, not accuracy) on a real run through the predictions backend."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

import reports
from audits.runner import run_audit
from audits.store.catalog import Catalog
from reports.verdicts import area_verdicts
from tests.grounding.test_groundedness_run import _config


@pytest.fixture(scope="module")
def answered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("answer")
    cat = Catalog(tmp / "cat.duckdb")
    run_id = run_audit(_config(tmp), cat, actor="tester")
    d = reports.collect(cat, run_id)
    return cat, run_id, d, {v.area: v for v in area_verdicts(d.checklist, d.results, d.tables.get("metrics"))}


def test_the_int_hal_controls_decide_groundedness_not_accuracy(answered):
    _, _, d, answers = answered
    areas = {it.control_id: it.area for it in d.checklist.items if it.control_id.startswith("INT-HAL")}
    assert areas == {"INT-HAL-1": "groundedness", "INT-HAL-2": "groundedness", "INT-HAL-3": "groundedness"}
    grounded = answers["groundedness"]
    assert {c[1] for c in grounded.controls} == {"INT-HAL-1", "INT-HAL-2", "INT-HAL-3"}
    assert not any(c[1].startswith("INT-HAL") for c in answers["accuracy"].controls)
    # 2 of the 5 scorable answers hallucinate: 0.4, but at n=5 the exact interval still reaches below 10%
    status = {c[1]: c[2] for c in grounded.controls}
    assert status == {"INT-HAL-1": "inconclusive", "INT-HAL-2": "no-data", "INT-HAL-3": "pass"}
    assert grounded.verdict == "inconclusive" and grounded.title == "Groundedness"
    assert grounded.n_needed and grounded.n_needed > 5
    assert (grounded.task, grounded.metric, grounded.n) == ("support", "hallucination_rate", 5)
    assert grounded.value == pytest.approx(0.4)
    stored = d.results.tasks[0].metrics["hallucination_rate"]
    assert (grounded.value, grounded.ci_low, grounded.ci_high) == (stored.value, stored.ci_low, stored.ci_high)


def test_report_and_overview_give_the_same_groundedness_answer(answered, monkeypatch):
    from tests.dashboard.conftest import page_app

    cat, run_id, _, answers = answered
    grounded = answers["groundedness"]
    first = " ".join(PdfReader(io.BytesIO(reports.build_pdf(cat, run_id))).pages[0].extract_text().split())
    assert f"Groundedness {grounded.word} {grounded.number_text()}" in first

    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    at = page_app("overview")
    at.query_params["run"] = run_id
    at.run()
    assert not at.exception
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    line = next(s for s in shown if s.startswith("**Groundedness:**"))
    assert f">{grounded.word}</span> — {grounded.number_text()}" in line
    detail = next(s for s in shown if s.startswith("**Groundedness, per task:**"))
    assert f">{grounded.word}</span>" in detail and "**support**: hallucination rate 0.4 (95% CI" in detail  # reports.figures: 3 s.f.
