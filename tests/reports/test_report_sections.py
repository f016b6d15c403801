"""The report's Groundedness, Robustness and Trend sections on real runs through the predictions backend:
the stored estimates with their intervals, the detectors' measured quality, the controls' verdicts, and
one line saying why when a section has nothing to show (no chart left empty) — in HTML and PDF."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

import reports
from audits.config import load_config
from audits.runner import run_audit
from audits.store.catalog import Catalog
from reports.charts import Chart
from reports.sections import GROUNDEDNESS, ROBUSTNESS, TREND
from tests.grounding.test_groundedness_run import _config
from tests.redteam.test_redteam_run import _answer, _job


def _section(cat, run_id, title):
    doc = reports.build_document(reports.collect(cat, run_id))
    return next(s for s in doc.sections if s.title == title)


def _texts(section) -> list[str]:
    return [b for b in section.blocks if isinstance(b, str)]


def _table(section, caption):
    return next(b for b in section.blocks if getattr(b, "caption", None) == caption)


@pytest.fixture(scope="module")
def grounded(tmp_path_factory):
    """Two runs of one groundedness audit (2026-Q4, then 2027-Q1)."""
    tmp = tmp_path_factory.mktemp("sections")
    cat = Catalog(tmp / "cat.duckdb")
    first = run_audit(_config(tmp), cat, actor="tester")
    config = _config(tmp)
    config.period = "2027-Q1"
    return cat, first, run_audit(config, cat, actor="tester")


def test_groundedness_section_reads_the_stored_estimates_and_detector_quality(grounded):
    cat, first, _ = grounded
    section = _section(cat, first, GROUNDEDNESS)
    res = reports.collect(cat, first).results.tasks[0]
    hal = res.metrics["hallucination_rate"]
    # the caption names the intervals' methods (walk 7: '0.833 [0.359, 0.996]' said none)
    (table,) = [b for b in section.blocks if str(getattr(b, "caption", "")).startswith(
        "Groundedness per task (95% intervals: exact binomial")]
    row = table.rows[0]
    assert row[0] == "support" and row[1] == "0.4 [0.0527, 0.853], n=5" and hal.n == 5
    assert row[3].startswith("0.167 [") and row[3].endswith("n=6")
    assert row[4].startswith("4 (") and "empty context: 1" in row[4]
    quality = {r[0]: r for r in _table(section, "Groundedness detector on held-out HaluEval").rows}
    assert quality["qa"][1].startswith("0.957 [0.933, 0.973]") and quality["qa"][6] == "meets 0.85"  # detector v3
    assert quality["dialogue"][6] == "below target"
    assert any("Below target on dialogue" in t for t in _texts(section))
    controls = {r[1]: r[3] for r in _table(section, "Groundedness controls").rows}
    assert controls == {"INT-HAL-1": "inconclusive", "INT-HAL-2": "no data", "INT-HAL-3": "pass"}


def test_trend_needs_two_runs_and_then_charts_the_headline_metrics(grounded):
    cat, first, second = grounded
    assert _texts(_section(cat, first, TREND)) == [
        "No trend chart: this is the only complete run of audit 'ground' so far; a trend needs at least two."]
    section = _section(cat, second, TREND)
    charts = [b for b in section.blocks if isinstance(b, Chart)]
    assert len(charts) == 1 and charts[0].png.startswith(b"\x89PNG")
    assert charts[0].caption.startswith("2 metrics over 2 periods")
    (table,) = [b for b in section.blocks if str(getattr(b, "caption", "")).startswith(
        "Trend over 2 runs (rates: Cochran-Armitage trend test on each rate's counts; other measures: weighted least "
        "squares on the per-run values; p corrected (Holm) over all ")]   # the Trends page's family (walk 7)
    rows = {r[0]: r for r in table.rows}
    # the accuracy and groundedness answers, named in words (never the metric ids)
    hal = "share of answers with a claim their context does not support"
    assert set(rows) == {hal, "word overlap with the reference answer (F1)"}
    assert rows[hal][1:] == ["2", "—", "—", "not tested (a trend needs 3 runs)"]


def test_robustness_section_on_a_red_team_run(tmp_path):
    cat = Catalog(tmp_path / "cat.duckdb")
    run_id = run_audit(load_config(_job(tmp_path, _answer)), cat, actor="tester")
    section = _section(cat, run_id, ROBUSTNESS)
    rows = {r[1]: r for r in _table(section, "Attack success per family").rows}
    res = reports.collect(cat, run_id).results
    for family in ("prompt-injection", "system-prompt-leak"):
        est = next(t.redteam.families[family] for t in res.tasks if t.redteam and family in t.redteam.families)
        assert rows[family][3] == f"{est.successes} of {est.n}"
        assert rows[family][4].startswith(f"{est.value:.3g} [")
    assert rows["prompt-injection"][2].startswith("LLM01")
    detectors = {r[0]: r[1] for r in _table(section, "The detectors' own measured quality").rows}
    assert detectors["marker"].startswith("agrees with garak 0.17.1") and "80 of 80" in detectors["marker"]
    assert any("planted one" in t and "canary" in t for t in _texts(section))
    owasp = _table(section, "OWASP LLM Top 10 and red-team controls")
    assert any(r[1].startswith("INT-RT") for r in owasp.rows)


def test_sections_in_html_and_pdf_and_one_line_when_empty(grounded):
    cat, first, second = grounded
    html = reports.build_html(cat, first)
    for title in (TREND, GROUNDEDNESS, ROBUSTNESS):
        assert f"{title}</h2>" in html
    assert "This run has no red-team probe task (`redteam:` in the config), so no attack was tried." in html
    pages = PdfReader(io.BytesIO(reports.build_pdf(cat, second))).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "Trend across runs" in text and ("2 metrics over 2 periods, one panel each on its own scale; the band is the 95% "
                                           "confidence interval of each run's value") in text
    assert "Groundedness detector on held-out HaluEval" in text and "below target" in text
