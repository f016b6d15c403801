"""One answer per question on every surface: the report's first page, the dashboard's Overview,
`assay check --json` and `assay results --json` agree on each verdict, number and "real change" mark."""

from __future__ import annotations

import io
import json

from pypdf import PdfReader

import reports
from audits.cli import main as cli
from reports.verdicts import area_of, four_verdicts


def test_report_overview_check_and_results_agree(report_runs, monkeypatch, capsys):
    cat, q3, q4 = report_runs
    d = reports.collect(cat, q4)
    verdicts = four_verdicts(d.checklist, d.results, d.tables["metrics"])
    lines = {v.title: v.line("2026-Q3") for v in verdicts}

    # 1. the PDF's first page carries each answer (verdict, number, change mark)
    first = " ".join(PdfReader(io.BytesIO(reports.build_pdf(cat, q4))).pages[0].extract_text().split())
    for v in verdicts:
        assert f"{v.title} {v.word} {v.number_text()}" in first
        assert v.change_text("2026-Q3").split(";")[0] in first

    # 2. the dashboard's Overview shows the same lines
    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    from tests.dashboard.conftest import page_app
    at = page_app("overview")
    at.query_params["run"] = q4
    at.run()
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    for v in verdicts:
        line = next(s for s in shown if s.startswith(f"**{v.title}:**"))
        assert f">{v.word}</span> — {v.number_text()} — {v.change_text('2026-Q3')}" in line, (line, lines[v.title])

    # 3. `assay check --json`: each area's verdict is its worst control's status
    code = cli(["check", q4, "--policy", "internal-llm", "--json", "--catalog", str(cat.path)])
    assert code in (0, 1, 3)
    checked = json.loads(capsys.readouterr().out)
    order = {"fail": 0, "inconclusive": 1, "no-data": 2, "pass": 3}
    for v in verdicts:
        mine = [it["status"] for it in checked["items"] if it["kind"] == "check" and area_of(it["expression"]) == v.area]
        assert v.verdict == (min(mine, key=order.get) if mine else "not checked")

    # 4. `assay results --json`: the number behind each answer is the stored summary
    cli(["results", q4, "--json", "--catalog", str(cat.path)])
    results = json.loads(capsys.readouterr().out)
    stored = {(t["name"], name): m for t in results["tasks"] for name, m in t["metrics"].items()}
    for v in verdicts:
        if (v.task, v.metric) in stored:
            m = stored[(v.task, v.metric)]
            assert (m["value"], m["ci_low"], m["ci_high"], m["n"]) == (v.value, v.ci_low, v.ci_high, v.n)
