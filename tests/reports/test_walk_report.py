"""What the re-audit walk of the demo's PDF and HTML reports found, pinned (issue 20, round 2)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

import reports
from reports.blocks import Bullets
from reports.document import summary_blocks


def test_page_ones_sample_size_notes_are_a_list_one_note_a_line_not_one_paragraph(report_runs):
    cat, _, q4 = report_runs
    d = reports.collect(cat, q4)
    (notes,) = [b for b in summary_blocks(d) if isinstance(b, Bullets)]
    assert notes.lead == "What the sample sizes can and cannot show:" and len(notes.items) >= 2
    assert any(x.startswith("INT-PII-2 has no data") for x in notes.items)

    html = reports.build_html(cat, q4)
    listed = re.search(r"<p>What the sample sizes can and cannot show:</p>\s*<ul>(.*?)</ul>", html, re.S)
    assert listed and listed.group(1).count("<li>") == len(notes.items)

    first = PdfReader(io.BytesIO(reports.build_pdf(cat, q4))).pages[0].extract_text()
    lines = [" ".join(x.strip("\x7f•").split()) for x in first.splitlines()]
    starts = [x for x in lines if any(x.startswith(note[:40]) for note in notes.items)]
    assert len(starts) == len(notes.items), lines   # each note starts a line of its own, after its bullet
