"""The PDF as a reader sees it: extractable text, sections in order, charts, nothing off the page."""

from __future__ import annotations

import io
import json

import numpy as np
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader
from reportlab.platypus import Table as RLTable

import reports
from audits.store.queries import audit_log
from reports.pdf import PAGE, frame_width, story


@pytest.fixture(scope="module")
def pdf_bytes(report_runs):
    cat, _, q4 = report_runs
    return reports.build_pdf(cat, q4)


def test_text_is_extractable_and_sections_are_in_order(pdf_bytes, report_runs):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    text = "\n".join(page.extract_text() for page in reader.pages[1:])   # page 1 is the answer page
    positions = [text.find(t) for t in ["Executive summary", "Metrics with confidence intervals", "Fairness",
                                        "Privacy and safety", "Human review", "Policy checklist",
                                        "Appendix: reproducibility record"]]
    assert -1 not in positions and positions == sorted(positions)
    first = reader.pages[0].extract_text()
    assert "unit-audit" in first and "2026-Q4" in first and "run-q3" in first   # cover + compared run
    assert "INT-FAIR-1" in text and "0.7 (threshold: at least 0.8)" in " ".join(text.split())  # value, then the rule
    assert "Committee sign-off: reject by cleo" in text
    assert "deadbeef" in text                                                  # code commit in the appendix


def test_charts_are_images_on_pages(pdf_bytes):
    reader = PdfReader(io.BytesIO(pdf_bytes))
    images = [img for page in reader.pages for img in page.images]
    assert len(images) >= 2          # the metrics chart and the selection-rate-by-gender chart
    pdf = pdfium.PdfDocument(pdf_bytes)
    assert len(pdf) == len(reader.pages) >= 3
    page = np.asarray(pdf[2].render(scale=1).to_pil().convert("L"))
    assert page.shape[0] > page.shape[1]                   # portrait A4
    assert (page < 128).mean() > 0.01                      # real ink, not a blank page


def test_no_table_is_wider_than_the_page(report_runs, pdf_bytes):
    cat, _, q4 = report_runs
    doc = reports.build_document(reports.collect(cat, q4))
    tables = [f for f in story(doc) if isinstance(f, RLTable)]
    assert len(tables) >= 8
    for t in tables:
        assert sum(t._colWidths) <= frame_width() + 0.01
    # and on the rendered pages: every glyph run starts inside the page
    xs = []
    for page in PdfReader(io.BytesIO(pdf_bytes)).pages:
        def visit(text, cm, tm, font, size):
            if text.strip():
                xs.append(tm[4] * cm[0] + tm[5] * cm[2] + cm[4])
        page.extract_text(visitor_text=visit)
    assert xs and min(xs) >= 0 and max(xs) < PAGE[0] - 20


def test_long_attestation_text_wraps_inside_the_page(pdf_bytes):
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf_bytes)).pages)
    assert "after a long discussion" in text and "<script>" in text    # escaped, shown as text


def test_save_report_logs_the_files_sha256(report_runs, tmp_path):
    cat, _, q4 = report_runs
    [(path, sha)] = reports.save_report(cat, q4, tmp_path / "q4.pdf", actor="carol")
    import hashlib
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha
    with cat.connect() as con:
        last = audit_log.entries(con, limit=1).iloc[0]
        assert audit_log.verify_chain(con) == []
    assert last["action"] == "report.generated" and last["actor"] == "carol"
    assert json.loads(last["details"])["sha256"] == sha
