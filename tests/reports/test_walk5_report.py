"""What the fifth walk of the demo found in the reports, pinned: one formatter writes every figure (the
checklist wrote 4 significant figures beside a summary of 3), CSV keeps full precision, and PDF tables wrap
at spaces and hyphens only ('support-q' over 'a', 'group' over 's' before)."""

from __future__ import annotations

import html
import re

import pandas as pd
import policies
import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph, Table as RLTable

import reports
from reports.figures import figure, interval
from reports.pdf import LONG_TOKEN, _pieces, fit_widths, frame_width, story
from reports.verdicts import area_verdicts, evidence_text


@pytest.mark.parametrize("value, text", [
    (0.764918987855333, "0.765"), (0.1875, "0.188"), (0.5, "0.5"), (0.0000123456, "0.0000123"),
    (1941.3, "1,941"), (999.6, "1,000"), (-0.0, "0"), (None, "—"), (float("nan"), "—"), (True, "—")])
def test_one_formatter_three_significant_figures_never_an_exponent(value, text):
    assert figure(value) == text
    assert figure(0.08, signed=True) == "+0.08" and figure(-0.0312, signed=True) == "-0.0312"
    assert interval(0.641, 0.7649) == "[0.641, 0.765]" and interval(None, 0.7) == ""


def test_the_checklist_the_summary_and_the_policies_page_write_a_bound_alike(report_runs):
    from dashboard.views.policies import _measured

    cat, _, q4 = report_runs
    checklist = policies.evaluate_run(cat, q4, ["internal-llm"])
    (item,) = [it for it in checklist.items if it.control_id == "INT-FAIR-1"]
    bound = item.bound
    assert f"{bound:.4g}" != figure(bound) == "0.765"      # 0.7649…: the checklist printed 0.7649
    (fairness,) = [v for v in area_verdicts(checklist, reports.collect(cat, q4).results) if v.area == "fairness"]
    html = reports.build_html(cat, q4)
    for surface, text in [("summary", fairness.number_text()), ("evidence", evidence_text(item)),
                          ("policies page", _measured(item)), ("html report", html)]:
        assert "0.765" in text and "0.7649" not in text, (surface, text)


def test_the_csv_keeps_full_precision(report_runs, tmp_path):
    cat, _, q4 = report_runs
    written = reports.save_report(cat, q4, tmp_path / "tables", fmt="csv", actor="carol")
    checklist = pd.read_csv(next(p for p, _ in written if p.name == "checklist.csv")).set_index("control_id")
    assert checklist.loc["INT-FAIR-1", "bound"] == pytest.approx(0.764918987855333, abs=1e-12)
    review = pd.read_csv(next(p for p, _ in written if p.name == "review.csv")).set_index("item")
    assert review.loc["coverage (reviewed / samples)", "value"] in ("0.0", "0")   # a number, not a rounded string


def _lines(cell: Paragraph, width: float) -> list[list[str]]:
    """The words of each line ``cell`` wraps to at ``width`` (a line's fragments joined, then split at spaces)."""
    cell.wrap(width, 10_000)
    out = []
    for line in cell.blPara.lines:
        if isinstance(line, tuple):   # plain text: the line's words
            out.append(" ".join(line[1]).split())
        else:                         # marked-up text: fragments, each with its own spaces
            out.append("".join(w.text for w in line.words).split())
    return out


def test_pdf_tables_break_only_at_spaces_and_after_hyphens(report_runs):
    cat, _, q4 = report_runs
    tables = [f for f in story(reports.build_document(reports.collect(cat, q4))) if isinstance(f, RLTable)]
    assert len(tables) >= 8
    checked = 0
    for t in tables:
        for row in t._cellvalues:
            for cell, width in zip(row, t._colWidths):
                if not isinstance(cell, Paragraph):
                    continue
                text = html.unescape(re.sub(r"<[^>]+>", "", cell.text))
                whole = {p for p in _pieces(text)} | set(text.split())
                long = frame_width() * LONG_TOKEN
                hashes = [w for w in text.split() if stringWidth(w, "Helvetica-Bold", 7.2) >= long * 0.9]
                for line in _lines(cell, width - 6):
                    for word in line:   # a whole word or a hyphen piece; only a hash-long token splits inside
                        assert word in whole or any(word in h for h in hashes), (text, line)
                        checked += 1
    assert checked > 500


