"""One answer per question on every surface: the report's first page, the dashboard's Overview,
`assay check --json` and `assay results --json` agree on each verdict, number and "real change" mark."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from pypdf import PdfReader

import reports
from audits.cli import main as cli
from reports.verdicts import AREAS, area_verdicts


def test_report_overview_check_and_results_agree(report_runs, monkeypatch, capsys):
    cat, q3, q4 = report_runs
    d = reports.collect(cat, q4)
    verdicts = area_verdicts(d.checklist, d.results, d.tables["metrics"])
    assert [v.area for v in verdicts] == list(AREAS) == ["accuracy", "fairness", "privacy", "safety", "groundedness"]
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
        mine = [it["status"] for it in checked["items"] if it["kind"] == "check" and it["area"] == v.area]
        with_data = [s for s in mine if s != "no-data"] or mine   # "no data" only when no control has data
        assert v.verdict == (min(with_data, key=order.get) if mine else "not checked")

    # 4. `assay results --json`: the number behind each answer is the stored summary
    cli(["results", q4, "--json", "--catalog", str(cat.path)])
    results = json.loads(capsys.readouterr().out)
    stored = {(t["name"], name): m for t in results["tasks"] for name, m in t["metrics"].items()}
    for v in verdicts:
        if (v.task, v.metric) in stored:
            m = stored[(v.task, v.metric)]
            assert (m["value"], m["ci_low"], m["ci_high"], m["n"]) == (v.value, v.ci_low, v.ci_high, v.n)


def _page_text(html: str) -> str:
    import html as html_lib
    import re

    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


@pytest.mark.slow
def test_the_demo_gives_one_answer_on_every_surface(demo_catalog, demo_run_ids, tmp_path, monkeypatch, capsys):
    """On the real demo (both quarters, `assay demo --limit` once per session): every verdict and every
    "real change" mark is the same on the report (PDF and HTML), the dashboard's Overview,
    `assay check --json` and `assay results --json`. Runs on a copy of the session's catalog."""
    import shutil

    from audits.store.catalog import Catalog
    from reports.data import changes_table
    from reports.verdicts import packs_for

    copy = tmp_path / "demo.duckdb"
    shutil.copy(demo_catalog, copy)
    cat = Catalog(copy)
    q3, q4 = demo_run_ids[0], demo_run_ids[-1]
    d = reports.collect(cat, q4)
    assert d.compare_run is not None and d.compare_id == q3, "the Q4 demo run is compared with Q3"
    period = d.compare_run["period"]
    metrics = d.tables["metrics"]
    verdicts = area_verdicts(d.checklist, d.results, metrics)
    assert [v.area for v in verdicts] == ["accuracy", "fairness", "privacy", "safety", "groundedness"]
    grounded = verdicts[-1]   # the demo's support-qa names its context: the INT-HAL controls decide
    assert grounded.verdict != "not checked" and {c[1] for c in grounded.controls} >= {"INT-HAL-1", "INT-HAL-3"}
    marks = {(r["task"], r["metric"]): (None if r["significant"] is None else bool(r["significant"]))
             for r in metrics.to_dict("records") if r["change"] is not None and not pd.isna(r["change"])}
    assert marks, "the demo's two quarters share metrics to compare"

    # 1. the report: page one of the PDF and the HTML carry each answer and its change mark
    first = " ".join(PdfReader(io.BytesIO(reports.build_pdf(cat, q4))).pages[0].extract_text().split())
    html = _page_text(reports.build_html(cat, q4))
    for v in verdicts:
        assert f"{v.title} {v.word} {v.number_text()}" in first, v.line(period)
        mark = v.change_text(period).split(";")[0]
        assert mark in first and mark in html, (mark, v.line(period))
        assert v.number_text() in html
    # the report's list of changes marks each change as its metrics table does
    for row in changes_table(metrics, top=len(metrics)).to_dict("records"):
        assert row["real_change"] == marks[(row["task"], row["metric"])]

    # 2. the dashboard's Overview: the same five lines, the same mark on every metric
    monkeypatch.setenv("ASSAY_CATALOG", str(copy))
    from tests.dashboard.conftest import page_app

    at = page_app("overview")
    at.session_state["assay_auth_user"] = "cleo-committee"   # the demo's committee member
    at.query_params["run"] = q4
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [m.value for m in at.markdown if m.value.startswith("**")]
    for v in verdicts:
        line = next(s for s in shown if s.startswith(f"**{v.title}:**"))
        assert f">{v.word}</span> — {v.number_text()} — {v.change_text(period)}" in line, (line, v.line(period))
    table = next(df.value for df in at.table if "real change?" in df.value.columns)
    on_screen = {(t, m): {"yes": True, "no": False, "—": None}[r]
                 for t, m, r in zip(table["task"], table["measure"], table["real change?"])}
    from reports.glossary import term   # the table names each measure in words
    assert {k: on_screen[(k[0], term(k[1]))] for k in marks} == marks

    # 3. `assay check --json` on the packs the report judged: every control's status, each area's verdict
    packs = packs_for(d.results)
    args = ["check", q4, "--json", "--catalog", str(copy)]
    for pack in packs:
        args += ["--policy", pack]
    assert cli(args) in (0, 1, 3)
    checked = json.loads(capsys.readouterr().out)
    ours = {(it.pack, it.control_id): it.status for it in d.checklist.items}
    theirs = {(it["pack"], it["control_id"]): it["status"] for it in checked["items"]}
    assert theirs == ours
    order = {"fail": 0, "inconclusive": 1, "no-data": 2, "pass": 3}
    for v in verdicts:
        mine = [it["status"] for it in checked["items"] if it["kind"] == "check" and it["area"] == v.area]
        with_data = [s for s in mine if s != "no-data"] or mine   # "no data" only when no control has data
        assert v.verdict == (min(with_data, key=order.get) if mine else "not checked")

    # 4. `assay results --json`: the number behind each answer, and every metric, as stored
    assert cli(["results", q4, "--json", "--catalog", str(copy)]) == 0
    results = json.loads(capsys.readouterr().out)
    stored = {(t["name"], name): m for t in results["tasks"] for name, m in t["metrics"].items()}
    for v in verdicts:
        if v.metric and (v.task, v.metric) in stored:
            m = stored[(v.task, v.metric)]
            assert (m["value"], m["ci_low"], m["ci_high"], m["n"]) == (v.value, v.ci_low, v.ci_high, v.n)
    for r in metrics.to_dict("records"):
        assert stored[(r["task"], r["metric"])]["value"] == pytest.approx(r["value"], nan_ok=True)
