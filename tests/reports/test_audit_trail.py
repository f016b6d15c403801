"""The report's audit log (issue 20): each entry of the run is one readable line — when, who, what
act, on what — in plain words, never raw or cut-off JSON; on a real catalog with an attestation, a
sign-off, a review label and an exported report."""

from __future__ import annotations

import re

import pandas as pd

import reports
from reports.audit_trail import act_text, run_log, target_text
from reports.data import collect
from reports.document import build_document
from reports.html import render_html
from reports.pdf import render_pdf


def test_each_entry_is_a_line_in_words(report_runs):
    cat, q3, q4 = report_runs
    log = reports.tables(cat, q4)["audit_log"]
    assert list(log.columns) == ["when", "who", "act", "on what"]
    acts = log["act"].tolist()
    assert acts[0].startswith("started the audit run") and acts[1].startswith("completed the audit run: manifest SHA-256 ")
    assert "attested a manual control: INT-REL-1 of internal-llm, attested" in acts
    assert "signed off the run: reject" in acts
    row = log[log["act"] == "signed off the run: reject"].iloc[0]
    assert row["who"] == "cleo" and row["on what"] == "this run"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC", row["when"])
    assert not log.apply(lambda r: any("{" in str(v) or '":' in str(v) for v in r), axis=1).any()
    assert q3 not in " ".join(log["on what"])   # only this run's entries


def test_the_html_and_pdf_reports_carry_the_lines(report_runs):
    cat, _, q4 = report_runs
    doc = build_document(collect(cat, q4))
    html = render_html(doc)
    appendix = html[html.index("Appendix: reproducibility record"):]
    assert "Audit log of this run" in appendix and "signed off the run: reject" in appendix
    assert "attested a manual control: INT-REL-1 of internal-llm, attested" in appendix
    assert '"decision"' not in appendix and "&#34;decision&#34;" not in appendix
    from pypdf import PdfReader
    import io

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(doc))).pages)
    assert "signed off the run: reject" in re.sub(r"\s+", " ", text)


def test_review_export_and_unknown_acts_read_as_words():
    assert act_text("review.label", {"label": "needs_rephrasing"}) == "labelled an output: needs rephrasing"
    assert act_text("review.flag", {"flags": ["pii_leak"]}) == "flagged an output: pii leak"
    assert act_text("report.generated", {"format": "pdf", "sha256": "ab" * 32}) == \
        "exported the report as pdf: SHA-256 abababababab"
    assert act_text("report.generated", {"format": "pack", "sha256": "cd" * 32}) == \
        "exported the evidence pack: SHA-256 cdcdcdcdcdcd"
    assert act_text("export.retraining-sft", {"records": 12, "sha256": "ef" * 32}) == \
        "exported retraining data (chat examples): 12 records, SHA-256 efefefefefef"
    assert act_text("something.new-thing", {}) == "something new thing"
    assert target_text("r1/bbq-gender/17", "r1") == "output bbq-gender / 17"


def test_a_long_log_keeps_the_newest_entries_and_counts_the_rest():
    entries = pd.DataFrame({"seq": range(1, 101), "ts": pd.Timestamp("2026-12-05 10:00"), "actor": "rita",
                            "action": "review.label", "target": [f"r1/t/{i}" for i in range(100)],
                            "details": '{"label":"correct"}', "prev_hash": "", "hash": ""})
    frame, left_out = run_log(entries, "r1", limit=30)
    assert len(frame) == 30 and left_out == 70 and frame.iloc[-1]["on what"] == "output t / 99"
    assert run_log(entries.iloc[0:0], "r1")[1] == 0
