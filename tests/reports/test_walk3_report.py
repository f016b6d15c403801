"""What the third walk of the demo's PDF and HTML reports found, pinned (issue 20, re-audit round 3)."""

from __future__ import annotations

import io

from pypdf import PdfReader

import reports
from reports.document import build_document
from reports.glossary import plain


def test_plain_words_keep_balanced_accuracy_and_say_a_missing_measure_was_not_measured():
    title = "The groundedness detector's own balanced accuracy on held-out HaluEval QA is at least 0.8"
    assert plain(title) == title            # was '... own balanced share of answers correct on held-out ...'
    art15 = "An appropriate level of accuracy (at least 85%)"
    assert plain(art15) == art15            # eu-ai-act ART15-1 read 'An appropriate level of share of answers correct'
    assert plain("bbq-gender: accuracy 0.357") == "bbq-gender: share of answers correct 0.357"   # an id is still words
    assert plain("reference-qa: toxicity_rate missing") == "reference-qa: share of outputs scored toxic not measured"
    assert plain("accuracy >= 0.85, 3 missing values").endswith("3 missing values")   # prose stays prose


def test_the_checklist_names_pack_and_control_in_one_cell_and_says_a_repeated_detail_once(report_runs):
    cat, _, q4 = report_runs
    doc = build_document(reports.collect(cat, q4))
    (section,) = [s for s in doc.sections if s.title == "Policy checklist"]
    table = section.blocks[0]
    assert table.columns[:4] == ["control", "title", "source", "status"]
    rows = {r[0]: dict(zip(table.columns, r)) for r in table.rows}
    assert "internal-llm INT-ACC-1" in rows                     # wraps at the space, not 'internal-ll|m'
    no_data = [r for r in rows.values() if r["status"] == "no data"]
    assert no_data and all(r["detail"] == "—" for r in no_data if r["evidence"].startswith("no task"))
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(reports.build_pdf(cat, q4))).pages)
    assert "internal-ll\nm" not in text and "inconclusiv\ne" not in text


def test_a_group_charts_long_measure_name_wraps_so_the_pdf_does_not_shrink_the_plot():
    import pandas as pd
    from PIL import Image

    from reports.charts import group_chart

    part = pd.DataFrame({"group": ["ambig"], "value": [-0.099], "ci_low": [-0.22], "ci_high": [0.03], "n": [142]})
    chart = group_chart(part, "bbq-gender", "context_condition", "bbq_bias_ambig")
    width, _ = Image.open(io.BytesIO(chart.png)).size
    assert width < 750   # 692 px wrapped; the one-line 110-character title and axis label made it 906


def test_the_robustness_and_groundedness_control_tables_say_verdicts_and_measures_in_words(report_runs):
    import re

    from reports.sections import _controls_table

    cat, _, q4 = report_runs
    d = reports.collect(cat, q4)
    t = _controls_table(d.checklist.items, "controls")
    assert t.columns == ["pack", "control", "what it checks", "verdict", "evidence"]
    verdicts = {r[3] for r in t.rows}
    assert "no-data" not in verdicts and "no data" in verdicts        # was 'no-data', a code word
    said = " ".join(" ".join(r) for r in t.rows)
    assert not re.search(r"\b(attack_success_rate\w*|hallucination_rate|pii_leak_rate|toxicity_rate)\b", said), said
