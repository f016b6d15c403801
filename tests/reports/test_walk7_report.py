"""Walk 7 (the monitoring answers): on a production-log audit whose user feedback fell over three quarters
(100%, 80%, 55% positive of 60), the dashboard's Trends page flagged the fall as a real trend while the report's
trend section tested its headline answers alone (accuracy and the leak rate) and left the fall out; and the
page wrote its p as 'p=0.000000552', the PDF's panel title 'p=5.5e-07'. Now the report shows the headline
measures, user feedback and every real trend, with p corrected over the Trends page's own family, and every
surface writes a p below 0.0001 as 'p<0.0001' (reports.figures.p_value)."""

from __future__ import annotations

import json

import pytest

import reports
from audits.config import load_config
from audits.runner import run_audit
from audits.store.catalog import Catalog
from reports.charts import Chart
from reports.figures import p_value
from reports.sections import TREND

FEEDBACK = "share of interactions with positive user feedback"
SHARE_UP = {"2026-Q2": 60, "2026-Q3": 48, "2026-Q4": 33}   # of 60 interactions each


def _period(tmp, period: str) -> str:
    longer = " I have waited for weeks and would like every step explained, please." if period == "2026-Q4" else ""
    rows = [{"id": f"{period}-{i}", "input": f"How long do refunds take? ({i}){longer}", "output": "Five business days.",
             "answer": "Five business days." if i % 5 else "Ten days.", "thumbs": "up" if i < SHARE_UP[period] else "down"}
            for i in range(60)]
    log = tmp / f"{period}.jsonl"
    log.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = tmp / f"{period}.yaml"
    config.write_text(f"""name: support-log
period: {period}
seed: 1234
bootstrap: 200
model: {{backend: predictions, path: {log}}}
tasks:
  - name: support
    type: generate
    dataset: {{path: {log}}}
    fields: {{id: id, reference: answer}}
    prompt: "{{input}}"
    metrics: [exact_match]
    feedback: {{field: thumbs, positive: [up], negative: [down]}}
scanners: {{}}
policy: [internal-llm]
""", encoding="utf-8")
    return str(config)


@pytest.fixture(scope="module")
def feedback_falls(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("walk7")
    cat = Catalog(tmp / "c.duckdb")
    runs = [run_audit(load_config(_period(tmp, p)), cat, actor="tester") for p in SHARE_UP]
    return cat, runs


def test_the_report_trend_shows_the_real_fall_of_user_feedback_with_the_pages_p(feedback_falls):
    from audits.store.queries.trends import audit_trends

    cat, runs = feedback_falls
    section = next(s for s in reports.build_document(reports.collect(cat, runs[-1])).sections if s.title == TREND)
    (table,) = [b for b in section.blocks if str(getattr(b, "caption", "")).startswith("Trend over 3 runs")]
    rows = {r[0]: r for r in table.rows}
    page = audit_trends(cat, "support-log")   # what the Trends page tests, every series chosen
    fell = page["series"]["feedback_positive_rate"]
    assert fell["significant"] and fell["p_adjusted"] < 1e-4
    assert rows[FEEDBACK][1] == "3" and rows[FEEDBACK][3] == "<0.0001" and rows[FEEDBACK][4] == "yes"
    assert rows[FEEDBACK][2].startswith("-0.225 [")
    exact = page["series"]["exact_match"]   # the headline's p is the page's p: one Holm family
    assert rows["share of answers matching the reference exactly"][3] == p_value(exact["p_adjusted"], named=False)
    assert f"p corrected (Holm) over all {page['family_size']} series of the audit" in table.caption
    (chart,) = [b for b in section.blocks if isinstance(b, Chart)]
    assert chart.caption.startswith("2 metrics over 3 periods")   # accuracy and feedback


def test_the_pdf_panel_and_the_trends_page_write_a_tiny_p_as_a_bound(feedback_falls):
    from audits.store.queries.trends import audit_trends
    from dashboard.views.trends import _table, trend_verdict
    from reports.trend import trend_tables, trend_verdict as panel_title

    cat, runs = feedback_falls
    got = trend_tables(cat, {"audit": "support-log", "run_id": runs[-1]}, [("support", "exact_match")])
    row = next(r for r in got["trend"].to_dict("records") if r["series"] == "feedback_positive_rate")
    assert panel_title(row) == "falling 0.225 per run (p<0.0001 after correction): a real trend"
    body = audit_trends(cat, "support-log")
    said = trend_verdict(body["series"]["feedback_positive_rate"], body["family_size"])
    assert said.startswith("change per run -0.225, p<0.0001 after correcting for") and "e-" not in said
    frame = _table(body).set_index("measure")
    assert frame.loc[FEEDBACK, "p after correction"] == "<0.0001" and frame.loc[FEEDBACK, "p"] == "<0.0001"


def test_the_overview_drift_warning_writes_its_p_as_a_bound(feedback_falls, monkeypatch):
    """The last quarter's questions are longer: the Overview warns of drift with 'p<0.0001', not 'p=4.1e-35'."""
    from streamlit.testing.v1 import AppTest

    cat, runs = feedback_falls
    monkeypatch.setenv("ASSAY_CATALOG", str(cat.path))
    at = AppTest.from_string("from dashboard import state\nstate.run_picker()\n"
                             "from dashboard.views import overview\noverview.render()\n", default_timeout=120)
    at.query_params["run"] = runs[-1]
    at.run()
    assert not at.exception, at.exception
    (warning,) = [w.value for w in at.warning if "drifted" in w.value]
    assert "input length (characters) (p<0.0001 after correction)" in warning and "e-" not in warning


@pytest.mark.parametrize("p, named, text", [(5.5e-7, True, "p<0.0001"), (0.000821, True, "p=0.000821"),
                                            (0.15, False, "0.15"), (None, True, "—"), (float("nan"), False, "—")])
def test_one_p_formatter(p, named, text):
    assert p_value(p, named) == text