def test_a_narrow_column_is_widened_to_its_longest_word_from_the_others():
    # the fairness table's 'groups' header and 'loan-decisions' cell split mid-word at their weights
    widths = fit_widths([40.0, 12.0, 300.0], [["task", "loan-decisions"], ["groups", "2"], ["note", "a " * 50]], 352.0)
    assert widths[1] >= stringWidth("groups", "Helvetica-Bold", 7.2) + 6 and abs(sum(widths) - 352.0) < 1e-6
    assert widths[0] >= stringWidth("decisions", "Helvetica-Bold", 7.2) + 6 and widths[2] < 300.0
    assert _pieces("redteam-prompt-injection INT-ACC-1") == ["redteam-", "prompt-", "injection", "INT-ACC-1"]
    assert fit_widths([1.0, 1.0], [["x" * 400], ["y" * 400]], 2.0) == [1.0, 1.0]   # cannot fit: left as given


def test_a_tiny_p_value_is_a_bound_and_a_threshold_is_said_in_words(report_runs):
    cat, _, q4 = report_runs
    html = reports.build_html(cat, q4)
    # the accuracy change's Holm p was written 'p=3.1e-11'; the fairness answer 'upper bound 0.765 vs >= 0.8'
    assert "p&lt;0.0001 after correcting for the number of comparisons" in html
    assert not re.search(r"p=[0-9.]+e-\d", html)
    assert "(upper bound 0.765; threshold: at least 0.8)" in html and "vs &gt;=" not in html


def test_the_report_explains_each_statistical_word_its_pages_use_and_only_those(report_runs):
    from reports.glossary import READER_WORDS

    cat, _, q4 = report_runs
    doc = reports.build_document(reports.collect(cat, q4))
    table = doc.sections[-1].blocks[-1]
    assert table.caption == "Words used in this report"
    listed = [row[0] for row in table.rows]
    assert {"95% CI", "exact binomial (Clopper–Pearson)", "Holm's correction", "four-fifths rule"} <= set(listed)
    before = reports.build_html(cat, q4).split("Words used in this report")[0]
    for word, pattern, _ in READER_WORDS:   # listed exactly when the pages before the list use it
        assert (word in listed) == bool(re.search(pattern, html.unescape(before))), word


def test_every_answer_names_its_interval_s_method(report_runs):
    cat, _, q4 = report_runs
    data = reports.collect(cat, q4)
    answers = {v.area: v for v in area_verdicts(data.checklist, data.results)}
    assert answers["accuracy"].number_text().startswith("0.88 [0.865, 0.894], exact binomial, n=2,000")
    # no interval stored: the bound's rule is said instead, and no method is claimed for an interval not shown
    assert "exact binomial" not in answers["fairness"].number_text()


def test_a_table_writes_a_count_as_the_text_beside_it_does(report_runs):
    cat, _, q4 = report_runs
    doc = reports.build_document(reports.collect(cat, q4))
    metrics = next(b for s in doc.sections for b in s.blocks
                   if hasattr(b, "columns") and b.columns[:3] == ["task", "measure", "value"])
    n = metrics.columns.index("n")
    assert {row[n] for row in metrics.rows} == {"2,000"}        # was '2000' beside 'n=2,000' on page 1


def test_a_task_scanned_in_full_is_not_named_among_the_public_benchmark_tasks():
    from audits.results import RunResults
    from reports.data import privacy_safety_tables
    from reports.document import _privacy_safety

    public = {"findings": 0, "leaks": 0, "fields": ["prediction"],
              "public_text": {"source": "builtin:bbq-gender", "fields_not_scanned": ["input"]}}
    own = {"findings": 2, "leaks": 1, "fields": ["input", "prediction"]}
    results = RunResults.model_validate({"run_id": "r1", "audit": "a", "period": "2026-Q4", "tasks": [
        {"name": "bbq-gender", "type": "choice", "n": 40, "metrics": {}, "pii": public},
        {"name": "pii-support", "type": "generate", "n": 6, "metrics": {}, "pii": own}]})

    class Data:
        def __init__(self) -> None:
            priv, safe = privacy_safety_tables(results)
            self.results, self.tables = results, {"privacy": priv, "safety": safe}

    (note,) = [b for b in _privacy_safety(Data()).blocks if isinstance(b, str) and "public benchmark" in b]
    # the demo's report said 'pii-support (nan)': its own support chats, scanned in full, named as not scanned
    assert "bbq-gender (builtin:bbq-gender)" in note and "pii-support" not in note and "nan" not in note
